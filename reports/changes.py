"""What changed between two crawl runs: new and cleared open-washing flags, label and licence changes.

Evidence belongs to a model *version*; a label belongs to a version *as of a run* (label events),
since a version is relabelled without a new sha when its base, a linked dataset or the rule set
changes. So a model changes between two runs when the runs saw different versions of it, when it
appeared or disappeared, or when its unchanged version's label or flag changed in between. A
licence that became tighter (e.g. Apache-2.0 -> a custom "other" licence) is a rug-pull: the feed
lists it first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, exists, func, or_, select

from classify.rules import RANK
from extract.licence_catalog import OPENNESS_RANK
from store import schema as s

from .scope import visible
from .run_view import FactsAsOf, VersionFacts, model_url

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


def _licence_direction(before: str | None, after: str | None) -> str:
    b, a = OPENNESS_RANK.get(before or "unknown"), OPENNESS_RANK.get(after or "unknown")
    if a is None or b is None or a == b:
        return "same openness"
    return "looser" if a > b else "tighter"


def _label_direction(before: str | None, after: str | None) -> str:
    if before not in RANK or after not in RANK:
        return "changed"
    return "up" if RANK[after] > RANK[before] else "down"


def _first_reason(facts: VersionFacts) -> str:
    return facts.reasons[0] if facts.reasons else ""


def _label_detail(before: VersionFacts, after: VersionFacts, same_version: bool) -> str:
    if before.licence != after.licence:
        return f"licence {before.licence or 'none'} → {after.licence or 'none'}"
    if same_version:  # the repo did not change: its base, a linked dataset or the rule set did
        return f"relabelled, same version and licence ({after.licence or 'none'}): its base, a linked dataset or the rules changed"
    return f"new version, same licence ({after.licence or 'none'})"


def changes_between(conn: Connection, previous_run: int, current_run: int) -> Changes:
    o, m, le = s.observations, s.models, s.label_events
    now, prev = o.alias("now"), o.alias("prev")
    # the facts of each side are as of its own run: an unchanged version may have been relabelled
    after, before = FactsAsOf("after", now.c.version_id, current_run), FactsAsOf("before", prev.c.version_id, previous_run)
    changed = conn.execute(
        select(now.c.repo_id, m.c.author, now.c.downloads, now.c.version_id.label("now_v"), prev.c.version_id.label("prev_v"),
               *after.columns(), *before.columns())
        .select_from(
            before.joins(after.joins(
                now.join(m, m.c.repo_id == now.c.repo_id).outerjoin(prev, and_(prev.c.repo_id == now.c.repo_id, prev.c.run_id == previous_run))
            ))
        )
        .where(
            now.c.run_id == current_run,
            visible(m),
            or_(
                prev.c.version_id.is_(None),
                prev.c.version_id != now.c.version_id,
                exists().where(le.c.version_id == now.c.version_id, le.c.run_id > previous_run, le.c.run_id <= current_run),
            ),
        )
        .order_by(func.coalesce(now.c.downloads, 0).desc(), now.c.repo_id)
    ).all()
    gone = conn.execute(
        select(prev.c.repo_id, m.c.author, prev.c.downloads, prev.c.version_id.label("prev_v"), *before.columns())
        .select_from(
            before.joins(prev.join(m, m.c.repo_id == prev.c.repo_id).outerjoin(now, and_(now.c.repo_id == prev.c.repo_id, now.c.run_id == current_run)))
        )
        .where(prev.c.run_id == previous_run, now.c.repo_id.is_(None), visible(m))
        .order_by(func.coalesce(prev.c.downloads, 0).desc(), prev.c.repo_id)
    ).all()
    facts = {}
    for r in changed:  # repo, author, downloads, now_v, prev_v, then the five facts of each side
        facts[(r[3], current_run)] = after.facts(r[3], r[5:10])
        if r[4] is not None:
            facts[(r[4], previous_run)] = before.facts(r[4], r[10:15])
    for r in gone:
        facts[(r[3], previous_run)] = before.facts(r[3], r[4:9])

    new_flags, cleared, labels, licences = [], [], [], []
    new_models = 0
    for r in changed:
        after = facts.get((r.now_v, current_run))
        before = facts.get((r.prev_v, previous_run)) if r.prev_v is not None else None
        dl = int(r.downloads or 0)
        if before is None:
            new_models += 1
        if after is None:
            continue
        if after.open_washing and not (before and before.open_washing):
            how = "new model" if before is None else "new version" if r.prev_v != r.now_v else "relabelled"
            new_flags.append(Change(NEW_FLAG, r.repo_id, r.author, dl, None, after.label, how, _first_reason(after)))
        if before is None:
            continue
        if before.open_washing and not after.open_washing:
            cleared.append(Change(CLEARED_FLAG, r.repo_id, r.author, dl, before.label, after.label, "flag cleared", _first_reason(before)))
        if before.label != after.label and after.label is not None and before.label is not None:
            direction = _label_direction(before.label, after.label)
            labels.append(Change(LABEL_CHANGE, r.repo_id, r.author, dl, before.label, after.label, direction, _label_detail(before, after, r.prev_v == r.now_v)))
        if before.licence != after.licence:
            direction = _licence_direction(before.licence_family, after.licence_family)
            licences.append(
                Change(LICENCE_CHANGE, r.repo_id, r.author, dl, before.licence, after.licence, direction,
                       f"{before.licence_family or 'unknown'} → {after.licence_family or 'unknown'}; label {before.label} → {after.label}")
            )
    for r in gone:
        before = facts.get((r.prev_v, previous_run))
        if before is not None and before.open_washing:
            cleared.append(Change(CLEARED_FLAG, r.repo_id, r.author, int(r.downloads or 0), before.label, None, "no longer listed", _first_reason(before)))
    licences.sort(key=lambda c: (c.direction != "tighter", -c.downloads, c.repo_id))
    return Changes(previous_run, current_run, tuple(new_flags), tuple(cleared), tuple(labels), tuple(licences), new_models, len(gone))
