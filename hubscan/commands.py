"""What each CLI command does: parse nothing, decide little, call the packages that do the work."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from .errors import CrawlFailed, NotFound, UnusablePath, UsageError

if TYPE_CHECKING:
    from crawler.http import RetryPolicy
    from crawler.run import CrawlSummary


def database(url: str | None, *, create: bool = False):
    """A migrated engine on an existing database (`create=True`: the crawl may start a new one).

    store.db raises DatabaseUnavailable (a missing file, no driver, an unreachable server, not a
    hubscan database) with a message naming the database; hubscan.cli prints it and exits 2.
    """
    from store.db import open_engine

    return open_engine(url, create=create)


@contextmanager
def progress_display(enabled: bool | None = None) -> Iterator:
    """A progress bar on a terminal; silence when piped (cron logs stay readable)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda _what, _n: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed}"), TimeElapsedColumn(), transient=True) as bar:
        tasks: dict[str, int] = {}

        def advance(what: str, n: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=None)
            bar.advance(tasks[what], n)

        yield advance


def summary_line(summary: "CrawlSummary") -> str:
    status = summary.status
    if summary.status == "ok" and summary.incomplete:
        # READMEs lost to faults after every retry: the run is usable, but not whole
        status += f", {summary.incomplete} incomplete (READMEs still to fetch; the next crawl fetches them first)"
    if summary.analysis in ("failed", "pending"):
        status += f", analysis {summary.analysis}"
    how = f"{summary.mode} sweep" + (", resumed" if summary.resumed else "")
    return (
        f"run {summary.run_id} {status} ({how}): {summary.models_seen} models, {summary.versions_new} new versions, "
        f"{summary.readmes_fetched} READMEs and {summary.files_fetched} licence files fetched, "
        f"{summary.datasets_fetched} datasets, {summary.disappeared} disappeared, {summary.problems} problems; "
        f"{summary.api_calls} API + {summary.resolver_calls} resolver calls, {summary.retries} retries "
        f"({summary.rate_limited} rate-limited); lineage: {summary.lineage_calls} base lookups, {summary.bases_fetched} bases stored"
    )


def crawl(args) -> int:
    from crawler.listing import ListingQuery
    from crawler.run import DEFAULT_ENDPOINT, CrawlConfig, CrawlError, CrawlLocked
    from crawler.run import crawl as run_crawl

    from .feedback import retry_feedback

    endpoint = checked_endpoint(args.endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT)
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.full_every_days < 0:
        raise UsageError("--full-every-days must not be negative")
    from crawler.sweep_order import interim_seconds_from_env

    try:
        interim = interim_seconds_from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    config = CrawlConfig(
        endpoint=endpoint,
        query=ListingQuery(author=args.author, search=args.search, limit=args.limit),
        workers=args.workers,
        retry=retry_policy_from_env(),
        mode=args.mode,
        full_every_days=args.full_every_days,
        shard=_shard(args.shard),
        interim_analysis_seconds=interim,
    )
    github = None if args.no_analyse or args.no_github else github_settings()
    if not args.no_analyse:
        from .pipeline import extract_jobs

        extract_jobs()  # a bad HUBSCAN_EXTRACT_JOBS is refused now, not after the night's downloads
    engine = database(args.db, create=True)
    try:
        with retry_feedback(endpoint), progress_display() as progress:
            summary = run_crawl(engine, config, progress, None if args.no_analyse else analyser(engine, config, github))
    except CrawlLocked as exc:
        # a cron overlap: not a failure, nothing to do
        print(f"hubscan: {exc}; not starting a second crawl", file=sys.stderr)
        return 0
    except CrawlError as exc:
        from store.redact import strip_credentials

        raise CrawlFailed(f"{exc} (endpoint {strip_credentials(endpoint)})") from exc
    remember_changes(engine, summary)
    return report_crawl(summary)


def remember_changes(engine, summary) -> None:
    """Once a run is analysed and aggregated, store the week's changes up to it (the weekly
    report's largest part, store/week_changes.py), so the report reads them instead."""
    if summary.status == "ok" and summary.analysis == "done":
        from reports.changes import remember_week_changes

        remember_week_changes(engine, summary.run_id)


def report_crawl(summary) -> int:
    """Print what the crawl and its analysis did; exit 1 when the analysis failed (the next crawl finishes it)."""
    if summary.finished_earlier:
        runs = ", ".join(str(r) for r in summary.finished_earlier)
        print(f"finished the interrupted analysis of run(s) {runs} first")
    if summary.analysed is not None:
        print(summary.analysed.line())
    print(summary_line(summary))
    if summary.analysis == "failed":
        raise CrawlFailed(f"analysis of run {summary.run_id} failed: {summary.analysis_error}; the next crawl finishes it first")
    return 0


def analyser(engine, config, github=None):
    """The crawl's analysis (extraction, lineage closure, linked code repositories when `github`
    settings are given, labels), for the crawler to run under its lock (crawler.run.AnalyseFn)."""

    stages: dict = {}  # run id -> its LineageStage: a first crawl analyses several times (interim labels)

    def analyse_run(run_id: int, owns, http, progress):
        from crawler.base_lookup import LineageStage

        from .pipeline import analyse

        stage = stages.get(run_id)
        if stage is None:
            stage = stages[run_id] = LineageStage(
                engine, http, config.endpoint, run_id, workers=config.workers, refresh_days=config.dataset_refresh_days,
                owns=owns, progress=progress,
            )
        else:
            # the same run analysed again: its per-run budgets (config files) and counts carry over
            stage.http, stage.owns, stage.progress = http, owns, progress
        return analyse(engine, progress, run_id=run_id, owns=owns, lineage=stage, github=github)

    return analyse_run


def github_settings():
    """GitHub checks of linked code repositories: on when GITHUB_TOKEN is set (docs/code-evidence.md)."""
    from crawler.github import settings_from_env

    try:
        return settings_from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def checked_endpoint(url: str) -> str:
    """The Hub URL without its trailing slash, or a UsageError before anything is recorded.

    A user:password in the URL is allowed (a mirror behind Basic auth): the crawler sends it as
    Basic auth and strips it from everything it stores or prints. Messages here never echo it.
    """
    from urllib.parse import urlsplit

    from store.redact import strip_credentials

    shown = strip_credentials(url.strip())
    parts = urlsplit(url.strip())
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise UsageError(f"bad --endpoint {shown!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"bad --endpoint {shown!r}: expected an http(s) URL such as https://huggingface.co")
    return url.strip().rstrip("/")


def _shard(spec: str | None):
    if not spec:
        return None
    from crawler.shard import Shard

    try:
        return Shard.parse(spec)
    except ValueError as exc:
        raise UsageError(f"bad --shard {spec!r}: {exc}") from exc


def _run_problems(engine, run_id: int) -> int:
    from store.status import run_problem_count

    return run_problem_count(engine, run_id)


def retry_policy_from_env() -> "RetryPolicy":
    """HUBSCAN_RETRY_ATTEMPTS / HUBSCAN_RETRY_BASE_SECONDS tune the backoff (tests use short waits)."""
    from crawler.http import RetryPolicy

    try:
        attempts = int(os.environ.get("HUBSCAN_RETRY_ATTEMPTS", RetryPolicy.attempts))
        base = float(os.environ.get("HUBSCAN_RETRY_BASE_SECONDS", RetryPolicy.base_seconds))
    except ValueError as exc:
        raise UsageError(f"bad retry setting: {exc}") from exc
    return RetryPolicy(attempts=max(1, attempts), base_seconds=max(0.0, base))


def status(args) -> int:
    from store.status import database_counts, recent_runs

    engine = database(args.db)
    runs = recent_runs(engine, args.runs)
    if not runs:
        print("no crawl yet: run `hubscan crawl` (or `hubscan demo`)")
    else:
        print(f"{'run':>4}  {'started':<25} {'status':<19} {'analysis':<8} {'secs':>6} {'models':>7} {'new':>5} {'api':>6} {'resolver':>8} {'retries':>7} {'429s':>5} {'problems':>8} {'github':>6} {'304s':>5}")
        for r in runs:
            print(
                f"{r['id']:>4}  {r['started_at']:<25} {r['state']:<19} {r['analysis'] or '-':<8} {r['seconds'] if r['seconds'] is not None else '-':>6} "
                f"{r['models_seen']:>7} {r['versions_new']:>5} {r['api_calls']:>6} {r['resolver_calls']:>8} "
                f"{r['retries']:>7} {r['rate_limited']:>5} {r['problems']:>8} {r.get('github_calls') or 0:>6} {r.get('github_not_modified') or 0:>5}"
            )
    counts = database_counts(engine)
    print(", ".join(f"{name}: {value}" for name, value in counts.items()))
    return 0


def extract(args) -> int:
    from .pipeline import extract_all

    engine = database(args.db)
    with progress_display() as progress:
        done = extract_all(engine, progress)
    print(f"evidence extracted for {done} versions (unchanged versions skipped)")
    return 0


def classify(args) -> int:
    from .pipeline import classify_all

    engine = database(args.db)
    with progress_display() as progress:
        written, passes = classify_all(engine, progress)
    print(f"{written} labels written in {passes} pass(es) (unchanged versions skipped)")
    return 0


def explain(args) -> int:
    from store.export import label_events_of, latest_records
    from store.status import similar_repo_ids
    from store.reviews import newest_reviews

    from .explain import render_explanation

    engine = database(args.db)
    with engine.connect() as conn:
        # asked for by id on the owner's database: a private repo is explained too
        record = next(latest_records(conn, repo_id=args.repo_id, include_private=True), None)
        events = label_events_of(conn, args.repo_id)
        review = next(iter(newest_reviews(conn, [args.repo_id])), None)
    if record is None:
        similar = similar_repo_ids(engine, args.repo_id)
        hint = f"; did you mean {' or '.join(similar)}?" if similar else " (crawl it first, or check the id)"
        raise NotFound(f"{args.repo_id} has no label in the database{hint}")
    print(render_explanation(record, events, review))
    return 0


def export(args) -> int:
    from pathlib import Path

    if args.format == "parquet":
        if not args.output or (Path(args.output).exists() and not Path(args.output).is_dir()):
            raise UsageError("--format parquet writes several files: give a directory with --output DIR")
        try:
            from store.parquet import write_parquet
        except ImportError as exc:
            raise UsageError(f"Parquet export needs pyarrow ({exc}): pip install -e '.[parquet]' in the hubscan repository") from exc
        engine = database(args.db)
        writable_directory(Path(args.output), "--output")
        for written in write_parquet(engine, Path(args.output), include_private=args.include_private):
            print(f"{written.name:<14} {written.rows:>9} rows  {written.path}")
        return 0
    engine = database(args.db)
    if not args.output:
        write_records(engine, args.format, sys.stdout, args.include_private)
        return 0
    target = Path(args.output)
    if target.is_dir():
        raise UnusablePath(f"--output {target} is a directory: name a file (or use --format parquet)")
    try:
        out = open(target, "w", newline="", encoding="utf-8")
    except OSError as exc:
        raise UnusablePath(f"cannot write --output {target}: {exc.strerror or exc}") from exc
    with out:
        write_records(engine, args.format, out, args.include_private)
    return 0


def write_records(engine, fmt: str, out, include_private: bool = False) -> None:
    import csv
    import json

    from store.collector import collector_paused
    from store.export import EXPORT_KEYS
    from store.export_rows import latest_rows

    # the collector paused as for the Parquet export: the decoded rows of each batch are many small
    # acyclic containers, and its passes over them cost more than writing them
    with collector_paused(), engine.connect() as conn:
        records = (dict(zip(EXPORT_KEYS, row)) for row in latest_rows(conn, include_private=include_private))
        if fmt == "jsonl":
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(out, fieldnames=EXPORT_KEYS)
            writer.writeheader()
            for record in records:
                writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in record.items()})
    out.flush()


def writable_directory(path, option: str) -> None:
    """Raise UnusablePath naming `path` unless it is, or can be created as, a directory we may write into.

    Nothing is created here: a command refused later (a bad --week) leaves no empty directory behind.
    """
    if path.exists() and not path.is_dir():
        raise UnusablePath(f"{option} {path} is a file, not a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UnusablePath(f"cannot create {option} directory {path}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UnusablePath(f"cannot write into {option} directory {path}: permission denied on {existing}")


def demo(args) -> int:
    from .demo import run_demo

    return run_demo(args)
