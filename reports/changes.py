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

from sqlalchemy import Connection, func, select

from classify.rules import RANK
from classify.washing import reason_text
from extract.licence_catalog import OPENNESS_RANK
from store import schema as s
from store.driver_cursor import DriverCursor
from store.rollups import stored_rollup

from .report_sql import changed_rows, gone_flag_rows
from .run_view import model_url, observed
from .scope import hidden, observed_visible, private_models, rollup_scope

NEW_FLAG = "new flag"
CLEARED_FLAG = "cleared flag"
LABEL_CHANGE = "label change"
LICENCE_CHANGE = "licence change"
KINDS = (NEW_FLAG, CLEARED_FLAG, LABEL_CHANGE, LICENCE_CHANGE)


@dataclass(frozen=True)
class Change:
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


def changes_between(conn: Connection, previous_run: int, current_run: int) -> Changes:
    """What changed from `previous_run` to `current_run`, for the models the report may show.

    One pass over the current run's models finds the changed ones: the previous run's row of each
    (a primary-key seek), and the versions relabelled in between as a set read from
    ix_label_events_run and probed in memory. Only the changed models then have their author, each
    side's label as of its run and each side's licence (from a covering index) read, in the same
    query (report_sql.py), so the cost beyond that pass follows what the report lists."""
    cursor = DriverCursor(conn)
    now_table = observed(conn, current_run).name
    # The private models are left out here, after the query, rather than probed in it for each of
    # the run's models: they are a few, and only the changed models need the test.
    private = {r for (r,) in conn.execute(private_models())} if hidden() else set()
    changed = [r for r in changed_rows(cursor, now_table, previous_run, current_run) if r[0] not in private]
    # the models gone since: only those whose version was ever flagged can clear a flag by going, so
    # only they are looked for in the current run; the others are counted, not listed
    gone = [r for r in gone_flag_rows(cursor, now_table, previous_run, current_run) if r[0] not in private]

    new_flags, cleared, labels, licences = [], [], [], []
    new_models = 0
    for repo_id, author, downloads, now_v, prev_v, a_label, a_flag, a_reasons, a_licence, a_family, b_label, b_flag, b_reasons, b_licence, b_family in changed:
        dl = int(downloads or 0)
        if prev_v is None:
            new_models += 1
            if a_flag:
                new_flags.append(Change(NEW_FLAG, repo_id, author, dl, None, a_label, "new model", _first(a_reasons)))
            continue
        if a_flag and not b_flag:
            new_flags.append(Change(NEW_FLAG, repo_id, author, dl, None, a_label, "new version" if prev_v != now_v else "relabelled", _first(a_reasons)))
        if b_flag and not a_flag:
            cleared.append(Change(CLEARED_FLAG, repo_id, author, dl, b_label, a_label, "flag cleared", _first(b_reasons)))
        if b_label != a_label and a_label is not None and b_label is not None:
            labels.append(Change(LABEL_CHANGE, repo_id, author, dl, b_label, a_label, _label_direction(b_label, a_label),
                                 _label_detail(b_licence, a_licence, prev_v == now_v)))
        if b_licence != a_licence:
            licences.append(Change(LICENCE_CHANGE, repo_id, author, dl, b_licence, a_licence, _licence_direction(b_family, a_family),
                                   f"{b_family or 'unknown'} → {a_family or 'unknown'}; label {b_label} → {a_label}"))
    for repo_id, author, downloads, _prev_v, _label, flag, reasons in gone:
        if flag:
            cleared.append(Change(CLEARED_FLAG, repo_id, author, int(downloads or 0), _label, None, "no longer listed", _first(reasons)))
    licences.sort(key=lambda c: (c.direction != "tighter", -c.downloads, c.repo_id))
    # gone = last week's models - the ones seen again (this week's models that are not new)
    gone_models = _count(conn, s.observations, previous_run) - (_count(conn, observed(conn, current_run), current_run) - new_models)
    return Changes(previous_run, current_run, tuple(new_flags), tuple(cleared), tuple(labels), tuple(licences), new_models, gone_models)


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
