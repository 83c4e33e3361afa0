"""The weekly report's changes, stored for each finished run against the week before.

Listing what changed in a week reads, for every changed model, its organisation and both sides'
label (as of each run) and licence: about eight lookups per model, 7 s at a million models per run
when a fifth of them changed. That is the weekly report's largest part, and it depends only on the
two runs, so it is computed once, when a run's analysis ends (`reports.changes.remember_week_changes`),
against the latest run of the week before, and the report reads it back.

A stored set is a cache of what `observations`, `label_events`, `evidence` and `models` say, and is
kept only while both runs' aggregates (`run_rollups`) are: whatever drops a run's aggregates (a
version it saw relabelled or re-extracted, a model it saw turning private or changing organisation;
store/rollups.py) drops every set that starts or ends at that run (`drop_week_changes`), and a set
is read only while both runs still have theirs. Private models are stored with the rest: a report
without them leaves them out when reading. Only the newest `SETS_KEPT` sets are kept; a report of an
older week computes its changes itself.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, delete, select

from . import schema as s
from .driver_cursor import DriverCursor

SETS_KEPT = 8  # a week of nightly runs and one more
# (kind, repo_id, author, downloads, before_value, after_value, direction, detail), in the report's order
ChangeRow = tuple[str, str, "str | None", int, "str | None", "str | None", "str | None", "str | None"]


def write_week_changes(conn: Connection, current_run: int, previous_run: int, rows: Sequence[ChangeRow], computed_at: str) -> None:
    """Store the changes from `previous_run` to `current_run` in place of any set stored for
    `current_run`, and forget the sets older than the newest `SETS_KEPT`."""
    drop_week_changes(conn, [current_run], starting=False)
    conn.execute(s.week_change_sets.insert().values(current_run=current_run, previous_run=previous_run, computed_at=computed_at))
    if rows:
        DriverCursor(conn).many(
            "INSERT INTO week_changes (current_run, seq, kind, repo_id, author, downloads, before_value, after_value, direction, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(current_run, seq, *row) for seq, row in enumerate(rows, 1)],
        )
    drop_week_changes(conn, _older_than_kept(conn), starting=False)


def _older_than_kept(conn: Connection) -> list[int]:
    wcs = s.week_change_sets
    stored = [r for (r,) in conn.execute(select(wcs.c.current_run).order_by(wcs.c.current_run.desc()))]
    return stored[SETS_KEPT:]


def week_changes_stored(conn: Connection, previous_run: int, current_run: int) -> bool:
    """Are the changes from `previous_run` to `current_run` stored, with both runs' aggregates still
    stored (what drops those drops these)?"""
    wcs, rr = s.week_change_sets, s.run_rollups
    stored = conn.execute(select(wcs.c.previous_run).where(wcs.c.current_run == current_run)).first()
    if stored is None or stored.previous_run != previous_run:
        return False
    with_rollups = {r for (r,) in conn.execute(select(rr.c.run_id).distinct().where(rr.c.run_id.in_([previous_run, current_run])))}
    return with_rollups == {previous_run, current_run}


def stored_week_changes(conn: Connection, previous_run: int, current_run: int) -> list[ChangeRow] | None:
    """The stored changes from `previous_run` to `current_run` in the report's order, or None when
    they are not stored (`week_changes_stored`)."""
    if not week_changes_stored(conn, previous_run, current_run):
        return None
    return DriverCursor(conn).rows(
        "SELECT kind, repo_id, author, downloads, before_value, after_value, direction, detail FROM week_changes WHERE current_run = ? ORDER BY seq",
        (current_run,),
    )


def drop_week_changes(conn: Connection, run_ids: Iterable[Any], starting: bool = True) -> None:
    """Forget the sets that end at these runs, and (`starting`) those that start at them."""
    ids = sorted({r for r in run_ids if r is not None})
    if not ids:
        return
    wcs, wc = s.week_change_sets, s.week_changes
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        where = wcs.c.current_run.in_(part) | wcs.c.previous_run.in_(part) if starting else wcs.c.current_run.in_(part)
        sets = [r for (r,) in conn.execute(select(wcs.c.current_run).where(where))]
        if sets:
            conn.execute(delete(wc).where(wc.c.current_run.in_(sets)))
            conn.execute(delete(wcs).where(wcs.c.current_run.in_(sets)))
