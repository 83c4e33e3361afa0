"""The Parquet export of a SQLite file shows one state of it, whatever a crawl commits meanwhile.

store/sqlite_snapshot.py holds the export's connection in one read transaction and checks that the
ADBC SQLite driver's connection (label_history's observations) reads the same state. The database
is the dev hub crawled twice; each test works on its own copy. A "crawl" here is another connection
committing a change that reaches every file: the licences of the evidence (evidence, label_history),
the downloads of the observations and of each model's latest state (label_history, latest_labels)
and the declared bases (lineage).
"""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("adbc_driver_sqlite")
import pyarrow.parquet as pq  # noqa: E402
from sqlalchemy import text  # noqa: E402

from hubscan.cli import main  # noqa: E402
from replayhub import ReplayHub  # noqa: E402
from replayhub.state import HubState  # noqa: E402
from store import parquet, parquet_history_arrow, sqlite_arrow, sqlite_snapshot  # noqa: E402
from store.db import open_engine  # noqa: E402
from store.parquet import FILES, write_parquet  # noqa: E402
from test_backends_e2e import FULL_SWEEP, TOKEN  # noqa: E402


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, _dev_hub_text):
    path = tmp_path_factory.mktemp("sqlite-snapshot") / "hub.db"
    state = HubState.from_fixture(json.loads(_dev_hub_text))
    with ReplayHub(state, tokens={TOKEN: {"user": "crawler", "gated": ["*"]}}) as hub, pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", TOKEN)
        mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
        for _ in range(2):
            assert main(["crawl", "--endpoint", hub.url, "--db", f"sqlite:///{path}", *FULL_SWEEP]) == 0
    return path


@pytest.fixture
def database(crawled, tmp_path) -> str:
    copy = tmp_path / "hub.db"
    engine = open_engine(f"sqlite:///{crawled}")
    with engine.connect() as conn:  # the WAL folded in, so one file is the whole database
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    shutil.copyfile(crawled, copy)
    return f"sqlite:///{copy}"


def _files(url: str, out) -> dict[str, pa.Table]:
    engine = open_engine(url)
    try:
        write_parquet(engine, out)
    finally:
        engine.dispose()
    return {name: pq.read_table(out / f"{name}.parquet") for name in FILES}


def _crawl_commits(url: str, step: int) -> None:
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE evidence SET licence = :l"), {"l": f"changed-{step}"})
        conn.execute(text("UPDATE observations SET downloads = downloads + 1"))
        conn.execute(text("UPDATE model_latest SET downloads = downloads + 1"))
        if step == 1:
            conn.execute(text("DELETE FROM version_bases"))
    engine.dispose()


def test_a_write_committed_during_the_export_is_in_no_file(database, tmp_path, monkeypatch):
    before = _files(database, tmp_path / "before")
    assert before["lineage"].num_rows and before["label_history"].num_rows
    written = []
    write_file = parquet.write_parquet_tables

    def write_then_commit(path, *args, **kwargs):
        rows = write_file(path, *args, **kwargs)
        written.append(path.stem)
        if len(written) == 1:  # one file written, three to read: a crawl commits on another connection
            _crawl_commits(database, 1)
        return rows

    monkeypatch.setattr(parquet, "write_parquet_tables", write_then_commit)
    during = _files(database, tmp_path / "during")
    monkeypatch.setattr(parquet, "write_parquet_tables", write_file)
    after = _files(database, tmp_path / "after")
    assert written == list(FILES)
    for name in FILES:
        assert during[name].equals(before[name]), name
    # the write did happen, and an export begun after it shows it in every file
    assert set(after["evidence"]["licence"].to_pylist()) == {"changed-1"}
    assert after["lineage"].num_rows == 0
    for name in ("latest_labels", "label_history"):
        assert not after[name].equals(before[name]), name


@contextmanager
def _readers_begun_around(database: str, commits: int, monkeypatch):
    """A crawl commits between the export's connection taking its state and the ADBC connection
    taking its own, on the first `commits` tries; yields the list of tries and of ADBC readers used."""
    tries, used = [], []
    connect = sqlite_arrow.connect

    @contextmanager
    def connect_after_a_commit(path):
        tries.append(path)
        if len(tries) <= commits:
            _crawl_commits(database, len(tries))
        with connect(path) as cursor:
            yield cursor

    runs_read_by = sqlite_arrow.runs_read_by
    monkeypatch.setattr(sqlite_arrow, "connect", connect_after_a_commit)
    monkeypatch.setattr(sqlite_arrow, "runs_read_by", lambda cursor: used.append(cursor) or runs_read_by(cursor))
    yield tries, used
    monkeypatch.setattr(sqlite_arrow, "connect", connect)
    monkeypatch.setattr(sqlite_arrow, "runs_read_by", runs_read_by)


def test_readers_that_took_different_states_are_begun_again(database, tmp_path, monkeypatch):
    with _readers_begun_around(database, 2, monkeypatch) as (tries, used):
        during = _files(database, tmp_path / "during")
    assert len(tries) == 3 and len(used) == 1  # two tries let go, the third read through the driver
    after = _files(database, tmp_path / "after")
    for name in FILES:
        assert during[name].equals(after[name]), name
    assert set(during["evidence"]["licence"].to_pylist()) == {"changed-2"}


def test_past_the_tries_everything_is_read_through_one_connection(database, tmp_path, monkeypatch):
    tables = []
    arrow_reader = parquet_history_arrow.label_history_tables_arrow
    monkeypatch.setattr(parquet_history_arrow, "label_history_tables_arrow", lambda *a, **k: tables.append(a) or arrow_reader(*a, **k))
    with _readers_begun_around(database, sqlite_snapshot.MAX_TRIES, monkeypatch) as (tries, used):
        during = _files(database, tmp_path / "during")
    assert len(tries) == sqlite_snapshot.MAX_TRIES and used == [] and tables == []
    after = _files(database, tmp_path / "after")
    assert len(tables) == 1  # the driver again once nobody commits
    for name in FILES:
        assert during[name].equals(after[name]), name
    assert set(during["evidence"]["licence"].to_pylist()) == {f"changed-{sqlite_snapshot.MAX_TRIES}"}
