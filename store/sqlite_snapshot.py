"""One state of a SQLite file for the whole Parquet export, across its two connections.

The export reads three files through SQLAlchemy's connection and `label_history.parquet`'s
observations through the ADBC SQLite driver's own connection (store/sqlite_arrow.py). Before, each
file had a connection of its own, so a crawl committing during the export could leave a model's
label in `latest_labels.parquet` from one state and its evidence from another. Now the SQLAlchemy
connection holds one read transaction for the whole export (in WAL mode a reader keeps the state
it first read, whatever is committed after), and so does the ADBC connection.

SQLite cannot hand one connection's snapshot to another (PostgreSQL can: store/postgres_adbc.py),
so the two are begun one after the other and checked to hold the same state: a third connection's
`PRAGMA data_version`, read before the first begins and after the second has read, changes when
any other connection committed in between. If it moved, both are let go and begun again; after
`MAX_TRIES` such tries the export reads everything through the one connection (slower for
`label_history.parquet`, but one state).

A reader held open keeps the WAL from being checkpointed past its state: while the export runs, a
crawl's writes make the WAL grow, and the next checkpoint after the export folds them in.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing, contextmanager
from typing import Any, Iterator

from sqlalchemy import Connection

from . import sqlite_arrow

MAX_TRIES = 5  # a writer committing between two reads five times running is a busy crawl: one connection then

_FIRST_READ = "SELECT count(*) FROM sqlite_master"  # any read of the file starts the transaction's snapshot

log = logging.getLogger(__name__)


@contextmanager
def one_snapshot(conn: Connection, path: str | None) -> Iterator[Any | None]:
    """Hold `conn` in one read transaction for the block; yield an ADBC cursor on the SQLite file at
    `path` that reads the same state, or None (no file or driver, or no shared state after
    MAX_TRIES: read everything through `conn`)."""
    if path is None or not sqlite_arrow.available():
        with _read_transaction(conn):
            yield None
        return
    with closing(sqlite3.connect(sqlite_arrow.read_only_uri(path), uri=True, isolation_level=None)) as watch:
        for _ in range(MAX_TRIES):
            before = _data_version(watch)
            with _read_transaction(conn), sqlite_arrow.connect(path) as arrow:
                arrow.execute(_FIRST_READ)  # autocommit is off: the driver's transaction takes its state here
                arrow.fetchall()
                if _data_version(watch) == before:
                    yield arrow
                    return
        log.info("a writer committed while the export's two readers began, %d times: reading label history through one connection", MAX_TRIES)
    with _read_transaction(conn):
        yield None


def _data_version(watch: sqlite3.Connection) -> int:
    return watch.execute("PRAGMA data_version").fetchone()[0]


@contextmanager
def _read_transaction(conn: Connection) -> Iterator[None]:
    # pysqlite begins a transaction only before a write; a read transaction is begun by hand and
    # ended by the rollback (nothing was written)
    conn.exec_driver_sql("BEGIN")
    try:
        conn.exec_driver_sql(_FIRST_READ).fetchall()
        yield
    finally:
        conn.rollback()
