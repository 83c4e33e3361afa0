"""The Parquet export on PostgreSQL through the ADBC driver (store/postgres_adbc.py).

The files must be the ones the driver's rows give (psycopg, no Arrow reader), value for value, and
the four files must show one state of the database: the export's transaction is REPEATABLE READ and
the ADBC connection imports its snapshot, so a write committed on another connection while the
export runs appears in no file. The database is the dev hub crawled twice (lineage, two runs, a
private repository), plus a private model, a model whose repo id needs quoting and stored values that CSV or a
careless reader could blur (an empty licence, the text "NULL", a NULL family).
"""

from __future__ import annotations

import json
import logging
import re

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("adbc_driver_postgresql")
import pyarrow.parquet as pq  # noqa: E402
from sqlalchemy import text  # noqa: E402

from backends import fresh_database, postgres_server, sql_rows  # noqa: E402,F401 (fixtures)
from hubscan.cli import main  # noqa: E402
from replayhub import ReplayHub  # noqa: E402
from replayhub.state import HubState  # noqa: E402
from store import parquet, postgres_adbc, postgres_arrow  # noqa: E402
from store.db import open_engine  # noqa: E402
from store.parquet import FILES, write_parquet  # noqa: E402
from test_backends_e2e import FULL_SWEEP, TOKEN  # noqa: E402

ODD_REPO = 'q/"quoted", with comma\nand a line break'
PRIVATE_REPO = "p/private-derivative"
LATE_REPO = "z/committed-during-the-export"


@pytest.fixture(scope="module")
def database(postgres_server, request, tmp_path_factory, _dev_hub_text) -> str:
    data = json.loads(_dev_hub_text)
    state = HubState.from_fixture(data)
    with fresh_database("postgresql", tmp_path_factory.mktemp("adbc"), request) as url:
        with ReplayHub(state, tokens={TOKEN: {"user": "crawler", "gated": ["*"]}}) as hub, pytest.MonkeyPatch.context() as mp:
            mp.setenv("HF_TOKEN", TOKEN)
            mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
            for _ in range(2):
                assert main(["crawl", "--endpoint", hub.url, "--db", url, *FULL_SWEEP]) == 0
        engine = open_engine(url)
        with engine.begin() as conn:
            source = _derivative(conn)
            _clone(conn, source, ODD_REPO, 1_000_000)
            _clone(conn, source, PRIVATE_REPO, 1_500_000)
            conn.execute(text("UPDATE models SET private = true WHERE repo_id = :r"), {"r": PRIVATE_REPO})
            some = [r[0] for r in conn.execute(text("SELECT version_id FROM evidence ORDER BY version_id LIMIT 3"))]
            conn.execute(text("UPDATE evidence SET licence = '' WHERE version_id = :v"), {"v": some[0]})
            conn.execute(text("UPDATE evidence SET licence = 'NULL', licence_family = NULL WHERE version_id = :v"), {"v": some[1]})
        engine.dispose()
        yield url


def _derivative(conn) -> str:
    """A public model whose current version names a base (so the clone has lineage rows)."""
    return conn.execute(text(
        "SELECT m.repo_id FROM models m JOIN version_bases b ON b.version_id = m.current_version_id "
        "JOIN labels l ON l.version_id = m.current_version_id WHERE NOT m.private ORDER BY m.repo_id LIMIT 1")).scalar_one()


def _clone(conn, source: str, repo: str, id_offset: int) -> None:
    """A copy of model `source` and its versions, evidence, labels, events, bases and observations
    under another repo id (version ids shifted by `id_offset`), whatever columns the tables have."""
    def copy(table: str, where: str, changes: str) -> None:
        conn.execute(text(
            f"INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, to_jsonb(t) || {changes})).* FROM {table} t WHERE {where}"),
            {"source": source, "repo": repo, "offset": id_offset})

    versions = "(SELECT id FROM model_versions WHERE repo_id = :source)"
    copy("models", "repo_id = :source", "jsonb_build_object('repo_id', CAST(:repo AS text), 'current_version_id', t.current_version_id + :offset)")
    copy("model_versions", "repo_id = :source", "jsonb_build_object('repo_id', CAST(:repo AS text), 'id', t.id + :offset)")
    for table in ("evidence", "labels", "version_bases"):
        copy(table, f"version_id IN {versions}", "jsonb_build_object('version_id', t.version_id + :offset)")
    copy("label_events", f"version_id IN {versions}", "jsonb_build_object('version_id', t.version_id + :offset, 'id', t.id + :offset)")
    copy("observations", "repo_id = :source", "jsonb_build_object('repo_id', CAST(:repo AS text), 'version_id', t.version_id + :offset)")


def _files(url: str, out, reader: str, include_private: bool = False, batch_rows: int = parquet.BATCH_ROWS) -> dict[str, pa.Table]:
    """The four files as written through `reader`: adbc, copy (psycopg's COPY as CSV) or rows (the driver's rows)."""
    with pytest.MonkeyPatch.context() as mp:
        if reader != "adbc":
            mp.setattr(postgres_adbc, "available", lambda conn: False)
        if reader == "rows":
            mp.setattr(postgres_arrow, "available", lambda conn: False)
        engine = open_engine(url)
        try:
            write_parquet(engine, out, batch_rows=batch_rows, include_private=include_private)
        finally:
            engine.dispose()
    return {name: pq.read_table(out / f"{name}.parquet") for name in FILES}


@pytest.mark.parametrize("include_private", [False, True])
def test_files_read_through_adbc_are_the_drivers_files(database, tmp_path, include_private, monkeypatch):
    used = []
    for method in ("batches", "table", "table_for_ids"):
        original = getattr(postgres_adbc.SnapshotReader, method)
        monkeypatch.setattr(postgres_adbc.SnapshotReader, method,
                            lambda self, sql, *a, _o=original, _m=method: used.append(re.search(r"\bFROM\s+(\w+)", sql)[1]) or _o(self, sql, *a))
    got = _files(database, tmp_path / "adbc", "adbc", include_private, batch_rows=7)
    assert {"evidence", "observations", "model_versions", "label_events"} <= set(used)
    assert any(name.startswith("lineage") for name in used)
    expected = _files(database, tmp_path / "rows", "rows", include_private, batch_rows=7)
    for name in FILES:
        assert got[name].equals(expected[name], check_metadata=True), name  # the file's schema too, no driver metadata
    private = {r[0] for r in sql_rows(database, "SELECT repo_id FROM models WHERE private")}
    assert PRIVATE_REPO in private  # in the files only when asked for
    for name in FILES:
        assert bool(private & set(got[name]["repo_id"].to_pylist())) is include_private, name
    for name in ("label_history", "lineage", "evidence", "latest_labels"):
        assert ODD_REPO in got[name]["repo_id"].to_pylist(), name
    evidence = got["evidence"].to_pylist()
    stored = dict(sql_rows(database, "SELECT version_id, licence FROM evidence"))
    assert [r["licence"] for r in evidence] == [stored[r["version_id"]] for r in evidence]
    assert "" in stored.values() and "NULL" in stored.values()


@pytest.mark.parametrize("reader", ["adbc", "copy"])
def test_a_write_committed_during_the_export_is_in_no_file(database, tmp_path, reader, monkeypatch):
    before = _files(database, tmp_path / "before", reader)
    written = []
    write_file = parquet.write_parquet_tables

    def write_then_commit(path, *args, **kwargs):
        rows = write_file(path, *args, **kwargs)
        written.append(path.stem)
        if len(written) == 1:  # a file is written, others are being read: a crawl commits on another connection
            engine = open_engine(database)
            with engine.begin() as conn:
                _clone(conn, _derivative(conn), LATE_REPO, 2_000_000)
                conn.execute(text("UPDATE observations SET downloads = downloads + 1"))
                conn.execute(text("UPDATE evidence SET licence = 'changed'"))
            engine.dispose()
        return rows

    monkeypatch.setattr(parquet, "write_parquet_tables", write_then_commit)
    try:
        during = _files(database, tmp_path / "during", reader)
        monkeypatch.setattr(parquet, "write_parquet_tables", write_file)
        after = _files(database, tmp_path / "after", reader)
    finally:
        engine = open_engine(database)
        with engine.begin() as conn:  # the module's database as it was, for the other tests
            for table in ("observations", "label_events", "version_bases", "labels", "evidence"):
                conn.execute(text(f"DELETE FROM {table} WHERE version_id >= 2000000"))
            conn.execute(text("UPDATE models SET current_version_id = NULL WHERE repo_id = :r"), {"r": LATE_REPO})
            conn.execute(text("DELETE FROM model_versions WHERE repo_id = :r"), {"r": LATE_REPO})
            conn.execute(text("DELETE FROM models WHERE repo_id = :r"), {"r": LATE_REPO})
            conn.execute(text("UPDATE observations SET downloads = downloads - 1"))
        engine.dispose()
        _restore_licences(database, before["evidence"])
    assert sorted(written) == sorted(FILES)
    for name in FILES:
        assert during[name].equals(before[name]), name
    # the write did happen, and an export started after it shows it everywhere
    for name in FILES:
        assert LATE_REPO in after[name]["repo_id"].to_pylist(), name
    assert set(after["evidence"]["licence"].to_pylist()) == {"changed"}


def _restore_licences(url: str, evidence: pa.Table) -> None:
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE evidence SET licence = :licence WHERE version_id = :v"),
                     [{"v": r["version_id"], "licence": r["licence"]} for r in evidence.select(["version_id", "licence"]).to_pylist()])
    engine.dispose()


def test_a_driver_that_cannot_connect_leaves_the_export_to_psycopg_without_showing_the_password(database, tmp_path, monkeypatch, caplog):
    import adbc_driver_postgresql.dbapi as adbc

    secret = "pw-s3cret 'quoted'"
    seen = []

    def refuse(conninfo, **kwargs):
        seen.append(conninfo)
        raise adbc.OperationalError(f"IO: [libpq] failed for {conninfo}")

    monkeypatch.setattr(adbc, "connect", refuse)
    from sqlalchemy.engine import make_url

    url = make_url(database).set(password=secret)  # the test server trusts local connections: psycopg ignores it
    with caplog.at_level(logging.WARNING, logger="store.parquet"):
        engine = open_engine(url.render_as_string(hide_password=False))
        try:
            write_parquet(engine, tmp_path / "fallback")
        finally:
            engine.dispose()
    assert len(seen) == 1 and "password='pw-s3cret \\'quoted\\''" in seen[0]  # the driver was given it, quoted
    assert "could not connect" in caplog.text and "reading through psycopg" in caplog.text
    assert "s3cret" not in caplog.text
    expected = _files(database, tmp_path / "copy", "copy")
    for name in FILES:
        assert pq.read_table(tmp_path / "fallback" / f"{name}.parquet").equals(expected[name]), name


def test_the_connection_string_carries_the_urls_parameters_through_libpq(database):
    import adbc_driver_postgresql.dbapi as adbc
    from sqlalchemy.engine import make_url

    url = make_url(database).update_query_dict({"application_name": "it's a \\ test"})
    info = postgres_adbc.conninfo(url)
    with adbc.connect(info, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT current_setting('application_name') AS name, current_setting('jit') AS jit, current_database() AS db")
        assert cursor.fetch_arrow_table().to_pylist() == [{"name": "it's a \\ test", "jit": "off", "db": url.database}]


def test_the_collector_is_paused_while_the_files_are_written_and_then_as_it_was(tmp_path, monkeypatch):
    import gc

    engine = open_engine(f"sqlite:///{tmp_path / 'h.db'}")
    states = []
    write_file = parquet.write_parquet_tables
    monkeypatch.setattr(parquet, "write_parquet_tables", lambda *a, **k: states.append(gc.isenabled()) or write_file(*a, **k))
    assert gc.isenabled()
    write_parquet(engine, tmp_path / "a")
    assert states == [False] * len(FILES) and gc.isenabled()

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(parquet, "write_parquet_tables", fail)
    with pytest.raises(OSError):
        write_parquet(engine, tmp_path / "b")
    assert gc.isenabled()  # restored after an error too
    gc.disable()
    try:
        monkeypatch.setattr(parquet, "write_parquet_tables", write_file)
        write_parquet(engine, tmp_path / "c")
        assert not gc.isenabled()  # a caller's own choice is left as it was
    finally:
        gc.enable()
    engine.dispose()
