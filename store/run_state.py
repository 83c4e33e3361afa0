"""Where a run stands beyond its counters: interrupted, its listing restarted, its analysis state.

Each function writes in the caller's transaction.
"""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import Connection, select, update

from . import schema as s
from .crawl_writes import add_problem
from .records import LISTING


def mark_interrupted(conn: Connection, run_id: int) -> None:
    """A run whose crawl died without closing it (SIGKILL, power loss): its lock was taken over."""
    conn.execute(update(s.runs).where(s.runs.c.id == run_id, s.runs.c.status == "running").values(status="interrupted"))


def restart_listing(conn: Connection, run_id: int, why: str) -> None:
    """Forget a listing cursor the Hub rejected: the walk starts again at the first page.

    Every write is keyed, so pages seen before are stored once; the problem says why.
    """
    conn.execute(update(s.runs).where(s.runs.c.id == run_id).values(cursor=None, listing_done=False))
    add_problem(conn, run_id, "model", LISTING, None, "listing", "cursor-rejected", why)


def set_analysis(conn: Connection, run_ids: Sequence[int], state: str, error: str | None = None) -> None:
    """Record where a run's extraction and labelling stand: pending | done | failed | skipped."""
    if run_ids:
        conn.execute(update(s.runs).where(s.runs.c.id.in_(list(run_ids))).values(analysis=state, analysis_error=error))


def runs_awaiting_analysis(conn: Connection, before_run: int, shard: str | None) -> list[int]:
    """Earlier runs of this crawler (this shard) whose analysis was killed or failed, oldest first."""
    rows = conn.execute(
        select(s.runs.c.id, s.runs.c.params)
        .where(s.runs.c.id != before_run, s.runs.c.analysis.in_(("pending", "failed")), s.runs.c.status != "running")
        .order_by(s.runs.c.id)
    )
    return [row.id for row in rows if dict(row.params or {}).get("shard") == shard]
