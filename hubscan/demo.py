"""`hubscan demo`: four weekly crawls of a bundled snapshot through the loopback replay hub.

The snapshot (replayhub/data/demo_hub.json) holds real models; the history
(replayhub/data/demo_history.json) adds an invented organisation whose models change from week to
week, so the weekly report's "what changed" has something real to show. Each week is one full
crawl with the real huggingface_hub client, then extraction and labelling, dated to its week.
No network, no token: the hub listens on 127.0.0.1 only.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Iterator

from .commands import _run_problems, analyser, progress_display, retry_policy_from_env, summary_line
from .errors import CrawlFailed, UnusablePath, UsageError

DEMO_TOKEN = "hf_hubscan_demo_not_a_secret"
DEMO_GITHUB_TOKEN = "ghp_hubscan_demo_not_a_secret"  # opens only the demo's own loopback GitHub
DEMO_GITHUB = Path(__file__).resolve().parents[1] / "replayhub" / "data" / "demo_github.json"
DEMO_RUN_TIME = time(6, 0, tzinfo=timezone.utc)  # each replayed crawl "started" at 06:00 UTC on its date


def run_demo(args) -> int:
    from crawler.run import CrawlConfig, CrawlError
    from crawler.run import crawl as run_crawl
    from replayhub import ReplayHub
    from replayhub.history import DEMO_HISTORY, apply_week, load_history
    from replayhub.state import HubState
    from store.replay import date_run

    snapshot = Path(__file__).resolve().parents[1] / "replayhub" / "data" / "demo_hub.json"
    if not snapshot.exists() or not DEMO_HISTORY.exists():
        raise UnusablePath(f"the bundled snapshot is missing ({snapshot.parent}); reinstall hubscan")
    engine, reports_dir, shown = fresh_demo_database(args.db)
    state = HubState.from_fixture(snapshot)
    weeks = load_history()
    # The demo crawler account has accepted every gate (as a production crawler account would for
    # auto-gated models), so gated cards are read too. This made-up token only opens the local
    # replay hub; a user's real HF_TOKEN is never sent to it.
    with ReplayHub(state, tokens={DEMO_TOKEN: {"user": "hubscan-demo", "gated": ["*"]}}) as hub, demo_github() as github:
        print(f"replay hub at {hub.url}: the bundled snapshot of {sum(1 for _ in state.repo_ids('model'))} models, "
              f"replayed as {len(weeks)} weekly crawls")
        config = CrawlConfig(endpoint=hub.url, token=DEMO_TOKEN, retry=retry_policy_from_env(), mode="full")
        for week in weeks:
            apply_week(state, week)
            try:
                with progress_display() as progress:
                    summary = run_crawl(engine, config, progress, analyser(engine, config, github))
            except CrawlError as exc:
                raise CrawlFailed(f"{exc} (the demo's replay hub at {hub.url})") from exc
            date_run(engine, summary.run_id, datetime.combine(week.date, DEMO_RUN_TIME))
            summary.problems = _run_problems(engine, summary.run_id)
            print(f"\n{week.date} ({week.iso_week}): {week.what}")
            print("  " + summary_line(summary))
            print("  " + summary.analysed.line())
    print_stored(engine)
    from reports import write_trend_report, write_washing_report

    washing = write_washing_report(engine, reports_dir)
    trends = write_trend_report(engine, reports_dir)
    print(f"\ndatabase: {shown}  (try: hubscan explain acme-ai/Acme-7B-Chat --db {shown})")
    print(f"open-washing report: {washing['html']}  (Markdown {washing['markdown'].name}, CSV {washing['csv'].name})")
    print(f"trend report: {trends['html']}")
    return 0


@contextmanager
def demo_github() -> Iterator:
    """The demo's own loopback GitHub when a snapshot of the linked repositories is bundled
    (replayhub/data/demo_github.json, the github.json format), else no GitHub stage at all (card-only
    code evidence): the demo never reaches api.github.com, whatever GITHUB_TOKEN or HUBSCAN_GITHUB_API say."""
    from crawler.github import GitHubPolicy, GitHubSettings
    from replayhub.github import ReplayGitHub

    if not DEMO_GITHUB.exists():
        yield None
        return
    retry = retry_policy_from_env()
    policy = GitHubPolicy(attempts=retry.attempts, base_seconds=retry.base_seconds, secondary_seconds=60.0 * retry.base_seconds,
                          max_wait_seconds=5.0)
    with ReplayGitHub(DEMO_GITHUB, tokens={DEMO_GITHUB_TOKEN}) as github:
        yield GitHubSettings(api=github.url, token=DEMO_GITHUB_TOKEN, policy=policy)


def fresh_demo_database(db: str):
    """(engine, reports directory, the database as the user named it) for a new demo database.

    The same --db forms as every command: a file path or a SQLAlchemy URL. A SQLite file is
    replaced; a server database must be empty, since the demo never drops what it did not create.
    """
    from sqlalchemy import func, select

    from store import schema as s
    from store.db import normalise_url, open_engine, sqlite_path

    url = normalise_url(db)
    path = sqlite_path(url)
    if path in ("", ":memory:"):
        raise UsageError("the demo needs a database that outlives it: give a file (--db hubscan-demo.db) or a server URL")
    if path is not None:
        file = Path(path)
        if file.is_dir():
            raise UnusablePath(f"--db {path} is a directory, not a database file")
        if not file.parent.is_dir():
            raise UnusablePath(f"cannot create the database {path}: the directory {file.parent} does not exist")
        for suffix in ("", "-wal", "-shm"):
            try:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            except OSError as exc:
                raise UnusablePath(f"cannot replace the database {path}{suffix}: {exc.strerror or exc}") from exc
    engine = open_engine(url, create=True)
    if path is None:
        with engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(s.runs)).scalar_one():
                raise UsageError("the demo writes a new database, and this one already has crawls: give an empty database")
        return engine, Path("hubscan-demo-reports").resolve(), db
    return engine, Path(path).resolve().parent / "hubscan-demo-reports", db


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
    sys.stdout.flush()
