"""Issue #5: researcher access - the SQL views, `hubscan query` (read-only), `store.open_db`, datasette.

The database is the four-crawl history of test_reports.py (a licence change, a new open-washing
model, a cleared flag). Expected rows are computed from the base tables with plain SQL here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from hubscan.cli import main
from store import open_db
from store.db import _alembic_config, create_db_engine, open_engine
from store.query import QueryRefused, check_read_only, read_only_connection, read_only_engine, run_query
from store.views import VIEW_NAMES, VIEWS, datasette_metadata
from backends import fresh_database, postgres_server  # noqa: F401 (fixture)
from test_reports import ACME, FALCON, LLAMA_BASE, PHI, QWEN  # the shared crawl history

ROOT = Path(__file__).resolve().parents[1]


def sql(db: Path, query: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def fingerprint(db: Path) -> dict[str, str]:
    """What a write would change: the database file and its WAL."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in db.parent.glob(db.name + "*") if not p.name.endswith("-shm")}


# --- the views --------------------------------------------------------------------------


def test_views_are_created_by_the_migration_and_dropped_by_its_downgrade(history, tmp_path):
    from alembic import command

    names = {r[0] for r in sql(history, "SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert names == set(VIEW_NAMES)
    copy = tmp_path / "copy.db"
    with sqlite3.connect(history) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    engine = open_engine(str(copy))
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert sql(copy, "SELECT name FROM sqlite_master WHERE type = 'view'") == []
    engine.dispose()
    open_engine(str(copy)).dispose()  # migrates back up
    assert {r[0] for r in sql(copy, "SELECT name FROM sqlite_master WHERE type = 'view'")} == set(VIEW_NAMES)


def test_latest_labels_has_one_row_per_model_with_its_current_label_and_downloads(history):
    db = open_db(history)
    frame = db.frame("latest_labels")
    expected = sql(
        history,
        "SELECT m.repo_id, l.label, e.licence, l.open_washing, o.downloads FROM models m "
        "JOIN labels l ON l.version_id = m.current_version_id JOIN evidence e ON e.version_id = m.current_version_id "
        "JOIN observations o ON o.repo_id = m.repo_id AND o.run_id = (SELECT MAX(run_id) FROM observations WHERE repo_id = m.repo_id)",
    )
    assert frame["repo_id"].is_unique and len(frame) == len(expected)
    # pandas shows a missing string as NaN
    got = {r.repo_id: (r.label, None if pd.isna(r.licence) else r.licence, bool(r.open_washing), r.downloads) for r in frame.itertuples()}
    assert got == {r[0]: (r[1], r[2], bool(r[3]), r[4]) for r in expected}
    qwen = frame.set_index("repo_id").loc[QWEN]
    assert (qwen.label, qwen.licence, qwen.deciding_gate, qwen.downloads) == ("Weights Available", "CC-BY-NC-4.0", "licence", 5_000_000)
    assert frame.set_index("repo_id").loc[ACME].base_models == 1


def test_label_history_washing_flags_licence_changes_and_lineage(history):
    db = open_db(history)
    labels = db.frame("SELECT repo_id, run_id, run_date, label, open_washing, licence FROM label_history")
    assert len(labels) == sql(history, "SELECT COUNT(*) FROM observations")[0][0]
    qwen = labels[labels.repo_id == QWEN].sort_values("run_id")
    assert list(qwen.label) == ["Open Weights", "Weights Available", "Weights Available", "Weights Available"]
    assert list(qwen.run_date) == ["2026-11-02", "2026-11-10", "2026-11-13", "2026-11-24"]
    falcon = labels[labels.repo_id == FALCON].sort_values("run_id")
    assert [bool(x) for x in falcon.open_washing] == [True, True, False, False]

    flags = db.frame("washing_flags")
    expected = {r[0] for r in sql(history, "SELECT m.repo_id FROM models m JOIN labels l ON l.version_id = m.current_version_id WHERE l.open_washing")}
    assert set(flags.repo_id) == expected and {ACME, PHI} <= expected
    first = dict(zip(flags.repo_id, flags.first_flagged_run))
    assert (first[PHI], first[ACME]) == (3, 4)
    assert all("W-" in reasons for reasons in flags.washing_reasons)

    changes = db.query("SELECT repo_id, run_id, previous_licence, licence, direction, previous_label, label FROM licence_changes ORDER BY run_id, repo_id")
    assert changes == [
        {"repo_id": QWEN, "run_id": 2, "previous_licence": "Apache-2.0", "licence": "CC-BY-NC-4.0", "direction": "tighter",
         "previous_label": "Open Weights", "label": "Weights Available"},
    ]

    lineage = db.query("SELECT repo_id, base_id, relation, label, base_label, licence, base_licence, base_in_db, licence_looser FROM lineage")
    declared = sql(history, "SELECT m.repo_id, b.base_id FROM models m JOIN version_bases b ON b.version_id = m.current_version_id")
    assert {(r["repo_id"], r["base_id"]) for r in lineage} == set(declared)
    acme = next(r for r in lineage if r["repo_id"] == ACME)
    assert (acme["base_id"], acme["base_label"], acme["base_licence"], acme["base_in_db"], acme["licence_looser"]) == (LLAMA_BASE, "Weights Available", "llama3.2", 1, 1)
    assert acme["label"] == "Weights Available"  # capped at its base
    assert all(r["licence_looser"] == 0 for r in lineage if r["repo_id"] != ACME)


# --- read-only queries ------------------------------------------------------------------

WRITES = [
    "DELETE FROM runs",
    "UPDATE labels SET label = 'Open Source'",
    "DROP TABLE labels",
    "DROP VIEW latest_labels",
    "ATTACH DATABASE '{attached}' AS other",
    "INSERT INTO runs (started_at, status, endpoint, full_sweep, params) VALUES ('x', 'ok', 'x', 1, '{{}}')",
    "REPLACE INTO models (repo_id) VALUES ('x')",
    "CREATE TABLE t (x)",
    "VACUUM",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA user_version(7)",
    "SELECT 1; DELETE FROM runs",
    "WITH gone AS (SELECT id FROM runs) DELETE FROM runs WHERE id IN (SELECT id FROM gone)",
    "/* just a comment */ DELETE FROM runs",
    "SELECT * INTO copy FROM runs",
    "EXPLAIN DELETE FROM runs",
]


@pytest.mark.parametrize("statement", WRITES)
def test_query_refuses_writes_and_writes_nothing(history, tmp_path, capsys, statement):
    attached = tmp_path / "attached.db"
    before = fingerprint(history)
    code = main(["query", statement.format(attached=attached), "--db", str(history)])
    assert code == 2
    assert capsys.readouterr().err.startswith("hubscan: query refused:")
    assert fingerprint(history) == before
    assert not attached.exists()


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 'DROP TABLE runs; DELETE FROM runs' AS text",
        "SELECT COUNT(*) FROM runs -- ; DROP TABLE runs",
        "select replace(repo_id, '/', '_') from latest_labels",
        'SELECT "label", COUNT(*) FROM latest_labels GROUP BY "label";',
        "WITH flagged AS (SELECT * FROM washing_flags) SELECT COUNT(*) FROM flagged",
        "EXPLAIN QUERY PLAN SELECT * FROM latest_labels",
        "PRAGMA table_info(runs)",
        "VALUES (1, 2)",
    ],
)
def test_reads_are_allowed(history, statement):
    assert check_read_only(statement)
    result = run_query(read_only_engine(history), statement)
    assert result.columns and result.rows


def test_the_connection_itself_is_read_only(history):
    """Even a statement that slipped past the check could not write."""
    engine = read_only_engine(history)
    before = fingerprint(history)
    with read_only_connection(engine) as conn:
        with pytest.raises(Exception, match="readonly|read-only|query_only"):
            conn.exec_driver_sql("DELETE FROM runs")
    assert fingerprint(history) == before
    with pytest.raises(QueryRefused):
        run_query(engine, "DELETE FROM runs")


def test_query_prints_table_csv_and_json(history, capsys):
    expected = sql(history, "SELECT label, COUNT(*) FROM models m JOIN labels l ON l.version_id = m.current_version_id GROUP BY label ORDER BY label")
    statement = "SELECT label, COUNT(*) AS models FROM latest_labels GROUP BY label ORDER BY label"

    assert main(["query", statement, "--db", str(history)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["label", "models"] and set(lines[1]) <= {"-", " "}
    assert [line.rsplit(None, 1) for line in lines[2:-1]] == [[label, str(n)] for label, n in expected]
    assert lines[-1] == f"({len(expected)} rows)"

    assert main(["query", statement, "--db", str(history), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["label,models"] + [f"{label},{n}" for label, n in expected]

    assert main(["query", statement, "--db", str(history), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"label": label, "models": n} for label, n in expected]

    assert main(["query", "SELECT nope FROM latest_labels", "--db", str(history)]) == 2
    assert "no such column: nope" in capsys.readouterr().err


def test_open_db_gives_frames_and_refuses_unknown_names(history):
    db = open_db(str(history))
    assert set(VIEW_NAMES) <= set(db.names())
    frame = db.frame("SELECT label, COUNT(*) AS n FROM latest_labels GROUP BY label ORDER BY n DESC, label")
    assert list(frame.columns) == ["label", "n"] and frame.n.sum() == sql(history, "SELECT COUNT(*) FROM labels l JOIN models m ON m.current_version_id = l.version_id")[0][0]
    assert db.query("SELECT repo_id FROM washing_flags WHERE repo_id = :id", {"id": ACME}) == [{"repo_id": ACME}]
    with pytest.raises(KeyError, match="no table or view named 'latest_label'"):
        db.frame("latest_label")
    with pytest.raises(QueryRefused):
        db.frame("DELETE FROM runs")
    assert db.engine.dialect.name == "sqlite"
    with pytest.raises(FileNotFoundError):
        open_db(history.parent / "missing.db")
    assert not (history.parent / "missing.db").exists()


# --- datasette ----------------------------------------------------------------------------


def test_datasette_metadata_lists_and_titles_every_view():
    shipped = json.loads((ROOT / "store" / "datasette_metadata.json").read_text(encoding="utf-8"))
    assert shipped == datasette_metadata()  # regenerate the file from store.views when views change
    for database in shipped["databases"].values():
        assert list(database["tables"]) == list(VIEW_NAMES)
        for view in VIEWS:
            assert database["tables"][view.name] == {"title": view.title, "description": view.description}


def test_datasette_serves_the_views_with_titles(history, tmp_path):
    datasette_app = pytest.importorskip("datasette.app", reason="datasette is an optional extra: pip install 'hubscan[datasette]'")
    db = tmp_path / "hubscan.db"
    with sqlite3.connect(history) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    metadata = json.loads((ROOT / "store" / "datasette_metadata.json").read_text(encoding="utf-8"))
    ds = datasette_app.Datasette([str(db)], metadata=metadata)

    async def fetch():
        listing = await ds.client.get("/hubscan.json")
        page = await ds.client.get("/hubscan/washing_flags")
        rows = await ds.client.get("/hubscan/washing_flags.json?_shape=array")
        return listing.json(), page.text, rows.json()

    listing, page, rows = asyncio.run(fetch())
    assert [v["name"] for v in listing["views"]] == list(VIEW_NAMES)
    assert "Models flagged for open-washing" in page
    assert {r["repo_id"] for r in rows} >= {ACME, PHI}


# --- PostgreSQL (when a server is given) ----------------------------------------------------


def test_views_and_read_only_queries_on_postgresql(history, tmp_path, request):
    # A fresh database of its own, dropped afterwards: never the one HUBSCAN_TEST_POSTGRES_URL names.
    with fresh_database("postgresql", tmp_path, request) as url:
        _views_on_postgresql(history, url)


def _views_on_postgresql(history, url: str) -> None:
    from sqlalchemy import insert, select

    from store import schema as s

    target = open_engine(url)
    source = create_db_engine(str(history), read_only=True)
    with source.connect() as src, target.begin() as dst:
        for table in s.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(insert(table), rows)
    pg, lite = open_db(url), open_db(history)

    def rows(db, view):
        # Same values whatever the driver returns: booleans as 0/1, JSON as its text.
        def norm(v):
            return int(v) if isinstance(v, bool) else json.dumps(v) if isinstance(v, (list, dict)) else v
        return sorted((tuple(norm(v) for v in r.values()) for r in db.query(f"SELECT * FROM {view}")), key=repr)

    for view in VIEW_NAMES:
        assert rows(pg, view) == rows(lite, view), view
    assert pg.query("SELECT repo_id FROM latest_labels WHERE repo_id LIKE '%Qwen%'") == [{"repo_id": QWEN}]
    with read_only_connection(pg.engine) as conn:
        with pytest.raises(Exception, match="read-only transaction"):
            conn.exec_driver_sql("DELETE FROM runs")
    for engine in (target, source, pg.engine, lite.engine):
        engine.dispose()
