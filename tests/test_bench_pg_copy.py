"""benchmarks/pg_copy.py: the benchmark's SQLite history copied into PostgreSQL holds the same rows,
typed as PostgreSQL types them, so both backends are measured on the same history
(docs/benchmarks.md, PostgreSQL, 2026-12-07)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from backends import fresh_database, postgres_server, sql_rows  # noqa: E402,F401 (fixtures)

bench_history = pytest.importorskip("bench_history")
pg_copy = pytest.importorskip("pg_copy")

TABLES = ("runs", "models", "model_versions", "evidence", "labels", "label_events", "observations", "model_latest",
          "version_bases", "version_datasets", "run_rollups", "run_organisations", "week_change_sets", "week_changes")


def test_the_copy_holds_the_same_rows_and_types(request, tmp_path):
    db = tmp_path / "history.db"
    built = bench_history.build(db, models=300, runs=9)
    sqlite_url = f"sqlite:///{db}"
    with fresh_database("postgresql", tmp_path, request) as url:
        copied = pg_copy.copy_history(db, url, create=False)
        for table in TABLES:
            assert copied["tables"][table]["rows"] == sql_rows(url, f"SELECT COUNT(*) FROM {table}")[0][0] == sql_rows(sqlite_url, f"SELECT COUNT(*) FROM {table}")[0][0]
        assert copied["tables"]["observations"]["rows"] == built["observations"] == 300 * 9
        assert copied["tables"]["week_changes"]["rows"] > 0  # the stored week's changes came along
        # booleans are booleans, JSON is JSON, and the views read the same history
        assert sql_rows(url, "SELECT COUNT(*) FROM models WHERE private")[0][0] == sql_rows(sqlite_url, "SELECT COUNT(*) FROM models WHERE private")[0][0] == 3
        assert sql_rows(url, "SELECT json_typeof(explanation) FROM labels LIMIT 1") == [("object",)]
        history = "SELECT repo_id, run_id, label, open_washing, licence, downloads FROM label_history ORDER BY run_id, version_id"
        assert [(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in sql_rows(sqlite_url, history)] == sql_rows(url, history)
        # the sequences go on after the copied ids: a new label event gets the next id
        last = sql_rows(url, "SELECT MAX(id) FROM label_events")[0][0]
        assert sql_rows(url, "SELECT nextval(pg_get_serial_sequence('label_events', 'id'))") == [(last + 1,)]
        with pytest.raises(SystemExit, match="not empty"):
            pg_copy.copy_history(db, url, create=False)
