"""What each CLI command does: parse nothing, decide little, call the packages that do the work."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
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
    return (
        f"run {summary.run_id} {summary.status} ({how}): {summary.models_seen} models, {summary.versions_new} new versions, "
        f"{summary.readmes_fetched} READMEs and {summary.files_fetched} licence files fetched, "
        f"{summary.datasets_fetched} datasets, {summary.disappeared} disappeared, {summary.problems} problems; "
        f"{summary.api_calls} API + {summary.resolver_calls} resolver calls, {summary.retries} retries "
        f"({summary.rate_limited} rate-limited); lineage: {summary.lineage_calls} base lookups, {summary.bases_fetched} bases stored"
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
    analysed: list = []
    github = None if args.no_analyse or args.no_github else github_settings()
    try:
        with progress_display() as progress:
            summary = run_crawl(engine, config, progress, after_walk=None if args.no_analyse else analyser(engine, config, analysed, github))
    except CrawlLocked as exc:
        # a cron overlap: not a failure, nothing to do
        print(f"hubscan: {exc}; not starting a second crawl", file=sys.stderr)
        return 0
    except CrawlError as exc:
        print(f"hubscan: {exc}", file=sys.stderr)
        return 1
    if analysed:
        print(analysed[0].line())
        summary.problems = _run_problems(engine, summary.run_id)
    print(summary_line(summary))
    return 0


def analyser(engine, config: CrawlConfig, results: list, github=None):
    """The crawl's analysis (extraction, lineage closure, linked code repositories when `github`
    settings are given, labels), run under its lock; appends its result."""

    def analyse_run(http, run_id: int, progress) -> None:
        from crawler.lineage import LineageStage

        from .pipeline import analyse

        owns = config.owns if config.shard else None
        stage = LineageStage(
            engine, http, config.endpoint, run_id, workers=config.workers, refresh_days=config.dataset_refresh_days,
            owns=owns, progress=progress,
        )
        results.append(analyse(engine, progress, run_id=run_id, owns=owns, lineage=stage, github=github))

    return analyse_run


def _shard(spec: str | None):
    if not spec:
        return None
    from crawler.shard import Shard

    try:
        return Shard.parse(spec)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def _run_problems(engine, run_id: int) -> int:
    from store.status import run_problem_count

    return run_problem_count(engine, run_id)


def retry_policy_from_env() -> RetryPolicy:
    """HUBSCAN_RETRY_ATTEMPTS / HUBSCAN_RETRY_BASE_SECONDS tune the backoff (tests use short waits)."""
    try:
        attempts = int(os.environ.get("HUBSCAN_RETRY_ATTEMPTS", RetryPolicy.attempts))
        base = float(os.environ.get("HUBSCAN_RETRY_BASE_SECONDS", RetryPolicy.base_seconds))
    except ValueError as exc:
        raise UserError(f"bad retry setting: {exc}") from exc
    return RetryPolicy(attempts=max(1, attempts), base_seconds=max(0.0, base))


def github_settings():
    """GitHub checks of linked code repositories: on when GITHUB_TOKEN is set (docs/code-evidence.md)."""
    from crawler.github import settings_from_env

    try:
        return settings_from_env()
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def status(args) -> int:
    from store.status import database_counts, recent_runs

    engine = database(args.db)
    runs = recent_runs(engine, args.runs)
    if not runs:
        print("no crawl yet: run `hubscan crawl` (or `hubscan demo`)")
    else:
        print(f"{'run':>4}  {'started':<25} {'status':<11} {'secs':>6} {'models':>7} {'new':>5} {'api':>6} {'resolver':>8} {'retries':>7} {'429s':>5} {'problems':>8} {'github':>6} {'304s':>5}")
        for r in runs:
            print(
                f"{r['id']:>4}  {r['started_at']:<25} {r['status']:<11} {r['seconds'] if r['seconds'] is not None else '-':>6} "
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

    from .explain import render_explanation

    engine = database(args.db)
    with engine.connect() as conn:
        record = next(latest_records(conn, repo_id=args.repo_id), None)
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
        for written in write_parquet(database(args.db), Path(args.output)):
            print(f"{written.name:<14} {written.rows:>9} rows  {written.path}")
        return 0
    engine = database(args.db)
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    try:
        with engine.connect() as conn:
            records = (public(r) for r in latest_records(conn))
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
    with ReplayHub(state, tokens={DEMO_TOKEN: {"user": "hubscan-demo", "gated": ["*"]}}) as hub, _demo_github() as github:
        print(f"replay hub serving {sum(1 for _ in state.repo_ids('model'))} models of the bundled snapshot at {hub.url}")
        config = CrawlConfig(endpoint=hub.url, token=DEMO_TOKEN, retry=retry_policy_from_env())
        analysed: list = []
        try:
            with progress_display() as progress:
                summary = run_crawl(engine, config, progress, after_walk=analyser(engine, config, analysed, github))
        except CrawlError as exc:
            print(f"hubscan: {exc}", file=sys.stderr)
            return 1
    summary.problems = _run_problems(engine, summary.run_id)
    print(summary_line(summary))
    print(analysed[0].line())
    print_stored(engine)
    from reports import write_trend_report, write_washing_report

    out_dir = db_path.resolve().parent / "hubscan-demo-reports"
    washing = write_washing_report(engine, out_dir)
    trends = write_trend_report(engine, out_dir)
    print(f"\ndatabase: {db_path.resolve()}  (try: hubscan explain <repo_id> --db {db_path})")
    print(f"open-washing report: {washing['html']}  (Markdown {washing['markdown'].name}, CSV {washing['csv'].name})")
    print(f"trend report: {trends['html']}")
    return 0


@contextmanager
def _demo_github():
    """The demo's own loopback GitHub when a snapshot of the linked repositories is bundled
    (replayhub/data/demo_github.json), else no GitHub stage at all: the demo never reaches
    api.github.com, whatever GITHUB_TOKEN or HUBSCAN_GITHUB_API say."""
    from crawler.github import GitHubPolicy, GitHubSettings
    from replayhub.github import ReplayGitHub

    snapshot = DEMO_GITHUB
    if not snapshot.exists():
        yield None
        return
    retry = retry_policy_from_env()
    with ReplayGitHub(snapshot, tokens={DEMO_GITHUB_TOKEN}) as github:
        policy = GitHubPolicy(attempts=retry.attempts, base_seconds=retry.base_seconds, secondary_seconds=60.0 * retry.base_seconds,
                              max_wait_seconds=5.0)
        yield GitHubSettings(api=github.url, token=DEMO_GITHUB_TOKEN, policy=policy)


DEMO_GITHUB_TOKEN = "ghp_hubscan_demo_not_a_secret"
DEMO_GITHUB = Path(__file__).resolve().parents[1] / "replayhub" / "data" / "demo_github.json"


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
