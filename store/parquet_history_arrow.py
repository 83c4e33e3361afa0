"""`label_history.parquet` without a Python object per value.

The file has a row per model per run: tens of millions of rows, where a Python object per value is
what bounds the export (store/parquet_history.py: about 77,000 rows per CPU second). Here each run's
observations are read straight into Arrow, from a SQLite file by the ADBC SQLite driver (Apache
Arrow's database connectivity, a separate read-only connection to the same file; store/sqlite_arrow.py),
from PostgreSQL by the ADBC PostgreSQL driver on the export's snapshot (store/postgres_adbc.py) or,
without it, as CSV parsed by pyarrow (store/postgres_arrow.py), and joined in Arrow to a table of
the versions the run shows: their sha, licence and label as of the run. Only a run's new versions
pass through Python, and through the ADBC PostgreSQL driver only the few with more than one label
event (their facts are read as Arrow and joined there). Memory: one run's rows and versions.

Used for a SQLite file when the driver is installed (`pip install 'hubscan[parquet]'`) and for
PostgreSQL through psycopg; otherwise store/parquet_history.py gives the same rows
(tests/test_parquet_history.py runs every reader).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection

from . import postgres_arrow, sqlite_arrow
from .arrow_columns import column
from .parquet_history import COLUMNS, DriverCursor, LabelEvent, VersionFacts, version_facts

TAIL = ("sha", "label", "rule", "open_washing", "licence", "licence_family")


def _tails(schema: pa.Schema, rows: list[tuple]) -> pa.Table:
    """(version_id, *tail) rows as a table: version_id, then TAIL's columns in the file's types."""
    columns = list(zip(*rows)) if rows else [()] * (1 + len(TAIL))
    fields = [pa.field("version_id", pa.int64()), *(schema.field(name) for name in TAIL)]
    return pa.Table.from_arrays([column(f, list(values)) for f, values in zip(fields, columns)], schema=pa.schema(fields))


# A version's facts and its label events, for the ADBC reader (store/postgres_adbc.py): one array of
# ids bound as a parameter, answered as Arrow.
_VERSIONS_SQL = ("SELECT v.id AS version_id, v.sha, e.licence, e.licence_family FROM model_versions v "
                 "LEFT JOIN evidence e ON e.version_id = v.id WHERE v.id = ANY($1)")
_EVENTS_SQL = "SELECT version_id, id, run_id, label, rule, open_washing FROM label_events WHERE version_id = ANY($1) ORDER BY id"
_RUN_SQL = "SELECT repo_id, version_id, downloads, likes FROM observations WHERE run_id = {run} ORDER BY repo_id"


def _facts_through_driver(cursor: DriverCursor, schema: pa.Schema, ids: list[int]) -> tuple[pa.Table, dict[int, VersionFacts]]:
    facts = version_facts(cursor, ids)
    fixed = _tails(schema, [(v, *tail) for v, tail in facts.items() if tail.__class__ is tuple])
    return fixed, {v: f for v, f in facts.items() if f.__class__ is not tuple}


def _facts_as_arrow(reader, schema: pa.Schema, ids: list[int]) -> tuple[pa.Table, dict[int, VersionFacts]]:
    """What `version_facts` gives, read and joined in Arrow: the tails of versions with at most one
    label event as a table, and the facts of the few relabelled ones (more than one event) as objects."""
    versions = reader.table_for_ids(_VERSIONS_SQL, ids)
    events = reader.table_for_ids(_EVENTS_SQL, ids)
    version_ids = versions["version_id"].cast(pa.int64())
    event_versions = events["version_id"].cast(pa.int64())
    counts = pa.table({"version_id": event_versions}).group_by("version_id").aggregate([("version_id", "count")])
    relabelled = counts.filter(pc.greater(counts["version_id_count"], 1))["version_id"]
    single = pc.invert(pc.is_in(event_versions, value_set=relabelled))
    single_events = events.filter(single)
    fixed_rows = pc.invert(pc.is_in(version_ids, value_set=relabelled))
    fixed_versions = versions.filter(fixed_rows)
    event_of = single_events.take(pc.index_in(fixed_versions["version_id"].cast(pa.int64()), value_set=single_events["version_id"].cast(pa.int64())))
    fields = [pa.field("version_id", pa.int64()), *(schema.field(name) for name in TAIL)]
    values = {"version_id": fixed_versions["version_id"], "sha": fixed_versions["sha"], "label": event_of["label"], "rule": event_of["rule"],
              "open_washing": event_of["open_washing"], "licence": fixed_versions["licence"], "licence_family": fixed_versions["licence_family"]}
    fixed = pa.Table.from_arrays([values[f.name].cast(f.type) for f in fields], schema=pa.schema(fields))
    several: dict[int, VersionFacts] = {}
    if len(relabelled):
        history: dict[int, list[LabelEvent]] = {}
        for r in events.filter(pc.invert(single)).to_pylist():  # in id order
            history.setdefault(r["version_id"], []).append(LabelEvent(r["id"], r["run_id"], r["label"], r["rule"], r["open_washing"]))
        for r in versions.filter(pc.invert(fixed_rows)).to_pylist():
            several[r["version_id"]] = VersionFacts(r["sha"], r["licence"], r["licence_family"], tuple(history[r["version_id"]]))
    return fixed, several


@contextmanager
def _adbc_runs(reader) -> Iterator:
    yield lambda run_id: reader.table(_RUN_SQL.format(run=int(run_id)))


def label_history_tables_arrow(conn: Connection, path: str | None, schema: pa.Schema, batch_rows: int, include_private: bool = False,
                               adbc=None, sqlite_cursor=None) -> Iterator[pa.Table]:
    """The rows of `label_history.parquet`, ordered by run and repo id, in tables of at most
    `batch_rows` rows: of the SQLite file at `path` (its observations read through `sqlite_cursor`, an
    ADBC cursor on the state `conn` reads (store/sqlite_snapshot.py), when given, else through a
    connection of their own), or (`path` None) of the PostgreSQL database `conn` is connected to,
    read through `adbc` (a store/postgres_adbc.py reader on `conn`'s snapshot) when given, else
    through psycopg."""
    assert tuple(schema.names) == COLUMNS
    if adbc is not None:  # everything through the driver's connection: `conn` may be busy on another thread
        private = adbc.table("SELECT repo_id FROM models WHERE private")["repo_id"].cast(pa.string()) if not include_private else pa.array([], pa.string())
        runs = [(r["id"], r["started_at"]) for r in adbc.table("SELECT id, started_at FROM runs ORDER BY id").to_pylist()]
    else:
        cursor = DriverCursor(conn)  # version facts and run list through the caller's connection
        private = pa.array([] if include_private else [r[0] for r in cursor.rows("SELECT repo_id FROM models WHERE private = ?", (True,))], pa.string())
        runs = cursor.rows("SELECT id, started_at FROM runs ORDER BY id")
    fixed = _tails(schema, [])  # versions whose every run shows the same tail (at most one label event)
    several: dict[int, VersionFacts] = {}  # versions relabelled at some run: their tail depends on the run
    if adbc is not None:
        runs_read, facts_of = _adbc_runs(adbc), (lambda ids: _facts_as_arrow(adbc, schema, ids))
    else:
        if sqlite_cursor is not None:
            runs_read = sqlite_arrow.runs_read_by(sqlite_cursor)
        else:
            runs_read = sqlite_arrow.run_reader(path) if path is not None else postgres_arrow.run_reader(conn)
        facts_of = lambda ids: _facts_through_driver(cursor, schema, ids)  # noqa: E731
    with runs_read as read_run:
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
                new_fixed, new_several = facts_of(sorted(new))
                fixed = pa.concat_tables([fixed, new_fixed])
                several.update(new_several)
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
