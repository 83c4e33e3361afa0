"""Copy a benchmark history from a SQLite file into a fresh PostgreSQL database (bench_history.py --url).

The history is built once on SQLite (bench_history.py `build`, bulk inserts) and then copied, so both
backends are measured on the same rows. The PostgreSQL schema is hubscan's own: `store.db.open_engine`
runs the migrations and creates the views on the empty database, then every table is filled with COPY
(psycopg's `cursor.copy`, rows streamed from sqlite3), parents before children so the foreign keys are
checked as rows arrive. SQLite's 0/1 become booleans where PostgreSQL's column is boolean; JSON is
copied as the text SQLite holds. Afterwards the integer keys' sequences continue after the copied ids,
and `VACUUM (ANALYZE)` does what autovacuum does soon after such a load on a live server (PostgreSQL
13 and later vacuum insert-only tables too): the planner's statistics (without them the first plans
are guesses on tables it believes empty), the visibility map (index-only scans of a covering index
read no table page) and the rows' hint bits (else the first reader of each page writes it back).
Done here, it cannot run behind a measurement.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BATCH = 10_000  # rows fetched from sqlite3 at a time


def shown(url: str) -> str:
    """The URL as messages print it: never its password."""
    return make_url(url).render_as_string(hide_password=True)


def fresh_database(url: str, replace: bool = False) -> None:
    """Create the database `url` names on its server; an existing one is refused unless `replace`
    (then dropped first: only with an explicit flag, since it removes whatever it held)."""
    target = make_url(url)
    name = target.database
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refused: give a plain database name in the URL ({shown(url)})")
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if exists and not replace:
                raise SystemExit(f"refused: the database {name} exists (pass --replace to drop it and copy again)")
            if exists:
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    finally:
        admin.dispose()


def copy_history(db: Path, url: str, replace: bool = False, create: bool = True) -> dict:
    """Copy every hubscan table of the SQLite file `db` into a new database at `url` (`create=False`:
    an existing, empty one); returns rows and seconds per table."""
    from store.db import normalise_url, open_engine
    from store.schema import metadata

    url = normalise_url(url)
    if create:
        fresh_database(url, replace)
    else:
        _refuse_tables(url)
    open_engine(url).dispose()  # hubscan's own schema: migrations, views
    started = time.perf_counter()
    source = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    engine = create_engine(url)
    tables: dict = {}
    try:
        in_sqlite = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection  # the psycopg connection
            for table in metadata.sorted_tables:  # parents first: the foreign keys hold as rows arrive
                if table.name not in in_sqlite:
                    continue
                t0 = time.perf_counter()
                rows = _copy_table(source, raw, table.name)
                tables[table.name] = {"rows": rows, "s": round(time.perf_counter() - t0, 1)}
            with raw.cursor() as cur:
                _reset_sequences(cur)
            raw.commit()
            t0 = time.perf_counter()
            raw.autocommit = True
            with raw.cursor() as cur:
                cur.execute("VACUUM (ANALYZE)")
            raw.autocommit = False
            vacuum_analyse_s = round(time.perf_counter() - t0, 1)
    finally:
        source.close()
        engine.dispose()
    return {"copy_s": round(time.perf_counter() - started, 1), "vacuum_analyse_s": vacuum_analyse_s, "tables": tables}


def _refuse_tables(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()")).scalar():
                raise SystemExit(f"refused: the database {shown(url)} is not empty")
    finally:
        engine.dispose()


def _target_columns(cur, table: str) -> list[tuple[str, str]]:
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s"
        " ORDER BY ordinal_position",
        (table,),
    )
    return cur.fetchall()


def _copy_table(source: sqlite3.Connection, raw, table: str) -> int:
    present = {r[1] for r in source.execute(f'PRAGMA table_info("{table}")')}
    with raw.cursor() as cur:
        columns = [(name, kind) for name, kind in _target_columns(cur, table) if name in present]
        names = [name for name, _ in columns]
        booleans = [i for i, (_, kind) in enumerate(columns) if kind == "boolean"]
        quoted = ", ".join(f'"{n}"' for n in names)
        rows = source.execute(f'SELECT {quoted} FROM "{table}"')
        n = 0
        with cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
            while batch := rows.fetchmany(BATCH):
                if booleans:
                    batch = [_booleans(row, booleans) for row in batch]
                for row in batch:
                    copy.write_row(row)
                n += len(batch)
    return n


def _booleans(row: tuple, positions: list[int]) -> tuple:
    values = list(row)
    for i in positions:
        if values[i] is not None:
            values[i] = bool(values[i])
    return tuple(values)


def _reset_sequences(cur) -> None:
    """Each integer key's sequence continues after the largest copied id (COPY gave the ids explicitly)."""
    cur.execute(
        "SELECT c.table_name, c.column_name, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name)"
        " FROM information_schema.columns c WHERE c.table_schema = current_schema()"
        " AND pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) IS NOT NULL"
    )
    for table, column, sequence in cur.fetchall():
        cur.execute(f'SELECT setval(%s, COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)', (sequence,))
