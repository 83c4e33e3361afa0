"""Opening a hubscan database: engine, SQLite pragmas or PostgreSQL options, migrations."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text

from .views import sync_views, views_digest

DEFAULT_DB_FILE = "hubscan.db"
MIGRATIONS = Path(__file__).with_name("migrations")


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
    if url.startswith("sqlite") and read_only:
        # A URI file opened with mode=ro: SQLite itself refuses every write.
        path = url.split(":///", 1)[1]
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
            if read_only and url.startswith("postgresql"):
                # Every transaction on this engine is READ ONLY, as SQLite's mode=ro is for a file.
                kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
        engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine, read_only=read_only)
    return engine


def _sqlite_pragmas(engine: Engine, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        cur = dbapi_conn.cursor()
        if not read_only:
            # WAL: readers never block the nightly writer and vice versa.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


# pg_advisory_xact_lock key that serialises migrations on a shared PostgreSQL database.
MIGRATION_LOCK_KEY = 0x68756273  # "hubs"


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration and the views to their current SQL (no-op when both are there)."""
    cfg = _alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if engine.dialect.name == "postgresql":
        # Several processes may open a fresh shared database at once (a crawl split over machines):
        # one migrates inside the lock, the others wait and then find the schema at head.
        # PostgreSQL's DDL is transactional, so a failed migration leaves nothing half-done.
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            if MigrationContext.configure(conn).get_current_revision() != head:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
            sync_views(conn)
        return
    with engine.connect() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head and conn.execute(
            text("SELECT digest FROM schema_views WHERE name = '*'")
        ).scalar() == views_digest():
            return
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        sync_views(conn)


def open_engine(url: str | None = None) -> Engine:
    """An engine on a migrated database, created if needed."""
    url = normalise_url(url)
    if url.startswith("sqlite:///"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(url)
    migrate(engine)
    return engine
