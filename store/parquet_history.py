"""The rows of `label_history.parquet`: every model at every run, as labelled then.

The `label_history` view answers this in SQL with five index seeks per row (the version, the newest
label event at or before the run, the first event, that event's row, the evidence), which made the
file the slowest part of the export: about 15 µs a row, and it is the file with the most rows (one
per model per run). Here each run's observations are read in key order, a plain range scan, and the
facts of each version are looked up once per run in a dictionary filled from the previous run:
nearly every model shows the same version as the day before, so only new versions are read from the
database, a batch at a time. The dictionary holds the versions of one run, so memory grows with the
models of a run, never with the length of the history.

The statements are plain SQL on the driver's own cursor: the generic result layer cost more per row
than the query (about 4 µs a row), and these rows need none of its conversions. The rows are the
view's rows exactly (tests/test_parquet_history.py compares them on both backends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import pyarrow as pa
from sqlalchemy import Connection

from .arrow_columns import column
from .driver_cursor import DriverCursor

IN_BATCH = 900  # ids per IN (...) list: below SQLite's old 999-parameter limit
COLUMNS = ("repo_id", "run_id", "run_started_at", "run_date", "version_id", "sha", "label", "rule", "open_washing", "licence",
           "licence_family", "downloads", "likes")  # the file's columns


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

    def tail_at(self, run_id: int) -> tuple:
        """The row's values from `sha` on, except the observation's own (downloads, likes)."""
        event = self.label_at(run_id)
        if event is None:
            return (self.sha, None, None, None, self.licence, self.licence_family)
        return (self.sha, event.label, event.rule, event.open_washing, self.licence, self.licence_family)

    @property
    def fixed_tail(self) -> tuple | None:
        """The tail every run shows, when the version has at most one label event; else None."""
        return self.tail_at(0) if len(self.events) <= 1 else None


def version_facts(cursor: DriverCursor, version_ids: Sequence[int]) -> dict[int, tuple | VersionFacts]:
    """What a run shows of each version: its row tail when every run shows the same one (at most one
    label event), else its facts, to pick the label as of each run. Read in batches."""
    out: dict[int, tuple | VersionFacts] = {}
    for start in range(0, len(version_ids), IN_BATCH):
        part = list(version_ids[start : start + IN_BATCH])
        events: dict[int, list[LabelEvent]] = {}
        where, params = cursor.in_list("version_id", part)
        for r in cursor.rows(f"SELECT version_id, id, run_id, label, rule, open_washing FROM label_events WHERE {where} ORDER BY id", params):
            events.setdefault(r[0], []).append(LabelEvent(r[1], r[2], r[3], r[4], r[5]))
        # The licence from the covering index ix_evidence_facts, not the evidence row (a few KB, a
        # page per version): PostgreSQL picks the index itself, SQLite prefers the rowid unless told.
        evidence = "evidence e" + cursor.indexed_by("ix_evidence_facts")
        where, params = cursor.in_list("v.id", part)
        sql = f"SELECT v.id, v.sha, e.licence, e.licence_family FROM model_versions v LEFT JOIN {evidence} ON e.version_id = v.id WHERE {where}"
        for r in cursor.rows(sql, params):
            facts = VersionFacts(r[1], r[2], r[3], tuple(events.get(r[0], ())))
            out[r[0]] = facts.fixed_tail or facts
    return out


def label_history_tables(conn: Connection, schema: pa.Schema, batch_rows: int, include_private: bool = False) -> Iterator[pa.Table]:
    """The rows, ordered by run and repo id, a batch at a time as tables of `schema` (COLUMNS)."""
    assert tuple(schema.names) == COLUMNS
    field = schema.field
    cursor = DriverCursor(conn)
    private: frozenset[str] = frozenset()
    if not include_private:
        private = frozenset(r[0] for r in cursor.rows("SELECT repo_id FROM models WHERE private = ?", (True,)))
    runs = cursor.rows("SELECT id, started_at FROM runs ORDER BY id")
    # The versions the previous run showed, then this one's: nearly all carry over from day to day.
    shown: dict[int, tuple | VersionFacts] = {}
    first = f"SELECT repo_id, version_id, downloads, likes FROM observations WHERE run_id = ? ORDER BY repo_id LIMIT {int(batch_rows)}"
    after = f"SELECT repo_id, version_id, downloads, likes FROM observations WHERE run_id = ? AND repo_id > ? ORDER BY repo_id LIMIT {int(batch_rows)}"
    for run_id, started_at in runs:
        run_date = None if started_at is None else started_at[:10]
        this_run: set[int] = set()
        # Each batch is read whole (a keyset range of the primary key) before its versions are
        # looked up on the same connection.
        batch = cursor.rows(first, (run_id,))
        while batch:
            repo_ids, version_ids, downloads, likes = zip(*batch)
            this_run.update(version_ids)
            missing = {v for v in version_ids if v not in shown}
            if missing:
                shown.update(version_facts(cursor, sorted(missing)))
            batch = cursor.rows(after, (run_id, repo_ids[-1])) if len(batch) == batch_rows else []
            entries = list(map(shown.get, version_ids))
            if None in entries:  # no such version: the view's inner join drops the row, and so does this
                keep = [i for i, e in enumerate(entries) if e is not None]
                repo_ids, version_ids, downloads, likes = ([c[i] for i in keep] for c in (repo_ids, version_ids, downloads, likes))
                entries = [entries[i] for i in keep]
                if not entries:
                    continue
            tails = [e if e.__class__ is tuple else e.tail_at(run_id) for e in entries]
            shas, labels, rules, flags, licences, families = zip(*tails)
            n = len(entries)
            table = pa.Table.from_arrays(
                [
                    column(field("repo_id"), repo_ids),
                    pa.repeat(pa.scalar(run_id, pa.int64()), n),
                    pa.repeat(pa.scalar(started_at, pa.string()), n),
                    pa.repeat(pa.scalar(run_date, pa.string()), n),
                    *(column(field(name), values) for name, values in (
                        ("version_id", version_ids), ("sha", shas), ("label", labels), ("rule", rules), ("open_washing", flags),
                        ("licence", licences), ("licence_family", families), ("downloads", downloads), ("likes", likes))),
                ],
                schema=schema,
            )
            if not private.isdisjoint(repo_ids):
                table = table.filter(pa.array([repo_id not in private for repo_id in repo_ids], pa.bool_()))
            if table.num_rows:
                yield table
        # forget the versions this run did not show (memory follows the models of one run)
        shown = {v: shown[v] for v in this_run if v in shown}
