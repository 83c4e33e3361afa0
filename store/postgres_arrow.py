"""Rows of a PostgreSQL query straight into Arrow, without a Python object per value.

The Parquet export reads `label_history.parquet`'s observations a run at a time. Through the driver's
rows that costs a Python tuple and its values per row (store/parquet_history.py: about 80,000 rows a
second); here the server writes the run as CSV (`COPY (SELECT ...) TO STDOUT`, on the export's own
connection and transaction) and pyarrow parses it in compiled code, with each column's type given,
not guessed. Used for psycopg connections; the rows are those of the other readers
(tests/test_parquet_history.py compares them with the view on both backends).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Callable, Iterator

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
    options = (
        # COPY's CSV: NULL is an unquoted empty field, an empty string a quoted one; a repo id never
        # NULL. Values may hold newlines (quoted): parsed as such, not as row ends.
        pacsv.ReadOptions(column_names=RUN_SCHEMA.names),
        pacsv.ParseOptions(newlines_in_values=True),
        pacsv.ConvertOptions(column_types=RUN_SCHEMA, strings_can_be_null=False, quoted_strings_can_be_null=False),
    )

    def read(run_id: int) -> pa.Table:
        buffer = io.BytesIO()
        with raw.cursor() as cursor, cursor.copy(RUN_ROWS.format(run=int(run_id))) as copy:
            for chunk in copy:
                buffer.write(chunk)
        if not buffer.tell():
            return RUN_SCHEMA.empty_table()
        return pacsv.read_csv(pa.BufferReader(buffer.getbuffer()), *options)

    yield read
