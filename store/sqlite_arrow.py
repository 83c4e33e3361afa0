"""Rows of a SQLite file straight into Arrow, without a Python object per value.

The ADBC SQLite driver (Apache Arrow's database connectivity) reads a query's rows into Arrow record
batches in compiled code. The Parquet export uses it for `label_history.parquet` when the database is
a SQLite file and the driver is installed (`pip install 'hubscan[parquet]'`); it opens its own
read-only connection to the file. Anything else (PostgreSQL, an in-memory database, no driver) is read
through SQLAlchemy, with the same rows (the tests compare both).

The driver infers each column's type from the first rows it reads (a column of NULLs there reads as
integers), so it is given only queries whose columns have one type whatever the data: integers, and
text that is never NULL.
"""

from __future__ import annotations

from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator


def available() -> bool:
    try:
        import adbc_driver_sqlite.dbapi  # noqa: F401
    except ImportError:
        return False
    return True


def read_only_uri(path: str) -> str:
    """The SQLite file at `path` as a read-only URI: any character in the path is quoted."""
    return Path(path).resolve().as_uri() + "?mode=ro"


@contextmanager
def connect(path: str) -> Iterator[Any]:
    """A read-only ADBC cursor on the SQLite file at `path`."""
    import adbc_driver_sqlite.dbapi as adbc

    with closing(adbc.connect(read_only_uri(path))) as conn, closing(conn.cursor()) as cursor:
        yield cursor


@contextmanager
def run_reader(path: str) -> Iterator[Callable[[int], Any]]:
    """A function from a run id to that run's observations as an Arrow table, in repo id order."""
    with connect(path) as arrow, runs_read_by(arrow) as read:
        yield read


@contextmanager
def runs_read_by(arrow: Any) -> Iterator[Callable[[int], Any]]:
    """As `run_reader`, through an open ADBC cursor (left open)."""
    def read(run_id: int):
        arrow.execute("SELECT repo_id, version_id, downloads, likes FROM observations WHERE run_id = ? ORDER BY repo_id", (run_id,))
        return arrow.fetch_arrow_table()

    yield read
