"""The Hub as one crawl run saw it: label counts, flagged models, organisations, lineage pairs.

"As run R saw it" means the version each model had in R's observations, with that version's label
and evidence, and the downloads counted in R. Everything is aggregated in SQL (portable Core
expressions), so a report over a million models does not load a million rows; only the flagged
models' evidence is read, to quote their claims.
"""

from __future__ import annotations

import functools
import json

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence
from urllib.parse import quote

from sqlalchemy import Connection, Text, and_, case, cast, func, select, true

from classify.rules import LABELS
from classify.washing import OPEN_SOURCE_CLAIMS, OPEN_WEIGHTS_CLAIMS, WashingReason, reason_text
from extract.licence_catalog import OPENNESS_RANK
from store import schema as s

from store.rollups import run_rollup

from .scope import observed_visible, rollup_scope, visible

HUB_URL = "https://huggingface.co"
MAX_QUOTE = 300  # characters of a claim sentence quoted in a report
CHUNK = 500  # ids per IN (...) list

o, m, lab, ev, vb = s.observations, s.models, s.labels, s.evidence, s.version_bases


def model_url(repo_id: str) -> str:
    """The model's page on the Hub; the id is percent-encoded so it can only ever be a path."""
    return f"{HUB_URL}/{quote(repo_id, safe='/-_.')}"


def openness_rank(column):
    """SQL CASE ranking a licence-family column (policy/licences.yaml `rank`); NULL when unknown."""
    return case(*((column == family, rank) for family, rank in OPENNESS_RANK.items()), else_=None)


def flagged_int():
    """1 for a flagged version, else 0: summed to count flags."""
    return case((lab.c.open_washing == true(), 1), else_=0)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def share(part: float, whole: float) -> float:
    """Percentage, 0 when there is nothing to share."""
    return 100.0 * part / whole if whole else 0.0


# --- headline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelShare:
    label: str
    models: int
    share: float  # % of labelled models
    downloads: int
    download_share: float  # % of labelled models' downloads
    flagged: int


@dataclass(frozen=True)
class Summary:
    run_id: int
    models: int  # models the run listed
    labelled: int
    flagged: int
    downloads: int
    labels: tuple[LabelShare, ...]
    unverified_lineage: int = 0  # models with a base no one could verify (deleted, private, a local path, ...)

    @property
    def flagged_share(self) -> float:
        return share(self.flagged, self.labelled)

    def count(self, label: str) -> int:
        return next((x.models for x in self.labels if x.label == label), 0)


def summary(conn: Connection, run_id: int) -> Summary:
    """Label counts, downloads and flags of what the run saw, each version labelled as recorded at
    that run: read from the run's stored aggregates (store/rollups.py), so a timeline of a year of
    weekly crawls costs a few rows per week, not every observation."""
    rows = [r for r in run_rollup(conn, run_id, rollup_scope()) if r.tier == "all"]
    by_label = {r.label: r for r in rows}
    labelled = [r for r in rows if r.label is not None]
    n = sum(r.models for r in labelled)
    dl = sum(int(r.downloads or 0) for r in labelled)
    order = list(LABELS)[::-1] + sorted(k for k in by_label if k is not None and k not in LABELS)
    shares = tuple(
        LabelShare(
            label,
            int(by_label[label].models) if label in by_label else 0,
            share(by_label[label].models if label in by_label else 0, n),
            int(by_label[label].downloads or 0) if label in by_label else 0,
            share(int(by_label[label].downloads or 0) if label in by_label else 0, dl),
            int(by_label[label].flagged or 0) if label in by_label else 0,
        )
        for label in order
    )
    vb = s.version_bases
    unverified = conn.execute(
        select(func.count(func.distinct(o.c.version_id)))
        .select_from(o.join(vb, vb.c.version_id == o.c.version_id))
        .where(o.c.run_id == run_id, observed_visible(o), func.coalesce(vb.c.status, "pending") != "ok")
    ).scalar_one()
    return Summary(
        unverified_lineage=int(unverified),
        run_id=run_id,
        models=sum(int(r.models) for r in rows),
        labelled=n,
        flagged=sum(int(r.flagged or 0) for r in labelled),
        downloads=dl,
        labels=shares,
    )


# --- flagged models ---------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedModel:
    repo_id: str
    organisation: str | None
    label: str
    licence: str | None
    downloads: int
    codes: tuple[str, ...]  # W-OS, W-OW, W-LAUNDER, W-CONFLICT
    claim: str  # what it claims, quoted from the card/name/tags (or its declared licence)
    claim_source: str
    falls_short: str  # the failed gate(s) and the missing evidence
    reasons: tuple[str, ...]
    confidence: str = "high"  # how sure the label is (policy/confidence.yaml)

    @property
    def url(self) -> str:
        return model_url(self.repo_id)


def _bounded(text: Any, limit: int = MAX_QUOTE) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _codes(reasons: Sequence[WashingReason]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.code for r in reasons))


def _quoted_claim(typed: Sequence[WashingReason]) -> tuple[str, str] | None:
    for reason in typed:  # a typed W-OS/W-OW reason carries the sentence it quotes
        if reason.code in ("W-OS", "W-OW") and reason.quote:
            where = reason.source or "card"
            return _bounded(reason.quote), f"{reason.claim_kind} claim, {where}" if reason.claim_kind else where
    return None


def _claim(evidence: dict[str, Any], codes: Sequence[str], licence: str | None, typed: Sequence[WashingReason] = ()) -> tuple[str, str]:
    quoted = _quoted_claim(typed)
    if quoted is not None:
        return quoted
    claims = [c for c in (evidence.get("claims") or {}).get("claims", []) if c.get("about_self")]
    for code, kinds in (("W-OS", OPEN_SOURCE_CLAIMS), ("W-OW", OPEN_WEIGHTS_CLAIMS)):
        if code in codes:
            for c in claims:
                if c.get("kind") in kinds:
                    return _bounded(c.get("sentence") or c.get("phrase")), str(c.get("source") or "card")
    lic = evidence.get("licence") or {}
    declared = lic.get("name") or lic.get("hub_id") or licence or "an open licence"
    return _bounded(f"declares the licence {declared}"), "licence"


def _falls_short(explanation: dict[str, Any], reasons: Sequence[WashingReason]) -> str:
    failed = [g for g in (explanation or {}).get("gates", []) if not g.get("passed")]
    if failed:
        return _bounded("; ".join(f"{g.get('name')} gate ({g.get('rule')}): {g.get('reason')}" for g in failed), 600)
    # Flagged with every gate passed (a licence conflict, say): the reasons say what is wrong.
    return _bounded("; ".join(r.detail for r in reasons), 600)


def flagged_models(conn: Connection, run_id: int) -> list[FlaggedModel]:
    """Flagged models of a run, most downloaded first (ties by id)."""
    rows = conn.execute(
        select(o.c.repo_id, o.c.version_id, o.c.downloads, m.c.author, lab.c.label, lab.c.washing_reasons, lab.c.explanation, ev.c.licence,
               cast(ev.c.data, Text).label("data"))  # read only for the models whose reasons quote no claim
        .select_from(o.join(lab, lab.c.version_id == o.c.version_id).join(m, m.c.repo_id == o.c.repo_id).outerjoin(ev, ev.c.version_id == o.c.version_id))
        .where(o.c.run_id == run_id, lab.c.open_washing == true(), visible(m))
        .order_by(func.coalesce(o.c.downloads, 0).desc(), o.c.repo_id)
    ).all()
    out = []
    for r in rows:
        typed = [WashingReason.from_stored(x) for x in (r.washing_reasons or ())]
        codes = _codes(typed)
        claim, source = _quoted_claim(typed) or _claim(json.loads(r.data) if r.data else {}, codes, r.licence)
        out.append(
            FlaggedModel(
                repo_id=r.repo_id,
                organisation=r.author,
                label=r.label,
                licence=r.licence,
                downloads=int(r.downloads or 0),
                codes=codes,
                claim=claim,
                claim_source=source,
                falls_short=_falls_short(r.explanation or {}, typed),
                reasons=tuple(_bounded(str(x), 600) for x in typed),
                confidence=str(((r.explanation or {}).get("confidence") or {}).get("level") or "high"),
            )
        )
    return out


# --- organisations ----------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationRow:
    organisation: str | None
    models: int
    downloads: int
    flagged: int
    label_counts: dict[str, int] = field(default_factory=dict)

    def share(self, label: str) -> float:
        return share(self.label_counts.get(label, 0), self.models)


def organisations(conn: Connection, run_id: int, top: int = 20) -> list[OrganisationRow]:
    """The `top` organisations by downloads in a run, with their models per label and flagged count."""
    total_dl = func.sum(func.coalesce(o.c.downloads, 0))
    leaders = conn.execute(
        select(m.c.author, func.count().label("models"), total_dl.label("downloads"), func.sum(flagged_int()).label("flagged"))
        .select_from(o.join(m, m.c.repo_id == o.c.repo_id).outerjoin(lab, lab.c.version_id == o.c.version_id))
        .where(o.c.run_id == run_id, visible(m))
        .group_by(m.c.author)
        .order_by(total_dl.desc(), m.c.author)
        .limit(top)
    ).all()
    authors = [r.author for r in leaders if r.author is not None]
    counts: dict[str | None, dict[str, int]] = {}
    for part in chunks(authors):
        for r in conn.execute(
            select(m.c.author, lab.c.label, func.count().label("n"))
            .select_from(o.join(m, m.c.repo_id == o.c.repo_id).join(lab, lab.c.version_id == o.c.version_id))
            .where(o.c.run_id == run_id, m.c.author.in_(list(part)), visible(m))
            .group_by(m.c.author, lab.c.label)
        ):
            counts.setdefault(r.author, {})[r.label] = int(r.n)
    return [OrganisationRow(r.author, int(r.models), int(r.downloads or 0), int(r.flagged or 0), counts.get(r.author, {})) for r in leaders]


# --- licence laundering along lineage ---------------------------------------------------


@dataclass(frozen=True)
class LaunderingPair:
    base_id: str
    base_licence: str | None
    base_family: str
    derivative_id: str
    derivative_licence: str | None
    derivative_family: str
    relation: str
    derivative_label: str | None
    downloads: int

    @property
    def base_url(self) -> str:
        return model_url(self.base_id)

    @property
    def derivative_url(self) -> str:
        return model_url(self.derivative_id)


def laundering(conn: Connection, run_id: int) -> list[LaunderingPair]:
    """Derivative -> base pairs (as run R saw the derivative) whose declared licence is looser than the base's.

    The base is read as the same run saw it, or as last stored when that run did not list it.
    """
    base_obs = o.alias("base_obs")
    base_model = m.alias("base_model")
    base_ev = ev.alias("base_ev")
    base_version = func.coalesce(base_obs.c.version_id, base_model.c.current_version_id)
    rows = conn.execute(
        select(
            o.c.repo_id, o.c.downloads, vb.c.base_id, vb.c.relation, ev.c.licence, ev.c.licence_family,
            lab.c.label, base_ev.c.licence.label("base_licence"), base_ev.c.licence_family.label("base_family"),
        )
        .select_from(
            o.join(vb, vb.c.version_id == o.c.version_id)
            .join(ev, ev.c.version_id == o.c.version_id)
            .outerjoin(lab, lab.c.version_id == o.c.version_id)
            .outerjoin(base_obs, and_(base_obs.c.repo_id == vb.c.base_id, base_obs.c.run_id == run_id))
            .outerjoin(base_model, base_model.c.repo_id == vb.c.base_id)
            .join(base_ev, base_ev.c.version_id == base_version)
        )
        .where(
            o.c.run_id == run_id,
            openness_rank(ev.c.licence_family) > openness_rank(base_ev.c.licence_family),
            observed_visible(o),
            visible(base_model),  # a private base's licence is not shown either
        )
        .order_by(func.coalesce(o.c.downloads, 0).desc(), o.c.repo_id, vb.c.base_id)
    ).all()
    return [
        LaunderingPair(r.base_id, r.base_licence, r.base_family, r.repo_id, r.licence, r.licence_family, r.relation, r.label, int(r.downloads or 0))
        for r in rows
    ]


# --- per-version facts, for comparing two runs ------------------------------------------


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


class FactsAsOf:
    """A version's facts as of a run inside one query (the `facts_as_of` rule, as SQL): join `joins`
    onto a query that has `version` (a version id column) and read `facts(row)`. Per row, a few index
    seeks instead of fetching every changed version's label events and evidence afterwards."""

    def __init__(self, name: str, version, run_id: int):
        x = s.label_events.alias(f"{name}_x")
        self.event, self.label, self.evidence = s.label_events.alias(f"{name}_le"), s.labels.alias(f"{name}_lab"), s.evidence.alias(f"{name}_ev")
        self.version, self.name = version, name
        self.as_of = func.coalesce(  # the newest event at or before the run, else the first
            select(func.max(x.c.id)).where(x.c.version_id == version, x.c.run_id <= run_id).scalar_subquery(),
            select(func.min(x.c.id)).where(x.c.version_id == version).scalar_subquery(),
        )

    def joins(self, joined):
        return (
            joined.outerjoin(self.event, self.event.c.id == self.as_of)
            .outerjoin(self.label, self.label.c.version_id == self.version)
            .outerjoin(self.evidence, self.evidence.c.version_id == self.version)
        )

    def columns(self) -> list:
        """label, flag, washing reasons (JSON text), licence, licence family: five columns, in this order."""
        le, lb, e = self.event, self.label, self.evidence
        recorded = le.c.id.is_not(None)  # labelled as recorded at that run; else (no events yet) as it is now
        return [
            case((recorded, le.c.label), else_=lb.c.label),
            case((recorded, le.c.open_washing), else_=lb.c.open_washing),
            case((recorded, cast(le.c.washing_reasons, Text)), else_=cast(lb.c.washing_reasons, Text)),
            e.c.licence,
            e.c.licence_family,
        ]

    @staticmethod
    def facts(version_id: int | None, values: Sequence[Any]) -> VersionFacts | None:
        """The facts from the five `columns()` values of a row."""
        if version_id is None:
            return None
        label, flag, reasons, licence, family = values
        return VersionFacts(version_id, label, bool(flag), _reason_texts(reasons), licence, family)


@functools.lru_cache(maxsize=4096)
def _reason_texts(stored: str | None) -> tuple[str, ...]:
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
