"""One crawl at a time: a lock row with a heartbeat, taken atomically, taken over when stale.

A lock is stale when its heartbeat is older than `stale_after` seconds, or when its holder ran on
this host and that process is gone (a crawl killed by SIGKILL or a power loss leaves its row behind).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import schema as s

CRAWL = "crawl"
DEFAULT_STALE_SECONDS = 15 * 60


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class LockInfo:
    holder: str
    run_id: int | None
    acquired_at: str
    heartbeat_at: str


class LockHeld(RuntimeError):
    def __init__(self, info: LockInfo):
        self.info = info
        super().__init__(
            f"another crawl is running (holder {info.holder}, run {info.run_id}, since {info.acquired_at}, "
            f"last heartbeat {info.heartbeat_at})"
        )


def _holder_is_dead(holder: str) -> bool:
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: only the heartbeat can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return int(pid) != os.getpid() and _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def acquire(engine: Engine, name: str = CRAWL, stale_after: float = DEFAULT_STALE_SECONDS) -> LockInfo | None:
    """Take the lock. Returns the stale lock taken over (None if it was free); raises LockHeld."""
    me, now = holder_id(), _now().isoformat(timespec="seconds")
    try:
        with engine.begin() as conn:
            conn.execute(insert(s.locks).values(name=name, holder=me, acquired_at=now, heartbeat_at=now))
        return None
    except IntegrityError:
        pass
    with engine.connect() as conn:
        row = conn.execute(select(s.locks).where(s.locks.c.name == name)).first()
    if row is None:  # released meanwhile
        return acquire(engine, name, stale_after)
    info = LockInfo(row.holder, row.run_id, row.acquired_at, row.heartbeat_at)
    stale = datetime.fromisoformat(row.heartbeat_at) < _now() - timedelta(seconds=stale_after)
    if not (stale or _holder_is_dead(row.holder)):
        raise LockHeld(info)
    with engine.begin() as conn:
        # compare-and-set on the old holder and heartbeat: of two takers, exactly one wins
        taken = conn.execute(
            update(s.locks)
            .where(and_(s.locks.c.name == name, s.locks.c.holder == row.holder, s.locks.c.heartbeat_at == row.heartbeat_at))
            .values(holder=me, acquired_at=now, heartbeat_at=now, run_id=None)
        ).rowcount
    if taken != 1:
        raise LockHeld(info)
    return info


def heartbeat(engine: Engine, run_id: int | None = None, name: str = CRAWL) -> None:
    values = {"heartbeat_at": _now().isoformat(timespec="seconds")}
    if run_id is not None:
        values["run_id"] = run_id
    with engine.begin() as conn:
        conn.execute(update(s.locks).where(and_(s.locks.c.name == name, s.locks.c.holder == holder_id())).values(**values))


def release(engine: Engine, name: str = CRAWL) -> None:
    with engine.begin() as conn:
        conn.execute(delete(s.locks).where(and_(s.locks.c.name == name, s.locks.c.holder == holder_id())))


def attach_run(conn: Connection, name: str, run_id: int) -> None:
    """Name the run this lock's holder is working on, in the caller's transaction (the run's start)."""
    conn.execute(update(s.locks).where(and_(s.locks.c.name == name, s.locks.c.holder == holder_id())).values(run_id=run_id))


class Heartbeat:
    """Refresh the lock's heartbeat from a background thread while a crawl holds it.

    The listing alone used to refresh it, page by page; downloads of a big page, the dataset pass or
    an hour of extraction would then look like a dead holder. With a beat every `interval` seconds
    the lock stays fresh as long as the process lives, and goes stale soon after it dies.
    """

    def __init__(self, engine: Engine, name: str = CRAWL, interval: float = 60.0) -> None:
        self.engine, self.name, self.interval = engine, name, interval
        self.run_id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="hubscan-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, self.interval))

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                heartbeat(self.engine, self.run_id, self.name)
            except Exception as exc:  # noqa: BLE001 - a busy database must not kill the crawl; the next beat retries
                logging.getLogger(__name__).debug("heartbeat failed: %s", type(exc).__name__)


def live_runs(engine: Engine, stale_after: float = DEFAULT_STALE_SECONDS) -> set[int]:
    """Runs whose crawl is alive: a lock names them, its heartbeat is fresh and its holder (when on
    this host) still exists. A `running` run not in here was killed or lost its machine."""
    with engine.connect() as conn:
        rows = conn.execute(select(s.locks)).all()
    live = set()
    for row in rows:
        if row.run_id is None:
            continue
        try:
            fresh = datetime.fromisoformat(row.heartbeat_at) >= _now() - timedelta(seconds=stale_after)
        except ValueError:
            fresh = False
        if fresh and not _holder_is_dead(row.holder):
            live.add(row.run_id)
    return live
