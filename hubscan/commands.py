"""What each CLI command does: parse nothing, decide little, call the packages that do the work."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator

from crawler.listing import ListingQuery
from crawler.http import RetryPolicy
from crawler.run import DEFAULT_ENDPOINT, CrawlConfig, CrawlError, CrawlLocked, CrawlSummary
from crawler.run import crawl as run_crawl
from store.db import open_engine


class UserError(Exception):
    """A problem the user can fix (bad argument, unknown model, ...): printed without a traceback."""


def database(url: str | None):
    """A migrated engine, or a clear message when the database cannot be opened (no traceback)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return open_engine(url)
    except SQLAlchemyError as exc:
        message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise UserError(f"cannot open the database: {message}") from exc


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


def summary_line(summary: CrawlSummary) -> str:
    how = f"{summary.mode} sweep" + (", resumed" if summary.resumed else "")
    status = summary.status
    if summary.status == "ok" and summary.incomplete:
        # READMEs lost to faults after every retry: the run is usable, but not whole
        status += f", {summary.incomplete} incomplete (READMEs still to fetch; the next crawl fetches them first)"
    if summary.analysis in ("failed", "pending"):
        status += f", analysis {summary.analysis}"
    return (
        f"run {summary.run_id} {status} ({how}): {summary.models_seen} models, {summary.versions_new} new versions, "
        f"{summary.readmes_fetched} READMEs and {summary.files_fetched} licence files fetched, "
        f"{summary.datasets_fetched} datasets, {summary.disappeared} disappeared, {summary.problems} problems; "
        f"{summary.api_calls} API + {summary.resolver_calls} resolver calls, {summary.retries} retries "
        f"({summary.rate_limited} rate-limited)"
    )


def crawl(args) -> int:
    endpoint = (args.endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    if args.limit is not None and args.limit < 1:
        raise UserError("--limit must be at least 1")
    engine = database(args.db)
    config = CrawlConfig(
        endpoint=endpoint,
        query=ListingQuery(author=args.author, search=args.search, limit=args.limit),
        workers=max(1, args.workers),
        retry=retry_policy_from_env(),
        mode=args.mode,
        full_every_days=args.full_every_days,
        shard=_shard(args.shard),
    )
    try:
        with progress_display() as progress:
            summary = run_crawl(engine, config, progress, None if args.no_analyse else _analyser(engine, progress))
    except CrawlLocked as exc:
        # a cron overlap: not a failure, nothing to do
        print(f"hubscan: {exc}; not starting a second crawl", file=sys.stderr)
        return 0
    except CrawlError as exc:
        print(f"hubscan: {exc}", file=sys.stderr)
        return 1
    return _report_crawl(summary)


def _analyser(engine, progress):
    """Extraction and labelling for the crawler to run under its lock (see crawler.run.AnalyseFn)."""
    from .pipeline import analyse

    return lambda run_id, owns: analyse(engine, progress, run_id=run_id, owns=owns)


def _report_crawl(summary: CrawlSummary) -> int:
    if summary.finished_earlier:
        runs = ", ".join(str(r) for r in summary.finished_earlier)
        print(f"finished the interrupted analysis of run(s) {runs} first")
    if summary.analysed is not None:
        print(summary.analysed.line())
    print(summary_line(summary))
    if summary.analysis == "failed":
        print(f"hubscan: analysis of run {summary.run_id} failed: {summary.analysis_error}; the next crawl finishes it first", file=sys.stderr)
        return 1
    return 0


def _shard(spec: str | None):
    if not spec:
        return None
    from crawler.shard import Shard

    try:
        return Shard.parse(spec)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def retry_policy_from_env() -> RetryPolicy:
    """HUBSCAN_RETRY_ATTEMPTS / HUBSCAN_RETRY_BASE_SECONDS tune the backoff (tests use short waits)."""
    try:
        attempts = int(os.environ.get("HUBSCAN_RETRY_ATTEMPTS", RetryPolicy.attempts))
        base = float(os.environ.get("HUBSCAN_RETRY_BASE_SECONDS", RetryPolicy.base_seconds))
    except ValueError as exc:
        raise UserError(f"bad retry setting: {exc}") from exc
    return RetryPolicy(attempts=max(1, attempts), base_seconds=max(0.0, base))


def status(args) -> int:
    from store.status import database_counts, recent_runs

    engine = database(args.db)
    runs = recent_runs(engine, args.runs)
    if not runs:
        print("no crawl yet: run `hubscan crawl` (or `hubscan demo`)")
    else:
        print(f"{'run':>4}  {'started':<25} {'status':<19} {'analysis':<8} {'secs':>6} {'models':>7} {'new':>5} {'api':>6} {'resolver':>8} {'retries':>7} {'429s':>5} {'problems':>8}")
        for r in runs:
            print(
                f"{r['id']:>4}  {r['started_at']:<25} {r['state']:<19} {r['analysis'] or '-':<8} {r['seconds'] if r['seconds'] is not None else '-':>6} "
                f"{r['models_seen']:>7} {r['versions_new']:>5} {r['api_calls']:>6} {r['resolver_calls']:>8} "
                f"{r['retries']:>7} {r['rate_limited']:>5} {r['problems']:>8}"
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

    from .explain import render_explanation

    engine = database(args.db)
    with engine.connect() as conn:
        # asked for by id on the owner's database: a private repo is explained too
        record = next(latest_records(conn, repo_id=args.repo_id, include_private=True), None)
        events = label_events_of(conn, args.repo_id)
    if record is None:
        raise UserError(f"{args.repo_id} has no label in the database (crawl it first, or check the id)")
    print(render_explanation(record, events))
    return 0


def export(args) -> int:
    import csv
    import json

    from store.export import EXPORT_KEYS, latest_records, public

    if args.format == "parquet":
        from pathlib import Path

        if not args.output or (Path(args.output).exists() and not Path(args.output).is_dir()):
            raise UserError("--format parquet writes several files: give a directory with --output DIR")
        try:
            from store.parquet import write_parquet
        except ImportError as exc:
            raise UserError(f"Parquet export needs pyarrow ({exc}): pip install 'hubscan[parquet]'") from exc
        for written in write_parquet(database(args.db), Path(args.output), include_private=args.include_private):
            print(f"{written.name:<14} {written.rows:>9} rows  {written.path}")
        return 0
    engine = database(args.db)
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    try:
        with engine.connect() as conn:
            records = (public(r) for r in latest_records(conn, include_private=args.include_private))
            if args.format == "jsonl":
                for record in records:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                writer = csv.DictWriter(out, fieldnames=EXPORT_KEYS)
                writer.writeheader()
                for record in records:
                    writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in record.items()})
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


DEMO_TOKEN = "hf_hubscan_demo_not_a_secret"


def demo(args) -> int:
    from pathlib import Path

    from replayhub import ReplayHub
    from replayhub.state import HubState

    snapshot = Path(__file__).resolve().parents[1] / "replayhub" / "data" / "demo_hub.json"
    if not snapshot.exists():
        raise UserError(f"the bundled snapshot is missing ({snapshot}); reinstall hubscan")
    db_path = Path(args.db)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    engine = open_engine(str(db_path))
    state = HubState.from_fixture(snapshot)
    # The demo crawler account has accepted every gate (as a production crawler account would for
    # auto-gated models), so gated cards are read too. This made-up token only opens the local
    # replay hub; a user's real HF_TOKEN is never sent to it.
    with ReplayHub(state, tokens={DEMO_TOKEN: {"user": "hubscan-demo", "gated": ["*"]}}) as hub:
        print(f"replay hub serving {sum(1 for _ in state.repo_ids('model'))} models of the bundled snapshot at {hub.url}")
        config = CrawlConfig(endpoint=hub.url, token=DEMO_TOKEN, retry=retry_policy_from_env())
        try:
            with progress_display() as progress:
                summary = run_crawl(engine, config, progress, _analyser(engine, progress))
        except CrawlError as exc:
            print(f"hubscan: {exc}", file=sys.stderr)
            return 1
    print(summary_line(summary))
    if summary.analysed is not None:
        print(summary.analysed.line())
    print_stored(engine)
    from reports import write_trend_report, write_washing_report

    out_dir = db_path.resolve().parent / "hubscan-demo-reports"
    washing = write_washing_report(engine, out_dir)
    trends = write_trend_report(engine, out_dir)
    print(f"\ndatabase: {db_path.resolve()}  (try: hubscan explain <repo_id> --db {db_path})")
    print(f"open-washing report: {washing['html']}  (Markdown {washing['markdown'].name}, CSV {washing['csv'].name})")
    print(f"trend report: {trends['html']}")
    return 0


def print_stored(engine) -> None:
    from collections import Counter

    from store.export import latest_records

    with engine.connect() as conn:
        records = [r for r in latest_records(conn)]
    print(f"\n{'model':<52} {'licence':<26} {'label':<26} washing")
    for r in sorted(records, key=lambda r: (-(r['downloads'] or 0), r['repo_id'])):
        licence = str(r["licence"] or "-")[:25]
        print(f"{r['repo_id'][:51]:<52} {licence:<26} {r['label']:<26} {'YES' if r['open_washing'] else ''}")
    counts = Counter(r["label"] for r in records)
    print("\nlabels: " + ", ".join(f"{label}: {n}" for label, n in counts.most_common()))
    print(f"open-washing flagged: {sum(1 for r in records if r['open_washing'])}")
