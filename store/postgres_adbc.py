"""PostgreSQL query results straight into Arrow in compiled code (the ADBC PostgreSQL driver).

The Parquet export's large reads on PostgreSQL (`label_history.parquet`'s runs and version facts,
`evidence.parquet`, `lineage.parquet`) go through Apache Arrow's database connectivity driver for
libpq: it reads the server's binary COPY output into Arrow record batches in C++, with no Python per
row or per COPY message (psycopg's COPY loop, store/postgres_arrow.py, runs Python for each row) and
with the columns' own types (no CSV to parse).

The driver needs its own connection. So that every file shows the same database, the export's
connection holds one REPEATABLE READ transaction, exports its snapshot (`pg_export_snapshot()`),
and this connection imports it (`SET TRANSACTION SNAPSHOT`) in a READ ONLY transaction of its own:
both see exactly the same committed rows, whatever is written meanwhile.

Its address is made from the engine's URL (same host, user, database and query parameters, plus
hubscan's session options); a password in it is passed to libpq and never printed: an error while
connecting is raised with the password masked. Optional: `pip install 'hubscan[postgres]'` or
`'hubscan[parquet]'`; without the driver the export reads through psycopg as before.
"""

from __future__ import annotations

import re
from contextlib import closing, contextmanager
from typing import Any, Iterator

import pyarrow as pa
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from .db import postgres_options

_SNAPSHOT_ID = re.compile(r"[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+")  # as pg_export_snapshot() writes it
IDS_PER_STATEMENT = 50_000  # ids bound as one array parameter: bounds a statement's size


class AdbcUnavailable(Exception):
    """The driver is not installed, or could not connect: the caller reads through psycopg instead."""


def installed() -> bool:
    try:
        import adbc_driver_postgresql.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


def available(conn: Connection) -> bool:
    """A PostgreSQL connection through psycopg (the URL the driver can be given) and the driver installed."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg" and installed()


def conninfo(url: URL) -> str:
    """The libpq connection string for the driver (`key='value' ...`, each value quoted): the URL's
    host, port, user, password, database and query parameters (sslmode and the like are libpq's own
    keywords), and hubscan's session options (jit=off; the driver's transaction is READ ONLY by
    itself). Contains the password: never print it."""
    keywords: dict[str, object] = {"host": url.host, "port": url.port, "user": url.username, "password": url.password, "dbname": url.database}
    for key, value in url.query.items():
        keywords[key] = value[-1] if isinstance(value, tuple) else value
    keywords["options"] = postgres_options(url.render_as_string(hide_password=False))
    return " ".join(f"{key}={_quoted(str(value))}" for key, value in keywords.items() if value is not None)


def _quoted(value: str) -> str:
    # libpq's conninfo quoting: single quotes around the value, backslash before ' and \
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _masked(message: str, password: str | None) -> str:
    return message.replace(password, "***") if password else message


class SnapshotReader:
    """An ADBC connection reading the snapshot of another transaction; queries in, Arrow out."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def batches(self, sql: str, params: tuple = ()) -> Iterator[pa.RecordBatch]:
        """The query's rows as record batches, streamed (the next query waits for the last batch)."""
        self._cursor.execute(sql, params or None)
        reader = self._cursor.fetch_record_batch()
        yield from reader

    def table(self, sql: str, params: tuple = ()) -> pa.Table:
        self._cursor.execute(sql, params or None)
        return self._cursor.fetch_arrow_table()

    def table_for_ids(self, sql: str, ids: list[int]) -> pa.Table:
        """`sql` with one parameter `$1`, an array of bigint ids, run for the ids in parts."""
        parts = []
        for start in range(0, max(len(ids), 1), IDS_PER_STATEMENT):  # no ids: one statement, no rows (typed)
            bound = pa.record_batch([pa.array([ids[start : start + IDS_PER_STATEMENT]], pa.list_(pa.int64()))], names=["ids"])
            self._cursor.execute(sql, bound)
            parts.append(self._cursor.fetch_arrow_table())
        return pa.concat_tables(parts) if len(parts) != 1 else parts[0]


@contextmanager
def snapshot_reader(conn: Connection) -> Iterator[SnapshotReader]:
    """A reader that sees what `conn`'s transaction sees. `conn` must be in a REPEATABLE READ (or
    SERIALIZABLE) transaction, kept open while the reader is used: its snapshot is exported."""
    isolation = conn.execute(text("SELECT current_setting('transaction_isolation')")).scalar_one()
    if isolation not in ("repeatable read", "serializable"):
        raise ValueError(f"the export's transaction must be REPEATABLE READ to share its snapshot, not {isolation}")
    snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"unexpected snapshot id {snapshot!r}")
    try:
        import adbc_driver_postgresql.dbapi as adbc
    except ImportError as missing:
        raise AdbcUnavailable("adbc-driver-postgresql is not installed") from missing
    url = conn.engine.url
    try:
        connection = adbc.connect(conninfo(url), autocommit=True)
    except Exception as error:  # the driver's errors do not carry the URI; mask the password anyway
        raise AdbcUnavailable(_masked(f"the ADBC PostgreSQL driver could not connect: {error}", url.password)) from None
    with closing(connection), closing(connection.cursor()) as cursor:
        # BEGIN and SET TRANSACTION SNAPSHOT as statements of their own: the driver's autocommit
        # leaves the transaction to us.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        try:
            yield SnapshotReader(cursor)
        finally:
            try:
                cursor.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - a broken connection: closing it ends the transaction anyway
                pass
