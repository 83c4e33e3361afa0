"""Database backends for end-to-end tests: SQLite (a file) and a real PostgreSQL server, never a mock.

`db_url` is parametrised over BACKENDS and gives each test a fresh, empty database URL:
- `sqlite`: a file in the test's tmp_path;
- `postgresql`: a new database, dropped afterwards, on the server of the session fixture
  `postgres_server`. That server is the one HUBSCAN_TEST_POSTGRES_URL names (CI starts one with
  `.ci/postgres.sh`; the URL's user must be allowed to CREATE DATABASE), or else a throwaway cluster
  this session initialises itself with Debian's PostgreSQL binaries (/usr/lib/postgresql/*/bin:
  initdb + pg_ctl on a temporary directory and a free loopback port, run as the `postgres` user when
  the tests run as root, since initdb refuses root), stopped when the session ends.
When neither works, the PostgreSQL cases are skipped with the reason, except in CI (the `CI`
variable set), where they fail: CI must run them.

Modules with higher-scoped fixtures can use `fresh_database(backend, tmp_dir, request)` directly.

    from backends import BACKENDS, db_url, fresh_database, postgres_server  # noqa: F401
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

BACKENDS = ("sqlite", "postgresql")
ENV_URL = "HUBSCAN_TEST_POSTGRES_URL"
PG_ROOT = Path("/usr/lib/postgresql")


def unavailable(reason: str) -> None:
    """Skip outside CI; fail in CI, which must run the PostgreSQL tests."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _version(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", bin_dir.parent.name)) or (0,)


def find_pg_bin() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl."""
    found = [p.parent for p in PG_ROOT.glob("*/bin/initdb") if (p.parent / "pg_ctl").exists()]
    return max(found, key=_version) if found else None


@dataclass
class LocalCluster:
    """A scratch PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only."""

    bin_dir: Path
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hubscan-pg-")))
    port: int = 0
    user: str = ""
    _run_as: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise RuntimeError("running as root and there is no `postgres` user to run initdb as") from exc
            os.chown(self.directory, account.pw_uid, account.pw_gid)
            self._run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
            self.user = "postgres"
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name
        os.chmod(self.directory, 0o700)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", "HOME": str(self.directory)}
        with open(self.directory / "commands.log", "ab") as log:
            return subprocess.run(
                [str(a) for a in args], cwd=self.directory, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False, **self._run_as,
            )

    def _log_tail(self) -> str:
        text = ""
        for name in ("commands.log", "server.log"):
            path = self.directory / name
            if path.exists():
                text += path.read_text(errors="replace")[-1500:]
        return text

    def start(self) -> str:
        done = self._run(self.bin_dir / "initdb", "-D", self.data, "-U", self.user, "-A", "trust", "-E", "UTF8", "--no-locale")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {self._log_tail()}")
        for _ in range(5):  # a free port can be taken before the server binds it
            self.port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off -c full_page_writes=off"
            started = self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-l", self.directory / "server.log", "-w", "-t", "60", "-o", options, "start")
            if started.returncode == 0:
                return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"
        raise RuntimeError(f"pg_ctl start failed: {self._log_tail()}")

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", timeout=60)
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class PostgresServer:
    """A server the tests may create databases on, through `admin_url`."""

    admin_url: str
    cluster: LocalCluster | None = None  # set when this session started it
    _engine: Any = None
    created: set[str] = field(default_factory=set)  # the only databases drop_database may drop

    @property
    def engine(self):
        if self._engine is None:
            from sqlalchemy import create_engine

            self._engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        return self._engine

    def url_for(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create_database(self) -> tuple[str, str]:
        name = f"hubscan_t_{uuid.uuid4().hex[:12]}"
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        self.created.add(name)
        return name, self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database this object created; anything else (the server's own, a shared one) is refused."""
        if name not in self.created:
            raise ValueError(f"refused: these tests did not create the database {name!r}")
        self.created.discard(name)
        # WITH (FORCE): engines the code under test left open are disconnected (PostgreSQL >= 13).
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None


# One server per session, however many test modules import the fixture (each import registers
# its own fixture definition; they share this).
_server: PostgresServer | None = None
_server_error: str | None = None


def _connect_check(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()


def _open_server() -> PostgresServer:
    global _server, _server_error
    if _server is not None:
        return _server
    if _server_error is not None:
        unavailable(_server_error)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _server_error = "the psycopg driver is not installed (pip install 'hubscan[postgres]')"
        unavailable(_server_error)
    given = os.environ.get(ENV_URL)
    if given:
        from store.db import normalise_url

        url = normalise_url(given)
        try:
            _connect_check(url)
        except Exception as exc:  # noqa: BLE001 - reported as the reason
            _server_error = f"cannot connect to {ENV_URL}: {str(exc).splitlines()[0]}"
            unavailable(_server_error)
        _server = PostgresServer(url)
        return _server
    bin_dir = find_pg_bin()
    if bin_dir is None:
        _server_error = f"{ENV_URL} is not set and no PostgreSQL binaries in {PG_ROOT}/*/bin (apt-get install postgresql)"
        unavailable(_server_error)
    cluster = None
    try:
        cluster = LocalCluster(bin_dir)
        url = cluster.start()
        _connect_check(url)
    except Exception as exc:  # noqa: BLE001 - reported as the reason
        if cluster is not None:
            cluster.stop()
        _server_error = f"{ENV_URL} is not set and a local server could not be started: {str(exc)[:1500]}"
        unavailable(_server_error)
    _server = PostgresServer(url, cluster)
    atexit.register(cluster.stop)  # also when the session dies before its teardown (stop is idempotent)
    return _server


def _close_server() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server of this session (see the module docstring)."""
    yield _open_server()
    _close_server()


@contextmanager
def fresh_database(backend: str, tmp_dir: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database's URL on `backend`, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{Path(tmp_dir) / 'hubscan.db'}"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name, url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL, once per backend."""
    with fresh_database(request.param, tmp_path, request) as url:
        yield url


def sql_rows(url: str, statement: str, **params: Any) -> list[tuple]:
    """Rows of one statement (`:name` parameters), on a short-lived engine: a backend-neutral sqlite3.connect."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(statement), params)]
    finally:
        engine.dispose()


# --- proof that the fixtures touch only what they created ----------------------------------

SENTINEL_PREFIX = "hubscan_fixture_sentinel_"


@contextmanager
def sentinel_in(admin_url: str) -> Iterator[str]:
    """A table in the database `admin_url` names, there for the duration: whatever the tests do to
    their own databases, it must still exist at the end (checked by the caller). Removed afterwards."""
    from sqlalchemy import create_engine

    table = f"{SENTINEL_PREFIX}{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE TABLE "{table}" (note text)')
            conn.exec_driver_sql(f"INSERT INTO \"{table}\" VALUES ('left by the hubscan tests; must survive them')")
        yield table
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')
        engine.dispose()


def sentinel_survives(admin_url: str, table: str) -> bool:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table(table) and conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{table}"').scalar_one() == 1
    finally:
        engine.dispose()
