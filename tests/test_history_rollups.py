"""Issue 15: a history that grows without slowing the reports down.

`model_latest` (each model's newest observation) and `run_rollups` (what each finished run saw, per
scope, tier and label) are caches: after several crawls of a changing hub, after a crawl that was
killed and resumed, and after labels change, they hold exactly what recomputing them from
observations, label events and evidence gives (store/rollups.py).
"""

from __future__ import annotations

import signal
import sqlite3

import pytest
from sqlalchemy import select, text

from store import rollups
from store import schema as s
from store.db import open_engine
from test_history_caches_backends import assert_organisations_fresh
from test_nightly import PAGE, hub_state, run_crawl_process


def stored_equals_recomputed(db) -> list[int]:
    """Every finished run's stored aggregates equal their recomputation; returns the runs checked."""
    engine = open_engine(str(db))
    with engine.connect() as conn:
        runs = [r.id for r in conn.execute(select(s.runs.c.id).where(s.runs.c.status == "ok").order_by(s.runs.c.id))]
        assert [tuple(r) for r in conn.execute(select(s.model_latest).order_by(s.model_latest.c.repo_id))] == rollups.latest_from_observations(conn)
    rollups.ensure_run_rollups(engine, runs)
    with engine.connect() as conn:
        for run_id in runs:
            stored = rollups.stored_rollup(conn, run_id)
            assert stored is not None, run_id
            assert sorted(stored, key=repr) == sorted(rollups.compute_run_rollup(conn, run_id), key=repr), run_id
            assert_organisations_fresh(conn, run_id)
    engine.dispose()
    return runs


def test_after_several_crawls_of_a_changing_hub_the_caches_equal_their_recomputation(history):
    runs = stored_equals_recomputed(history)
    assert len(runs) == 4
    with sqlite3.connect(history) as conn:
        # written by each crawl's analysis, both scopes, every tier that has models
        assert {r[0] for r in conn.execute("SELECT DISTINCT scope FROM run_rollups")} == {"public", "all"}
        assert conn.execute("SELECT COUNT(DISTINCT run_id) FROM run_rollups").fetchone()[0] == 4
        latest = dict(conn.execute("SELECT repo_id, run_id FROM model_latest"))
        assert latest and set(latest.values()) <= {1, 2, 3, 4}
        # a model the last crawls saw is at run 4; the counts per label add up to the models each run saw
        for run_id, seen in conn.execute("SELECT run_id, COUNT(*) FROM observations GROUP BY run_id"):
            counted = conn.execute(
                "SELECT SUM(models) FROM run_rollups WHERE run_id = ? AND scope = 'all' AND tier = 'all'", (run_id,)
            ).fetchone()[0]
            assert counted == seen


def test_a_killed_and_resumed_crawl_leaves_the_caches_equal_to_their_recomputation(tmp_path, replay_hub, monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    hub = replay_hub(hub_state(), max_page_size=PAGE)
    db = tmp_path / "killed.db"
    proc = run_crawl_process(hub, db, HUBSCAN_FAILPOINT="page-committed:3")
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:  # the dead run's observations are already the models' latest
        assert conn.execute("SELECT COUNT(*) FROM model_latest").fetchone()[0] == 3 * PAGE
        assert conn.execute("SELECT COUNT(*) FROM run_rollups").fetchone()[0] == 0  # not finished: nothing aggregated
    engine = open_engine(str(db))
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(select(s.model_latest).order_by(s.model_latest.c.repo_id))] == rollups.latest_from_observations(conn)
    engine.dispose()
    proc = run_crawl_process(hub, db)  # resumes the same run
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    listed = next(r for r in hub.state.repo_ids("model") if not hub.state.get(r).private)
    hub.state.update(listed, downloads=123_456_789)  # the next night: new downloads
    proc = run_crawl_process(hub, db)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert stored_equals_recomputed(db) == [1, 2]
    with sqlite3.connect(db) as conn:  # the next night's count is the model's latest
        assert conn.execute("SELECT run_id, downloads FROM model_latest WHERE repo_id = ?", (listed,)).fetchone() == (2, 123_456_789)


def test_a_label_event_recorded_on_an_older_run_drops_that_run_and_the_later_ones(history, tmp_path):
    """Runs show a version's newest event at or before them: an event recorded on run 2 for a version
    labelled at run 1 changes runs 2, 3 and 4 (which saw it), not run 1."""
    from store.analysis_io import label_event_bounds

    db = tmp_path / "copy.db"
    with sqlite3.connect(history) as source, sqlite3.connect(db) as target:
        source.backup(target)
    engine = open_engine(str(db))
    rollups.ensure_run_rollups(engine, [1, 2, 3, 4])
    with engine.begin() as conn:
        seen = "SELECT version_id FROM observations WHERE run_id = {} AND repo_id NOT IN (SELECT repo_id FROM models WHERE private)"
        vid = conn.execute(text(f"{seen.format(1)} INTERSECT {seen.format(4)} ORDER BY 1")).scalars().first()
        events = conn.execute(select(s.label_events.c.run_id, s.label_events.c.label).where(s.label_events.c.version_id == vid)).all()
        assert [e.run_id for e in events] == [1]
        since = label_event_bounds(conn, [vid], 2)
        assert since == {vid: 2}
        relabel = "No Weights" if events[0].label != "No Weights" else "Weights Available"
        conn.execute(s.label_events.insert().values(version_id=vid, run_id=2, recorded_at="2026-12-31T00:00:00+00:00", label=relabel,
                                                     rule="W1", rule_version="x", open_washing=False, washing_reasons=[]))
        rollups.versions_changed(conn, [vid], since)  # what store.analysis_io.save_labels does after writing events
        assert {r: rollups.stored_rollup(conn, r) is not None for r in (1, 2, 3, 4)} == {1: True, 2: False, 3: False, 4: False}
        assert label_event_bounds(conn, [vid], 1) == {}  # an event replacing run 1's first one: every run that saw it
    engine.dispose()
    stored_equals_recomputed(db)
    with sqlite3.connect(db) as conn:
        counts = dict(conn.execute("SELECT run_id, models FROM run_rollups WHERE scope = 'public' AND tier = 'all' AND label = ?", (relabel,)))
        before = dict(conn.execute("SELECT run_id, COUNT(*) FROM label_history WHERE label = ? GROUP BY run_id", (relabel,)))
    assert counts == before and all(counts.get(r, 0) >= 1 for r in (2, 3, 4))


@pytest.mark.parametrize("scope", rollups.SCOPES)
def test_the_weekly_summary_reads_the_aggregates_as_the_observations_give_them(history, scope):
    from reports.scope import private_repos
    from reports.run_view import summary

    engine = open_engine(str(history))
    with engine.connect() as conn, private_repos(scope == "all"):
        got = summary(conn, 4)
        seen = conn.execute(select(s.observations.c.repo_id).where(s.observations.c.run_id == 4)).all()
        private = {r.repo_id for r in conn.execute(select(s.models.c.repo_id).where(s.models.c.private))}
        assert got.models == len([r for r in seen if scope == "all" or r.repo_id not in private])
    engine.dispose()


def test_the_aggregates_count_what_the_label_history_view_shows(history):
    """An independent recount: each run's labels, flags and downloads per tier, from `label_history`
    (labels as recorded at that run), equal the stored aggregates."""
    engine = open_engine(str(history))
    rollups.ensure_run_rollups(engine, [1, 2, 3, 4])
    engine.dispose()
    with sqlite3.connect(history) as conn:
        for scope, view in (("all", "label_history_all"), ("public", "label_history")):
            for tier, where in (("all", ""), ("over-1000", "AND downloads > 1000"), ("top-1000", "")):
                expected = conn.execute(
                    f"SELECT run_id, COALESCE(label, ''), COUNT(*), SUM(COALESCE(downloads, 0)), SUM(CASE WHEN open_washing THEN 1 ELSE 0 END)"
                    f" FROM {view} WHERE 1 = 1 {where} GROUP BY run_id, COALESCE(label, '') ORDER BY 1, 2"
                ).fetchall()
                stored = conn.execute(
                    "SELECT run_id, label, models, downloads, flagged FROM run_rollups WHERE scope = ? AND tier = ? AND models > 0 ORDER BY 1, 2",
                    (scope, tier),
                ).fetchall()
                assert stored == expected, (scope, tier)  # the dev hub has fewer than 1,000 models: top-1000 is all of them
        assert conn.execute("SELECT COUNT(*) FROM run_rollups WHERE tier = 'over-1000'").fetchone()[0] > 0


def test_a_report_behind_a_busy_writer_stops_storing_aggregates_and_still_reads_them(history, tmp_path, monkeypatch):
    """A report run while a crawl holds SQLite's write lock used to wait 60 s (the busy timeout) for
    each run whose aggregates it meant to store; now it gives up after `wait`, once, and computes them."""
    import time

    from store.db import SQLITE_BUSY_MS

    db = tmp_path / "copy.db"
    with sqlite3.connect(history) as source, sqlite3.connect(db) as target:
        source.backup(target)
    engine = open_engine(str(db))
    with engine.begin() as conn:
        rollups.drop_run_rollups(conn, [1, 2, 3, 4])
    writes = []
    write = rollups.write_run_rollup
    monkeypatch.setattr(rollups, "write_run_rollup", lambda conn, run_id: (writes.append(run_id), write(conn, run_id)))

    crawl = sqlite3.connect(db, isolation_level=None)
    crawl.execute("BEGIN IMMEDIATE")  # a crawl storing a batch: the write lock is held
    try:
        start = time.monotonic()
        rollups.ensure_run_rollups(engine, [1, 2, 3, 4], wait=0.2)
        assert time.monotonic() - start < SQLITE_BUSY_MS / 1000  # not the busy timeout, let alone four of them
        assert writes == [1]  # the first run met the busy writer; the others were not tried
        with engine.connect() as conn:
            assert all(rollups.stored_rollup(conn, r) is None for r in (1, 2, 3, 4))
            computed = rollups.run_rollup(conn, 4, "public")  # what the report reads: computed now
            assert computed == [r for r in rollups.compute_run_rollup(conn, 4) if r.scope == "public"] and computed
    finally:
        crawl.execute("ROLLBACK")
        crawl.close()
    rollups.ensure_run_rollups(engine, [1, 2, 3, 4])  # the writer gone, the next report stores them
    with engine.connect() as conn:
        assert all(rollups.stored_rollup(conn, r) is not None for r in (1, 2, 3, 4))
    engine.dispose()
