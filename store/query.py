"""Read-only SQL for researchers: `hubscan query` and `store.open_db(...)` in notebooks.

Two independent locks, so one mistake never writes:
1. a statement check that accepts a single SELECT / WITH / VALUES / EXPLAIN, or a PRAGMA that only
   reads, and refuses any statement naming a write keyword (DELETE, UPDATE, DROP, ATTACH, ...);
2. a read-only connection: SQLite opened with `mode=ro` and `PRAGMA query_only`, PostgreSQL in a
   READ ONLY transaction that is always rolled back.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping

from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.exc import DBAPIError

from .db import DatabaseMissing, create_db_engine, normalise_url

MAX_SQL_CHARS = 100_000

ALLOWED_FIRST_WORDS = frozenset({"select", "with", "values", "explain", "pragma"})

# Words that only appear in statements that write, change the schema or reach outside the database.
WRITE_WORDS = frozenset(
    {
        # REPLACE INTO and ANALYZE are refused as first words; replace() is a harmless function.
        "insert", "update", "delete", "upsert", "merge", "truncate",
        "drop", "create", "alter", "rename", "reindex", "vacuum",
        "attach", "detach", "grant", "revoke", "copy", "into", "load_extension", "lo_import", "lo_export",
        "begin", "commit", "rollback", "savepoint", "release", "lock", "set", "reset", "call", "do",
        "notify", "listen", "refresh", "cluster", "comment", "security", "prepare", "execute", "deallocate",
    }
)

# PRAGMAs that only report; `PRAGMA x = v` and any other PRAGMA can change the database or connection.
READ_PRAGMAS = frozenset(
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
        "foreign_key_list", "foreign_key_check", "database_list", "collation_list", "function_list",
        "pragma_list", "module_list", "compile_options", "page_count", "page_size", "freelist_count",
        "encoding", "user_version", "schema_version", "application_id", "integrity_check", "quick_check",
    }
)
# Of those, the ones whose parenthesised argument names a table or index rather than a new value.
PRAGMAS_WITH_ARGUMENT = frozenset(
    {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
     "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"}
)

_STRIP = re.compile(
    r"""
      --[^\n]*                      # line comment
    | /\*.*?(?:\*/|\Z)              # block comment (an unclosed one runs to the end)
    | '(?:[^']|'')*(?:'|\Z)         # string literal
    | "(?:[^"]|"")*(?:"|\Z)         # quoted identifier
    | `(?:[^`]|``)*(?:`|\Z)         # MySQL/SQLite quoted identifier
    | \[[^\]]*(?:\]|\Z)             # SQLite [identifier]
    | \$(?P<tag>[A-Za-z_]*)\$.*?(?:\$(?P=tag)\$|\Z)   # PostgreSQL dollar-quoted string
    """,
    re.DOTALL | re.VERBOSE,
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


class QueryRefused(ValueError):
    """The statement is not a read: refused before it reached the database."""


class QueryTimeout(RuntimeError):
    """The statement ran longer than its timeout (or returned more rows than allowed) and was stopped."""


DEFAULT_TIMEOUT = 30.0  # seconds: `hubscan query --timeout`
CLI_MAX_ROWS = 1_000_000  # a statement that returns more (a runaway recursive CTE) is stopped
_PROGRESS_OPS = 10_000  # SQLite virtual-machine steps between two looks at the clock


def check_read_only(sql: str) -> str:
    """Return the statement (without a trailing `;`) if it only reads; raise QueryRefused otherwise."""
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"statement longer than {MAX_SQL_CHARS:,} characters")
    # Literals, quoted names and comments cannot hide a keyword or a second statement: blank them out.
    bare = _STRIP.sub(" ", sql)
    statements = [part for part in bare.split(";") if part.strip()]
    if not statements:
        raise QueryRefused("empty statement")
    if len(statements) > 1:
        raise QueryRefused("one statement at a time")
    words = [w.lower() for w in _WORD.findall(statements[0])]
    if not words or words[0] not in ALLOWED_FIRST_WORDS:
        first = words[0].upper() if words else statements[0].strip()[:20]
        raise QueryRefused(f"only SELECT, WITH, VALUES, EXPLAIN and read-only PRAGMA statements are allowed, not {first}")
    writes = sorted({w.upper() for w in words if w in WRITE_WORDS})
    if writes:
        raise QueryRefused(f"read-only: the statement uses {', '.join(writes)}")
    if words[0] == "pragma":
        _check_pragma(statements[0], words)
    return sql.strip().rstrip(";").strip() if sql.strip().endswith(";") else sql.strip()


def _check_pragma(statement: str, words: list[str]) -> None:
    if "=" in statement:
        raise QueryRefused("read-only: PRAGMA assignments are refused")
    # PRAGMA [schema.]name[(argument)]
    name = words[2] if len(words) > 2 and re.search(r"pragma\s+\w+\s*\.", statement, re.I) else (words[1] if len(words) > 1 else "")
    if name not in READ_PRAGMAS:
        raise QueryRefused(f"read-only: PRAGMA {name or '?'} is not one of the reporting PRAGMAs")
    if "(" in statement and name not in PRAGMAS_WITH_ARGUMENT:
        raise QueryRefused(f"read-only: PRAGMA {name}(...) would set a value")


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def read_only_engine(url_or_path: str | Path | None = None) -> Engine:
    """An engine that cannot write: SQLite `mode=ro` + `query_only`, PostgreSQL read-only transactions.

    On PostgreSQL every transaction of the engine starts READ ONLY (`default_transaction_read_only`,
    set at connect in store.db), and `read_only_connection` marks its own transaction read-only too.
    """
    url = normalise_url(str(url_or_path) if url_or_path is not None else None)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path or path == ":memory:" or not Path(path).is_file():
            raise DatabaseMissing(f"no database at {path or url}")
    engine = create_db_engine(url, read_only=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _query_only(dbapi_conn, _record):  # noqa: ANN001
            dbapi_conn.execute("PRAGMA query_only = ON")

    return engine


@contextmanager
def read_only_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transaction is read-only where the database supports it, always rolled back."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(postgresql_readonly=True)
        try:
            yield conn
        finally:
            conn.rollback()


def run_query(
    engine: Engine, sql: str, params: Mapping[str, Any] | None = None, timeout: float | None = None, max_rows: int | None = None
) -> QueryResult:
    """Check the statement, then run it on a read-only connection. `params` bind `:name` placeholders.

    `timeout` (seconds) stops a statement that runs too long, fetching included: SQLite through a
    progress handler, PostgreSQL through `statement_timeout`. `max_rows` stops one that returns
    more rows than that (a recursive CTE without an end). Both raise QueryTimeout.
    """
    statement = check_read_only(sql)
    with read_only_connection(engine) as conn, _time_limit(conn, timeout):
        try:
            if params:
                result = conn.execute(text(statement), dict(params))
            else:
                # Sent as written: no `:name` parsing, so `'10:30'` and `LIKE '%x%'` mean what they say.
                result = conn.execution_options(no_parameters=True).exec_driver_sql(statement)
            if not result.returns_rows:
                return QueryResult((), ())
            columns = tuple(result.keys())
            rows: list[tuple[Any, ...]] = []
            while chunk := result.fetchmany(10_000):
                rows.extend(tuple(portable_value(v) for v in row) for row in chunk)
                if max_rows is not None and len(rows) > max_rows:
                    raise QueryTimeout(f"query stopped: it returns more than {max_rows:,} rows (add a LIMIT)")
        except DBAPIError as exc:
            if timeout and _was_cancelled(exc):
                raise QueryTimeout(f"query stopped after {timeout:g} s (--timeout); narrow it, or allow more time") from exc
            raise
    return QueryResult(columns, tuple(rows))


@contextmanager
def _time_limit(conn: Connection, timeout: float | None) -> Iterator[None]:
    if not timeout:
        yield
        return
    if conn.dialect.name == "postgresql":
        # SET LOCAL: only this (read-only, always rolled back) transaction
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
        yield
        return
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    deadline = time.monotonic() + timeout
    raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, _PROGRESS_OPS)
    try:
        yield
    finally:
        raw.set_progress_handler(None, _PROGRESS_OPS)  # pooled connections outlive this query


def _was_cancelled(exc: DBAPIError) -> bool:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "57014":  # PostgreSQL query_canceled
        return True
    return "interrupted" in str(orig).lower()


def portable_value(value: Any) -> Any:
    """A cell as SQLite gives it, whatever the backend, so a query prints the same on PostgreSQL.

    psycopg parses `json` columns into lists and dicts (SQLite returns the stored JSON text, which
    `json.dumps` reproduces), and returns NUMERIC results such as SUM(bigint) or AVG(...) as Decimal.
    """
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else float(value)
    return value


def relation_names(engine: Engine) -> set[str]:
    insp = inspect(engine)
    return set(insp.get_table_names()) | set(insp.get_view_names())


# --- output -----------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    return value


def format_table(result: QueryResult, max_width: int = 60) -> str:
    """Aligned columns for a terminal; long cells are cut with an ellipsis."""
    if not result.columns:
        return "(no result)"

    def show(value: Any) -> str:
        value = _cell(value)
        s = "NULL" if value is None else str(value)
        s = s.replace("\r", " ").replace("\n", " ").replace("\t", " ")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[show(v) for v in row] for row in result.rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
    numeric = [all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool) for row in result.rows if row[i] is not None) and any(row[i] is not None for row in result.rows) for i in range(len(result.columns))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(list(result.columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(out)


def format_csv(result: QueryResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue()


def format_json(result: QueryResult) -> str:
    records = [{k: _cell(v) for k, v in zip(result.columns, row)} for row in result.rows]
    return json.dumps(records, ensure_ascii=False, indent=1, default=str)


FORMATTERS = {"table": format_table, "csv": format_csv, "json": format_json}


# --- notebooks --------------------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Database:
    """A read-only handle for notebooks: `open_db("hubscan.db").frame("latest_labels")`."""

    def __init__(self, url_or_path: str | Path | None = None) -> None:
        self.engine = read_only_engine(url_or_path)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read-only statement, as dicts."""
        return run_query(self.engine, sql, params).records()

    def frame(self, view_or_sql: str, params: Mapping[str, Any] | None = None):
        """A pandas DataFrame of a view or table (by name), or of a read-only SQL statement."""
        import pandas as pd

        sql = view_or_sql.strip()
        if _NAME.match(sql):
            if sql not in relation_names(self.engine):
                raise KeyError(f"no table or view named {sql!r} (try one of: {', '.join(sorted(relation_names(self.engine)))})")
            sql = f'SELECT * FROM "{sql}"'
        result = run_query(self.engine, sql, params)
        return pd.DataFrame(list(result.rows), columns=list(result.columns))

    def names(self) -> list[str]:
        """Tables and views, sorted."""
        return sorted(relation_names(self.engine))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
