"""One crawl: listing pages -> store -> downloads of what changed -> linked datasets.

The walk is streamed page by page (memory does not grow with the hub) and every page is
committed with its downloads before the next one is requested, so a killed crawl loses at most
the page in flight; its leftovers (versions still `pending`) are fetched first by the next crawl.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Engine

from extract.datasets import hub_dataset_ids_in_text
from store import crawl_writes as w

from .datasets import fetch_dataset, linked_dataset_ids
from .downloads import PendingFetch, VersionDownload, fetch_version
from .http import CallStats, HubHttp, RetryPolicy
from .listing import ListingQuery, walk_model_pages

DEFAULT_ENDPOINT = "https://huggingface.co"


@dataclass(frozen=True)
class CrawlConfig:
    endpoint: str = DEFAULT_ENDPOINT
    query: ListingQuery = field(default_factory=ListingQuery)
    workers: int = 4  # concurrent README/file downloads; the listing itself is a sequential cursor walk
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    token: str | bool | None = None  # None: huggingface_hub's lookup (HF_TOKEN, saved login). Never stored.


@dataclass
class CrawlSummary:
    run_id: int
    status: str = "running"
    models_seen: int = 0
    versions_new: int = 0
    readmes_fetched: int = 0
    files_fetched: int = 0
    datasets_fetched: int = 0
    disappeared: int = 0
    problems: int = 0
    stats: CallStats = field(default_factory=CallStats)
    changed_version_ids: list[int] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        return {
            "models_seen": self.models_seen,
            "versions_new": self.versions_new,
            "readmes_fetched": self.readmes_fetched,
            "files_fetched": self.files_fetched,
            "datasets_fetched": self.datasets_fetched,
            "disappeared": self.disappeared,
            **self.stats.as_dict(),
        }


class CrawlError(RuntimeError):
    """The crawl could not go on (listing failed after retries, database error, ...)."""


ProgressFn = Callable[[str, int], None]  # (what, how many more)


def crawl(engine: Engine, config: CrawlConfig, progress: ProgressFn | None = None) -> CrawlSummary:
    progress = progress or (lambda _what, _n: None)
    with engine.begin() as conn:
        run_id = w.start_run(
            conn,
            config.endpoint,
            {"author": config.query.author, "search": config.query.search, "limit": config.query.limit},
            config.query.is_full_sweep,
        )
    summary = CrawlSummary(run_id=run_id)
    http = HubHttp(token=config.token, policy=config.retry, stats=summary.stats)
    try:
        with ThreadPoolExecutor(max_workers=max(1, config.workers), thread_name_prefix="hubscan-dl") as pool:
            with engine.begin() as conn:
                leftovers = w.pending_fetches(conn)
            _download(engine, pool, http, config, summary, leftovers, progress)
            _walk(engine, pool, http, config, summary, progress)
        if config.query.is_full_sweep:
            with engine.begin() as conn:
                summary.disappeared = len(w.mark_disappeared(conn, run_id))
        summary.status = "ok"
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    except Exception as exc:  # noqa: BLE001 - recorded on the run, then re-raised as CrawlError
        summary.status = "failed"
        raise CrawlError(f"crawl {run_id} failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    finally:
        with engine.begin() as conn:
            error = None if summary.status == "ok" else summary.status
            summary.problems = w.finish_run(conn, run_id, summary.status, summary.counters(), error)
    return summary


def _walk(engine, pool, http, config: CrawlConfig, summary: CrawlSummary, progress: ProgressFn) -> None:
    limit = config.query.limit
    for page in walk_model_pages(http, config.endpoint, config.query):
        items = page.items
        if limit is not None:
            items = items[: max(0, limit - summary.models_seen)]
        with engine.begin() as conn:
            pending, new_versions = w.record_listing_page(conn, summary.run_id, items)
        summary.models_seen += len(items)
        summary.versions_new += new_versions
        progress("models", len(items))
        linked_in_cards = _download(engine, pool, http, config, summary, pending, progress)
        wanted = [d for item in items for d in linked_dataset_ids(item)] + linked_in_cards
        _datasets(engine, http, config, summary, wanted)
        if limit is not None and summary.models_seen >= limit:
            return


def _download(engine, pool, http, config: CrawlConfig, summary: CrawlSummary, pending: list[PendingFetch], progress: ProgressFn) -> list[str]:
    """Fetch and store the pending versions' files; returns the Hub datasets their cards link to."""
    if not pending:
        return []
    results: list[VersionDownload] = list(pool.map(lambda p: fetch_version(http, config.endpoint, p), pending))
    card_links = {r.version_id: hub_dataset_ids_in_text(r.readme.content.decode("utf-8", "replace")) for r in results if r.readme.content}
    with engine.begin() as conn:
        readmes, files = w.record_downloads(conn, summary.run_id, results)
        for version_id, dataset_ids in card_links.items():
            w.link_datasets(conn, version_id, dataset_ids)
    summary.readmes_fetched += readmes
    summary.files_fetched += files
    summary.changed_version_ids.extend(r.version_id for r in results)
    progress("downloads", len(results))
    return [d for ids in card_links.values() for d in ids]


def _datasets(engine, http, config: CrawlConfig, summary: CrawlSummary, dataset_ids: list[str]) -> None:
    wanted = dict.fromkeys(dataset_ids)
    if not wanted:
        return
    with engine.begin() as conn:
        done = w.datasets_fetched_in_run(conn, summary.run_id, list(wanted))
    for dataset_id in wanted:
        if dataset_id in done:
            continue
        outcome = fetch_dataset(http, config.endpoint, dataset_id)
        with engine.begin() as conn:
            w.record_dataset(conn, summary.run_id, dataset_id, outcome)
        summary.datasets_fetched += outcome.status == "ok"
