"""Writes that mean the same on SQLite and PostgreSQL: bounded text, insert-if-absent, upsert.

SQLite stores whatever it is given; PostgreSQL refuses a string longer than its VARCHAR(n) and any
text holding a NUL character. Card metadata is untrusted (a `base_model:` of 300 characters, a
YAML `"\\0"`), so values bound for text columns go through `fit` first and both backends store the
same thing. The full, unclipped values stay in the JSON columns.

`insert_ignore` and `upsert` are the one place that knows each dialect's conflict clause, so two
writers sharing a PostgreSQL database (a crawl split over machines, an `extract` run while the
nightly crawl analyses) never fail on a duplicate key.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import Connection, String, Table, Text, and_, insert, select, update

# Rows per statement: keeps every statement under SQLite's 32,766 and PostgreSQL's 65,535 bound
# parameters whatever the table's width.
ROWS_PER_STATEMENT = 500


def fit_value(column, value: Any) -> Any:
    """`value` as the column can hold it: text without NUL characters, clipped to VARCHAR(n)."""
    if not isinstance(column.type, (String, Text)):
        return value
    return _fit_text(value, getattr(column.type, "length", None))


def fit(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """A row (column name -> value) with every text value fitted to its column (see `fit_value`)."""
    text = _text_columns(table)
    return {name: value if name not in text else _fit_text(value, text[name]) for name, value in values.items()}


# table -> {text column: its VARCHAR length or None}, found once per table: `fit` runs for every row
# a crawl or labelling writes, and most of a row's values are not text
_TEXT_COLUMNS: dict[Table, dict[str, int | None]] = {}


def _text_columns(table: Table) -> dict[str, int | None]:
    found = _TEXT_COLUMNS.get(table)
    if found is None:
        found = _TEXT_COLUMNS[table] = {
            key: getattr(c.type, "length", None) for key, c in table.c.items() if isinstance(c.type, (String, Text))
        }
    return found


def _fit_text(value: Any, length: int | None) -> Any:
    """`fit_value` for a column known to be text of this length."""
    if not isinstance(value, str):
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    if length is not None and len(value) > length:
        value = value[:length]
    return value


def _chunks(rows: Sequence[Mapping[str, Any]], size: int = ROWS_PER_STATEMENT) -> Iterable[Sequence[Mapping[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _dialect_insert(conn: Connection, table: Table):
    """The dialect's INSERT construct with ON CONFLICT support, or None for other databases."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    if conn.dialect.name == "sqlite":  # ON CONFLICT: SQLite >= 3.24
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    return None


def _unique(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """One row per key, the last one winning: PostgreSQL refuses to update a row twice in one statement."""
    return list({tuple(r[k] for k in keys): dict(r) for r in rows}.values())


def _key_of(table: Table, keys: Sequence[str], row: Mapping[str, Any]):
    return and_(*(table.c[k] == row[k] for k in keys))


def insert_ignore(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None) -> None:
    """Insert the rows that are not there yet (by primary key, or `keys`); existing rows are left alone."""
    keys = list(keys or (c.name for c in table.primary_key.columns))
    rows = _unique([fit(table, r) for r in rows], keys)
    if not rows:
        return
    stmt = _dialect_insert(conn, table)
    for part in _chunks(rows):
        if stmt is not None:
            conn.execute(stmt.on_conflict_do_nothing(index_elements=keys), list(part))
            continue
        for row in part:  # other databases: look, then insert (not safe against a concurrent writer)
            if conn.execute(select(*(table.c[k] for k in keys)).where(_key_of(table, keys, row))).first() is None:
                conn.execute(insert(table).values(**row))


def upsert(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None) -> None:
    """Insert the rows, or update every other given column of the row with the same key."""
    keys = list(keys or (c.name for c in table.primary_key.columns))
    rows = _unique([fit(table, r) for r in rows], keys)
    if not rows:
        return
    columns = [name for name in rows[0] if name not in keys]
    stmt = _dialect_insert(conn, table)
    for part in _chunks(rows):
        if stmt is not None:
            if columns:
                conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns}), list(part))
            else:
                conn.execute(stmt.on_conflict_do_nothing(index_elements=keys), list(part))
            continue
        for row in part:
            where = _key_of(table, keys, row)
            if conn.execute(select(*(table.c[k] for k in keys)).where(where)).first() is None:
                conn.execute(insert(table).values(**row))
            elif columns:
                conn.execute(update(table).where(where).values(**{c: row[c] for c in columns}))
