"""Rows of a PostgreSQL query straight into Arrow, without a Python object per value (when the ADBC
PostgreSQL driver is not installed: store/postgres_adbc.py reads the same rows in compiled code).

The Parquet export reads `label_history.parquet`'s observations a run at a time. Through the driver's
rows that costs a Python tuple and its values per row (store/parquet_history.py: about 80,000 rows a
second); here the server writes the run as CSV (`COPY (SELECT ...) TO STDOUT`, on the export's own
connection and transaction) and pyarrow parses it in compiled code, with each column's type given,
not guessed. Used for psycopg connections; the rows are those of the other readers
(tests/test_parquet_history.py compares them with the view on both backends).

`query_tables` does the same for a whole statement (`evidence.parquet`: wide rows, each with its
evidence document), streamed: pyarrow reads the COPY as it arrives, a block at a time, so memory
stays flat (tests/test_parquet_export.py compares its rows with the driver's).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection

# The run's observations in the order of the other readers (the database's own order of repo ids).
RUN_ROWS = "COPY (SELECT repo_id, version_id, downloads, likes FROM observations WHERE run_id = {run} ORDER BY repo_id) TO STDOUT (FORMAT csv)"
RUN_SCHEMA = pa.schema([("repo_id", pa.string()), ("version_id", pa.int64()), ("downloads", pa.int64()), ("likes", pa.int64())])


def available(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


@contextmanager
def run_reader(conn: Connection) -> Iterator[Callable[[int], pa.Table]]:
    """A function from a run id to that run's observations as an Arrow table (RUN_SCHEMA)."""
    raw = conn.connection.dbapi_connection
    options = _csv_options(RUN_SCHEMA)

    def read(run_id: int) -> pa.Table:
        buffer = io.BytesIO()
        with raw.cursor() as cursor, cursor.copy(RUN_ROWS.format(run=int(run_id))) as copy:
            for chunk in copy:
                buffer.write(chunk)
        if not buffer.tell():
            return RUN_SCHEMA.empty_table()
        return pacsv.read_csv(pa.BufferReader(buffer.getbuffer()), **options)

    yield read


def _csv_options(schema: pa.Schema, block_bytes: int | None = None) -> dict:
    """pyarrow's reading of CSV as COPY writes it: NULL an unquoted empty field, an empty string a
    quoted one ("" is the only null value, so a text "NULL" or "NaN" stays text); booleans `t` / `f`;
    values may hold newlines (quoted), parsed as such, not as row ends."""
    read = pacsv.ReadOptions(column_names=schema.names, **({"block_size": block_bytes} if block_bytes else {}))
    return dict(
        read_options=read,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=schema, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"],
        ),
    )


def query_tables(conn: Connection, statement, schema: pa.Schema, block_bytes: int = 1 << 20) -> Iterator[pa.Table]:
    """The statement's rows (its columns in the schema's order and types) as Arrow tables, streamed."""
    assert tuple(c.name for c in statement.selected_columns) == tuple(schema.names)
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    raw = conn.connection.dbapi_connection
    options = _csv_options(schema, block_bytes)
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
        stream = io.BufferedReader(_Chunks(copy), buffer_size=block_bytes)
        if not stream.peek(1):  # no rows: pyarrow would refuse an empty file
            return
        for batch in pacsv.open_csv(stream, **options):
            yield pa.Table.from_batches([batch], schema=schema)


class _Chunks(io.RawIOBase):
    """A file over COPY's data blocks, for pyarrow's streaming CSV reader."""

    def __init__(self, chunks: Iterable) -> None:
        self._chunks = iter(chunks)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk).cast("B")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
