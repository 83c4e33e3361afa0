"""PostgreSQL sessions opened by hubscan run without JIT compilation (store/db.py `postgres_options`).

On the benchmark's history (200,000 models x 10 runs, copied into PostgreSQL) the week's changes,
the latest-labels export and the run aggregates all passed the server's JIT cost thresholds and were
compiled first (0.8 s of 3.8 s for the changes) to run no faster (docs/benchmarks.md, 2026-12-07).
A small test database never reaches those thresholds, so the plan check lowers them to zero: the
plans a large database would get are then the ones this one gets.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from backends import fresh_database, postgres_server  # noqa: E402,F401 (fixtures)
from reports import report_sql  # noqa: E402
from store.db import create_db_engine, open_engine, postgres_options  # noqa: E402
from store.driver_cursor import DriverCursor  # noqa: E402
from test_weekly_fast_path import build_history  # noqa: E402


def test_options_keep_the_urls_own_and_add_jit_off():
    url = "postgresql+psycopg://hubscan@db.example/hubscan?options=-c%20work_mem%3D64MB"
    assert postgres_options(url) == "-c work_mem=64MB -c jit=off"
    assert postgres_options(url, read_only=True) == "-c work_mem=64MB -c jit=off -c default_transaction_read_only=on"
    assert postgres_options("postgresql+psycopg://hubscan@db.example/hubscan") == "-c jit=off"


def test_every_hubscan_engine_has_jit_off(request, tmp_path):
    with fresh_database("postgresql", tmp_path, request) as url:
        for engine, read_only in ((open_engine(url), "off"), (create_db_engine(url, read_only=True), "on")):
            try:
                with engine.connect() as conn:
                    assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
                    assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == read_only
            finally:
                engine.dispose()


class _Explained(DriverCursor):
    """Runs each statement under EXPLAIN (ANALYZE, FORMAT JSON) and keeps the plans."""

    plans: list

    def rows(self, sql, params=()):
        self.plans = getattr(self, "plans", [])
        (plan,) = super().rows("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)[0]
        self.plans.append(plan if isinstance(plan, list) else json.loads(plan))
        return []


def _compiled(plans: list) -> bool:
    return any("JIT" in plan[0] for plan in plans)


def test_the_week_changes_are_not_jit_compiled_on_a_large_database(request, tmp_path):
    with fresh_database("postgresql", tmp_path, request) as url:
        build_history(url)
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SET jit = on")  # pg_jit_available() is false while jit is off
                if not conn.exec_driver_sql("SELECT pg_jit_available()").scalar():
                    pytest.skip("this PostgreSQL server has no JIT (built without LLVM): nothing to turn off")
                conn.exec_driver_sql("RESET jit")  # back to the session's own setting
                assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
                # the thresholds a large database passes (its estimated costs are in the millions)
                for setting in ("jit_above_cost", "jit_optimize_above_cost", "jit_inline_above_cost"):
                    conn.exec_driver_sql(f"SET {setting} = 0")
                cursor = _Explained(conn)
                report_sql.changed_rows(cursor, "observations", 3, 5)
                report_sql.gone_flag_rows(cursor, "observations", 3, 5)
                assert len(cursor.plans) == 2 and not _compiled(cursor.plans)
                # the check sees JIT when it is on: the same statements, compiled
                conn.exec_driver_sql("SET jit = on")
                cursor.plans = []
                report_sql.changed_rows(cursor, "observations", 3, 5)
                assert _compiled(cursor.plans)
        finally:
            engine.dispose()


def test_a_list_of_ids_is_one_array_parameter_on_postgresql(request, tmp_path):
    """DriverCursor.in_list: psycopg parses a long statement's placeholders in Python every time (it
    keeps only short statements parsed), so a list of 900 ids travels as one array; same rows."""
    with fresh_database("postgresql", tmp_path, request) as url:
        build_history(url)
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                cursor = DriverCursor(conn)
                ids = [r[0] for r in cursor.rows("SELECT id FROM model_versions ORDER BY id")]
                wanted = ids[::3] + [10**9]  # and one that is not there
                where, params = cursor.in_list("id", wanted)
                assert (where, params) == ("id = ANY(?)", [wanted])
                got = cursor.rows(f"SELECT id FROM model_versions WHERE {where} ORDER BY id", params)
                assert [r[0] for r in got] == ids[::3]
        finally:
            engine.dispose()


def test_a_list_of_ids_is_marks_on_sqlite(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        with engine.connect() as conn:
            assert DriverCursor(conn).in_list("id", [3, 5]) == ("id IN (?, ?)", [3, 5])
    finally:
        engine.dispose()
