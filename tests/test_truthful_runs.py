"""Issue #13: one bad item never stops the night, and the crawl's record tells the truth.

End to end through the CLI, the real huggingface_hub client and the loopback replay hub: malformed
listing items, a rejected cursor, SIGKILLs during the walk and before the analysis, READMEs lost to
faults. Each test names the failure the issue measured and shows it gone.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hubscan.cli import main
from replayhub import FaultPlan
from replayhub.state import HubState
from test_nightly import N_MODELS, PAGE, ROOT, clean, content, hub_state, run_crawl_process  # noqa: F401 (fixture)

WEIGHTS = {"model.safetensors": 500_000_000}


def card(licence: str = "apache-2.0", body: str = "A model.") -> str:
    return f"---\nlicense: {licence}\n---\n# Model\n\n{body}\n"


def model(repo_id: str, **fields) -> dict:
    return {"id": repo_id, "files": {"README.md": card(), **WEIGHTS}, "downloads": 10, **fields}


def rows(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("HUBSCAN_RETRY_ATTEMPTS", "3")


MALFORMED = [
    model("org/datasets-as-number", cardData={"license": "mit", "datasets": 7}),
    model("org/downloads-huge", downloads=10**30),
    model("org/downloads-text", downloads="lots"),
    model("org/bad..name"),  # huggingface_hub refuses this id
    model("org/fine"),
]


def test_malformed_listing_items_are_stored_labelled_and_recorded_every_night(tmp_path, replay_hub, capsys):
    hub = replay_hub(HubState.from_fixture({"models": MALFORMED}))
    db = tmp_path / "hub.db"
    for night in (1, 2):  # before: the first crawl stored nothing, and every rerun failed the same way
        assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"]) == 0, capsys.readouterr().err
    stored = dict(rows(db, "SELECT m.repo_id, l.label FROM models m JOIN labels l ON l.version_id = m.current_version_id"))
    assert set(stored) == {m["id"] for m in MALFORMED}
    assert stored["org/bad..name"] == "No Weights"  # the client cannot ask for its files
    assert rows(db, "SELECT readme_status FROM model_versions WHERE repo_id = 'org/bad..name'") == [("unavailable",)]
    assert not [r for r in hub.requests if "bad..name" in r.path and r.kind == "models.resolve"]
    problems = rows(db, "SELECT run_id, repo_id, stage, code FROM problems ORDER BY run_id, repo_id, code")
    # the version's problems once, when it was first stored; the per-run counter's every night
    assert (1, "org/bad..name", "listing", "bad-repo-id") in problems and (2, "org/bad..name", "listing", "bad-repo-id") not in problems
    assert (1, "org/datasets-as-number", "extract", "bad-datasets") in problems
    for night in (1, 2):
        assert (night, "org/downloads-huge", "listing", "bad-downloads") in problems
        assert (night, "org/downloads-text", "listing", "bad-downloads") in problems
    assert rows(db, "SELECT downloads FROM observations WHERE repo_id LIKE 'org/downloads-%'") == [(None,), (None,), (None,), (None,)]
    assert rows(db, "SELECT status FROM runs") == [("ok",), ("ok",)]

    out = tmp_path / "out"
    assert main(["report", "washing", "--db", str(db), "--out", str(out)]) == 0
    assert main(["export", "--db", str(db), "--format", "parquet", "--output", str(out / "parquet")]) == 0
    assert main(["export", "--db", str(db), "--format", "csv", "--output", str(out / "models.csv")]) == 0


def test_a_rejected_cursor_restarts_the_walk_from_the_first_page(tmp_path, replay_hub, clean, capsys):
    hub = replay_hub(hub_state(), max_page_size=PAGE)
    db = tmp_path / "cursor.db"
    proc = run_crawl_process(hub, db, HUBSCAN_FAILPOINT="page-committed:3")
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:  # the Hub no longer accepts the cursor the run stored
        conn.execute("UPDATE runs SET cursor = substr(cursor, 1, instr(cursor, 'cursor=') + 6) || 'expired'")
    (cursor,) = rows(db, "SELECT cursor FROM runs")[0]
    assert cursor.endswith("cursor=expired")

    proc = run_crawl_process(hub, db)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err  # before: every later crawl with this query failed on it, forever
    assert "resumed" in out
    assert content(db) == clean  # pages stored twice are stored once
    assert rows(db, "SELECT id, status, listing_done, cursor FROM runs") == [(1, "ok", 1, None)]
    ((stage, code, message),) = rows(db, "SELECT stage, code, message FROM problems WHERE code = 'cursor-rejected'")
    assert stage == "listing" and "cursor=expired" in message and "first page" in message


def test_status_tells_a_killed_run_from_a_live_one_and_keeps_its_counters(tmp_path, replay_hub, capsys):
    hub = replay_hub(hub_state(), max_page_size=PAGE)
    db = tmp_path / "killed.db"
    proc = run_crawl_process(hub, db, HUBSCAN_FAILPOINT="page-committed:4")
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    listed, fetched = hub.count("models.list"), hub.count("models.resolve")
    assert listed >= 4 and fetched > 0

    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    line = [x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("1 ")][0]
    assert " interrupted " in line and " running " not in line  # before: the dead run showed as running
    ((api, resolver, models),) = rows(db, "SELECT api_calls, resolver_calls, models_seen FROM runs")
    # committed with each page (the 4th page's listing call was committed with it; its downloads were not)
    assert api == 4 and models == 4 * PAGE
    assert 0 < resolver <= fetched
    assert rows(db, "SELECT status FROM runs") == [("running",)]  # what the dead process left; status reads the lock

    proc = run_crawl_process(hub, db)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    ((api, models, status),) = rows(db, "SELECT api_calls, models_seen, status FROM runs")
    listed_models = N_MODELS - sum(1 for r in hub.state.repo_ids("model") if hub.state.get(r).private)
    assert status == "ok" and models == listed_models
    assert api == sum(1 for r in hub.requests if r.bucket == "api")  # both segments' calls, none lost


def test_a_killed_analysis_is_finished_first_by_the_next_crawl(tmp_path, replay_hub, capsys):
    hub = replay_hub(HubState.from_fixture({"models": [model(f"org/m{i}") for i in range(5)]}))
    db = tmp_path / "analysis.db"
    args = ["crawl", "--endpoint", hub.url, "--db", str(db)]
    env = {**os.environ, "HUBSCAN_RETRY_BASE_SECONDS": "0.01", "HUBSCAN_FAILPOINT": "analysis"}
    killed = subprocess.run([sys.executable, "-m", "hubscan", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL  # after the walk, before extraction and labelling
    # before: the run said `ok` and its labels appeared crawls later
    assert rows(db, "SELECT id, status, analysis FROM runs") == [(1, "ok", "pending")]
    assert rows(db, "SELECT COUNT(*) FROM labels") == [(0,)]
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    line = [x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("1 ")][0]
    assert line.split()[2:4] == ["ok", "pending"]

    assert main(args) == 0
    out = capsys.readouterr().out
    assert "finished the interrupted analysis of run(s) 1 first" in out
    assert rows(db, "SELECT id, status, analysis FROM runs ORDER BY id") == [(1, "ok", "done"), (2, "ok", "done")]
    assert rows(db, "SELECT COUNT(*) FROM labels") == [(5,)]
    # the labels belong to the run that stored the versions, not to a later one
    assert rows(db, "SELECT DISTINCT run_id FROM label_events") == [(1,)]


def test_lost_readmes_leave_the_run_ok_with_n_incomplete_and_are_fetched_next(tmp_path, replay_hub, capsys):
    models = [model(f"org/m{i}") for i in range(8)]
    faults = FaultPlan().fail(r"/org/m[135]/resolve/.*/README\.md$", 503)  # every attempt fails
    hub = replay_hub(HubState.from_fixture({"models": models}), faults=faults)
    db = tmp_path / "lost.db"
    args = ["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"]
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "ok, 3 incomplete" in out  # before: `ok` and a silent summary
    assert rows(db, "SELECT status, incomplete FROM runs") == [("ok", 3)]
    assert main(["status", "--db", str(db)]) == 0
    assert "ok, 3 incomplete" in capsys.readouterr().out

    faults.clear()
    hub.reset_counts()
    assert main(args) == 0
    fetched = sorted(r.path.split("/")[2] for r in hub.requests if r.kind == "models.resolve")
    assert fetched == ["m1", "m3", "m5"]  # the lost ones, and only those
    assert rows(db, "SELECT status, incomplete FROM runs ORDER BY id")[-1] == ("ok", 0)
    assert rows(db, "SELECT COUNT(*) FROM model_versions WHERE readme_status = 'ok'") == [(8,)]


def test_a_base_model_cycle_is_recorded_as_a_problem_by_a_crawl_or_a_standalone_classify(tmp_path, replay_hub):
    cycle = [
        {**model("org/a"), "cardData": {"license": "apache-2.0", "base_model": "org/b"}},
        {**model("org/b"), "cardData": {"license": "apache-2.0", "base_model": "org/a"}},
        {**model("org/c"), "cardData": {"license": "apache-2.0", "base_model": "org/a"}},
    ]
    hub = replay_hub(HubState.from_fixture({"models": cycle}))
    for how, commands in (("crawl", [[]]), ("classify", [["--no-analyse"], "extract", "classify"])):
        db = tmp_path / f"{how}.db"
        for extra in commands:
            if isinstance(extra, list):
                assert main(["crawl", "--endpoint", hub.url, "--db", str(db), *extra]) == 0
            else:
                assert main([extra, "--db", str(db)]) == 0
        found = rows(db, "SELECT run_id, repo_id, stage, code FROM problems WHERE code = 'lineage-cycle'")
        assert found and {r[1] for r in found} <= {"org/a", "org/b"}, how  # org/c only follows the cycle
        assert all(r[0] == 1 and r[2] == "classify" for r in found)
        assert rows(db, "SELECT problems FROM runs") == [(len(rows(db, "SELECT id FROM problems")),)]
