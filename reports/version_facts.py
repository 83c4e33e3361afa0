"""A model version's facts (label, open-washing flag and reasons, licence) as of a crawl run.

A version keeps its sha but not always its label: its base, a dataset or the rule set can change, and
each label it had is a label event recorded at a run. As of run R, the newest event at or before R
counts; a version first labelled later takes its first; one with no events (a database from before
them) has its label as it is now. reports/report_sql.py states that rule in SQL, for a query over
many models (the weekly changes); `facts_as_of` is the same rule in Python, for a few (and tests
compare the two).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, select

from classify.washing import reason_text
from store import schema as s

from .run_view import chunks

lab, ev = s.labels, s.evidence


@dataclass(frozen=True)
class VersionFacts:
    version_id: int
    label: str | None
    open_washing: bool
    reasons: tuple[str, ...]
    licence: str | None
    licence_family: str | None


def version_facts(conn: Connection, version_ids: Iterable[int]) -> dict[int, VersionFacts]:
    ids = sorted(set(version_ids))
    out: dict[int, VersionFacts] = {}
    for part in chunks(ids):
        for r in conn.execute(
            select(s.model_versions.c.id, lab.c.label, lab.c.open_washing, lab.c.washing_reasons, ev.c.licence, ev.c.licence_family)
            .select_from(s.model_versions.outerjoin(lab, lab.c.version_id == s.model_versions.c.id).outerjoin(ev, ev.c.version_id == s.model_versions.c.id))
            .where(s.model_versions.c.id.in_(list(part)))
        ):
            out[r.id] = VersionFacts(r.id, r.label, bool(r.open_washing), tuple(reason_text(x) for x in (r.washing_reasons or ())), r.licence, r.licence_family)
    return out


@functools.lru_cache(maxsize=4096)
def reason_texts(stored: str | None) -> tuple[str, ...]:
    """Washing reasons as stored (JSON text) to their texts; the same few lists recur across versions."""
    return tuple(reason_text(x) for x in (json.loads(stored) if stored else ()) or ())


def facts_as_of(conn: Connection, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], VersionFacts]:
    """Each (version, run)'s facts with the label and flag the version had at that run (label events).

    A version keeps its sha but not always its label: its base, a dataset or the rule set can change.
    The newest event recorded at or before the run counts; a version first labelled later takes its first.
    """
    wanted = sorted(set(pairs))
    current = version_facts(conn, [v for v, _ in wanted])
    events: dict[int, list[Any]] = {}
    le = s.label_events
    for part in chunks(sorted({v for v, _ in wanted})):
        for r in conn.execute(
            select(le.c.id, le.c.version_id, le.c.run_id, le.c.label, le.c.open_washing, le.c.washing_reasons)
            .where(le.c.version_id.in_(list(part)))
            .order_by(le.c.id)
        ):
            events.setdefault(r.version_id, []).append(r)
    out: dict[tuple[int, int], VersionFacts] = {}
    for version_id, run_id in wanted:
        base = current.get(version_id)
        if base is None:
            continue
        history = events.get(version_id)
        if not history:
            out[(version_id, run_id)] = base
            continue
        upto = [e for e in history if e.run_id is not None and e.run_id <= run_id]
        event = upto[-1] if upto else history[0]
        reasons = tuple(reason_text(x) for x in (event.washing_reasons or ()))
        out[(version_id, run_id)] = VersionFacts(version_id, event.label, bool(event.open_washing), reasons, base.licence, base.licence_family)
    return out
