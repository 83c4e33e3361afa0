"""History that grows without slowing the reports down: each model's latest observation, and what each
finished run saw, aggregated.

A crawl adds one observation per model per run, so after a year of nightly crawls of the Hub the
`observations` table holds a billion rows. Two things read "the latest" or "per run" over all of it:

- `model_latest`: each model's newest observation (run, version, downloads, likes), written with the
  observation itself (`note_latest`). Exports and the `latest_labels` view join it instead of
  grouping every observation by model.
- `run_rollups`: per run, per scope (public: private repositories left out; all), per tier (all models,
  more than 1,000 downloads, the 1,000 most downloaded) and per label: models, downloads, flagged,
  and the evidence facts the trend report shows. Labels are as recorded at that run (the run's
  `label_events`, as the `label_history` view reads them); facts are the versions' evidence. Written
  at the end of a crawl's analysis (`write_run_rollup`), and on first use for runs from before
  (`ensure_run_rollups`). What would change a stored run's rows drops them, to be written again when
  next needed: a label event recorded later for a version it saw (a standalone `classify`, the
  analysis of a crawl stored with --no-analyse; `versions_changed`, from the run the event counts
  for on) and a model turning private or public (`models_changed`). New evidence that moves a fact
  they read, or new dataset links, for such a version (a standalone `extract`; `evidence_changed`)
  corrects them in place instead (store/rollup_deltas.py, with the run's top tier kept in
  `run_top_models`). The weekly report's stored changes (store/week_changes.py) are dropped with
  either of their two runs' aggregates, and by such a correction.

Both are caches of what `observations`, `label_events` and `evidence` say: `compute_run_rollup` and
`latest_from_observations` recompute them from scratch (tests compare).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from . import schema as s
from .db import waiting_at_most
from .driver_cursor import DriverCursor
from .organisation_rollups import drop_run_organisations, write_run_organisations
from .portable import upsert
from .week_changes import drop_week_changes

TOP_TIER = 1_000  # the N most downloaded models of a run
DOWNLOADS_TIER = 1_000  # models with more than this many downloads
TIERS = ("all", f"over-{DOWNLOADS_TIER}", f"top-{TOP_TIER}")
SCOPES = ("public", "all")
FACTS = ("no_licence", "datasets", "training_code", "data_information", "base_model")
UNLABELLED = ""


@dataclass(frozen=True)
class RollupRow:
    run_id: int
    scope: str
    tier: str
    label: str | None  # None: versions not labelled (yet)
    models: int
    downloads: int
    flagged: int
    facts: dict[str, int]


# --- each model's latest observation -----------------------------------------------------------


def note_latest(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Record observations (run_id, repo_id, version_id, downloads, likes) as their models' latest,
    unless the model already has one from a later run (a resumed earlier run writes late)."""
    if not rows:
        return
    ml = s.model_latest
    latest = {r["repo_id"]: r for r in rows}  # a page never holds a repo twice; the last one wins
    known = {
        r.repo_id: r.run_id
        for part in _chunks(list(latest))
        for r in conn.execute(select(ml.c.repo_id, ml.c.run_id).where(ml.c.repo_id.in_(part)))
    }
    fresh = [dict(r) for k, r in latest.items() if k not in known]
    newer = [dict(r) for k, r in latest.items() if k in known and r["run_id"] >= known[k]]
    upsert(conn, ml, [{c: r[c] for c in ("repo_id", "run_id", "version_id", "downloads", "likes")} for r in fresh + newer])


def latest_from_observations(conn: Connection) -> list[tuple]:
    """Each model's newest observation, computed from every observation (what `model_latest` caches)."""
    o = s.observations
    last = select(o.c.repo_id, func.max(o.c.run_id).label("run_id")).group_by(o.c.repo_id).subquery()
    return [
        tuple(r)
        for r in conn.execute(
            select(o.c.repo_id, o.c.run_id, o.c.version_id, o.c.downloads, o.c.likes)
            .join(last, and_(last.c.repo_id == o.c.repo_id, last.c.run_id == o.c.run_id))
            .order_by(o.c.repo_id)
        )
    ]


# --- what each run saw --------------------------------------------------------------------------


def _private():
    """The private models (a few): a set looked up once, not the models table joined for each observation.
    A bare `WHERE private`, as ix_models_private is written: Core's `private = 1` on SQLite reads every model."""
    return select(s.models.c.repo_id).where(text("models.private"))


def _top(conn: Connection, run_id: int, public_only: bool) -> list[str]:
    """The run's TOP_TIER most downloaded models (ties by repo id), public ones only or all."""
    o = s.observations
    query = select(o.c.repo_id).where(o.c.run_id == run_id)
    if public_only:
        query = query.where(o.c.repo_id.not_in(_private()))
    return [r for (r,) in conn.execute(query.order_by(func.coalesce(o.c.downloads, 0).desc(), o.c.repo_id).limit(TOP_TIER))]


# What one observation `o` counts as, shared with the in-place updates (store/rollup_deltas.py): the
# label as of its run (the label_history rule: the newest event at or before the run, else the first,
# else the current label), privacy, the downloads tier and the version's facts. The label event is joined as
# `le` through LABEL_EVENT_JOIN; the evidence as `ev`.
LABEL_EVENT_JOIN = """LEFT OUTER JOIN label_events AS le ON le.id = COALESCE(
        (SELECT MAX(x.id) FROM label_events AS x WHERE x.version_id = o.version_id AND x.run_id <= o.run_id),
        (SELECT MIN(x.id) FROM label_events AS x WHERE x.version_id = o.version_id))"""
LABEL = """CASE WHEN le.id IS NOT NULL THEN le.label
             ELSE COALESCE((SELECT lab.label FROM labels AS lab WHERE lab.version_id = o.version_id), '') END"""
IS_PRIVATE = "CASE WHEN o.repo_id IN (SELECT pm.repo_id FROM models AS pm WHERE pm.private) THEN 1 ELSE 0 END"
OVER_TIER = "CASE WHEN COALESCE(o.downloads, 0) > :over THEN 1 ELSE 0 END"
FACT_SQL = {  # by FACTS, of the version `o.version_id` with its evidence `ev`
    "no_licence": "CASE WHEN ev.licence IS NULL OR ev.licence = 'unknown' THEN 1 ELSE 0 END",
    "datasets": "CASE WHEN EXISTS (SELECT 1 FROM version_datasets AS vd WHERE vd.version_id = o.version_id) THEN 1 ELSE 0 END",
    "training_code": "CASE WHEN ev.training_code THEN 1 ELSE 0 END",
    "data_information": "CASE WHEN ev.data_information THEN 1 ELSE 0 END",
    "base_model": "CASE WHEN EXISTS (SELECT 1 FROM version_bases AS vb WHERE vb.version_id = o.version_id) THEN 1 ELSE 0 END",
}

# One row per (label, scope and tier membership) of a run, from one pass over its observations.
# Written out because of what it reads per model, measured at 1 and 2 million models per run:
# - the evidence facts come from the covering index ix_evidence_facts (tens of MB), not the evidence
#   row, which holds the whole evidence document and fills a 4 KB page of its own: reading that page for
#   each model read GBs at random and grew faster than the run (the rows stop fitting in the caches).
#   SQLite takes a rowid lookup over any index unless told (`INDEXED BY`, which Core cannot say);
# - on SQLite the run's observations are taken in version order (they are stored by repository), so
#   the lookups by version (label events, the facts index, dataset and base links) walk each index once
#   from start to end instead of jumping about in it: every page is read once, while it is cached;
# - the current label (`labels`, a KB a row) is read only for a version without label events (a
#   database from before them), as the `label_history` view's rule says, not joined for every model.
# Flags are 0/1 summed; standard SQL, the same on SQLite and PostgreSQL but for the two SQLite hints.
_GROUPED = """
SELECT label, is_private, over_tier, top_public, top_all, COUNT(*) AS models, SUM(downloads) AS downloads,
       SUM(flagged) AS flagged, SUM(no_licence) AS no_licence, SUM(datasets) AS datasets,
       SUM(training_code) AS training_code, SUM(data_information) AS data_information, SUM(base_model) AS base_model
FROM (
    SELECT
        {label} AS label,
        {is_private} AS is_private,
        {over_tier} AS over_tier,
        {{top_public}} AS top_public,
        {{top_all}} AS top_all,
        COALESCE(o.downloads, 0) AS downloads,
        CASE WHEN (CASE WHEN le.id IS NOT NULL THEN le.open_washing
                        ELSE (SELECT lab.open_washing FROM labels AS lab WHERE lab.version_id = o.version_id) END)
             THEN 1 ELSE 0 END AS flagged,
        {facts}
    FROM {{observed}} AS o
    {label_event}
    LEFT OUTER JOIN evidence AS ev{{evidence_hint}} ON ev.version_id = o.version_id
    WHERE o.run_id = :run
) AS per_model
GROUP BY label, is_private, over_tier, top_public, top_all
""".format(label=LABEL, is_private=IS_PRIVATE, over_tier=OVER_TIER, label_event=LABEL_EVENT_JOIN,
           facts=",\n        ".join(f"{sql} AS {name}" for name, sql in FACT_SQL.items()))


def _grouped_query(dialect: str, top_public: list[str], top_all: list[str], evidence_hint: str = " INDEXED BY ix_evidence_facts"):
    """The run's grouped rows as a statement; `:run` is the run."""
    member = {}
    binds = []
    for name, top in (("top_public", top_public), ("top_all", top_all)):
        if top:
            member[name] = f"CASE WHEN o.repo_id IN :{name} THEN 1 ELSE 0 END"
            binds.append(bindparam(name, top, expanding=True))
        else:
            member[name] = "0"
    if dialect == "sqlite":  # PostgreSQL's planner picks its own join order and indexes
        hint = evidence_hint
        observed = "(SELECT run_id, repo_id, version_id, downloads FROM observations WHERE run_id = :run ORDER BY version_id)"
    else:
        hint, observed = "", "observations"
    return text(_GROUPED.format(evidence_hint=hint, observed=observed, **member)).bindparams(*binds, over=DOWNLOADS_TIER)


def counted_in(is_private: Any, over_tier: Any, top_public: Any, top_all: Any) -> Iterator[tuple[str, str]]:
    """The (scope, tier) rows of a run's aggregates that count a model of these memberships."""
    for scope in SCOPES:
        if scope == "public" and is_private:
            continue
        in_top = top_public if scope == "public" else top_all
        for tier, member in zip(TIERS, (True, over_tier, in_top)):
            if member:
                yield scope, tier


def compute_run_rollup(conn: Connection, run_id: int) -> list[RollupRow]:
    """The run's aggregates, computed from its observations, label events and evidence: one pass over
    the run's observations, grouped by label and by what places a model in each scope and tier."""
    return _computed(conn, run_id)[0]


def _computed(conn: Connection, run_id: int) -> tuple[list[RollupRow], dict[str, list[str]]]:
    """The run's aggregates, and its top tier's models by scope."""
    top = {"public": _top(conn, run_id, True), "all": _top(conn, run_id, False)}
    # named only when there (store/driver_cursor.py): a database without the index still gets its aggregates
    query = _grouped_query(conn.dialect.name, top["public"], top["all"], DriverCursor(conn).indexed_by("ix_evidence_facts"))
    grouped = conn.execute(query, {"run": run_id}).all()
    totals: dict[tuple[str, str, str], list[int]] = {}
    for r in grouped:
        for scope, tier in counted_in(r.is_private, r.over_tier, r.top_public, r.top_all):
            into = totals.setdefault((scope, tier, r.label), [0] * (3 + len(FACTS)))
            for i, k in enumerate(("models", "downloads", "flagged", *FACTS)):
                into[i] += int(getattr(r, k) or 0)
    rows = [
        RollupRow(run_id, scope, tier, label or None, v[0], v[1], v[2], dict(zip(FACTS, v[3:])))
        for (scope, tier, label), v in sorted(totals.items())
    ]
    return rows, top


def write_run_rollup(conn: Connection, run_id: int) -> list[RollupRow]:
    """Compute the run's aggregates and store them in place of what was there, with its top tier's models."""
    rows, top = _computed(conn, run_id)
    rr, rt = s.run_rollups, s.run_top_models
    conn.execute(delete(rr).where(rr.c.run_id == run_id))
    conn.execute(delete(rt).where(rt.c.run_id == run_id))
    tops = [{"run_id": run_id, "scope": scope, "repo_id": repo_id} for scope, repo_ids in top.items() for repo_id in repo_ids]
    if tops:
        conn.execute(rt.insert(), tops)
    from .crawl_writes import utcnow  # (crawl_writes imports this module)

    now = utcnow()
    if rows:
        conn.execute(
            rr.insert(),
            [
                {"run_id": r.run_id, "scope": r.scope, "tier": r.tier, "label": r.label or UNLABELLED, "models": r.models,
                 "downloads": r.downloads, "flagged": r.flagged, **r.facts, "computed_at": now}
                for r in rows
            ],
        )
    else:  # a run that saw nothing: one empty row, so it is not computed again
        conn.execute(rr.insert().values(run_id=run_id, scope="all", tier="all", label=UNLABELLED, models=0, downloads=0,
                                        flagged=0, **dict.fromkeys(FACTS, 0), computed_at=now))
    write_run_organisations(conn, run_id)  # stored and dropped together: one's presence vouches for the other
    return rows


def stored_rollup(conn: Connection, run_id: int) -> list[RollupRow] | None:
    """The run's stored aggregates, or None when they were not written (or were dropped since)."""
    rr = s.run_rollups
    rows = conn.execute(select(rr).where(rr.c.run_id == run_id).order_by(rr.c.scope, rr.c.tier, rr.c.label)).all()
    if not rows:
        return None
    return [
        RollupRow(r.run_id, r.scope, r.tier, r.label or None, r.models, r.downloads, r.flagged, {f: getattr(r, f) for f in FACTS})
        for r in rows
        if r.models
    ]


def storable(conn: Connection, run_id: int) -> bool:
    """May the run's aggregates be kept? Once it finished: labels that come later for what it saw
    (its own analysis, a standalone `classify`, the next crawl labelling a version it saw unlabelled)
    are recorded through `store.analysis_io.save_labels`, which drops the aggregates they change."""
    run = conn.execute(select(s.runs.c.status).where(s.runs.c.id == run_id)).first()
    return run is not None and run.status == "ok"


# How long a report waits for another writer (a crawl storing a batch) before it stops storing the
# aggregates it computes: the report reads them either way (`run_rollup` computes what is missing),
# and the next report stores them. Without a bound each missing run waited SQLITE_BUSY_MS (60 s).
STORE_WAIT_SECONDS = 2.0


def ensure_run_rollups(engine: Engine, run_ids: Iterable[int], wait: float = STORE_WAIT_SECONDS) -> None:
    """Write the missing aggregates of these runs that may be kept (a report calls this first). A
    database that cannot be written (read-only), or whose writer holds it for longer than `wait`
    seconds, is left as it is from then on: the report computes the aggregates itself."""
    wanted = sorted(set(run_ids))
    with engine.connect() as conn:
        have = {r for part in _chunks(wanted) for (r,) in conn.execute(select(s.run_rollups.c.run_id).distinct().where(s.run_rollups.c.run_id.in_(part)))}
    for run_id in (r for r in wanted if r not in have):
        try:
            with engine.begin() as conn, waiting_at_most(conn, wait):
                if stored_rollup(conn, run_id) is None and storable(conn, run_id):
                    write_run_rollup(conn, run_id)
        except IntegrityError:  # another report wrote them at the same moment
            continue
        except DBAPIError:  # read-only, or busy: the next run would wait as long again
            return


def run_rollup(conn: Connection, run_id: int, scope: str) -> list[RollupRow]:
    """The run's aggregates for one scope: the stored ones, else computed now."""
    rows = stored_rollup(conn, run_id)
    if rows is None:
        rows = compute_run_rollup(conn, run_id)
    return [r for r in rows if r.scope == scope]


def drop_run_rollups(conn: Connection, run_ids: Iterable[int | None]) -> None:
    """Forget the aggregates of these runs: they are written again when next needed."""
    ids = sorted({r for r in run_ids if r is not None})
    for part in _chunks(ids):
        conn.execute(delete(s.run_rollups).where(s.run_rollups.c.run_id.in_(part)))
        conn.execute(delete(s.run_top_models).where(s.run_top_models.c.run_id.in_(part)))
        drop_run_organisations(conn, part)
        drop_week_changes(conn, part)  # a stored week's changes hold while both its runs' aggregates do


# Changes to more versions or models than this at once (a new extractor re-reading every card) drop
# every stored run from the earliest one concerned on, instead of asking which runs saw each of them.
PRECISE_LIMIT = 2_000


def versions_changed(conn: Connection, version_ids: Iterable[int], since: Mapping[int, int] | None = None) -> None:
    """The label, evidence or dataset links of these versions changed: drop the stored aggregates of
    the runs that counted them, from run `since[version]` on (default: the run that first stored the
    version; a label event recorded at run R changes what runs from R on show). The default bound
    assumes no run saw a version before the run that stored it, which holds unless an interrupted
    partial crawl (--author/--search) is resumed after a later crawl stored a version it then sees."""
    ids = sorted(set(version_ids))
    if not ids or not _any_stored(conn):
        return
    v = s.model_versions
    wanted: list[tuple[str, int | None, int]] = []
    for part in _chunks(ids):
        for r in conn.execute(select(v.c.id, v.c.repo_id, v.c.first_seen_run).where(v.c.id.in_(part))):
            bound = (since or {}).get(r.id, r.first_seen_run)
            wanted.append((r.repo_id, r.id, bound if bound is not None else 0))
    _drop_runs_that_saw(conn, wanted)


# What of a version's evidence the stored caches read: the aggregates' facts (licence, training code,
# data information, whether a base is named) and the week's changes (licence and its family).
COUNTED_EVIDENCE = ("licence", "licence_family", "training_code", "data_information")


def counted_evidence(record: Any) -> tuple[Any, ...]:
    """An evidence record's (extract/evidence_record.py) values of what the stored caches read, as
    `evidence_changed` compares them."""
    columns = dict(record.columns)
    return (*(columns[name] for name in COUNTED_EVIDENCE), bool(record.bases))


def evidence_changed(conn: Connection, counted: Mapping[int, tuple[Any, ...]]) -> list[int]:
    """Of these versions (id -> their COUNTED_EVIDENCE values and whether they name a base, as about to
    be written), the ones whose stored values differ, or that have none stored. Called before the
    write: a new extractor re-reading every card drops only the runs that saw a version whose counted
    facts moved, not all of history. [] when no run's aggregates are stored."""
    ids = sorted(counted)
    if not ids or not _any_stored(conn):
        return []
    ev, vb = s.evidence, s.version_bases
    stored: dict[int, tuple[Any, ...]] = {}
    for part in _chunks(ids):
        with_base = {r for (r,) in conn.execute(select(vb.c.version_id).distinct().where(vb.c.version_id.in_(part)))}
        columns = [ev.c[name] for name in COUNTED_EVIDENCE]
        for r in conn.execute(select(ev.c.version_id, *columns).where(ev.c.version_id.in_(part))):
            stored[r.version_id] = (*r[1:], r.version_id in with_base)
    return [v for v in ids if stored.get(v) != tuple(counted[v])]


def models_changed(conn: Connection, repo_ids: Iterable[str]) -> None:
    """These models turned private or public, or changed organisation: every stored run that saw them
    counted them in one scope, or for another organisation (run_organisations)."""
    ids = sorted(set(repo_ids))
    if ids and _any_stored(conn):
        _drop_runs_that_saw(conn, [(repo_id, None, 0) for repo_id in ids])


def _any_stored(conn: Connection) -> bool:
    return conn.execute(select(s.run_rollups.c.run_id).limit(1)).first() is not None


def _drop_runs_that_saw(conn: Connection, wanted: Sequence[tuple[str, int | None, int]]) -> None:
    """Drop the stored runs that observed (repo, version, or any version when None) at or after its bound."""
    if not wanted:
        return
    rr, o = s.run_rollups, s.observations
    lowest = min(bound for _, _, bound in wanted)
    stored = [r for (r,) in conn.execute(select(rr.c.run_id).distinct().where(rr.c.run_id >= lowest).order_by(rr.c.run_id))]
    if not stored:  # the usual case: the versions are this run's new ones, whose aggregates come later
        return
    wanted = [w for w in wanted if w[2] <= stored[-1]]
    if len(wanted) > PRECISE_LIMIT:
        floor = min(bound for _, _, bound in wanted)
        drop_run_rollups(conn, [r for r in stored if r >= floor])
        return
    by_repo: dict[str, list[tuple[int | None, int]]] = {}
    for repo_id, version_id, bound in wanted:
        by_repo.setdefault(repo_id, []).append((version_id, bound))
    hit: set[int] = set()
    for part in _chunks(list(by_repo)):
        for r in conn.execute(select(o.c.run_id, o.c.repo_id, o.c.version_id).where(o.c.repo_id.in_(part), o.c.run_id.in_(stored))):
            if any((version_id is None or version_id == r.version_id) and r.run_id >= bound for version_id, bound in by_repo[r.repo_id]):
                hit.add(r.run_id)
    drop_run_rollups(conn, hit)


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = [
    "COUNTED_EVIDENCE", "DOWNLOADS_TIER", "FACTS", "SCOPES", "TIERS", "TOP_TIER", "RollupRow", "compute_run_rollup",
    "counted_evidence", "drop_run_rollups", "ensure_run_rollups", "evidence_changed", "latest_from_observations",
    "models_changed", "note_latest", "run_rollup", "stored_rollup", "versions_changed", "write_run_rollup",
]
