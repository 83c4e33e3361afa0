"""Which crawl runs a report reads, and how they fall into ISO weeks and days.

A report describes the Hub as one crawl saw it. Only runs that finished (`ok`) count; when there
are full sweeps, partial ones (--limit/--author/--search) are left out, since a model they did not
list has not gone anywhere. A week's report reads the latest such run started in that ISO week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import Connection, select

from store import schema as s

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class ReportError(ValueError):
    """The report cannot be written as asked (no runs, unknown week, bad date): a user-fixable problem."""


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: str
    full_sweep: bool

    @property
    def moment(self) -> datetime:
        return parse_timestamp(self.started_at)

    @property
    def week(self) -> str:
        return iso_week(self.moment)

    @property
    def day(self) -> str:
        return self.moment.date().isoformat()


def parse_timestamp(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def iso_week(moment: datetime | date) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> str:
    """Validate `YYYY-Www` (e.g. 2026-W48) and return it normalised."""
    match = _WEEK.match(text.strip())
    if not match:
        raise ReportError(f"bad week {text!r}: expected YYYY-Www, e.g. 2026-W48")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ReportError(f"bad week {text!r}: {year} has no week {week}") from exc
    return f"{year}-W{week:02d}"


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ReportError(f"bad date {text!r}: expected YYYY-MM-DD") from exc


def report_runs(conn: Connection) -> list[RunInfo]:
    """The runs reports read, oldest first."""
    r = s.runs
    rows = conn.execute(select(r.c.id, r.c.started_at, r.c.full_sweep).where(r.c.status == "ok").order_by(r.c.id)).all()
    runs = [RunInfo(row.id, row.started_at, bool(row.full_sweep)) for row in rows]
    if any(run.full_sweep for run in runs):
        runs = [run for run in runs if run.full_sweep]
    # Ordered by start time (ties by id): tests and re-imported databases may not start runs in id order.
    return sorted(runs, key=lambda run: (run.moment, run.id))


def latest_per(runs: list[RunInfo], key: str) -> dict[str, RunInfo]:
    """The latest run of each week (`key="week"`) or day (`key="day"`), in time order."""
    out: dict[str, RunInfo] = {}
    for run in runs:
        out[getattr(run, key)] = run  # runs are in time order, so the last one wins
    return dict(sorted(out.items()))


def week_and_previous(runs: list[RunInfo], week: str | None) -> tuple[str, RunInfo, tuple[str, RunInfo] | None]:
    """The report's week and run, and the previous week that has runs (with its latest run), if any."""
    weekly = latest_per(runs, "week")
    if not weekly:
        raise ReportError("no finished crawl in the database yet: run `hubscan crawl` first")
    if week is None:
        week = next(reversed(weekly))
    week = parse_week(week)
    if week not in weekly:
        raise ReportError(f"no finished crawl in week {week} (weeks with crawls: {', '.join(weekly)})")
    earlier = [w for w in weekly if w < week]
    previous = (earlier[-1], weekly[earlier[-1]]) if earlier else None
    return week, weekly[week], previous
