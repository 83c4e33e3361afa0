"""Opening a hubscan database: engine, SQLite pragmas or PostgreSQL options, migrations."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from .views import sync_views, views_digest

DEFAULT_DB_FILE = "hubscan.db"
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseUnavailable(Exception):
    """The database cannot be used as asked: no such file, no driver, server unreachable, not a hubscan database."""


class DatabaseMissing(DatabaseUnavailable, FileNotFoundError):
    """A command that only reads (or adds to) a database was pointed at one that does not exist."""


DRIVER_EXTRAS = {"postgresql": "pip install -e '.[postgres]' in the hubscan repository (psycopg 3)"}


def default_url() -> str:
    """`HUBSCAN_DB` if set, else `hubscan.db` in the working directory."""
    return os.environ.get("HUBSCAN_DB") or f"sqlite:///{DEFAULT_DB_FILE}"


def normalise_url(url: str | None) -> str:
    """Accept a SQLAlchemy URL or a bare file path; a plain `postgresql://` (or libpq's `postgres://`) URL uses psycopg 3."""
    if not url:
        return default_url()
    if "://" not in url:
        return f"sqlite:///{url}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def create_db_engine(url: str | None = None, *, read_only: bool = False) -> Engine:
    url = normalise_url(url)
    try:
        return _create_db_engine(url, read_only=read_only)
    except (ModuleNotFoundError, NoSuchModuleError, ArgumentError) as exc:
        raise DatabaseUnavailable(_driver_problem(url, exc)) from exc


def _driver_problem(url: str, exc: Exception) -> str:
    scheme = url.split("://", 1)[0]
    dialect = scheme.split("+", 1)[0]
    if isinstance(exc, ModuleNotFoundError):
        hint = DRIVER_EXTRAS.get(dialect, "hubscan supports SQLite and PostgreSQL")
        return f"no driver for {scheme}:// databases ({exc.name} is not installed): {hint}"
    if isinstance(exc, NoSuchModuleError):
        return f"unsupported database {scheme}://: hubscan supports sqlite:///FILE and postgresql://..."
    return f"bad database URL: {str(exc).splitlines()[0]}"


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///` URL (None for other databases; ':memory:' or '' for an in-memory one)."""
    if not url.startswith("sqlite"):
        return None
    return url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ""


def _create_db_engine(url: str, *, read_only: bool) -> Engine:
    if url.startswith("sqlite") and read_only:
        # A URI file opened with mode=ro: SQLite itself refuses every write.
        path = sqlite_path(url) or ""
        engine = create_engine(
            "sqlite+pysqlite:///file:" + os.path.abspath(path) + "?mode=ro&uri=true",
        )
    else:
        kwargs: dict = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 60}
        else:
            # A shared server outlives our connections (restarts, idle timeouts): test before use.
            kwargs["pool_pre_ping"] = True
            if url.startswith("postgresql"):
                kwargs["connect_args"] = {"options": postgres_options(url, read_only=read_only)}
        engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine, read_only=read_only)
    return engine


def postgres_options(url: str, *, read_only: bool = False) -> str:
    """The server options hubscan's PostgreSQL sessions start with (libpq's `options`), after any the URL gives.

    `jit=off`: the reports', exports' and aggregates' queries are index lookups, correlated subqueries
    and hash joins; their estimated costs pass the JIT thresholds on a large database, so every run
    compiled them first (0.8 s of the 3.8 s the week's changes took at 200,000 models per run) and
    then ran no faster (docs/benchmarks.md, "PostgreSQL", 2026-12-07)."""
    from sqlalchemy.engine import make_url

    given = make_url(url).query.get("options")
    options = [given] if isinstance(given, str) and given else []
    options.append("-c jit=off")
    if read_only:
        # Every transaction on this engine is READ ONLY, as SQLite's mode=ro is for a file.
        options.append("-c default_transaction_read_only=on")
    return " ".join(options)


SQLITE_BUSY_MS = 60_000  # how long a SQLite statement waits for another connection's write to end
SQLITE_MMAP_BYTES = 8 << 30  # address space only: pages are read as touched
SQLITE_CACHE_KIB = 256 << 10  # page cache per connection, filled only as pages are read


def _sqlite_pragmas(engine: Engine, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        cur = dbapi_conn.cursor()
        if not read_only:
            # WAL: readers never block the nightly writer and vice versa.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        # Exports and reports seek all over a database of many GB (a version's evidence and label
        # events for each observation): read through a memory map, not one read() call per page.
        cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        # SQLite maps at most 2 GB (its compiled-in limit) and caches 2 MB of pages by default: past
        # that, every seek into a big index re-reads its inner pages. A bound, not an allocation.
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()


@contextmanager
def waiting_at_most(conn: Connection, seconds: float) -> Iterator[None]:
    """Inside the block, a statement of `conn` that must wait for another connection's lock gives up
    after `seconds` (an error) instead of SQLITE_BUSY_MS: for writes that are worth making only if
    they cost nothing to wait for, such as a report storing what it computed. On PostgreSQL the
    bound holds to the end of the transaction (`SET LOCAL`), which must be open."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'")
        yield
        return
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(seconds * 1000)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")  # the connection goes back to the pool


# The newest migration (store/migrations/versions/). A database already there is opened without
# importing Alembic (half a second of every command); tests/test_backends_e2e.py checks this is
# Alembic's head.
SCHEMA_HEAD = "0016"


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _upgrade(conn) -> None:
    from alembic import command

    cfg = _alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def current_revision(conn) -> str | None:
    """The database's migration (Alembic's `alembic_version` table), None before the first."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


# pg_advisory_xact_lock key that serialises migrations on a shared PostgreSQL database.
MIGRATION_LOCK_KEY = 0x68756273  # "hubs"


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration and the views to their current SQL (no-op when both are there)."""
    head = SCHEMA_HEAD
    if engine.dialect.name == "postgresql":
        # Several processes may open a fresh shared database at once (a crawl split over machines):
        # one migrates inside the lock, the others wait and then find the schema at head.
        # PostgreSQL's DDL is transactional, so a failed migration leaves nothing half-done.
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            if current_revision(conn) != head:
                _upgrade(conn)
            sync_views(conn)
        return
    with engine.connect() as conn:
        if current_revision(conn) == head and conn.execute(
            text("SELECT digest FROM schema_views WHERE name = '*'")
        ).scalar() == views_digest():
            return
    with engine.begin() as conn:
        _upgrade(conn)
        sync_views(conn)


def open_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """An engine on a migrated database. `create=False`: the database must already hold hubscan's tables.

    Only the crawl (and the demo) creates a database; every other command opens an existing one, so a
    mistyped --db names the missing file instead of answering from a new, empty database.
    """
    url = normalise_url(url)
    path = sqlite_path(url)
    if path not in (None, "", ":memory:"):
        where = Path(path)
        if where.is_dir():
            raise DatabaseUnavailable(f"{path} is a directory, not a database file")
        if not where.exists():
            if not create:
                raise DatabaseMissing(f"no database at {path}")
            if not where.parent.is_dir():
                raise DatabaseMissing(f"cannot create the database {path}: the directory {where.parent} does not exist")
    try:
        if not create:
            # Looked at read-only first: a file that is no hubscan database is left exactly as it was.
            checker = create_db_engine(url, read_only=True)
            try:
                if not _has_schema(checker):
                    raise DatabaseUnavailable(f"{describe(url)} is not a hubscan database (no hubscan tables; crawl into it first)")
            finally:
                checker.dispose()
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot open the database {describe(url)}: {first_line(exc)}") from exc
    engine = create_db_engine(url)
    try:
        migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise DatabaseUnavailable(f"cannot open the database {describe(url)}: {first_line(exc)}") from exc
    return engine


def _has_schema(engine: Engine) -> bool:
    with engine.connect() as conn:
        return inspect(conn).has_table("alembic_version")


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only (a traceback's worth of SQL is of no use to a user)."""
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return text_.splitlines()[0] if text_ else type(exc).__name__


def describe(url: str) -> str:
    """A database as a message names it: the file for SQLite, the URL without its password otherwise."""
    path = sqlite_path(url)
    if path is not None:
        return path or ":memory:"
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("://", 1)[0] + "://..."
