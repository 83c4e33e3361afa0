"""No statement the product runs scans a table once per row of another.

A correlated subquery runs once per outer row, and so does the inner loop of a join; where SQLite's
plan for either is a SCAN, the statement costs outer rows x table rows. That is how base resolution
became quadratic (an expression index it could not use, tests/test_base_resolution.py) without any
test noticing: at the dev hub's size a full scan is instant. Here every statement that the demo
(four weekly crawls, extraction, labelling, both reports), the exports, `status` and `explain` run
on SQLite is recorded with its parameters (sqlite3's trace callback, so the driver-cursor queries
too), the views are added, and each plan is read back on the finished database.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from hubscan.cli import main
from store.db import open_engine
from store.views import VIEW_NAMES

# Statements worth a plan: reads and writes that can hold a subquery.
_PLANNED = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT\b[^;]*\bSELECT)\b", re.I | re.S)
# A "SCAN" of one of these is not a cost: SQLite's own schema, and a table of one row per crawl run.
_SMALL = ("sqlite_master", "sqlite_schema", "runs", "CONSTANT ROW")


def _record(statements: set[str]):
    """Every statement each new SQLite connection runs, its parameters written in (sqlite3's trace
    callback): what goes through SQLAlchemy and what goes to the driver's cursor directly
    (store/driver_cursor.py: the weekly report's and the Parquet history's queries) alike."""
    def trace(sql: str) -> None:
        if _PLANNED.match(sql) and len(statements) < 100_000:
            statements.add(sql)

    def connected(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(trace)
    return connected


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[str, set[str]]:
    where = tmp_path_factory.mktemp("plans")
    db = where / "demo.db"
    statements: set[str] = set()
    listener = _record(statements)
    event.listen(Engine, "connect", listener)
    try:
        assert main(["demo", "--db", str(db)]) == 0
        for fmt in ("jsonl", "csv", "parquet"):
            assert main(["export", "--db", str(db), "--format", fmt, "--output", str(where / f"out.{fmt}")]) == 0
        assert main(["status", "--db", str(db)]) == 0
        assert main(["explain", "LLM360/K2", "--db", str(db)]) == 0
        # evidence an older extractor wrote with a counted fact that moves: a standalone extract
        # corrects the stored run aggregates in place (store/rollup_deltas.py)
        engine = open_engine(f"sqlite:///{db}")
        with engine.begin() as conn:
            conn.execute(text("UPDATE evidence SET inputs_digest = 'older', licence = 'unknown' "
                              "WHERE version_id IN (SELECT version_id FROM evidence ORDER BY version_id LIMIT 5)"))
        engine.dispose()
        assert main(["extract", "--db", str(db)]) == 0
    finally:
        event.remove(Engine, "connect", listener)
    for view in VIEW_NAMES:
        statements.add(f"SELECT * FROM {view}")
    return f"sqlite:///{db}", statements


def correlated_scans(plan: list[tuple[int, int, str]]) -> list[str]:
    """The SCAN steps that sit under a correlated subquery in an EXPLAIN QUERY PLAN listing."""
    parent = {node: up for node, up, _ in plan}
    detail = {node: what for node, _, what in plan}

    def correlated(node: int) -> bool:
        seen = 0
        while node in parent and seen < 1000:  # bounded: a plan is a tree
            node, seen = parent[node], seen + 1
            if detail.get(node, "").startswith("CORRELATED"):
                return True
        return False

    return [what for node, _, what in plan
            if what.startswith("SCAN ") and not what.startswith(tuple(f"SCAN {t}" for t in _SMALL)) and correlated(node)]


def inner_loop_scans(plan: list[tuple[int, int, str]]) -> list[str]:
    """The SCAN steps that are not the outermost loop of their join (SQLite lists a join's loops
    under one parent, outermost first)."""
    loops: dict[int, list[str]] = {}
    for _, up, what in plan:
        if what.startswith(("SCAN ", "SEARCH ")):
            loops.setdefault(up, []).append(what)
    return [what for steps in loops.values() for what in steps[1:]
            if what.startswith("SCAN ") and not what.startswith(tuple(f"SCAN {t}" for t in _SMALL))]


def test_the_checker_finds_a_scan_in_an_inner_loop():
    nested = [(3, 0, "SEARCH o USING INDEX ix_run (run_id=?)"), (8, 0, "SCAN l")]
    indexed = [(3, 0, "SCAN o"), (8, 0, "SEARCH l USING INDEX ix (version_id=?)")]
    assert inner_loop_scans(nested) == ["SCAN l"]
    assert inner_loop_scans(indexed) == []


def test_the_checker_finds_a_scan_under_a_correlated_subquery():
    quadratic = [(2, 0, "SCAN v"), (5, 0, "CORRELATED SCALAR SUBQUERY 1"), (10, 5, "SCAN m USING COVERING INDEX pk")]
    searched = [(2, 0, "SCAN v"), (5, 0, "CORRELATED SCALAR SUBQUERY 1"), (10, 5, "SEARCH m USING INDEX ix (k=?)")]
    assert correlated_scans(quadratic) == ["SCAN m USING COVERING INDEX pk"]
    assert correlated_scans(searched) == []


def test_no_statement_scans_a_table_once_per_outer_row(recorded):
    url, statements = recorded
    assert len(statements) > 100  # the run above did reach SQLite through the listener
    engine = open_engine(url)
    offenders = {}
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            for statement in sorted(statements):
                try:
                    plan = [tuple(r[:2]) + (r[-1],) for r in raw.execute("EXPLAIN QUERY PLAN " + statement)]
                except Exception as exc:  # a temporary table of a finished run, say: not this test's concern
                    if "no such table" in str(exc):
                        continue
                    raise
                scans = correlated_scans(plan) + inner_loop_scans(plan)
                if scans:
                    offenders[statement[:300]] = scans
    finally:
        engine.dispose()
    assert offenders == {}


def test_the_recording_reached_labelling_lineage_and_the_reports(recorded):
    # what the plans above are read for: statements the run sent itself, not only the views added after
    _, statements = recorded
    sent = [s for s in statements if not s.startswith("SELECT * FROM ")]
    for table in ("label_events", "version_bases", "run_rollups", "observations", "run_top_models"):
        assert any(table in s for s in sent), table
    # and the statements sent to the driver's cursor directly: the week's changes (reports/report_sql.py)
    assert any("AS prev ON prev.repo_id = now.repo_id" in s for s in sent)
    # and the in-place correction of the run aggregates: the observations it reads, the rows it updates
    assert any("FROM run_top_models AS t WHERE t.run_id = o.run_id" in s for s in sent)
    assert any(s.startswith("UPDATE run_rollups SET no_licence") for s in sent)
