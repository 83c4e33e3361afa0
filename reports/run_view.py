"""The Hub as one crawl run saw it: label counts, flagged models, organisations, lineage pairs.

"As run R saw it" means the version each model had in R's observations, with that version's label
and evidence, and the downloads counted in R. Everything is aggregated in SQL (portable Core
expressions), so a report over a million models does not load a million rows; only the flagged
models' evidence is read, to quote their claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence
from urllib.parse import quote

import msgspec
from sqlalchemy import Connection, func, select, true

from classify.rules import LABELS
from classify.washing import OPEN_SOURCE_CLAIMS, OPEN_WEIGHTS_CLAIMS, WashingReason
from extract.licence_catalog import OPENNESS_RANK
from store import schema as s

from store.driver_cursor import DriverCursor
from store.organisation_rollups import compute_run_organisations, stored_run_organisations
from store.rollups import run_rollup

from .report_sql import base_rows, derivative_rows, flagged_rows, relations, version_labels
from .explanation_gist import failed_gates_and_level
from .scope import hidden, observed_visible, private_models, rollup_scope

HUB_URL = "https://huggingface.co"
MAX_QUOTE = 300  # characters of a claim sentence quoted in a report
CHUNK = 500  # ids per IN (...) list

o, m, lab, ev, vb = s.observations, s.models, s.labels, s.evidence, s.version_bases


def model_url(repo_id: str) -> str:
    """The model's page on the Hub; the id is percent-encoded so it can only ever be a path."""
    return f"{HUB_URL}/{quote(repo_id, safe='/-_.')}"


def observed(conn: Connection, run_id: int):
    """Where run `run_id`'s observations are read cheapest, with the same columns (run_id, repo_id,
    version_id, downloads). When no later run observed anything (a weekly report of the newest crawl),
    they are exactly the models whose newest observation is that run: `model_latest`, one compact row
    per model read in one sequential pass (store/rollups.py keeps it exact), instead of the run's slice
    of `observations` through its primary key, a seek per model. Otherwise `observations`."""
    later = conn.execute(select(o.c.run_id).where(o.c.run_id > run_id).limit(1)).first()
    return o if later is not None else s.model_latest


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
    # models with a base no one could verify (deleted, private, a local path, ...); None: not counted
    # (the report shows it for its own week only, so the timeline's earlier weeks skip that pass)
    unverified_lineage: int | None = 0

    @property
    def flagged_share(self) -> float:
        return share(self.flagged, self.labelled)

    def count(self, label: str) -> int:
        return next((x.models for x in self.labels if x.label == label), 0)


def summary(conn: Connection, run_id: int, lineage: bool = True) -> Summary:
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
    unverified = None
    if lineage:  # the versions with an unverified base: a set probed per model, not a seek per model
        vb, o = s.version_bases, observed(conn, run_id)
        unverified = int(conn.execute(
            select(func.count(func.distinct(o.c.version_id)))
            # the version set first: SQLite tests the terms in this order, and few models fall in it
            .where(o.c.run_id == run_id, o.c.version_id.in_(select(vb.c.version_id).where(func.coalesce(vb.c.status, "pending") != "ok")),
                   observed_visible(o))
        ).scalar_one())
    return Summary(
        unverified_lineage=unverified,
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


def _falls_short(failed_gates: Sequence[str], reasons: Sequence[WashingReason]) -> str:
    if failed_gates:
        return _bounded("; ".join(failed_gates), 600)
    # Flagged with every gate passed (a licence conflict, say): the reasons say what is wrong.
    return _bounded("; ".join(r.detail for r in reasons), 600)


def _claim_evidence(conn: Connection, version_ids: Sequence[int], with_claims: bool) -> dict[int, dict[str, Any]]:
    """The part of these versions' evidence a claim is quoted from, picked out by the database (not
    every flagged model's whole evidence document parsed here): the declared licence's name and Hub
    id, and the claims only `with_claims` (a W-OS or W-OW reason quotes one; the others quote the licence)."""
    out: dict[int, dict[str, Any]] = {}
    name, hub_id = ev.c.data[("licence", "name")].as_string(), ev.c.data[("licence", "hub_id")].as_string()
    for part in chunks(sorted(set(version_ids))):
        for r in conn.execute(select(ev.c.version_id, name.label("name"), hub_id.label("hub_id"),
                                     *([ev.c.data["claims"].label("claims")] if with_claims else []))
                              .where(ev.c.version_id.in_(list(part)))):
            out[r.version_id] = {"claims": r.claims if with_claims else None, "licence": {"name": r.name, "hub_id": r.hub_id}}
    return out


def flagged_models(conn: Connection, run_id: int) -> list[FlaggedModel]:
    """Flagged models of a run, most downloaded first (ties by id)."""
    rows = flagged_rows(DriverCursor(conn), observed(conn, run_id).name, run_id, hidden())
    decode = msgspec.json.decode  # about twice as fast as the JSON type's json.loads
    # each row: its typed reasons, their codes and the claim they quote (None: evidence is read for it)
    read = []
    for row in rows:
        typed = [WashingReason.from_stored(x) for x in (decode(row[5]) if row[5] is not None else None) or ()]
        read.append((typed, _codes(typed), _quoted_claim(typed)))
    # evidence is read only for the models whose typed reasons quote no claim (stored before they did)
    unquoted = [(row[1], bool({"W-OS", "W-OW"} & set(codes))) for row, (_, codes, quoted) in zip(rows, read) if quoted is None]
    unquoted = {**_claim_evidence(conn, [v for v, claims in unquoted if not claims], False),
                **_claim_evidence(conn, [v for v, claims in unquoted if claims], True)}
    out = []
    for (repo_id, version_id, downloads, author, label, _reasons, explanation, licence), (typed, codes, quoted) in zip(rows, read):
        failed_gates, level = failed_gates_and_level(explanation)
        claim, source = quoted or _claim(unquoted.get(version_id) or {}, codes, licence)
        out.append(
            FlaggedModel(
                repo_id=repo_id,
                organisation=author,
                label=label,
                licence=licence,
                downloads=int(downloads or 0),
                codes=codes,
                claim=claim,
                claim_source=source,
                falls_short=_falls_short(failed_gates, typed),
                reasons=tuple(_bounded(str(x), 600) for x in typed),
                confidence=level,
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


@dataclass(frozen=True)
class Leader:
    author: str | None  # None: the models without an organisation
    models: int
    downloads: int
    flagged: int
    label_counts: dict[str, int] = field(default_factory=dict)  # its labelled models per label


def leaders(conn: Connection, run_id: int, top: int, public_only: bool = False) -> list[Leader]:
    """The `top` organisations (authors; None: models without one) by downloads in a run, most first,
    ties by name, with their flagged models; public models only, or those the report may show. Read
    from the run's stored organisations (store/organisation_rollups.py) when its aggregates are
    stored, else grouped from the run's models in one pass; the labels and flags are then counted
    for these organisations' models alone (`label_counts`)."""
    scope = "public" if hidden(public_only) else "all"
    found = stored_run_organisations(conn, run_id, scope, top)
    if found is None:
        found = compute_run_organisations(conn, observed(conn, run_id), run_id, scope, top)
    counts, flagged = label_counts(conn, run_id, [r.author for r in found], public_only)
    return [Leader(r.author, r.models, r.downloads, flagged.get(r.author, 0), counts.get(r.author, {})) for r in found]


def label_counts(conn: Connection, run_id: int, authors: Sequence[str | None], public_only: bool = False) -> tuple[dict, dict]:
    """These organisations' labelled models per label in a run, and their flagged models: their own
    models first (ix_models_author), then those models' rows of the run by primary key, so the cost
    follows these organisations' models, not the run's (and no planner statistics are needed)."""
    owner: dict[str, str | None] = {}
    shown = m.c.repo_id.not_in(private_models()) if hidden(public_only) else true()
    for part in chunks(sorted({a for a in authors if a is not None})):
        owner.update(conn.execute(select(m.c.repo_id, m.c.author).where(m.c.author.in_(list(part)), shown)).all())
    if None in authors:  # the models without an organisation count as one row of the leaders
        owner.update(conn.execute(select(m.c.repo_id, m.c.author).where(m.c.author.is_(None), shown)).all())
    counts: dict[str, dict[str, int]] = {}
    flagged: dict[str, int] = {}
    o = observed(conn, run_id)
    for part in chunks(sorted(owner)):
        for repo_id, label, flag in conn.execute(
            select(o.c.repo_id, lab.c.label, lab.c.open_washing)
            .select_from(o.join(lab, lab.c.version_id == o.c.version_id))
            .where(o.c.run_id == run_id, o.c.repo_id.in_(list(part)))
        ):
            author = owner[repo_id]
            into = counts.setdefault(author, {})
            into[label] = into.get(label, 0) + 1
            flagged[author] = flagged.get(author, 0) + bool(flag)
    return counts, flagged


def organisations(conn: Connection, run_id: int, top: int = 20, leading: Sequence | None = None) -> list[OrganisationRow]:
    """The `top` organisations by downloads in a run, with their models per label and flagged count.
    `leading`: `leaders(...)` already read for this run and scope (the weekly report shares one pass)."""
    rows = list(leaders(conn, run_id, top) if leading is None else leading)[:top]
    # the models without an organisation are one row, shown without a breakdown by label
    return [OrganisationRow(r.author, r.models, r.downloads, r.flagged, r.label_counts if r.author is not None else {}) for r in rows]


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

    The base is read as the same run saw it, or as last stored when that run did not list it. A
    private derivative is not listed, nor a private base's licence shown, unless the report includes
    private models. Each distinct base is read once (there are far fewer bases than derivatives), the
    licences compared here by their rank (policy/licences.yaml), and the label read for the pairs
    listed alone. Ordered by the derivative's downloads, most first, then its id and the base's id
    (by code point)."""
    cursor, now_table = DriverCursor(conn), observed(conn, run_id).name
    derivatives = derivative_rows(cursor, now_table, run_id)
    private = {r for (r,) in conn.execute(private_models())} if hidden() else None
    bases = {b[0]: b for b in base_rows(cursor, now_table, run_id, sorted({d[3] for d in derivatives}))}
    # each base's rank, once: None for a base not stored, without a known family, or private and hidden
    theirs_of = {
        base_id: OPENNESS_RANK.get(family) if family is not None and not (private is not None and is_private) else None
        for base_id, (_, is_private, _licence, family) in bases.items()
    }
    rank, base_rank = OPENNESS_RANK.get, theirs_of.get
    pairs = []
    for repo_id, downloads, version_id, base_id, licence, family in derivatives:
        theirs = base_rank(base_id)
        if theirs is None or family is None:
            continue
        mine = rank(family)
        if mine is not None and mine > theirs and (private is None or repo_id not in private):
            base = bases[base_id]
            pairs.append((repo_id, int(downloads or 0), version_id, base_id, licence, family, base[2], base[3]))
    pairs.sort(key=lambda p: (-p[1], p[0], p[3]))
    label_of = version_labels(cursor, sorted({p[2] for p in pairs}))
    relation_of = relations(cursor, sorted({p[2] for p in pairs}))
    # (a link a crawl writing meanwhile removed is no longer a pair: the report reads without a snapshot)
    return [
        LaunderingPair(base_id, base_licence, base_family, repo_id, licence, family, relation, label_of.get(version_id), downloads)
        for repo_id, downloads, version_id, base_id, licence, family, base_licence, base_family in pairs
        if (relation := relation_of.get((version_id, base_id))) is not None
    ]
