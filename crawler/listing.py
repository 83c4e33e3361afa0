"""Walk `/api/models` one cursor page at a time, with the fields we need expanded.

One page of 1,000 models costs one API call: the sweep never calls `model_info` per model.
We walk the pages ourselves (rather than through `HfApi.list_models`) because the Link cursor of
each page is our checkpoint: a killed crawl resumes from the last stored page, and the raw JSON
is what we store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from huggingface_hub.errors import HfHubHTTPError

from .http import HubHttp
from store.redact import redact, strip_credentials

PAGE_SIZE = 1000

#: Fields taken from the listing (hub_api.md §1.1): everything the store and extract need.
MODEL_EXPAND = (
    "author",
    "sha",
    "lastModified",
    "createdAt",
    "gated",
    "private",
    "disabled",
    "downloads",
    "likes",
    "tags",
    "pipeline_tag",
    "library_name",
    "cardData",
    "siblings",
)


@dataclass(frozen=True)
class ListingQuery:
    author: str | None = None
    search: str | None = None
    limit: int | None = None  # stop after this many models
    sort: str | None = None  # e.g. "lastModified" (newest first) for incremental walks

    @property
    def is_full_sweep(self) -> bool:
        """Only an unfiltered, unlimited walk can tell that a model disappeared."""
        return self.author is None and self.search is None and self.limit is None

    def params(self) -> list[tuple[str, Any]]:
        page = PAGE_SIZE if self.limit is None else min(PAGE_SIZE, self.limit)
        params: list[tuple[str, Any]] = [("limit", page)]
        params += [("expand", field) for field in MODEL_EXPAND]
        if self.author:
            params.append(("author", self.author))
        if self.search:
            params.append(("search", self.search))
        if self.sort:
            params.append(("sort", self.sort))
        return params


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_url: str | None  # absolute Link URL of the following page; None on the last page
    dropped: int = 0  # entries that were not objects with an id


class CursorRejected(Exception):
    """The Hub answered 400 to a cursor URL (a stored resume point, or a Link it gave)."""

    def __init__(self, url: str, message: str):
        self.url, self.message = url, message
        super().__init__(f"listing cursor rejected: {url} ({message})")


#: Dataset fields a sweep of `/api/datasets` takes: what `dataset_info` would have told us.
DATASET_EXPAND = ("author", "sha", "lastModified", "createdAt", "gated", "private", "disabled", "tags", "cardData", "description")


def dataset_listing_params() -> list[tuple[str, Any]]:
    return [("limit", PAGE_SIZE), *(("expand", field) for field in DATASET_EXPAND)]


def walk_model_pages(http: HubHttp, endpoint: str, query: ListingQuery, resume_url: str | None = None) -> Iterator[Page]:
    """Yield model listing pages; `resume_url` restarts a walk at a stored cursor."""
    return walk_pages(http, f"{endpoint.rstrip('/')}/api/models", query.params(), resume_url)


def walk_pages(http: HubHttp, url: str, params: list[tuple[str, Any]], resume_url: str | None = None) -> Iterator[Page]:
    """Follow a cursor-paginated listing (`/api/models`, `/api/datasets`) page by page."""
    if resume_url:
        url, params = resume_url, None
    while url is not None:
        try:
            fetched = http.get(url, bucket="api", params=params)
        except HfHubHTTPError as exc:
            # `params` is None exactly when `url` is a cursor (resumed, or a Link the Hub gave)
            if params is None and exc.response is not None and exc.response.status_code == 400:
                reason = redact(str(exc).splitlines()[0][:300]) if str(exc) else "400"
                raise CursorRejected(strip_credentials(url) or "", reason) from exc
            raise
        items = fetched.response.json()
        if not isinstance(items, list):
            raise ValueError(f"listing answered {type(items).__name__}, expected a JSON array")
        next_url = fetched.response.links.get("next", {}).get("url")
        kept = [i for i in items if isinstance(i, dict) and i.get("id")]
        yield Page(items=kept, next_url=next_url, dropped=len(items) - len(kept))
        if not items:
            return
        url, params = next_url, None
