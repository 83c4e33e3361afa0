"""New evidence moves the stored run aggregates by difference, instead of dropping them.

The aggregates of a finished run (store/rollups.py) count, per scope, tier and label, how many of its
models had each evidence fact (no licence, datasets, training code, data information, a named base).
A version's facts are the same in every run that saw it, and new evidence changes only them: not
the run's labels (label events), downloads or privacy. So when new evidence moves a counted fact of
a few versions (a new extractor release re-reading every card, a standalone `extract`), each stored
run that saw one of them is corrected in place: for each of its observations of such a version, the
version's facts after the write minus those before are added to the rows that counted it. Before
this, every such run was dropped, and the next trend report recomputed them all: about 30 s a run at
2 M models, hours for a year of nightly runs.

Which rows counted an observation is what `compute_run_rollup` decides (`rollups.counted_in`): its
label as of the run, privacy and downloads, read with the same SQL, and its top-tier membership
from `run_top_models`, stored with the aggregates. A run stored without that membership (written
before migration 0016), or whose rows do not hold what the update expects, is dropped as before.
The stored week changes of every run that saw such a version are dropped: they read licences and
their families, which can move without moving a fact counted here (store/week_changes.py; the next
weekly report computes and stores them again).

Tests (tests/test_rollup_deltas.py) compare every corrected run with its recomputation, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

from sqlalchemy import Connection, bindparam, select, text

from . import schema as s
from .rollups import FACT_SQL, FACTS, IS_PRIVATE, LABEL, LABEL_EVENT_JOIN, OVER_TIER, DOWNLOADS_TIER, UNLABELLED, counted_in
from .rollups import _chunks, drop_run_rollups, versions_changed
from .week_changes import drop_week_changes

# Above this many observations of the changed versions in stored runs (in one write), the runs are
# dropped instead: the update reads each observation in Python, a recomputation reads each run in SQL,
# and with most of a run's models changed the recomputation costs less.
MAX_OBSERVATIONS = 500_000

_FACTS_OF_VERSIONS = (
    "SELECT o.version_id, " + ", ".join(f"{sql} AS {name}" for name, sql in FACT_SQL.items())
    + " FROM (SELECT id AS version_id FROM model_versions WHERE id IN :ids) AS o"
    + " LEFT OUTER JOIN evidence AS ev ON ev.version_id = o.version_id"
)

# Each stored run's observations of some models (`:repos`) from run `:lowest` on, with what places them
# in the run's rows: the label as of the run, privacy, the downloads tier and the stored top tiers.
_OBSERVED = f"""
SELECT o.run_id, o.version_id,
       {LABEL} AS label,
       {IS_PRIVATE} AS is_private,
       {OVER_TIER} AS over_tier,
       CASE WHEN EXISTS (SELECT 1 FROM run_top_models AS t WHERE t.run_id = o.run_id AND t.scope = 'public' AND t.repo_id = o.repo_id) THEN 1 ELSE 0 END AS top_public,
       CASE WHEN EXISTS (SELECT 1 FROM run_top_models AS t WHERE t.run_id = o.run_id AND t.scope = 'all' AND t.repo_id = o.repo_id) THEN 1 ELSE 0 END AS top_all
FROM observations AS o
{LABEL_EVENT_JOIN}
WHERE o.repo_id IN :repos AND o.run_id >= :lowest AND o.version_id IN :versions
"""


def version_facts(conn: Connection, version_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """Each version's facts (FACTS order, 0 or 1) as the run aggregates count them now."""
    query = text(_FACTS_OF_VERSIONS).bindparams(bindparam("ids", expanding=True))
    return {
        r[0]: tuple(int(x) for x in r[1:])
        for part in _chunks(sorted(set(version_ids)))
        for r in conn.execute(query, {"ids": part})
    }


@contextmanager
def facts_moving(conn: Connection, version_ids: Sequence[int]) -> Iterator[None]:
    """The evidence (or base and dataset links) of these versions is written inside the block: the
    stored aggregates of the runs that counted them are corrected by the difference of their facts."""
    ids = sorted(set(version_ids))
    stored = _stored_runs(conn) if ids else []
    if not stored:  # the usual case: new versions, whose runs' aggregates are written later
        yield
        return
    observed = _observations(conn, ids, stored)
    if observed is None:  # too many to correct one by one
        yield
        versions_changed(conn, ids)
        return
    if not observed:  # no stored run saw them (a crawl's new versions): nothing to correct
        yield
        return
    before = version_facts(conn, ids)
    yield
    after = version_facts(conn, ids)
    moved = {v: tuple(a - b for a, b in zip(after.get(v, (0,) * len(FACTS)), before.get(v, (0,) * len(FACTS)))) for v in ids}
    moved = {v: d for v, d in moved.items() if any(d)}
    _apply(conn, [(run_id, row, moved[version]) for run_id, version, row in observed if version in moved])
    # The stored week changes read licences and their families, which move without moving a fact
    # counted here (one open licence for another): those of every run that saw the versions go.
    drop_week_changes(conn, sorted({run_id for run_id, _, _ in observed}))


def _stored_runs(conn: Connection) -> list[int]:
    rr = s.run_rollups
    return [r for (r,) in conn.execute(select(rr.c.run_id).distinct().order_by(rr.c.run_id))]


def _observations(conn: Connection, ids: list[int], stored: list[int]) -> list[tuple[int, int, tuple]] | None:
    """(run, version, (label, is_private, over_tier, top_public, top_all)) for each stored run's
    observation of these versions; None past MAX_OBSERVATIONS."""
    v = s.model_versions
    repo_of: dict[int, str] = {}
    lowest = None
    for part in _chunks(ids):
        # Locked until the write commits (PostgreSQL; SQLite has one writer at a time): two analysers
        # writing the same version's evidence at once would otherwise both add its difference.
        locked = select(v.c.id, v.c.repo_id, v.c.first_seen_run).where(v.c.id.in_(part)).order_by(v.c.id).with_for_update()
        for r in conn.execute(locked):
            repo_of[r.id] = r.repo_id
            first = r.first_seen_run or 0
            lowest = first if lowest is None else min(lowest, first)
    keep = set(stored)
    query = text(_OBSERVED).bindparams(bindparam("repos", expanding=True), bindparam("versions", expanding=True), over=DOWNLOADS_TIER)
    found = []
    for part in _chunks(ids):  # a statement names at most 500 versions and their models
        repos = sorted({repo_of[v] for v in part if v in repo_of})
        if not repos:
            continue
        for r in conn.execute(query, {"repos": repos, "versions": part, "lowest": max(lowest or 0, stored[0])}):
            if r.run_id in keep:
                found.append((r.run_id, r.version_id, (r.label, r.is_private, r.over_tier, r.top_public, r.top_all)))
                if len(found) > MAX_OBSERVATIONS:
                    return None
    return found


def _apply(conn: Connection, moves: list[tuple[int, tuple, tuple[int, ...]]]) -> None:
    """Add each observation's fact difference to the rows of its run that counted it; a run without
    its top tier stored, or missing a row the observation was counted in, is dropped instead."""
    if not moves:
        return
    runs = sorted({run_id for run_id, _, _ in moves})
    ru, rt = s.runs, s.run_top_models
    has_top = select(rt.c.run_id).where(rt.c.run_id == ru.c.id).exists()  # one seek a run, not its 2,000 rows
    with_top = {r for part in _chunks(runs) for (r,) in conn.execute(select(ru.c.id).where(ru.c.id.in_(part), has_top))}
    totals: dict[tuple[int, str, str, str], list[int]] = {}
    for run_id, (label, is_private, over_tier, top_public, top_all), delta in moves:
        for scope, tier in counted_in(is_private, over_tier, top_public, top_all):
            into = totals.setdefault((run_id, scope, tier, label or UNLABELLED), [0] * len(FACTS))
            for i, d in enumerate(delta):
                into[i] += d
    rr = s.run_rollups
    update = (
        rr.update()
        .where(rr.c.run_id == bindparam("r_run"), rr.c.scope == bindparam("r_scope"), rr.c.tier == bindparam("r_tier"),
               rr.c.label == bindparam("r_label"))
        .values({f: rr.c[f] + bindparam(f"d_{f}") for f in FACTS})
    )
    broken = {r for r in runs if r not in with_top}
    changes = [
        {"r_run": run_id, "r_scope": scope, "r_tier": tier, "r_label": label, **{f"d_{f}": d for f, d in zip(FACTS, delta)}}
        for (run_id, scope, tier, label), delta in sorted(totals.items())
        if run_id not in broken and any(delta)
    ]
    # One statement for all the rows (thousands a batch at Hub scale). Should a row the observations
    # were counted in be missing, its run is dropped (the others' rows were updated as they should).
    if changes and conn.dialect.supports_sane_multi_rowcount:
        if conn.execute(update, changes).rowcount != len(changes):
            broken |= _runs_missing_rows(conn, changes)
    else:
        for change in changes:
            if conn.execute(update, change).rowcount != 1:
                broken.add(change["r_run"])
    drop_run_rollups(conn, broken)


def _runs_missing_rows(conn: Connection, changes: list[dict]) -> set[int]:
    rr = s.run_rollups
    runs = sorted({c["r_run"] for c in changes})
    have = {tuple(r) for part in _chunks(runs) for r in conn.execute(select(rr.c.run_id, rr.c.scope, rr.c.tier, rr.c.label).where(rr.c.run_id.in_(part)))}
    return {c["r_run"] for c in changes if (c["r_run"], c["r_scope"], c["r_tier"], c["r_label"]) not in have}


__all__ = ["MAX_OBSERVATIONS", "facts_moving", "version_facts"]
