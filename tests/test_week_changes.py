"""Issue 15: the weekly report's changes are stored when a run's analysis ends, read back exactly as
computing them gives them, and dropped by whatever would change them (store/week_changes.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server  # noqa: E402,F401 (fixtures)
from hubscan.commands import remember_changes  # noqa: E402
from reports import changes as ch  # noqa: E402
from reports.scope import private_repos  # noqa: E402
from reports.washing_report import build_washing_report  # noqa: E402
from store import rollups  # noqa: E402
from store import schema as s  # noqa: E402
from store import week_changes as wc  # noqa: E402
from store.crawl_writes import store_models  # noqa: E402
from store.db import open_engine  # noqa: E402
from test_weekly_fast_path import WEEKS, build_history, recompute  # noqa: E402


def _stored(engine, previous: int, current: int):
    with engine.connect() as conn:
        return wc.stored_week_changes(conn, previous, current)


def _changes(engine, previous: int, current: int, include_private: bool):
    with engine.connect() as conn, private_repos(include_private):
        return ch.changes_between(conn, previous, current)


def _truth(engine, previous: int, current: int, include_private: bool):
    with engine.connect() as conn:
        return recompute(conn, current, previous, include_private)["changes"]


def _week_49_stored(tmp_path):
    """A history whose week-49 changes (run 3 to run 5) are stored, as a crawl leaves them."""
    url = f"sqlite:///{tmp_path / 'stored.db'}"
    build_history(url)
    engine = open_engine(url)
    rollups.ensure_run_rollups(engine, [3, 5])
    assert ch.remember_week_changes(engine, 5)
    return engine


@pytest.mark.parametrize("backend", BACKENDS)
def test_stored_changes_are_read_back_as_computed(backend, request, tmp_path):
    with fresh_database(backend, tmp_path, request) as url:
        build_history(url)
        engine = open_engine(url)
        try:
            rollups.ensure_run_rollups(engine, [1, 3, 5])
            for week, (current, previous, _weeks) in WEEKS.items():
                assert _stored(engine, previous, current) is None
                assert ch.remember_week_changes(engine, current), week
                stored = _stored(engine, previous, current)
                assert stored and {row[0] for row in stored} >= {ch.NEW_FLAG, ch.CLEARED_FLAG, ch.LABEL_CHANGE, ch.LICENCE_CHANGE}
                for include_private in (False, True):
                    assert _changes(engine, previous, current, include_private) == _truth(engine, previous, current, include_private)
            # with the changes stored, the laundering pairs are read in the second thread, in the
            # report's context (private models shown or not)
            laundering = {}
            for include_private in (False, True):
                with private_repos(include_private):
                    report = build_washing_report(engine, "2026-W49")
                with engine.connect() as conn:
                    want = recompute(conn, 5, 3, include_private)
                assert report.changes == want["changes"]
                laundering[include_private] = [tuple(vars(p).values()) for p in report.laundering]
                assert laundering[include_private] == want["laundering"]
            assert laundering[False] != laundering[True]  # so the context really reached the thread
            # the report reads the stored rows (not a fresh computation): a row altered in the store shows
            with engine.begin() as conn:
                conn.execute(update(s.week_changes).where(s.week_changes.c.current_run == 5, s.week_changes.c.seq == 1).values(detail="altered"))
            with private_repos(True):
                report = build_washing_report(engine, "2026-W49")
            assert report.changes.all()[0].detail == "altered"
        finally:
            engine.dispose()


def test_only_the_latest_run_of_a_week_with_stored_aggregates_is_remembered(tmp_path):
    url = f"sqlite:///{tmp_path / 'which.db'}"
    build_history(url)
    engine = open_engine(url)
    rollups.ensure_run_rollups(engine, [1, 2, 3, 5])
    assert not ch.remember_week_changes(engine, 1)  # no week before it
    assert not ch.remember_week_changes(engine, 2)  # run 3 is the latest of its week
    assert not ch.remember_week_changes(engine, 4)  # its aggregates are not stored
    with engine.begin() as conn:
        rollups.drop_run_rollups(conn, [3])
    assert not ch.remember_week_changes(engine, 5)  # the week before's aggregates are not stored
    rollups.ensure_run_rollups(engine, [3])
    # a crawl remembers them once its run is analysed, not otherwise
    remember_changes(engine, SimpleNamespace(status="ok", analysis="failed", run_id=5))
    assert _stored(engine, 3, 5) is None
    remember_changes(engine, SimpleNamespace(status="ok", analysis="done", run_id=5))
    assert _stored(engine, 3, 5) is not None
    assert _stored(engine, 1, 5) is None  # a set is read only for the runs it was computed between
    engine.dispose()


@pytest.mark.parametrize("change", ("author", "private", "relabel-previous", "relabel-current"))
def test_what_would_change_the_stored_changes_drops_them(tmp_path, change):
    engine = _week_49_stored(tmp_path)
    with engine.connect() as conn:
        listed = {row[1] for row in wc.stored_week_changes(conn, 3, 5) if row[0] != ch.NEW_MODEL}
        o = s.observations
        # a model listed in both runs: its organisation, privacy or either side's label is what changes
        repo = sorted(r for (r,) in conn.execute(select(o.c.repo_id).where(o.c.run_id == 3)) if r in listed)[0]
        version_at = {run: v for run, v in conn.execute(select(o.c.run_id, o.c.version_id).where(o.c.repo_id == repo))}
    with engine.begin() as conn:
        if change in ("author", "private"):
            model = conn.execute(select(s.models, s.model_versions.c.sha).join(s.model_versions, s.model_versions.c.id == s.models.c.current_version_id)
                                 .where(s.models.c.repo_id == repo)).one()
            item = {"id": model.repo_id, "sha": model.sha, "author": model.author, "private": model.private}
            item.update(author="someone-else") if change == "author" else item.update(private=not model.private)
            store_models(conn, 5, [item], "listing")
        else:
            run = 3 if change == "relabel-previous" else 5
            rollups.versions_changed(conn, [version_at[run]], since={version_at[run]: run})
    assert _stored(engine, 3, 5) is None
    # the next report writes the runs' aggregates again: the old set must not come back with them
    rollups.ensure_run_rollups(engine, [3, 5])
    assert _stored(engine, 3, 5) is None
    for include_private in (False, True):
        assert _changes(engine, 3, 5, include_private) == _truth(engine, 3, 5, include_private)
    engine.dispose()


def test_a_later_relabelling_keeps_the_stored_changes(tmp_path):
    """A label event recorded at a later run changes nothing as of runs 3 and 5."""
    engine = _week_49_stored(tmp_path)
    with engine.begin() as conn:
        v = conn.execute(select(s.observations.c.version_id).where(s.observations.c.run_id == 5).limit(1)).scalar_one()
        rollups.versions_changed(conn, [v], since={v: 6})
    assert _stored(engine, 3, 5) is not None
    engine.dispose()


def test_only_the_newest_sets_are_kept(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    build_history(url)
    engine = open_engine(url)
    rollups.ensure_run_rollups(engine, [1, 3, 5])
    monkeypatch.setattr(wc, "SETS_KEPT", 1)
    assert ch.remember_week_changes(engine, 3) and ch.remember_week_changes(engine, 5)
    assert _stored(engine, 1, 3) is None and _stored(engine, 3, 5) is not None
    with engine.connect() as conn:
        assert {r for (r,) in conn.execute(select(s.week_changes.c.current_run).distinct())} == {5}
    # an older week is computed when asked, the same answer as before
    assert _changes(engine, 1, 3, True) == _truth(engine, 1, 3, True)
    engine.dispose()


def test_a_report_that_computes_the_changes_stores_them_for_the_next(tmp_path):
    """A set dropped after the crawl (here: a relabelling as of run 5) is computed by the next report
    and stored; the report after reads it (an altered stored row shows)."""
    engine = _week_49_stored(tmp_path)
    with engine.begin() as conn:
        v = conn.execute(select(s.observations.c.version_id).where(s.observations.c.run_id == 5).limit(1)).scalar_one()
        rollups.versions_changed(conn, [v], since={v: 5})
    assert _stored(engine, 3, 5) is None
    with private_repos(True):
        first = build_washing_report(engine, "2026-W49")
    assert _stored(engine, 3, 5) is not None
    with engine.connect() as conn:
        assert first.changes == recompute(conn, 5, 3, True)["changes"]
    with engine.begin() as conn:
        conn.execute(update(s.week_changes).where(s.week_changes.c.current_run == 5, s.week_changes.c.seq == 1).values(detail="altered"))
    with private_repos(True):
        assert build_washing_report(engine, "2026-W49").changes.all()[0].detail == "altered"
    # an earlier week's pair is computed too, and stored only as the pair the crawl stores (run 3 is
    # the latest of week 48, run 1 of week 47)
    with private_repos(True):
        build_washing_report(engine, "2026-W48")
    with engine.connect() as conn:
        assert wc.week_changes_stored(conn, 1, 3)
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_report_does_not_wait_behind_a_busy_writer_to_store_the_changes(backend, request, tmp_path):
    """Storing what a report computed is worth no wait: while another connection holds the lock the
    write needs (SQLite: the write lock, as a crawl's open write transaction; PostgreSQL: the stored
    sets' table), the report gives up storing after STORE_WAIT_SECONDS, not the minute a SQLite
    statement otherwise waits (PostgreSQL: for ever), and still shows the changes; the next report
    stores them."""
    import threading

    with fresh_database(backend, tmp_path, request) as url:
        build_history(url)
        engine = open_engine(url)
        with engine.begin() as conn:
            every_run = [r for (r,) in conn.execute(select(s.runs.c.id))]
        # every run's aggregates stored beforehand: a report that has to write them still waits
        # (giving up would cost it their recomputation)
        rollups.ensure_run_rollups(engine, every_run)
        assert _stored(engine, 3, 5) is None
        held, release, finished = threading.Event(), threading.Event(), threading.Event()

        def crawl_writing() -> None:
            writer = open_engine(url)
            with writer.connect() as conn:
                if backend == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    conn.exec_driver_sql("LOCK TABLE week_change_sets IN EXCLUSIVE MODE")
                held.set()
                # Held until the report returns, or 20 s past its bound: a report that waited for
                # the lock would then store the changes, and return after this
                release.wait(ch.STORE_WAIT_SECONDS + 20)
                finished.set()
                conn.rollback()
            writer.dispose()

        thread = threading.Thread(target=crawl_writing)
        thread.start()
        try:
            assert held.wait(10)
            with private_repos(True):
                report = build_washing_report(engine, "2026-W49")
            assert not finished.is_set()  # returned while the writer still held the lock
        finally:
            release.set()
            thread.join()
        with engine.connect() as conn:
            assert report.changes == recompute(conn, 5, 3, True)["changes"]
            if backend == "sqlite":  # the pooled connection as it was
                assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60_000
        assert _stored(engine, 3, 5) is None
        with private_repos(True):
            build_washing_report(engine, "2026-W49")
        assert _stored(engine, 3, 5) is not None
        engine.dispose()
