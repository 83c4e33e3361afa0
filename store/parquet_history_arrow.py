"""`label_history.parquet` without a Python object per value.

The file has a row per model per run: tens of millions of rows, where a Python object per value is
what bounds the export (store/parquet_history.py: about 77,000 rows per CPU second). Here each run's
observations are read straight into Arrow, from a SQLite file by the ADBC SQLite driver (Apache
Arrow's database connectivity, a separate read-only connection to the same file; store/sqlite_arrow.py),
from PostgreSQL as CSV parsed by pyarrow (store/postgres_arrow.py), and joined in Arrow to a table of
the versions the run shows: their sha, licence and label as of the run. Only a run's new versions,
and the few with more than one label event, pass through Python. Memory: one run's rows and
versions.

Used for a SQLite file when the driver is installed (`pip install 'hubscan[parquet]'`) and for
PostgreSQL through psycopg; otherwise store/parquet_history.py gives the same rows
(tests/test_parquet_history.py runs every reader).
"""

from __future__ import annotations

from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from . import postgres_arrow, sqlite_arrow
from .arrow_columns import column
from .parquet_history import COLUMNS, DriverCursor, VersionFacts, version_facts

TAIL = ("sha", "label", "rule", "open_washing", "licence", "licence_family")


def _tails(schema: pa.Schema, rows: list[tuple]) -> pa.Table:
    """(version_id, *tail) rows as a table: version_id, then TAIL's columns in the file's types."""
    columns = list(zip(*rows)) if rows else [()] * (1 + len(TAIL))
    fields = [pa.field("version_id", pa.int64()), *(schema.field(name) for name in TAIL)]
    return pa.Table.from_arrays([column(f, list(values)) for f, values in zip(fields, columns)], schema=pa.schema(fields))


def label_history_tables_arrow(conn: Connection, path: str | None, schema: pa.Schema, batch_rows: int, include_private: bool = False) -> Iterator[pa.Table]:
    """The rows of `label_history.parquet`, ordered by run and repo id, in tables of at most
    `batch_rows` rows: of the SQLite file at `path`, or (`path` None) of the PostgreSQL database
    `conn` is connected to."""
    assert tuple(schema.names) == COLUMNS
    cursor = DriverCursor(conn)  # version facts and run list through the caller's connection
    private = pa.array([] if include_private else [r[0] for r in cursor.rows("SELECT repo_id FROM models WHERE private = ?", (True,))], pa.string())
    runs = cursor.rows("SELECT id, started_at FROM runs ORDER BY id")
    fixed = _tails(schema, [])  # versions whose every run shows the same tail (at most one label event)
    several: dict[int, VersionFacts] = {}  # versions relabelled at some run: their tail depends on the run
    with sqlite_arrow.run_reader(path) if path is not None else postgres_arrow.run_reader(conn) as read_run:
        for run_id, started_at in runs:
            observed = read_run(run_id)
            if len(private) and observed.num_rows:
                observed = observed.filter(pc.invert(pc.is_in(observed["repo_id"], value_set=private)))
            if not observed.num_rows:
                continue
            version_ids = observed["version_id"].combine_chunks().cast(pa.int64())
            run_versions = pc.unique(version_ids)
            several_ids = pa.array(list(several), pa.int64())
            known = pc.or_(pc.is_in(run_versions, value_set=fixed["version_id"]), pc.is_in(run_versions, value_set=several_ids))
            new = run_versions.filter(pc.invert(known)).to_pylist()
            if new:
                facts = version_facts(cursor, sorted(new))
                fixed = pa.concat_tables([fixed, _tails(schema, [(v, *tail) for v, tail in facts.items() if tail.__class__ is tuple])])
                several.update((v, f) for v, f in facts.items() if f.__class__ is not tuple)
            # forget the versions this run does not show: memory follows the models of one run
            fixed = fixed.filter(pc.is_in(fixed["version_id"], value_set=run_versions))
            several_ids = pa.array(list(several), pa.int64())
            several = {v: several[v] for v in several_ids.filter(pc.is_in(several_ids, value_set=run_versions)).to_pylist()}
            shown = pa.concat_tables([fixed, _tails(schema, [(v, *f.tail_at(run_id)) for v, f in several.items()])]).combine_chunks()
            position = pc.index_in(version_ids, value_set=shown["version_id"])
            if position.null_count:  # no such version: the view's inner join drops the row, and so does this
                found = pc.is_valid(position)
                observed, position = observed.filter(found), position.filter(found)
            tails = shown.take(position)
            n = observed.num_rows
            run_date = None if started_at is None else started_at[:10]
            table = pa.Table.from_arrays(
                [
                    observed["repo_id"].cast(pa.string()),
                    pa.repeat(pa.scalar(run_id, pa.int64()), n),
                    pa.repeat(pa.scalar(started_at, pa.string()), n),
                    pa.repeat(pa.scalar(run_date, pa.string()), n),
                    observed["version_id"].cast(pa.int64()),
                    *(tails[name] for name in TAIL),
                    observed["downloads"].cast(pa.int64()),
                    observed["likes"].cast(pa.int64()),
                ],
                schema=schema,
            )
            for offset in range(0, n, batch_rows):
                yield table.slice(offset, batch_rows)
