"""Parquet files for analytics (DuckDB, pandas, Polars, Spark): `hubscan export --format parquet`.

Four files, one per question researchers ask most:

- `latest_labels.parquet`: one row per model, its current version's record, with exactly the keys
  and values of the JSONL export (lists stay lists);
- `evidence.parquet`: one row per labelled or extracted model version, the key facts as columns and
  the full typed evidence as JSON text (`data`), `current` true for each model's current version;
- `label_history.parquet`: one row per model per crawl run (the `label_history` view);
- `lineage.parquet`: one row per declared base of each model's current version (the `lineage` view).

Each file is written batch by batch through a pyarrow ParquetWriter with a fixed schema, so memory
stays flat however large the database, an empty database still gives typed (empty) files, and the
column types are the same on SQLite and PostgreSQL (whose drivers return booleans, integers and
JSON differently). A file is written under a temporary name and renamed when complete, so a reader
never sees half of one.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine, Text, cast, false, select, text

from . import parquet_history_arrow, postgres_adbc, postgres_arrow, sqlite_arrow, sqlite_snapshot
from . import schema as s
from .arrow_columns import column as _column
from .collector import collector_paused
from .db import sqlite_path
from .export import EXPORT_KEYS
from .export_rows import latest_rows
from .parquet_history import COLUMNS as LABEL_HISTORY_COLUMNS
from .parquet_history import label_history_tables
from .prefetch import batches_of, prefetched
from .views import view_name

FORMAT_VERSION = "1"
BATCH_ROWS = 5_000
FILES = ("latest_labels", "evidence", "label_history", "lineage")

_TEXT = pa.string()
_TEXTS = pa.list_(pa.string())

LATEST_LABELS = pa.schema(
    [
        ("repo_id", _TEXT),
        ("sha", _TEXT),
        ("label", _TEXT),
        ("rule_version", _TEXT),
        ("rule", _TEXT),
        ("open_basis", _TEXT),
        ("licence", _TEXT),
        ("licence_raw", _TEXTS),
        ("licence_family", _TEXT),
        ("weights", pa.bool_()),
        ("inference_code", pa.bool_()),
        ("training_code", pa.bool_()),
        ("inference_code_licence", _TEXT),
        ("training_code_licence", _TEXT),
        ("code_repos", _TEXTS),
        ("datasets", _TEXTS),
        ("datasets_open", pa.bool_()),
        ("data_information", pa.bool_()),
        ("base_model", _TEXTS),
        ("lineage_verified", pa.bool_()),
        ("open_washing", pa.bool_()),
        ("washing_reasons", _TEXTS),
        ("claims", _TEXTS),
        ("status", _TEXT),
        ("downloads", pa.int64()),
        ("likes", pa.int64()),
        ("origin", _TEXT),
        ("confidence", _TEXT),
        ("confidence_score", pa.float64()),
        ("computed_label", _TEXT),
        ("review_reason", _TEXT),
        ("reviewed_by", _TEXT),
        ("reviewed_at", _TEXT),
    ]
)
assert tuple(LATEST_LABELS.names) == EXPORT_KEYS, "latest_labels.parquet must carry exactly the export keys"

EVIDENCE = pa.schema(
    [
        ("version_id", pa.int64()),
        ("repo_id", _TEXT),
        ("sha", _TEXT),
        ("current", pa.bool_()),
        ("extractor_version", pa.int32()),
        ("inputs_digest", _TEXT),
        ("extracted_at", _TEXT),
        ("licence", _TEXT),
        ("licence_family", _TEXT),
        ("weights", pa.bool_()),
        ("inference_code", pa.bool_()),
        ("training_code", pa.bool_()),
        ("datasets_open", pa.bool_()),
        ("data_information", pa.bool_()),
        ("data_information_score", pa.int32()),
        ("inference_code_licence", _TEXT),
        ("training_code_licence", _TEXT),
        ("data", _TEXT),  # the full ModelEvidence as JSON text (DuckDB: json_extract(data, '$.licence.family'))
    ]
)

LABEL_HISTORY = pa.schema(
    [
        ("repo_id", _TEXT),
        ("run_id", pa.int64()),
        ("run_started_at", _TEXT),  # ISO-8601 UTC, as stored
        ("run_date", _TEXT),  # YYYY-MM-DD
        ("version_id", pa.int64()),
        ("sha", _TEXT),
        ("label", _TEXT),
        ("rule", _TEXT),
        ("open_washing", pa.bool_()),
        ("licence", _TEXT),
        ("licence_family", _TEXT),
        ("downloads", pa.int64()),
        ("likes", pa.int64()),
    ]
)

LINEAGE = pa.schema(
    [
        ("repo_id", _TEXT),
        ("label", _TEXT),
        ("licence", _TEXT),
        ("licence_family", _TEXT),
        ("relation", _TEXT),
        ("base_id", _TEXT),
        ("base_source", _TEXT),
        ("base_confidence", pa.float64()),
        ("base_resolved_id", _TEXT),
        ("base_status", _TEXT),
        ("base_in_db", pa.bool_()),
        ("base_origin", _TEXT),
        ("base_label", _TEXT),
        ("base_licence", _TEXT),
        ("base_licence_family", _TEXT),
        ("licence_looser", pa.bool_()),
    ]
)

assert LABEL_HISTORY_COLUMNS == tuple(LABEL_HISTORY.names), "label_history rows must come in the file's column order"

SCHEMAS: dict[str, pa.Schema] = {
    "latest_labels": LATEST_LABELS,
    "evidence": EVIDENCE,
    "label_history": LABEL_HISTORY,
    "lineage": LINEAGE,
}


@dataclass(frozen=True)
class WrittenFile:
    name: str
    path: Path
    rows: int
    seconds: float = 0.0  # how long it took to write


# --- values ------------------------------------------------------------------------------


def _rows_to_table(schema: pa.Schema, rows: list[Mapping[str, Any]] | list[tuple]) -> pa.Table:
    if rows and isinstance(rows[0], tuple):  # values in the schema's order, as the SQL sources give them
        columns = [list(column) for column in zip(*rows)]
    else:
        columns = [[row.get(f.name) for row in rows] for f in schema]
    return pa.Table.from_arrays([_column(f, values) for f, values in zip(schema, columns)], schema=schema)


def _tables(schema: pa.Schema, rows: Iterable[Mapping[str, Any]] | Iterable[tuple], batch_rows: int) -> Iterator[pa.Table]:
    return (_rows_to_table(schema, batch) for batch in _batched(rows, batch_rows))


def _batched(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet_tables(path: Path, schema: pa.Schema, tables: Iterable[pa.Table], batch_rows: int = BATCH_ROWS) -> int:
    """Write tables of the schema into one Parquet file in row groups of `batch_rows` rows, whatever
    sizes the tables come in; returns the row count. Written under a temporary name, then renamed."""
    schema = schema.with_metadata({b"hubscan.format_version": FORMAT_VERSION.encode()})
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            pending: list[pa.Table] = []
            held = 0
            for table in tables:
                if not table.num_rows:
                    continue
                pending.append(table)
                held += table.num_rows
                if held >= batch_rows:
                    whole = pa.concat_tables(pending).cast(schema)
                    full = held - held % batch_rows
                    writer.write_table(whole.slice(0, full), row_group_size=batch_rows)
                    count += full
                    pending = [whole.slice(full)] if held > full else []
                    held -= full
            if held:
                writer.write_table(pa.concat_tables(pending).cast(schema), row_group_size=batch_rows)
                count += held
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


# --- sources -----------------------------------------------------------------------------


def _streamed(conn: Connection, statement, batch_rows: int) -> Iterator[tuple]:
    """Rows of a statement as plain tuples, without loading them all (a server-side cursor on PostgreSQL)."""
    result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(statement)
    for partition in batches_of(conn, result):
        yield from map(tuple, partition)


def evidence_rows(conn: Connection, batch_rows: int = BATCH_ROWS, include_private: bool = False) -> Iterator[tuple]:
    yield from _streamed(conn, _evidence_statement(include_private), batch_rows)


def _evidence(conn: Connection, batch_rows: int, include_private: bool, adbc=None) -> Iterator[pa.Table]:
    # On PostgreSQL the wide rows (each with its evidence document) go into Arrow without a Python
    # object per value (the ADBC driver, else COPY's CSV: store/postgres_adbc.py, store/postgres_arrow.py),
    # read on a thread while the file is written.
    if adbc is not None:
        return prefetched(_adbc_tables(adbc, _literal_sql(conn, _evidence_statement(include_private)), EVIDENCE))
    if postgres_arrow.available(conn):
        return prefetched(postgres_arrow.query_tables(conn, _evidence_statement(include_private), EVIDENCE))
    return _tables(EVIDENCE, evidence_rows(conn, batch_rows, include_private), batch_rows)


def _evidence_statement(include_private: bool):
    e, v, m = s.evidence, s.model_versions, s.models
    statement = (
        select(
            e.c.version_id, v.c.repo_id, v.c.sha, (m.c.current_version_id == v.c.id).label("current"),
            e.c.extractor_version, e.c.inputs_digest, e.c.extracted_at, e.c.licence, e.c.licence_family,
            e.c.weights, e.c.inference_code, e.c.training_code, e.c.datasets_open, e.c.data_information,
            e.c.data_information_score, e.c.inference_code_licence, e.c.training_code_licence,
            cast(e.c.data, Text).label("data"),  # the JSON text as stored: no parsing and writing it again
        )
        .join(v, v.c.id == e.c.version_id)
        .join(m, m.c.repo_id == v.c.repo_id)
        .order_by(e.c.version_id)
    )
    assert tuple(c.name for c in statement.selected_columns) == tuple(EVIDENCE.names)
    if not include_private:
        statement = statement.where(m.c.private == false())
    return statement


def _view_rows(conn: Connection, view: str, schema: pa.Schema, order_by: str, batch_rows: int) -> Iterator[tuple]:
    # Named columns, not `*`: a later view may grow, the file's schema stays.
    columns = ", ".join(schema.names)
    yield from _streamed(conn, text(f"SELECT {columns} FROM {view} ORDER BY {order_by}"), batch_rows)


def _adbc_tables(adbc, sql: str, schema: pa.Schema) -> Iterator[pa.Table]:
    """The rows of `sql` (the schema's columns, in order) read by the ADBC driver, in the schema's types."""
    for batch in adbc.batches(sql):
        yield pa.Table.from_batches([batch]).cast(schema)


def _literal_sql(conn: Connection, statement) -> str:
    # The statements have no parameters but the literal `false` of the private filter.
    return str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def _lineage(conn: Connection, batch_rows: int, include_private: bool, adbc=None) -> Iterator[pa.Table]:
    if adbc is not None:
        view = view_name("lineage", include_private)
        return prefetched(_adbc_tables(adbc, f"SELECT {', '.join(LINEAGE.names)} FROM {view} ORDER BY repo_id, base_id", LINEAGE))
    return _tables(LINEAGE, lineage_rows(conn, batch_rows, include_private), batch_rows)


def lineage_rows(conn: Connection, batch_rows: int = BATCH_ROWS, include_private: bool = False) -> Iterator[tuple]:
    return _view_rows(conn, view_name("lineage", include_private), LINEAGE, "repo_id, base_id", batch_rows)


def _sqlite_file(conn: Connection) -> str | None:
    """The SQLite file behind the connection when ADBC can read it as Arrow (store/sqlite_arrow.py)."""
    if conn.dialect.name != "sqlite" or not sqlite_arrow.available():
        return None
    path = sqlite_path(conn.engine.url.render_as_string(hide_password=True))
    return path if path and path != ":memory:" else None


def _label_history(conn: Connection, batch_rows: int, include_private: bool, adbc=None, sqlite_cursor=None) -> Iterator[pa.Table]:
    if adbc is not None:
        return parquet_history_arrow.label_history_tables_arrow(conn, None, LABEL_HISTORY, batch_rows, include_private, adbc=adbc)
    path = _sqlite_file(conn)
    if path and sqlite_cursor is not None:
        return parquet_history_arrow.label_history_tables_arrow(conn, path, LABEL_HISTORY, batch_rows, include_private,
                                                                sqlite_cursor=sqlite_cursor)
    if postgres_arrow.available(conn):
        return parquet_history_arrow.label_history_tables_arrow(conn, None, LABEL_HISTORY, batch_rows, include_private)
    return label_history_tables(conn, LABEL_HISTORY, batch_rows, include_private)


def write_parquet(engine: Engine, out_dir: Path, batch_rows: int = BATCH_ROWS, include_private: bool = False) -> list[WrittenFile]:
    """Write the four Parquet files into `out_dir` (created if needed); returns them with their row counts.

    Private repositories are left out unless `include_private` (see store/views.py). The four files
    show one state of the database whatever a crawl commits meanwhile: on PostgreSQL they are read in
    one REPEATABLE READ transaction, whose snapshot the ADBC driver's connection, when installed,
    imports (store/postgres_adbc.py); on SQLite in one read transaction, which the ADBC SQLite
    driver's connection is checked to share (store/sqlite_snapshot.py)."""
    # The collector paused (store/collector.py): the export allocates a dozen containers per model
    # that live until their batch is written, and the collector's passes over them were about 40%
    # of latest_labels.parquet's CPU time at 200,000 models (docs/benchmarks.md, 2026-12-07).
    with collector_paused():
        return _write_parquet(engine, Path(out_dir), batch_rows, include_private)


def _write_parquet(engine: Engine, out_dir: Path, batch_rows: int, include_private: bool) -> list[WrittenFile]:
    out_dir.mkdir(parents=True, exist_ok=True)
    sources: dict[str, Callable[..., Iterable[pa.Table]]] = {
        "latest_labels": lambda conn, adbc: _tables(LATEST_LABELS, latest_rows(conn, include_private, batch_rows), batch_rows),
        "evidence": lambda conn, adbc: _evidence(conn, batch_rows, include_private, adbc),
        "label_history": lambda conn, adbc: _label_history(conn, batch_rows, include_private, adbc, sqlite_cursor),
        "lineage": lambda conn, adbc: _lineage(conn, batch_rows, include_private, adbc),
    }
    written = []

    def write(name: str, conn: Connection, adbc) -> None:
        path = out_dir / f"{name}.parquet"
        started = time.perf_counter()
        rows = write_parquet_tables(path, SCHEMAS[name], sources[name](conn, adbc), batch_rows)
        written.append(WrittenFile(name, path, rows, time.perf_counter() - started))

    sqlite_cursor = None  # the ADBC SQLite driver's cursor on the export's state (label_history's observations)
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn, sqlite_snapshot.one_snapshot(conn, _sqlite_file(conn)) as sqlite_cursor:
            for name in FILES:
                write(name, conn, None)
        return written
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin(), _snapshot_reader(conn) as adbc:
            for name in FILES:
                write(name, conn, adbc)
    return written


@contextmanager
def _snapshot_reader(conn: Connection) -> Iterator[Any]:
    """The ADBC reader of `conn`'s snapshot, or None (not psycopg, driver not installed, or it could not
    connect: the files are then read through psycopg, in the same transaction)."""
    if not postgres_adbc.available(conn):
        yield None
        return
    with ExitStack() as stack:
        try:
            reader = stack.enter_context(postgres_adbc.snapshot_reader(conn))
        except postgres_adbc.AdbcUnavailable as why:
            logging.getLogger(__name__).warning("%s; reading through psycopg", why)
            reader = None
        yield reader
