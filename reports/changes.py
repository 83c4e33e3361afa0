"""What changed between two crawl runs: new and cleared open-washing flags, label and licence changes.

Evidence belongs to a model *version*; a label belongs to a version *as of a run* (label events),
since a version is relabelled without a new sha when its base, a linked dataset or the rule set
changes. So a model changes between two runs when the runs saw different versions of it, when it
appeared or disappeared, or when its unchanged version's label or flag changed in between. A
licence that became tighter (e.g. Apache-2.0 -> a custom "other" licence) is a rug-pull: the feed
lists it first.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

from classify.rules import RANK
from classify.washing import reason_text
from extract.licence_catalog import OPENNESS_RANK
from store import schema as s
from store.driver_cursor import DriverCursor
from store.crawl_writes import utcnow
from store.db import waiting_at_most
from store.rollups import stored_rollup
from store.week_changes import ChangeRow, stored_week_changes, write_week_changes

from .report_sql import changed_rows, gone_flag_rows
from .run_view import model_url, observed
from .runs import report_runs, week_and_previous
from .scope import hidden, observed_visible, private_models, rollup_scope

NEW_FLAG = "new flag"
CLEARED_FLAG = "cleared flag"
LABEL_CHANGE = "label change"
LICENCE_CHANGE = "licence change"
KINDS = (NEW_FLAG, CLEARED_FLAG, LABEL_CHANGE, LICENCE_CHANGE)


class Change(NamedTuple):
    """One model's change. A named tuple rather than a dataclass: a report reads hundreds of
    thousands of them back from the store, each made straight from its row."""

    kind: str
    repo_id: str
    organisation: str | None
    downloads: int
    before: str | None  # label / licence / flag state last week
    after: str | None
    direction: str  # up/down for labels, looser/tighter/same openness for licences, new/removed/... for flags
    detail: str

    @property
    def url(self) -> str:
        return model_url(self.repo_id)


@dataclass(frozen=True)
class Changes:
    previous_run: int
    current_run: int
    new_flags: tuple[Change, ...]
    cleared_flags: tuple[Change, ...]
    label_changes: tuple[Change, ...]
    licence_changes: tuple[Change, ...]  # rug-pulls (tighter) first
    new_models: int
    gone_models: int

    def all(self) -> tuple[Change, ...]:
        return self.new_flags + self.cleared_flags + self.label_changes + self.licence_changes

    @property
    def rug_pulls(self) -> tuple[Change, ...]:
        return tuple(c for c in self.licence_changes if c.direction == "tighter")


# both remembered: a report of a million models asks about a few dozen distinct pairs hundreds of
# thousands of times
@functools.lru_cache(maxsize=1024)
def _licence_direction(before: str | None, after: str | None) -> str:
    b, a = OPENNESS_RANK.get(before or "unknown"), OPENNESS_RANK.get(after or "unknown")
    if a is None or b is None or a == b:
        return "same openness"
    return "looser" if a > b else "tighter"


@functools.lru_cache(maxsize=1024)
def _label_direction(before: str | None, after: str | None) -> str:
    if before not in RANK or after not in RANK:
        return "changed"
    return "up" if RANK[after] > RANK[before] else "down"


def _label_detail(before_licence: str | None, after_licence: str | None, same_version: bool) -> str:
    if before_licence != after_licence:
        return f"licence {before_licence or 'none'} → {after_licence or 'none'}"
    if same_version:  # the repo did not change: its base, a linked dataset or the rule set did
        return f"relabelled, same version and licence ({after_licence or 'none'}): its base, a linked dataset or the rules changed"
    return f"new version, same licence ({after_licence or 'none'})"


NEW_MODEL = "new model"  # stored with the changes so that the report can count them, not listed


def changes_between(conn: Connection, previous_run: int, current_run: int) -> Changes:
    """What changed from `previous_run` to `current_run`, for the models the report may show: the
    stored set when there is one (store/week_changes.py), else computed now (`compute_change_rows`)."""
    rows = stored_week_changes(conn, previous_run, current_run)
    if rows is None:
        rows = compute_change_rows(conn, previous_run, current_run)
    return _changes_from_rows(conn, previous_run, current_run, rows)


def week_changes(engine: Engine, previous_run: int, current_run: int) -> Changes:
    """`changes_between` on a connection of its own (the report reads them in a second thread). When
    they must be computed, they are stored as well where the crawl would have stored them
    (`remember_week_changes`), so the next report reads them: a set dropped since the crawl (new
    evidence for what it listed, store/rollup_deltas.py) is not computed again by every report."""
    with engine.connect() as conn:
        rows = stored_week_changes(conn, previous_run, current_run)
    if rows is None:
        rows = _computed_and_stored(engine, previous_run, current_run)
    with engine.connect() as conn:
        return _changes_from_rows(conn, previous_run, current_run, rows)


def _changes_from_rows(conn: Connection, previous_run: int, current_run: int, rows: list[ChangeRow]) -> Changes:
    # The private models are left out here, from the few rows listed, rather than probed for each
    # of the run's models: each change is about one model, so leaving out its rows is leaving it out.
    private = {r for (r,) in conn.execute(private_models())} if hidden() else set()
    lists: dict[str, list[Change]] = {kind: [] for kind in (*KINDS, NEW_MODEL)}
    make = Change._make  # rows hold a Change's fields in order (the new models' are only counted)
    for row in rows:
        if row[1] not in private:
            lists[row[0]].append(make(row))
    new_models = len(lists[NEW_MODEL])
    # gone = last week's models - the ones seen again (this week's models that are not new)
    gone_models = _count(conn, s.observations, previous_run) - (_count(conn, observed(conn, current_run), current_run) - new_models)
    return Changes(previous_run, current_run, tuple(lists[NEW_FLAG]), tuple(lists[CLEARED_FLAG]), tuple(lists[LABEL_CHANGE]),
                   tuple(lists[LICENCE_CHANGE]), new_models, gone_models)


def compute_change_rows(conn: Connection, previous_run: int, current_run: int) -> list[ChangeRow]:
    """The changes from `previous_run` to `current_run`, private models included, as stored rows in
    the report's order (new flags, cleared flags, label changes, licence changes with the rug-pulls
    first, then the new models, counted and not listed).

    One pass over the current run's models finds the changed ones: the previous run's row of each
    (a primary-key seek), and the versions relabelled in between as a set read from
    ix_label_events_run and probed in memory. Only the changed models then have their author, each
    side's label as of its run and each side's licence (from a covering index) read, in the same
    query (report_sql.py), so the cost beyond that pass follows what the report lists."""
    cursor = DriverCursor(conn)
    now_table = observed(conn, current_run).name
    changed = changed_rows(cursor, now_table, previous_run, current_run)
    # the models gone since: only those whose version was ever flagged can clear a flag by going, so
    # only they are looked for in the current run; the others are counted, not listed
    gone = gone_flag_rows(cursor, now_table, previous_run, current_run)

    new_flags, cleared, labels, licences, new_models = [], [], [], [], []
    for repo_id, author, downloads, now_v, prev_v, a_label, a_flag, a_reasons, a_licence, a_family, b_label, b_flag, b_reasons, b_licence, b_family in changed:
        dl = int(downloads or 0)
        if prev_v is None:
            new_models.append((NEW_MODEL, repo_id, author, dl, None, a_label, None, None))
            if a_flag:
                new_flags.append((NEW_FLAG, repo_id, author, dl, None, a_label, "new model", _first(a_reasons)))
            continue
        if a_flag and not b_flag:
            new_flags.append((NEW_FLAG, repo_id, author, dl, None, a_label, "new version" if prev_v != now_v else "relabelled", _first(a_reasons)))
        if b_flag and not a_flag:
            cleared.append((CLEARED_FLAG, repo_id, author, dl, b_label, a_label, "flag cleared", _first(b_reasons)))
        if b_label != a_label and a_label is not None and b_label is not None:
            labels.append((LABEL_CHANGE, repo_id, author, dl, b_label, a_label, _label_direction(b_label, a_label),
                           _label_detail(b_licence, a_licence, prev_v == now_v)))
        if b_licence != a_licence:
            licences.append((LICENCE_CHANGE, repo_id, author, dl, b_licence, a_licence, _licence_direction(b_family, a_family),
                             f"{b_family or 'unknown'} → {a_family or 'unknown'}; label {b_label} → {a_label}"))
    for repo_id, author, downloads, _prev_v, _label, flag, reasons in gone:
        if flag:
            cleared.append((CLEARED_FLAG, repo_id, author, int(downloads or 0), _label, None, "no longer listed", _first(reasons)))
    licences.sort(key=lambda c: (c[6] != "tighter", -c[3], c[1]))
    return new_flags + cleared + labels + licences + new_models


def remember_week_changes(engine: Engine, run_id: int) -> bool:
    """Store the changes from the latest run of the week before to this finished run, when it is the
    latest of its week and both runs' aggregates are stored; `hubscan crawl` calls this once the
    run's analysis has written them. Computed and written in one transaction, as the aggregates
    are, so what it reads is what it stores. True when a set was written; a database that cannot be
    written is left as it is, and the report computes the changes itself."""
    try:
        with engine.begin() as conn:
            pair = _week_pair(conn, run_id)
            if pair is None:
                return False
            previous_run, current_run = pair
            write_week_changes(conn, current_run, previous_run, compute_change_rows(conn, previous_run, current_run), utcnow())
            return True
    except DBAPIError:  # read-only, or another writer came first (SQLite): a cache, written next time
        return False


# How long a report waits to store the changes it computed behind another writer (a crawl storing a
# batch) before it gives up storing them: the report has its rows either way, and the next one stores them.
STORE_WAIT_SECONDS = 2.0


def _computed_and_stored(engine: Engine, previous_run: int, current_run: int) -> list[ChangeRow]:
    """The changes computed, and written in the same transaction when (previous_run, current_run) is
    the pair the crawl stores (`_week_pair`); a database that cannot be written, or whose writer is
    busy for longer than STORE_WAIT_SECONDS, still gets its rows."""
    rows: list[ChangeRow] | None = None
    try:
        with engine.begin() as conn:
            rows = compute_change_rows(conn, previous_run, current_run)
            if _week_pair(conn, current_run) == (previous_run, current_run):
                with waiting_at_most(conn, STORE_WAIT_SECONDS):
                    write_week_changes(conn, current_run, previous_run, rows, utcnow())
    except DBAPIError:  # read-only, another writer came first or held on: the rows computed stand
        if rows is None:
            raise
    return rows


def _week_pair(conn: Connection, run_id: int) -> tuple[int, int] | None:
    """(latest run of the week before, run_id) when `run_id` is the latest run of its week, the
    reports read it, and both runs' aggregates are stored."""
    runs = report_runs(conn)
    this = next((r for r in runs if r.id == run_id), None)
    if this is None:
        return None
    _week, run, previous = week_and_previous(runs, this.week)
    if run.id != run_id or previous is None:
        return None
    if stored_rollup(conn, previous[1].id) is None or stored_rollup(conn, run_id) is None:
        return None
    return previous[1].id, run_id


def _count(conn: Connection, observations, run_id: int) -> int:
    """The run's models the report may show: from its stored aggregates when they are there (the
    weekly report writes them first), else counted from its primary key."""
    stored = stored_rollup(conn, run_id)
    if stored is not None:
        return sum(r.models for r in stored if r.scope == rollup_scope() and r.tier == "all")
    return int(conn.execute(select(func.count()).select_from(observations).where(observations.c.run_id == run_id, observed_visible(observations))).scalar_one())


@functools.lru_cache(maxsize=4096)
def reason_texts(stored: str | None) -> tuple[str, ...]:
    """Washing reasons as stored (JSON text) to their texts; the same few lists recur across versions."""
    return tuple(reason_text(x) for x in (json.loads(stored) if stored else ()) or ())


def _first(stored_reasons: str | None) -> str:
    reasons = reason_texts(stored_reasons)
    return reasons[0] if reasons else ""
