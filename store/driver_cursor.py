"""Plain SQL on the driver's own cursor: for the few queries whose rows are too many to wrap one by
one in SQLAlchemy `Row`s (the Parquet history export, the week's changes) or that say what Core
cannot (SQLite's `INDEXED BY`)."""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Connection


class DriverCursor:
    """Plain SQL on the driver's cursor of a SQLAlchemy connection, whatever its parameter style."""

    def __init__(self, conn: Connection) -> None:
        self._cursor = conn.connection.cursor()
        self._mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        self.sqlite = conn.dialect.name == "sqlite"
        self._indexes: dict[str, bool] = {}

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self._cursor.execute(sql.replace("?", self._mark), tuple(params))
        return self._cursor.fetchall()

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each of many parameter rows (bulk writes of plain tuples)."""
        self._cursor.executemany(sql.replace("?", self._mark), [tuple(r) for r in rows])

    def marks(self, n: int) -> str:
        return ", ".join(["?"] * n)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list]:
        """`column IN (?, ?, ...)` with its parameters; on PostgreSQL `column = ANY(?)` with the values as
        one array. psycopg reads a statement's placeholders in Python and keeps only short statements
        parsed: a list of 900 marks cost about 9 ms a statement there, more than the query."""
        if self.sqlite:
            return f"{column} IN ({self.marks(len(values))})", list(values)
        return f"{column} = ANY(?)", [list(values)]

    def indexed_by(self, index: str) -> str:
        """" INDEXED BY <index>" on SQLite when the index exists, else "" (asked once per cursor).

        SQLite reads a row by its rowid rather than from a covering index unless told; PostgreSQL's
        planner picks its own. Naming an index that is not there is an error, not a slower plan: a
        database whose indexes were dropped (or never restored) still answers, only slower."""
        if not self.sqlite:
            return ""
        known = self._indexes.get(index)
        if known is None:
            known = self._indexes[index] = bool(self.rows("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", [index]))
        return f" INDEXED BY {index}" if known else ""
