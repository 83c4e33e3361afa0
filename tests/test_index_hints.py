"""SQLite is told which covering index to read (`INDEXED BY`, store/driver_cursor.py) only when the
index is there: a database whose indexes were dropped still gives the week's changes, the Parquet
history and the run aggregates, the same as with them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server  # noqa: E402,F401 (fixtures)
import test_parquet_history  # noqa: E402
from reports import changes as ch  # noqa: E402
from reports.scope import private_repos  # noqa: E402
from store.db import open_engine  # noqa: E402
from store.driver_cursor import DriverCursor  # noqa: E402
from test_weekly_fast_path import WEEKS, build_history, recompute  # noqa: E402


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_index_is_named_on_sqlite_only_while_it_exists(backend, request, tmp_path):
    with fresh_database(backend, tmp_path, request) as url:
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                hint = DriverCursor(conn).indexed_by("ix_evidence_facts")
                assert DriverCursor(conn).indexed_by("ix_no_such_index") == ""
            if backend != "sqlite":
                assert hint == ""  # PostgreSQL's planner picks its indexes itself
                return
            assert hint == " INDEXED BY ix_evidence_facts"
            with engine.begin() as conn:
                conn.execute(text("DROP INDEX ix_evidence_facts"))
            with engine.connect() as conn:
                assert DriverCursor(conn).indexed_by("ix_evidence_facts") == ""
        finally:
            engine.dispose()


def test_the_weeks_changes_are_computed_without_the_facts_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'changes.db'}"
    build_history(url)
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_evidence_facts"))
        for current, previous, _weeks in WEEKS.values():
            for include_private in (False, True):
                with engine.connect() as conn, private_repos(include_private):
                    got = ch.changes_between(conn, previous, current)
                with engine.connect() as conn:
                    assert got == recompute(conn, current, previous, include_private)["changes"]
    finally:
        engine.dispose()


def test_the_parquet_history_is_written_without_the_facts_index(tmp_path, monkeypatch):
    built = test_parquet_history._history

    def without_index(url: str) -> None:
        built(url)
        engine = open_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP INDEX ix_evidence_facts"))
        finally:
            engine.dispose()

    monkeypatch.setattr(test_parquet_history, "_history", without_index)
    test_parquet_history._check(f"sqlite:///{tmp_path / 'history.db'}", tmp_path, 3, False)


def test_migration_0015_leaves_one_licence_index_and_the_reports_read_it(tmp_path):
    """ix_evidence_licence was a prefix of ix_evidence_facts: 0015 drops it, its downgrade brings it back,
    and the week's licence lookups are then served by the wider index."""
    from alembic import command

    from store.db import _alembic_config

    def indexes(engine) -> set[str]:
        with engine.connect() as conn:
            return {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'evidence'"))}

    path = tmp_path / "i.db"
    engine = open_engine(str(path))
    assert {"ix_evidence_facts"} <= indexes(engine) and "ix_evidence_licence" not in indexes(engine)
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014")
    assert {"ix_evidence_facts", "ix_evidence_licence"} <= indexes(engine)
    engine.dispose()

    engine = open_engine(str(path))  # opening brings it to the head again
    try:
        assert "ix_evidence_licence" not in indexes(engine)
        with engine.connect() as conn:
            hint = DriverCursor(conn).indexed_by("ix_evidence_facts")
            plan = " ".join(str(r[-1]) for r in conn.execute(text(
                f"EXPLAIN QUERY PLAN SELECT e.licence, e.licence_family FROM model_versions v JOIN evidence e{hint} ON e.version_id = v.id")))
        assert "COVERING INDEX ix_evidence_facts" in plan, plan
    finally:
        engine.dispose()
