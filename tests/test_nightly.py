"""Issue #6: the nightly crawl survives faults, kills and overlaps, and loses or duplicates nothing."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.quota import QuotaPacer
from hubscan.cli import main
from replayhub import FaultPlan
from replayhub.synthetic import synthetic_state

ROOT = Path(__file__).resolve().parents[1]
N_MODELS = 400
PAGE = 50  # the replay hub caps pages at 50 here, so a small hub still has 8 listing pages


def hub_state():
    return synthetic_state(N_MODELS, seed=11)


def content(db: Path) -> dict[str, list[tuple]]:
    """Everything a crawl stores, by natural keys (row ids and run ids may differ between two runs)."""
    with sqlite3.connect(db) as conn:
        q = conn.execute
        return {
            "models": q("SELECT repo_id, sha, status, gated, private, disabled, last_modified FROM models ORDER BY 1").fetchall(),
            "versions": q("SELECT repo_id, sha, metadata, readme_status, readme, readme_error FROM model_versions ORDER BY 1, 2").fetchall(),
            "files": q(
                "SELECT v.repo_id, v.sha, f.path, f.status, f.content FROM version_files f "
                "JOIN model_versions v ON v.id = f.version_id ORDER BY 1, 2, 3"
            ).fetchall(),
            "datasets": q("SELECT dataset_id, sha, status, gated FROM datasets ORDER BY 1").fetchall(),
            "links": q(
                "SELECT v.repo_id, d.dataset_id FROM version_datasets d JOIN model_versions v ON v.id = d.version_id ORDER BY 1, 2"
            ).fetchall(),
            "observations": q("SELECT run_id, repo_id, downloads FROM observations ORDER BY 1, 2").fetchall(),
        }


def crawl_args(hub, db: Path) -> list[str]:
    return ["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse", "--workers", "4"]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")


@pytest.fixture
def clean(tmp_path_factory, replay_hub):
    """The fault-free result, the reference every disturbed crawl must reproduce."""
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    hub = replay_hub(hub_state(), max_page_size=PAGE)
    assert main(crawl_args(hub, db)) == 0
    listed = N_MODELS - _private(hub)
    # one call per page of PAGE models, twice: a first sweep walks most downloaded first, then
    # completes in the default order (crawler/sweep_order.py)
    assert hub.count("models.list") == 2 * -(-listed // PAGE)
    return content(db)


def test_faults_on_the_wire_change_nothing_but_the_retry_counts(tmp_path, replay_hub, clean):
    faults = (
        FaultPlan(seed=3)
        .random_errors(0.10, statuses=(500, 502, 503, 504), seed=5)
        .burst_429(every_n=120, length=2, reset_seconds=1)
        .latency(0.05, path_regex=r"/resolve/")
        .drop_connection(r"/resolve/.*/README\.md$", times=3)
    )
    hub = replay_hub(hub_state(), max_page_size=PAGE, faults=faults)
    db = tmp_path / "faulty.db"
    assert main(crawl_args(hub, db)) == 0
    assert content(db) == clean
    fired = faults.fired
    assert sum(n for label, n in fired.items() if label.startswith("random")) > 20
    assert any(label.startswith("burst_429") and n for label, n in fired.items())
    assert any(label.startswith("drop") and n == 3 for label, n in fired.items())
    with sqlite3.connect(db) as conn:
        retries, rate_limited, problems = conn.execute("SELECT retries, rate_limited, problems FROM runs").fetchone()
    failed_answers = sum(1 for r in hub.requests if r.status >= 500 or r.status in (0, 429))
    assert retries == failed_answers and rate_limited >= 1 and problems == 0


def run_crawl_process(hub, db: Path, **env) -> subprocess.Popen:
    environment = {**os.environ, "HUBSCAN_RETRY_BASE_SECONDS": "0.01", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "hubscan", *crawl_args(hub, db)],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize(
    "failpoint",
    [
        "page-committed:3",  # during the listing, after page 3 was stored
        "page-before-commit:2",  # inside page 2's transaction: it must roll back entirely
        "downloads-fetched:4",  # READMEs of page 4 fetched but not yet stored
    ],
)
def test_killed_crawl_resumes_and_ends_identical(tmp_path, replay_hub, clean, failpoint):
    hub = replay_hub(hub_state(), max_page_size=PAGE)
    db = tmp_path / "killed.db"
    proc = run_crawl_process(hub, db, HUBSCAN_FAILPOINT=failpoint)
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("running",)]
        assert conn.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 1  # left behind by the dead process

    listed_before = hub.count("models.list")
    hub.reset_counts()
    proc = run_crawl_process(hub, db)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "resumed" in out
    assert content(db) == clean
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, status FROM runs").fetchall() == [(1, "ok")]
        assert conn.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0
    # the resumed walk did not start again from the first page
    assert hub.count("models.list") <= 2 * (N_MODELS // PAGE) - listed_before + 2


def test_sigkill_at_arbitrary_moments_then_resume(tmp_path, replay_hub, clean):
    hub = replay_hub(hub_state(), max_page_size=PAGE, faults=FaultPlan().latency(0.01, path_regex=r"/resolve/"))
    db = tmp_path / "killed.db"
    kills = 0
    # each restart resumes the same run; kill it again after a little more progress
    for kind, threshold in (("models.list", 2), ("models.resolve", 60), ("models.resolve", 60)):
        proc = run_crawl_process(hub, db)
        deadline = time.monotonic() + 60
        while hub.count(kind) < threshold and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if proc.poll() is None:
            proc.kill()
            kills += 1
        proc.wait(timeout=30)
        hub.reset_counts()
    assert kills >= 2
    with sqlite3.connect(db) as conn:
        if conn.execute("SELECT status FROM runs").fetchall() != [("ok",)]:
            proc = run_crawl_process(hub, db)
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
    assert content(db) == clean


def test_a_second_crawl_exits_cleanly_while_one_runs_and_takes_over_a_stale_lock(tmp_path, replay_hub, capsys):
    hub = replay_hub(hub_state(), max_page_size=PAGE)
    db = tmp_path / "locked.db"
    from store.db import open_engine

    open_engine(str(db)).dispose()  # creates the schema (`status` only opens an existing database)
    with sqlite3.connect(db) as conn:
        # a live crawl elsewhere on this machine: the test process itself holds the lock
        conn.execute(
            "INSERT INTO locks (name, holder, run_id, acquired_at, heartbeat_at) VALUES ('crawl', ?, NULL, ?, ?)",
            (f"{socket.gethostname()}:{os.getppid()}", "2026-11-23T00:00:00+00:00", time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())),
        )
    capsys.readouterr()
    assert main(crawl_args(hub, db)) == 0
    assert "another crawl is running" in capsys.readouterr().err
    assert hub.count("models.list") == 0

    with sqlite3.connect(db) as conn:  # its heartbeat goes stale: the holder hung or lost its machine
        conn.execute("UPDATE locks SET heartbeat_at = '2026-01-01T00:00:00+00:00'")
    assert main(crawl_args(hub, db)) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status, models_seen FROM runs").fetchall() == [("ok", N_MODELS - _private(hub))]


def _private(hub) -> int:
    return sum(1 for repo_id in hub.state.repo_ids("model") if hub.state.get(repo_id).private)


def test_readers_never_see_database_is_locked_during_a_crawl(tmp_path, replay_hub, capsys):
    hub = replay_hub(hub_state(), max_page_size=PAGE, faults=FaultPlan().latency(0.005, path_regex=r"/resolve/"))
    db = tmp_path / "busy.db"
    from store.db import open_engine

    open_engine(str(db)).dispose()  # the schema, so readers can start at once
    proc = run_crawl_process(hub, db)
    queries = 0
    while proc.poll() is None:
        code = main(["query", "SELECT COUNT(*) AS n FROM model_versions", "--db", str(db), "--format", "csv"])
        assert code == 0
        queries += 1
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    captured = capsys.readouterr()
    assert "locked" not in captured.err.lower()
    assert queries > 5


def test_incremental_walk_stops_at_the_high_water_mark_and_fetches_only_changes(tmp_path, replay_hub):
    state = hub_state()
    hub = replay_hub(state, max_page_size=PAGE)
    db = tmp_path / "nightly.db"
    assert main(crawl_args(hub, db)) == 0  # the weekly full sweep
    listed_full = hub.count("models.list")
    changed = state.repo_id_at(7)
    state.set_file(changed, "README.md", "---\nlicense: mit\n---\n# Updated card\n")
    hub.reset_counts()
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--no-analyse"]) == 0  # auto -> incremental
    assert hub.count("models.list") < listed_full
    assert [r.path.rsplit("/", 1)[-1] for r in hub.requests if r.kind == "models.resolve"] == ["README.md"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT mode, full_sweep FROM runs ORDER BY id").fetchall() == [("full", 1), ("incremental", 0)]
        assert conn.execute("SELECT COUNT(*) FROM model_versions WHERE repo_id = ?", (changed,)).fetchone()[0] == 2
        # an incremental walk never marks unseen models as disappeared
        assert conn.execute("SELECT COUNT(*) FROM models WHERE status = 'disappeared'").fetchone()[0] == 0


def test_quota_pacer_waits_for_the_window_instead_of_overshooting():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = QuotaPacer(reserve=1, clock=lambda: now[0], sleep=sleep)
    pacer.before("api")  # nothing known yet: go
    pacer.after({"RateLimit": '"api";r=3;t=10', "RateLimit-Policy": '"fixed window";"api";q=5;w=10'})
    pacer.before("api")
    pacer.before("api")  # 3 remaining, 1 kept in reserve: two more may go
    assert slept == []
    pacer.before("api")  # the third must wait for the reset
    assert slept and 10 <= slept[0] <= 10.1
    pacer.before("resolvers")  # other buckets are independent
    assert len(slept) == 1
