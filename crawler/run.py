"""One crawl: listing pages -> store -> downloads of what changed -> linked datasets.

Streamed page by page (memory does not grow with the hub). Each listing page is committed together
with the run's cursor, so a crawl killed at any point (SIGKILL, power loss) and started again resumes
the same run from its last committed page: versions still `pending` are fetched first, pages already
stored are not walked again, and every write is keyed so nothing is stored twice.

Modes: a *full* sweep walks every page (and is the only walk that can tell a model disappeared); an
*incremental* walk asks for `sort=lastModified` and stops at the previous run's high-water mark.
`auto` runs a full sweep when none completed in the last `full_every_days`, else an incremental one.
The first full sweep of a database walks most-downloaded first, then completes in the default order,
and labels what it has fetched as it goes (crawler/sweep_order.py), so an interrupted first crawl has
labelled the models people use.
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from huggingface_hub import DatasetInfo
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from extract.datasets import hub_dataset_ids_in_text
from store import crawl_writes as w
from store import dataset_writes as dw
from store import locks
from store import run_state as rs
from store.rollups import write_run_rollup
from store import schema as s
from store.records import DatasetOutcome, PendingFetch, VersionDownload

from .dataset_fetch import dataset_record, fetch_dataset, fetch_dataset_cards
from .downloads import fetch_version
from .http import CallStats, HubHttp, RetryPolicy
from .listing import CursorRejected, ListingQuery, dataset_listing_params, walk_model_pages, walk_pages
from .quota import QuotaPacer
from store.redact import redact, split_credentials
from .shard import Shard
from . import sweep_order
from .validate import check_page, refused_by_client

DEFAULT_ENDPOINT = "https://huggingface.co"
INCREMENTAL_MARGIN = timedelta(hours=2)  # re-read a little before the mark: clocks and ties


@dataclass(frozen=True)
class CrawlConfig:
    endpoint: str = DEFAULT_ENDPOINT
    query: ListingQuery = field(default_factory=ListingQuery)
    workers: int = 4  # concurrent README/file downloads; the listing itself is a sequential cursor walk
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    token: str | bool | None = None  # None: huggingface_hub's lookup (HF_TOKEN, saved login). Never stored.
    mode: str = "auto"  # auto | full | incremental
    full_every_days: float = 7.0
    dataset_refresh_days: float = 7.0
    lock_stale_seconds: float = locks.DEFAULT_STALE_SECONDS
    shard: Shard | None = None  # worker K of N: stores and downloads only the repos it owns
    # a first sweep labels what it fetched at least this often (and after 1, 2, 4, ... pages)
    interim_analysis_seconds: float = field(default_factory=sweep_order.interim_seconds_from_env)
    # Set by `crawl` from the endpoint's userinfo: sent as Basic auth, never stored or printed.
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)

    def owns(self, repo_id: str) -> bool:
        return self.shard is None or self.shard.owns(repo_id)

    @property
    def lock_name(self) -> str:
        return locks.CRAWL if self.shard is None else f"{locks.CRAWL}:{self.shard}"

    @property
    def analysis_owns(self) -> Callable[[str], bool] | None:
        return None if self.shard is None else self.owns


@dataclass
class CrawlSummary:
    run_id: int
    mode: str = "full"
    resumed: bool = False
    status: str = "running"
    problems: int = 0
    stats: CallStats = field(default_factory=CallStats)
    counts: dict[str, int] = field(default_factory=dict)
    analysis: str | None = None  # done | failed | pending | skipped
    analysed: Any = None  # what the analysis of this run returned (its `line()` is printed)
    analysis_error: str | None = None
    finished_earlier: list[int] = field(default_factory=list)  # earlier runs whose pending analysis this crawl finished

    def __getattr__(self, name: str) -> int:  # models_seen, versions_new, ... read from the run row
        if name in w.RUN_COUNTERS:
            return self.counts.get(name, 0)
        raise AttributeError(name)


class CrawlError(RuntimeError):
    """The crawl could not go on (listing failed after retries, database error, ...)."""


class CrawlLocked(CrawlError):
    """Another crawl holds the lock."""


ProgressFn = Callable[[str, int], None]  # (what, how many more)
Failpoint = Callable[[str], None]
# Extraction, lineage closure, linked code and labelling of what a run stored: (run id, owns, the
# crawl's HTTP session, progress) -> a result with `line()`. Passed in by the CLI (hubscan.pipeline),
# so the crawler holds its lock through the analysis, and the analysis's Hub calls count on the run.
AnalyseFn = Callable[[int, "Callable[[str], bool] | None", HubHttp, ProgressFn], Any]


def _failpoint_from_env() -> Failpoint:
    """HUBSCAN_FAILPOINT=<name>[:<n>]: die by SIGKILL the n-th time the crawl reaches that point.

    For kill-and-resume tests of real crashes at exact places (inside a page's transaction, between
    fetching and storing downloads, ...); unset in normal use, where it costs nothing.
    """
    wanted = os.environ.get("HUBSCAN_FAILPOINT")
    if not wanted:
        return lambda _name: None
    point, _, nth = wanted.partition(":")
    remaining = [int(nth) if nth.isdigit() else 1]

    def hit(name: str) -> None:
        if name == point:
            remaining[0] -= 1
            if remaining[0] <= 0:
                os.kill(os.getpid(), 9)

    return hit


def crawl(engine: Engine, config: CrawlConfig, progress: ProgressFn | None = None, analyse: AnalyseFn | None = None) -> CrawlSummary:
    """One crawl under the lock: earlier runs' unfinished analysis first, then the walk, then (with
    `analyse`) extraction and labelling of what changed. The lock's heartbeat runs throughout, so
    `status` can tell a live run from one whose process is gone."""
    progress = progress or (lambda _what, _n: None)
    endpoint, auth = split_credentials(config.endpoint)
    config = dataclasses.replace(config, endpoint=endpoint, basic_auth=auth or config.basic_auth)
    lock = config.lock_name
    try:
        taken_over = locks.acquire(engine, lock, stale_after=config.lock_stale_seconds)
    except locks.LockHeld as exc:
        raise CrawlLocked(str(exc)) from exc
    beat = locks.Heartbeat(engine, lock, interval=min(60.0, max(0.5, config.lock_stale_seconds / 5)))
    try:
        if taken_over is not None and taken_over.run_id is not None:
            with engine.begin() as conn:
                rs.mark_interrupted(conn, taken_over.run_id)
        beat.start()
        return _crawl_locked(engine, config, progress, lock, beat, analyse)
    finally:
        beat.stop()
        locks.release(engine, lock)


def _crawl_locked(engine: Engine, config: CrawlConfig, progress: ProgressFn, lock: str, beat, analyse: AnalyseFn | None) -> CrawlSummary:
    params = {"author": config.query.author, "search": config.query.search, "limit": config.query.limit}
    if config.shard is not None:
        params["shard"] = str(config.shard)
    with engine.begin() as conn:
        previous = w.resumable_run(conn, config.endpoint, params)
        if previous is not None:
            run_id, mode, resumed = previous.id, previous.mode, True
            w.reopen_run(conn, run_id, analyse=analyse is not None)
        else:
            mode = _choose_mode(conn, config)
            full = mode == "full" and config.query.is_full_sweep
            run_id = w.start_run(conn, config.endpoint, params, full, mode, "pending" if analyse else "skipped")
            resumed = False
        locks.attach_run(conn, lock, run_id)
    beat.run_id = run_id
    summary = CrawlSummary(run_id=run_id, mode=mode, resumed=resumed)
    http = HubHttp(
        token=config.token, policy=config.retry, stats=summary.stats, pacer=QuotaPacer(reserve=max(1, config.workers)),
        basic_auth=config.basic_auth, auth_origin=config.endpoint,
    )
    if analyse is not None:
        _finish_earlier_analyses(engine, config, summary, analyse, http, progress)
    failpoint = _failpoint_from_env()
    error: str | None = None
    try:
        with ThreadPoolExecutor(max_workers=max(1, config.workers), thread_name_prefix="hubscan-dl") as pool:
            with engine.begin() as conn:
                leftovers = [p for p in w.pending_fetches(conn) if config.owns(p.repo_id)]
            _download(engine, pool, http, config, summary, leftovers, progress, failpoint)
            _walk(engine, pool, http, config, summary, progress, failpoint, analyse)
        _datasets(engine, http, config, summary, progress)
        with engine.begin() as conn:
            run = conn.execute(select(s.runs).where(s.runs.c.id == run_id)).first()
            if run.full_sweep:
                gone = w.mark_disappeared(conn, run_id, None if config.shard is None else config.owns)
                w.bump(conn, run_id, disappeared=len(gone))
        summary.status = "ok"
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    except Exception as exc:  # noqa: BLE001 - recorded on the run, then re-raised as CrawlError
        summary.status = "failed"
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        error = redact(f"{type(exc).__name__}: {first_line}")[:500]
        raise CrawlError(f"crawl {run_id} failed: {error}") from exc
    finally:
        with engine.begin() as conn:
            w.bump(conn, run_id, **summary.stats.take())
            if summary.status != "ok" and error is None:
                error = summary.status
            summary.problems = w.finish_run(conn, run_id, summary.status, error, owns=config.analysis_owns)
            _read_counts(conn, summary)
    if analyse is not None and summary.status == "ok":
        state, summary.analysis_error, summary.analysed = _run_analysis(engine, config, run_id, analyse, failpoint, http, progress)
        with engine.begin() as conn:
            w.bump(conn, run_id, **summary.stats.take())  # the analysis's own Hub calls (base models, dataset cards)
            rs.set_analysis(conn, [run_id], state, summary.analysis_error)
            _read_counts(conn, summary)
        if state == "done":  # what the run saw, aggregated once for the reports (store/rollups.py)
            try:
                with engine.begin() as conn:
                    write_run_rollup(conn, run_id)
            except DBAPIError:  # a cache: the next report writes it
                pass
    return summary


def _read_counts(conn, summary: CrawlSummary) -> None:
    row = conn.execute(select(s.runs).where(s.runs.c.id == summary.run_id)).first()
    summary.counts = {name: getattr(row, name) or 0 for name in w.RUN_COUNTERS}
    summary.problems = row.problems or 0
    summary.analysis = row.analysis


def _finish_earlier_analyses(engine: Engine, config: CrawlConfig, summary: CrawlSummary, analyse: AnalyseFn, http: HubHttp, progress: ProgressFn) -> None:
    """Earlier runs whose analysis was killed or failed are analysed before this crawl walks the Hub,
    so their labels do not wait for this run to end. One pass covers them all (analysis works on
    whatever is stale); its label changes are recorded as the newest such run's."""
    with engine.connect() as conn:
        waiting = rs.runs_awaiting_analysis(conn, summary.run_id, _shard_key(config))
    if not waiting:
        return
    state, error, _ = _run_analysis(engine, config, waiting[-1], analyse, _failpoint_from_env(), http, progress)
    with engine.begin() as conn:
        w.bump(conn, waiting[-1], **summary.stats.take())
        rs.set_analysis(conn, waiting, state, error)
    summary.finished_earlier = waiting


def _run_analysis(
    engine: Engine, config: CrawlConfig, run_id: int, analyse: AnalyseFn, failpoint: Failpoint, http: HubHttp, progress: ProgressFn
) -> tuple[str, str | None, Any]:
    failpoint("analysis")
    try:
        return "done", None, analyse(run_id, config.analysis_owns, http, progress)
    except Exception as exc:  # noqa: BLE001 - the run keeps its crawl; the next crawl tries the analysis again
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        return "failed", redact(f"{type(exc).__name__}: {first_line}")[:500], None


def _choose_mode(conn, config: CrawlConfig) -> str:
    if config.mode in ("full", "incremental"):
        return config.mode
    since = (datetime.now(timezone.utc) - timedelta(days=config.full_every_days)).isoformat(timespec="seconds")
    rows = conn.execute(
        select(s.runs.c.params).where(s.runs.c.status == "ok", s.runs.c.full_sweep.is_(True), s.runs.c.started_at >= since)
    )
    # only this worker's own sweeps count: another shard's full sweep covered other repos
    recent_full = any(_shard_of(row.params) == _shard_key(config) for row in rows)
    return "incremental" if recent_full else "full"


def _shard_key(config: CrawlConfig) -> str | None:
    return None if config.shard is None else str(config.shard)


def _shard_of(params: Any) -> str | None:
    return dict(params or {}).get("shard")


def _stop_mark(engine: Engine, run_id: int, shard: str | None) -> str | None:
    """For an incremental walk: the newest lastModified an earlier finished run of this shard saw, minus a margin."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.runs.c.high_water, s.runs.c.params)
            .where(s.runs.c.id < run_id, s.runs.c.status == "ok", s.runs.c.high_water.is_not(None))
            .order_by(s.runs.c.id.desc())
        )
        # a mark set by another shard's run says nothing about the repos this worker owns
        mark = next((row.high_water for row in rows if _shard_of(row.params) == shard), None)
    if not mark:
        return None
    try:
        return (datetime.fromisoformat(mark.replace("Z", "+00:00")) - INCREMENTAL_MARGIN).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    except ValueError:
        return None


def _walk(engine, pool, http, config: CrawlConfig, summary: CrawlSummary, progress: ProgressFn, failpoint: Failpoint,
          analyse: AnalyseFn | None = None) -> None:
    with engine.connect() as conn:
        run = conn.execute(select(s.runs).where(s.runs.c.id == summary.run_id)).first()
        first = summary.mode == "full" and sweep_order.is_first_sweep(conn, summary.run_id, _shard_key(config))
    if run.listing_done:
        return
    stop_at = _stop_mark(engine, summary.run_id, _shard_key(config)) if summary.mode == "incremental" else None
    walks = sweep_order.plan(config.query, summary.mode, first, stop_at)
    # a first sweep labels as it goes: an interrupted first crawl has its most-downloaded models labelled
    interim = sweep_order.InterimLabels(config.interim_analysis_seconds) if len(walks) > 1 and analyse is not None else None
    step = _Step(engine, pool, http, config, summary, progress, failpoint, analyse, interim)
    try:
        _walk_from(step, walks, sweep_order.resume_point(walks, run.cursor), run.cursor, run.models_seen or 0)
    except CursorRejected as exc:
        # A cursor the Hub no longer accepts (it expired, the Hub changed its format): walk again
        # from the first page. Keys make the pages already stored a no-op; a second rejection in
        # the same crawl fails it (the Hub is then refusing its own cursors).
        with engine.begin() as conn:
            rs.restart_listing(conn, summary.run_id, f"the Hub rejected the listing cursor {exc.url} ({exc.message}); the walk starts again from the first page")
        _walk_from(step, walks, 0, None, 0)


@dataclass
class _Step:
    """What every page of a walk needs (the crawl's session, pool, run and analysis)."""

    engine: Engine
    pool: ThreadPoolExecutor
    http: HubHttp
    config: CrawlConfig
    summary: CrawlSummary
    progress: ProgressFn
    failpoint: Failpoint
    analyse: AnalyseFn | None
    interim: sweep_order.InterimLabels | None


def _walk_from(step: _Step, walks: list[sweep_order.Walk], start: int, resume: str | None, seen: int) -> None:
    """The sweep's walks from walk `start` (at cursor `resume`): each walk's last page checkpoints the next one's first URL."""
    for index in range(start, len(walks)):
        then = sweep_order.start_url(step.config.endpoint, walks[index + 1]) if index + 1 < len(walks) else None
        if _walk_pages(step, walks[index], resume if index == start else None, seen, then) is None:
            return
        seen = 0


def _walk_pages(step: _Step, walk: sweep_order.Walk, resume: str | None, seen: int, then: str | None) -> str | None:
    """One walk, page by page; returns the checkpoint its last page stored (`then`, or None: listing done)."""
    engine, http, config, summary = step.engine, step.http, step.config, step.summary
    limit, stop_at = walk.query.limit, walk.stop_at
    pages = 0
    for page in walk_model_pages(http, config.endpoint, walk.query, resume_url=resume):
        pages += 1
        checked = check_page(page.items, page.dropped)
        items = checked.items
        next_url = page.next_url
        if limit is not None and seen + len(items) >= limit:
            items, next_url = items[: max(0, limit - seen)], None
        if stop_at is not None:
            fresh = [i for i in items if str(i.get("lastModified") or "9") >= stop_at]
            if len(fresh) < len(items):  # sorted newest first: everything after this is older still
                items, next_url = fresh, None
        # the walk's end hands over to the next walk; a walk that was one answer (one page) saw a
        # consistent listing, so it needs no completion walk
        checkpoint = next_url if next_url is not None else (None if pages == 1 and resume is None else then)
        mine = items if config.shard is None else [i for i in items if config.owns(i["id"])]
        kept = {i["id"] for i in mine}
        problems = [p for p in checked.problems if (p.repo_id in kept or p.code in ("bad-id", "bad-item")) and config.owns(p.repo_id)]
        with engine.begin() as conn:
            pending, _ = w.record_listing_page(conn, summary.run_id, mine, checkpoint, problems)
            w.bump(conn, summary.run_id, **http.stats.take())
            step.failpoint("page-before-commit")
        step.failpoint("page-committed")
        seen += len(items)
        step.progress("models", len(items))
        cards = _download(engine, step.pool, http, config, summary, pending, step.progress, step.failpoint)
        if checkpoint is not None:  # more to walk; after the last page the crawl's own analysis follows
            _interim_analysis(step, cards)
        if next_url is None:
            return checkpoint
    return None


def _interim_analysis(step: _Step, cards: int) -> None:
    """During a first sweep: extract and label the cards fetched so far, when due (sweep_order.InterimLabels)."""
    if step.interim is None or step.analyse is None:
        return
    step.interim.fetched(cards)
    if not step.interim.due():
        return
    step.failpoint("interim-analysis")
    try:
        step.analyse(step.summary.run_id, step.config.analysis_owns, step.http, step.progress)
        error = None
    except Exception as exc:  # noqa: BLE001 - the crawl goes on; the analysis at its end tries again
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        error = redact(f"interim analysis: {type(exc).__name__}: {first_line}")[:500]
    step.interim.done()
    with step.engine.begin() as conn:
        w.bump(conn, step.summary.run_id, **step.http.stats.take())  # base lookups of the analysis count on the run
        if error is not None:
            rs.set_analysis(conn, [step.summary.run_id], "pending", error)
    step.failpoint("interim-analysed")


def _download(engine, pool, http, config: CrawlConfig, summary: CrawlSummary, pending: list[PendingFetch], progress: ProgressFn, failpoint: Failpoint) -> int:
    """Fetch and store the pending versions' files, and link the Hub datasets their cards name; returns how many."""
    if not pending:
        return 0
    results: list[VersionDownload] = list(pool.map(lambda p: fetch_version(http, config.endpoint, p), pending))
    failpoint("downloads-fetched")
    card_links = {r.version_id: hub_dataset_ids_in_text(r.readme.content.decode("utf-8", "replace")) for r in results if r.readme.content}
    with engine.begin() as conn:
        readmes, files = w.record_downloads(conn, summary.run_id, results)
        for version_id, dataset_ids in card_links.items():
            dw.link_datasets(conn, version_id, dataset_ids)
        w.bump(conn, summary.run_id, readmes_fetched=readmes, files_fetched=files, **http.stats.take())
    progress("downloads", len(results))
    return len(results)


def _datasets(engine, http, config: CrawlConfig, summary: CrawlSummary, progress: ProgressFn) -> None:
    """Linked datasets, after the walk: only those a new version names, or not asked about lately.

    A full sweep first walks the dataset listing (1,000 datasets per API call) and keeps the linked
    ones; an id the complete listing did not show is asked about once (it may be a renamed dataset,
    which the Hub redirects), and once the Hub said it is missing it is recorded so without a call.
    An incremental run asks `dataset_info` about the few its new versions name.
    """
    with engine.connect() as conn:
        full = conn.execute(select(s.runs.c.full_sweep).where(s.runs.c.id == summary.run_id)).scalar()
    if full:
        _dataset_sweep(engine, http, config, summary, progress)
    refresh_before = (datetime.now(timezone.utc) - timedelta(days=config.dataset_refresh_days)).isoformat(timespec="seconds")
    after = ""
    while True:
        with engine.connect() as conn:
            due = dw.datasets_due(conn, summary.run_id, refresh_before, after)
        if not due:
            # then the cards of the dataset versions not read yet (data information is often written there)
            fetch_dataset_cards(engine, http, config.endpoint, summary.run_id, progress)
            return
        # Each worker asks about the datasets its own new versions name (a dataset two shards both
        # name may be asked about twice; the store takes either answer).
        with engine.connect() as conn:
            known_missing = dw.datasets_known_missing(conn, due) if full else set()
        for dataset_id in due:
            why = refused_by_client(dataset_id)
            if why:  # "../x", "a b": no request can name it; recorded, never asked about
                outcome = DatasetOutcome(dataset_id, "missing", code="bad-dataset-id", error=why)
            elif full and "/" in dataset_id and dataset_id in known_missing:
                # The complete dataset listing did not show it, and the Hub already said it is gone:
                # no call. A dataset seen missing for the first time is asked once (it may have been
                # renamed: the Hub redirects the old id), then recorded.
                outcome = DatasetOutcome(dataset_id, "missing", code="repo-unavailable", error="not in the Hub's dataset listing")
            else:
                outcome = fetch_dataset(http, config.endpoint, dataset_id)
            with engine.begin() as conn:
                dw.record_dataset(conn, summary.run_id, dataset_id, outcome)
                w.bump(conn, summary.run_id, datasets_fetched=int(outcome.status == "ok"), **http.stats.take())
            progress("datasets", 1)
        after = due[-1]


def _dataset_sweep(engine, http, config: CrawlConfig, summary: CrawlSummary, progress: ProgressFn) -> None:
    for page in walk_pages(http, f"{config.endpoint.rstrip('/')}/api/datasets", dataset_listing_params()):
        by_id = {item["id"]: item for item in page.items if isinstance(item["id"], str)}
        with engine.begin() as conn:
            wanted = dw.linked_datasets_among(conn, list(by_id))
            for dataset_id in sorted(wanted):
                try:
                    outcome = DatasetOutcome(dataset_id, "ok", dataset_record(DatasetInfo(**by_id[dataset_id])))
                except (TypeError, ValueError, KeyError) as exc:
                    outcome = DatasetOutcome(dataset_id, "error", code="bad-response", error=f"{type(exc).__name__}: {exc}"[:300])
                dw.record_dataset(conn, summary.run_id, dataset_id, outcome)
            w.bump(conn, summary.run_id, datasets_fetched=len(wanted), **http.stats.take())
        progress("datasets", len(wanted))
