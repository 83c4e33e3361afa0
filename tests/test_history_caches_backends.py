"""Issue 15: the history caches equal their recomputation on SQLite and PostgreSQL, through the real
commands: crawls of a changing hub (a model turning private, a new licence), a crawl stored without
analysis whose labels a standalone `classify` records later, a relabelling under a new rule set, and a
standalone `extract` that rewrites evidence the stored aggregates had counted.

Each step first has every finished run's aggregates written (as a report does), then changes the
data: stale aggregates that were not dropped fail the comparison.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server, sql_rows  # noqa: E402,F401 (fixtures)

from hubscan.cli import main  # noqa: E402
from replayhub import ReplayHub  # noqa: E402
from replayhub.state import HubState  # noqa: E402
from store import organisation_rollups, rollups  # noqa: E402
from store import schema as s  # noqa: E402
from store.db import open_engine  # noqa: E402
from test_backends_e2e import FULL_SWEEP, TOKEN  # noqa: E402
from test_reports import relicense  # noqa: E402


def ok_runs(conn) -> list[int]:
    return [r for (r,) in conn.execute(select(s.runs.c.id).where(s.runs.c.status == "ok").order_by(s.runs.c.id))]


def write_all(url: str) -> list[int]:
    """Every finished run's aggregates, as the reports write them before reading."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            runs = ok_runs(conn)
        rollups.ensure_run_rollups(engine, runs)
        with engine.connect() as conn:
            assert all(rollups.stored_rollup(conn, r) is not None for r in runs)
        return runs
    finally:
        engine.dispose()


def assert_fresh(url: str) -> dict[int, bool]:
    """model_latest and every stored run's aggregates equal their recomputation; returns which runs
    still had aggregates stored (the rest were dropped by the change)."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            latest = [tuple(r) for r in conn.execute(select(s.model_latest).order_by(s.model_latest.c.repo_id))]
            assert latest == rollups.latest_from_observations(conn)
            kept = {}
            for run_id in ok_runs(conn):
                stored = rollups.stored_rollup(conn, run_id)
                kept[run_id] = stored is not None
                if stored is not None:
                    assert sorted(stored, key=repr) == sorted(rollups.compute_run_rollup(conn, run_id), key=repr), run_id
                    assert_organisations_fresh(conn, run_id)
        return kept
    finally:
        engine.dispose()


def assert_organisations_fresh(conn, run_id: int) -> None:
    """The run's stored leading organisations equal their grouping from its observations, both scopes."""
    for scope in organisation_rollups.SCOPES:
        kept = organisation_rollups.ORGANISATIONS_KEPT
        stored = organisation_rollups.stored_run_organisations(conn, run_id, scope, kept)
        assert stored == organisation_rollups.compute_run_organisations(conn, s.observations, run_id, scope, kept), (run_id, scope)


def execute(url: str, statement) -> None:
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_caches_follow_crawls_late_labels_relabelling_and_reextraction(backend, request, tmp_path, _dev_hub_text, monkeypatch):
    data = json.loads(_dev_hub_text)
    state = HubState.from_fixture(data)
    private = [m["id"] for m in data["models"] if m.get("private")]
    public = [m["id"] for m in data["models"] if not m.get("private")]
    for repo_id in private:  # public on the first night; the crawler's token lists it once it is private
        state.update(repo_id, private=False)
    turned_private, relicensed = private[0], public[1]
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    with fresh_database(backend, tmp_path, request) as url, ReplayHub(state, tokens={TOKEN: {"user": "crawler", "gated": ["*"], "private": ["*"]}}) as hub:
        crawl = ["crawl", "--endpoint", hub.url, "--db", url, *FULL_SWEEP]
        assert main(crawl) == 0
        assert assert_fresh(url) == {1: True}  # written by the crawl's analysis

        # the next night: a model turns private, another changes licence (a new version), downloads move
        state.update(turned_private, private=True)
        snap = state.get(relicensed)
        relicense(state, relicensed, snap.fields["cardData"].get("license"), "cc-by-nc-4.0")
        state.update(public[2], downloads=987_654_321)
        assert main(crawl) == 0
        assert assert_fresh(url)[2]  # run 1 is dropped too: its model turned private (and evidence was re-read)
        assert sql_rows(url, "SELECT run_id, downloads FROM model_latest WHERE repo_id = :r", r=public[2]) == [(2, 987_654_321)]

        # two crawls stored without analysis: the new version they saw waits for its first label. In
        # the first, another model turns private: nothing is re-read, and runs 1 and 2, which counted
        # it as public, are dropped for that alone
        write_all(url)
        relicense(state, relicensed, "cc-by-nc-4.0", "mit")
        state.update(public[3], private=True)
        assert main([*crawl, "--no-analyse"]) == 0
        assert assert_fresh(url) == {1: False, 2: False, 3: False}
        assert main([*crawl, "--no-analyse"]) == 0
        # as if an older rule set had labelled three versions every run saw No Weights
        seen_by_all = [r for (r,) in sql_rows(url, "SELECT version_id FROM observations WHERE run_id = 1 INTERSECT SELECT version_id FROM observations WHERE run_id = 4 ORDER BY 1")]
        relabelled = [v for (v,) in sql_rows(url, "SELECT version_id FROM labels WHERE label <> 'No Weights' ORDER BY version_id") if v in seen_by_all][:3]
        assert len(relabelled) == 3
        execute(url, update(s.labels).where(s.labels.c.version_id.in_(relabelled)).values(inputs_digest="older rules", label="No Weights"))
        execute(url, update(s.label_events).where(s.label_events.c.version_id.in_(relabelled)).values(label="No Weights"))
        execute(url, s.run_rollups.delete())
        write_all(url)  # a report: runs 3 and 4 counted the new versions (relicensed; turned private) unlabelled
        for run_id in (3, 4):
            assert sql_rows(url, "SELECT models FROM run_rollups WHERE run_id = :r AND scope = 'all' AND tier = 'all' AND label = ''", r=run_id) == [(2,)]
        no_licence = sql_rows(url, "SELECT run_id, SUM(no_licence) FROM run_rollups WHERE scope = 'all' AND tier = 'all' GROUP BY run_id ORDER BY run_id")
        # a standalone extract reads the new versions: runs 3 and 4 counted them without evidence (no
        # licence) and are corrected in place (store/rollup_deltas.py). The model now private has its
        # older version re-read too (runs 1 and 2 saw that one), but nothing counted moved there.
        assert main(["extract", "--db", url]) == 0
        assert assert_fresh(url) == {1: True, 2: True, 3: True, 4: True}  # kept, and equal to their recomputation
        assert sql_rows(url, "SELECT run_id, SUM(no_licence) FROM run_rollups WHERE scope = 'all' AND tier = 'all' GROUP BY run_id ORDER BY run_id") == [
            (run_id, count - (2 if run_id in (3, 4) else 0)) for run_id, count in no_licence]
        write_all(url)
        # a standalone classify relabels them and gives the new versions their first labels, all recorded on run 4
        assert main(["classify", "--db", url]) == 0
        # the three, the two new versions, and the older version of the model now private (re-read above)
        assert sql_rows(url, "SELECT COUNT(*) FROM label_events WHERE run_id = 4") == [(6,)]
        # runs 1 and 2 keep No Weights (labelled as then); run 3 shows the new version with its first label
        assert assert_fresh(url) == {1: True, 2: True, 3: False, 4: False}
        write_all(url)
        assert sql_rows(url, "SELECT COUNT(*) FROM run_rollups WHERE label = '' AND models > 0") == [(0,)]
        shown = sql_rows(url, "SELECT run_id, label FROM label_history_all WHERE version_id = :v AND run_id IN (3, 4) ORDER BY run_id", v=relabelled[0])
        assert shown[0] == (3, "No Weights") and shown[1][1] != "No Weights"  # as labelled then, as relabelled
        assert assert_fresh(url) == {1: True, 2: True, 3: True, 4: True}

        # evidence an older extractor wrote (a fact the aggregates counted), then a standalone extract
        victim = seen_by_all[0]
        before = sql_rows(url, "SELECT licence FROM evidence WHERE version_id = :v", v=victim)[0][0]
        execute(url, update(s.evidence).where(s.evidence.c.version_id == victim).values(inputs_digest="older extractor", licence="unknown"))
        execute(url, s.run_rollups.delete())
        write_all(url)
        assert main(["extract", "--db", url]) == 0
        assert sql_rows(url, "SELECT licence FROM evidence WHERE version_id = :v", v=victim)[0][0] == before
        assert assert_fresh(url) == {1: True, 2: True, 3: True, 4: True}  # every run saw the version: each corrected
        write_all(url)
        assert_fresh(url)


def small_history(conn, models: int = 300, runs: int = 20) -> None:
    """Every model seen by every run, straight into the tables, then statistics for the planner."""
    conn.execute(s.runs.insert(), [{"id": r, "started_at": f"2026-11-{r:02d}T06:00:00+00:00", "status": "ok", "endpoint": "http://hub",
                                    "full_sweep": True, "params": {}} for r in range(1, runs + 1)])
    repos = [f"org/model-{i:04d}" for i in range(models)]
    conn.execute(s.models.insert(), [{"repo_id": r, "status": "active", "gated": "false", "private": False, "disabled": False,
                                      "first_seen_run": 1} for r in repos])
    conn.execute(s.model_versions.insert(), [{"id": i + 1, "repo_id": r, "sha": f"{i:040x}", "first_seen_run": 1, "metadata": {},
                                              "readme_status": "ok"} for i, r in enumerate(repos)])
    conn.execute(s.observations.insert(), [{"run_id": run, "repo_id": r, "version_id": i + 1, "downloads": i}
                                           for run in range(1, runs + 1) for i, r in enumerate(repos)])
    conn.execute(text("ANALYZE"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_label_history_of_one_model_is_read_through_the_repo_index(backend, request, tmp_path):
    """One model's history costs its own rows, however long the history: the planner seeks
    `ix_observations_repo` instead of reading every observation."""
    with fresh_database(backend, tmp_path, request) as url:
        engine = open_engine(url)
        try:
            with engine.begin() as conn:
                small_history(conn)
            with engine.connect() as conn:
                for view in ("label_history", "label_history_all"):
                    query = f"SELECT * FROM {view} WHERE repo_id = 'org/model-0123' ORDER BY run_id"
                    assert len(conn.execute(text(query)).all()) == 20
                    if backend == "sqlite":
                        plan = " | ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {query}")))
                        # by the repo index, or by the primary key skipping from run to run (one seek a run)
                        assert re.search(r"SEARCH o USING INDEX \w+ \((ANY\(run_id\) AND )?repo_id=\?\)", plan), plan
                        # nothing read whole: the private models are the partial index ix_models_private
                        assert "SCAN" not in plan.replace("SCAN models USING INDEX ix_models_private", ""), plan
                    else:
                        plan = " | ".join(r[0] for r in conn.execute(text(f"EXPLAIN {query}")))
                        assert re.search(r"Index (Only )?Scan (using|on) ix_observations_repo", plan), plan
                        assert "Seq Scan on observations" not in plan and "Seq Scan on models" not in plan, plan
        finally:
            engine.dispose()
