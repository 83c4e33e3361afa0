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

from sqlalchemy import Connection

IN_BATCH = 900  # ids per IN (...) list: below SQLite's old 999-parameter limit
COLUMNS = ("repo_id", "run_id", "run_started_at", "run_date", "version_id", "sha", "label", "rule", "open_washing", "licence",
           "licence_family", "downloads", "likes")  # the order of the columns below


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


class _Cursor:
    """Plain SQL on the driver's cursor of a SQLAlchemy connection, whatever its parameter style."""

    def __init__(self, conn: Connection) -> None:
        self._cursor = conn.connection.cursor()
        self._mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self._cursor.execute(sql.replace("?", self._mark), tuple(params))
        return self._cursor.fetchall()

    def marks(self, n: int) -> str:
        return ", ".join(["?"] * n)


def version_facts(cursor: _Cursor, version_ids: Sequence[int]) -> dict[int, tuple[VersionFacts, tuple | None]]:
    """Each version's facts and fixed tail, read in batches."""
    out: dict[int, tuple[VersionFacts, tuple | None]] = {}
    for start in range(0, len(version_ids), IN_BATCH):
        part = list(version_ids[start : start + IN_BATCH])
        marks = cursor.marks(len(part))
        events: dict[int, list[LabelEvent]] = {}
        for r in cursor.rows(f"SELECT version_id, id, run_id, label, rule, open_washing FROM label_events WHERE version_id IN ({marks}) ORDER BY id", part):
            events.setdefault(r[0], []).append(LabelEvent(r[1], r[2], r[3], r[4], r[5]))
        sql = ("SELECT v.id, v.sha, e.licence, e.licence_family FROM model_versions v LEFT JOIN evidence e ON e.version_id = v.id"
               f" WHERE v.id IN ({marks})")
        for r in cursor.rows(sql, part):
            facts = VersionFacts(r[1], r[2], r[3], tuple(events.get(r[0], ())))
            out[r[0]] = (facts, facts.fixed_tail)
    return out


def label_history_columns(conn: Connection, batch_rows: int, include_private: bool = False) -> Iterator[list[list[Any]]]:
    """The rows, ordered by run and repo id, a batch at a time as columns (lists in COLUMNS' order):
    the Parquet writer takes columns, and building them directly saves a tuple per row."""
    cursor = _Cursor(conn)
    private: frozenset[str] = frozenset()
    if not include_private:
        private = frozenset(r[0] for r in cursor.rows("SELECT repo_id FROM models WHERE private = ?", (True,)))
    runs = cursor.rows("SELECT id, started_at FROM runs ORDER BY id")
    known: dict[int, tuple[VersionFacts, tuple | None]] = {}
    first = f"SELECT repo_id, version_id, downloads, likes FROM observations WHERE run_id = ? ORDER BY repo_id LIMIT {int(batch_rows)}"
    after = f"SELECT repo_id, version_id, downloads, likes FROM observations WHERE run_id = ? AND repo_id > ? ORDER BY repo_id LIMIT {int(batch_rows)}"
    for run_id, started_at in runs:
        run_date = None if started_at is None else started_at[:10]
        seen: dict[int, tuple[VersionFacts, tuple | None]] = {}  # this run's versions: the next run starts from these
        # Each batch is read whole (a keyset range of the primary key) before its versions are
        # looked up on the same connection.
        batch = cursor.rows(first, (run_id,))
        while batch:
            last = batch[-1][0]
            ids = {r[1] for r in batch}
            missing = [vid for vid in ids if vid not in seen and vid not in known]
            if missing:
                seen.update(version_facts(cursor, sorted(missing)))
            absent = False
            for vid in ids:
                if vid not in seen:
                    if vid in known:
                        seen[vid] = known[vid]
                    else:
                        absent = True
            # no such version: the view's inner join drops the row, and so does this
            rows = [r for r in batch if r[0] not in private and r[1] in seen] if private or absent else batch
            batch = cursor.rows(after, (run_id, last)) if len(batch) == batch_rows else []
            if not rows:
                continue
            entries = [seen[r[1]] for r in rows]
            tails = [tail if tail is not None else facts.tail_at(run_id) for facts, tail in entries]
            repo_ids, version_ids, downloads, likes = (list(c) for c in zip(*rows))
            shas, labels, rules, flags, licences, families = (list(c) for c in zip(*tails))
            n = len(rows)
            yield [repo_ids, [run_id] * n, [started_at] * n, [run_date] * n, version_ids, shas, labels, rules, flags, licences, families,
                   downloads, likes]
        known = seen
