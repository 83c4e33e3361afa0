"""The records a crawl hands to the store: plain data, no I/O.

The crawler fills them (from the Hub's answers) and store/crawl_writes.py writes them, so they live
on the store's side and imports point one way: crawler -> store, never back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

#: repo_id of a problem about the listing rather than one repository.
LISTING = "(listing)"
MAX_LINKED_DATASETS = 64  # per source (metadata, card links): as many as extraction reads


@dataclass(frozen=True)
class ItemProblem:
    """Something wrong with one listing item, found by the listing check."""

    repo_id: str
    code: str  # bad-id, bad-repo-id, bad-downloads, tags-capped, carddata-oversize, ...
    message: str
    volatile: bool = False  # about a per-run counter: recorded in every run that sees it, not once per version


@dataclass(frozen=True)
class PendingFetch:
    """A stored version whose README (and licence, notice and lineage files) is still to be fetched."""

    version_id: int
    repo_id: str
    sha: str
    siblings: tuple[str, ...] | None  # None when the listing did not say


@dataclass(frozen=True)
class FileOutcome:
    """What one file download gave."""

    path: str
    status: str  # ok | absent | gated | unavailable | missing | error | oversize
    content: bytes | None = None
    code: str | None = None  # problem code when it is a problem, e.g. "http-503"
    error: str | None = None


@dataclass(frozen=True)
class VersionDownload:
    """A version's README and its other files, as fetched."""

    version_id: int
    repo_id: str
    sha: str
    readme: FileOutcome
    files: tuple[FileOutcome, ...]


@dataclass(frozen=True)
class DatasetOutcome:
    """What `dataset_info` said about one linked dataset."""

    dataset_id: str
    status: str  # ok | missing | disabled | error   (gating is a property of an ok dataset)
    record: dict[str, Any] | None = None
    code: str | None = None
    error: str | None = None


def linked_dataset_ids(item: Mapping[str, Any]) -> list[str]:
    """Dataset ids a listing item names in `cardData.datasets` or `dataset:` tags, bounded.

    Untrusted: `datasets` may be a number, a mapping or 100,000 entries long; whatever is not a
    plausible id is ignored (extraction reports the malformed declaration as a problem).
    """
    ids: list[str] = []
    card = item.get("cardData")
    declared = card.get("datasets") if isinstance(card, Mapping) else None
    if isinstance(declared, str):
        declared = [declared]
    if isinstance(declared, list):
        ids += [value.strip() for value in declared[: MAX_LINKED_DATASETS * 4] if isinstance(value, str)]
    tags = item.get("tags")
    if isinstance(tags, list):
        ids += [tag.split(":", 1)[1].strip() for tag in tags if isinstance(tag, str) and tag.startswith("dataset:")]
    seen: dict[str, None] = {}
    for value in ids:
        if value and len(value) <= 256 and " " not in value and "\x00" not in value:
            seen.setdefault(value)
            if len(seen) >= MAX_LINKED_DATASETS:
                break
    return list(seen)
