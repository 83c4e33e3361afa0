"""Dating a crawl run: the demo replays past weeks, and each replayed crawl carries its week's date."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from . import schema as s


def date_run(engine: Engine, run_id: int, started_at: datetime) -> None:
    """Move a finished run to `started_at`, keeping its duration (reports group runs by their start)."""
    with engine.begin() as conn:
        row = conn.execute(select(s.runs.c.started_at, s.runs.c.finished_at).where(s.runs.c.id == run_id)).one()
        finished = None
        if row.finished_at:
            took = datetime.fromisoformat(row.finished_at) - datetime.fromisoformat(row.started_at)
            finished = (started_at + took).isoformat(timespec="seconds")
        conn.execute(
            update(s.runs).where(s.runs.c.id == run_id).values(started_at=started_at.isoformat(timespec="seconds"), finished_at=finished)
        )
