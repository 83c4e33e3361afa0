"""The rows of `label_history.parquet`: every model at every run, as labelled then.

The `label_history` view answers this in SQL with five index seeks per row (the version, the newest
label event at or before the run, the first event, that event's row, the evidence), which made the
file the slowest part of the export: about 15 µs a row, and it is the file with the most rows (one
per model per run). Here each run's observations are read in key order, a plain range scan, and the
facts of each version are looked up once per run in a dictionary filled from the previous run:
nearly every model shows the same version as the day before, so only new versions are read from the
database, a batch at a time. The dictionary holds the versions of one run, so memory grows with the
models of a run, never with the length of the history.

The rows are the view's rows exactly (tests/test_parquet_history.py compares them on both backends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from sqlalchemy import Connection, select, true

from . import schema as s

IN_BATCH = 900  # ids per IN (...) list: below SQLite's old 999-parameter limit
COLUMNS = ("repo_id", "run_id", "run_started_at", "run_date", "version_id", "sha", "label", "rule", "open_washing", "licence",
           "licence_family", "downloads", "likes")  # the order of the tuples below


@dataclass(frozen=True, slots=True)
class LabelEvent:
    id: int
    run_id: int | None  # None: recorded by a standalone classify before any run
    label: str
    rule: str
    open_washing: Any  # as the driver returns it (SQLite 0/1, PostgreSQL bool): the Parquet writer makes it a bool


@dataclass(frozen=True, slots=True)
class VersionFacts:
    sha: str
    licence: str | None
    licence_family: str | None
    events: tuple[LabelEvent, ...]  # oldest first (by id)

    def label_at(self, run_id: int) -> LabelEvent | None:
        """The view's rule: the newest event recorded at or before the run, else the version's first."""
        events = self.events
        if len(events) <= 1:
            return events[0] if events else None
        for event in reversed(events):
            if event.run_id is not None and event.run_id <= run_id:
                return event
        return events[0]


def version_facts(conn: Connection, version_ids: Sequence[int]) -> dict[int, VersionFacts]:
    """Sha, licence and every label event of each version, read in batches."""
    v, e, le = s.model_versions, s.evidence, s.label_events
    out: dict[int, VersionFacts] = {}
    for start in range(0, len(version_ids), IN_BATCH):
        part = list(version_ids[start : start + IN_BATCH])
        events: dict[int, list[LabelEvent]] = {}
        for r in conn.execute(
            select(le.c.version_id, le.c.id, le.c.run_id, le.c.label, le.c.rule, le.c.open_washing).where(le.c.version_id.in_(part)).order_by(le.c.id)
        ):
            events.setdefault(r[0], []).append(LabelEvent(r[1], r[2], r[3], r[4], r[5]))
        for r in conn.execute(
            select(v.c.id, v.c.sha, e.c.licence, e.c.licence_family).select_from(v.outerjoin(e, e.c.version_id == v.c.id)).where(v.c.id.in_(part))
        ):
            out[r[0]] = VersionFacts(r[1], r[2], r[3], tuple(events.get(r[0], ())))
    return out


def label_history_columns(conn: Connection, batch_rows: int, include_private: bool = False) -> Iterator[list[list[Any]]]:
    """The rows, ordered by run and repo id, a batch at a time as columns (lists in COLUMNS' order):
    the Parquet writer takes columns, and building them directly saves a tuple per row."""
    r, o, m = s.runs, s.observations, s.models
    private: frozenset[str] = frozenset()
    if not include_private:
        private = frozenset(row[0] for row in conn.execute(select(m.c.repo_id).where(m.c.private == true())))
    runs = [tuple(row) for row in conn.execute(select(r.c.id, r.c.started_at).order_by(r.c.id))]
    known: dict[int, VersionFacts] = {}
    for run_id, started_at in runs:
        run_date = None if started_at is None else started_at[:10]
        seen: dict[int, VersionFacts] = {}  # this run's versions: the next run starts from these
        # A batch of the run's observations is read whole before its versions are looked up: the
        # lookups use the same connection, which a half-read cursor would not allow on every driver.
        last = None
        while True:
            query = select(o.c.repo_id, o.c.version_id, o.c.downloads, o.c.likes).where(o.c.run_id == run_id)
            if last is not None:
                query = query.where(o.c.repo_id > last)
            batch = conn.execute(query.order_by(o.c.repo_id).limit(batch_rows)).all()
            if not batch:
                break
            last = batch[-1][0]
            missing = sorted({row[1] for row in batch if row[1] not in seen and row[1] not in known})
            if missing:
                seen.update(version_facts(conn, missing))
            for version_id in {row[1] for row in batch if row[1] not in seen and row[1] in known}:
                seen[version_id] = known[version_id]
            # no such version: the view's inner join drops the row, and so does this
            rows = [row for row in batch if row[0] not in private and row[1] in seen]
            if not rows:
                continue
            facts = [seen[row[1]] for row in rows]
            events = [f.label_at(run_id) for f in facts]
            yield [
                [row[0] for row in rows],
                [run_id] * len(rows),
                [started_at] * len(rows),
                [run_date] * len(rows),
                [row[1] for row in rows],
                [f.sha for f in facts],
                [None if e is None else e.label for e in events],
                [None if e is None else e.rule for e in events],
                [None if e is None else e.open_washing for e in events],
                [f.licence for f in facts],
                [f.licence_family for f in facts],
                [row[2] for row in rows],
                [row[3] for row in rows],
            ]
        known = seen
