"""The lineage graph in the database: what each declared base resolves to, and what to ask the Hub.

`version_bases` holds every base a version's evidence names (its id as written, a lower-cased key,
its kind and source). `resolve_bases` matches the keys against stored models (case-insensitively,
the Hub's way), then against aliases the Hub redirected before (`model_aliases`), and records the
rest with the answer of the last lookup (`base_lookups`): missing, disabled, invalid, or pending
when no run asked yet. `bases_to_ask` lists the keys a run should ask the Hub about: unresolved, not
asked by this run, and not asked lately. `lineage_edges` yields the resolved graph as integer pairs
for ordering the labelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import Connection, and_, func, or_, select, text, update

from extract.licence_catalog import OPEN_FAMILIES
from extract.version_input import siblings_of

from . import schema as s
from .crawl_writes import utcnow
from .portable import fit, upsert

BATCH = 500


# `|| ''` takes away base_key's TEXT affinity: SQLite compares with an expression index only where
# the comparison has none, so without it every unresolved base scanned all of `models` in key order
# (14 s for 8,000 bases against 12,000 models; quadratic at Hub scale). The value is unchanged.
RESOLVE_BY_REPO_KEY = (
    "UPDATE version_bases SET resolved_id = (SELECT m.repo_id FROM models m "
    "WHERE lower(m.repo_id) = version_bases.base_key || '' ORDER BY m.repo_id LIMIT 1) "
    "WHERE kind = 'hub-id' AND (status IS NULL OR status <> 'ok')"
)


def resolve_bases(conn: Connection) -> None:
    """Fill `resolved_id` and `status` of every base row that is not resolved yet (idempotent)."""
    vb = "version_bases"
    not_ok = "(status IS NULL OR status <> 'ok')"
    conn.execute(text(f"UPDATE {vb} SET status = kind WHERE kind <> 'hub-id' AND status IS NULL"))
    conn.execute(text(RESOLVE_BY_REPO_KEY))
    conn.execute(
        text(
            f"UPDATE {vb} SET resolved_id = (SELECT a.repo_id FROM model_aliases a WHERE a.alias_key = {vb}.base_key) "
            f"WHERE kind = 'hub-id' AND resolved_id IS NULL AND {not_ok}"
        )
    )
    conn.execute(text(f"UPDATE {vb} SET status = 'ok' WHERE resolved_id IS NOT NULL AND {not_ok}"))
    conn.execute(
        text(
            f"UPDATE {vb} SET status = COALESCE((SELECT b.status FROM base_lookups b WHERE b.base_key = {vb}.base_key "
            f"AND b.status <> 'ok'), 'pending') WHERE kind = 'hub-id' AND resolved_id IS NULL"
        )
    )


@dataclass(frozen=True)
class BaseToAsk:
    key: str
    asked_id: str  # as one version wrote it (the Hub resolves case and legacy ids itself)


def bases_to_ask(conn: Connection, run_id: int, refresh_before: str, after: str = "", limit: int = BATCH) -> list[BaseToAsk]:
    """Unresolved Hub-id bases, in key order after `after`, that this run has not asked about and that
    no run asked about since `refresh_before` (each distinct base: at most once per run, again when due)."""
    vb, bl = s.version_bases, s.base_lookups
    rows = conn.execute(
        select(vb.c.base_key, func.min(vb.c.base_id).label("asked_id"))
        .outerjoin(bl, bl.c.base_key == vb.c.base_key)
        .where(vb.c.kind == "hub-id", vb.c.resolved_id.is_(None), vb.c.base_key > after)
        .where(or_(bl.c.base_key.is_(None), and_(bl.c.run_id != run_id, bl.c.asked_at < refresh_before)))
        .group_by(vb.c.base_key)
        .order_by(vb.c.base_key)
        .limit(limit)
    )
    return [BaseToAsk(r.base_key, r.asked_id) for r in rows if r.base_key]


def record_lookup(conn: Connection, run_id: int, asked: BaseToAsk, status: str, repo_id: str | None, error: str | None) -> None:
    """Remember the Hub's answer about a base; a redirect to another id becomes an alias."""
    now = utcnow()
    upsert(conn, s.base_lookups, [{
        "base_key": asked.key, "asked_id": asked.asked_id, "status": status, "repo_id": repo_id,
        "run_id": run_id, "asked_at": now, "error": error,
    }])
    if status == "ok" and repo_id is not None and repo_id.lower() != asked.key:
        upsert(conn, s.model_aliases, [fit(s.model_aliases, {"alias_key": asked.key, "repo_id": repo_id, "run_id": run_id, "recorded_at": now})])
    if status != "ok":
        # the rows of this key learn the answer now, not at the next classification
        conn.execute(update(s.version_bases).where(s.version_bases.c.base_key == asked.key, s.version_bases.c.resolved_id.is_(None)).values(status=status))


def lineage_edges(conn: Connection, batch: int = 50_000) -> Iterator[tuple[int, int]]:
    """(version id, version id of its base's current version) for every resolved base, streamed."""
    vb, m = s.version_bases, s.models
    last = (0, "")
    while True:
        rows = conn.execute(
            select(vb.c.version_id, vb.c.base_id, m.c.current_version_id)
            .join(m, m.c.repo_id == vb.c.resolved_id)
            .where(vb.c.status == "ok", m.c.current_version_id.is_not(None))
            .where(or_(vb.c.version_id > last[0], and_(vb.c.version_id == last[0], vb.c.base_id > last[1])))
            .order_by(vb.c.version_id, vb.c.base_id)
            .limit(batch)
        ).all()
        if not rows:
            return
        last = (rows[-1].version_id, rows[-1].base_id)
        for r in rows:
            if r.version_id != r.current_version_id:
                yield r.version_id, r.current_version_id


def unverifiable_count(conn: Connection) -> int:
    """Current versions with at least one base that could not be verified (for status and reports)."""
    vb, m = s.version_bases, s.models
    return int(
        conn.execute(
            select(func.count(func.distinct(vb.c.version_id)))
            .join(m, m.c.current_version_id == vb.c.version_id)
            .where(vb.c.status != "ok")
        ).scalar_one()
    )


def record_cycles(conn: Connection, run_id: int | None, cycles) -> None:
    """One `lineage-cycle` problem per model in a cycle (on `run_id`, else the newest run)."""
    from .crawl_writes import add_problem

    if run_id is None:
        run_id = conn.execute(select(func.max(s.runs.c.id))).scalar()
    if run_id is None:
        return
    v = s.model_versions
    for members in cycles[:1000]:
        rows = conn.execute(select(v.c.id, v.c.repo_id, v.c.sha).where(v.c.id.in_(list(members)[:200]))).all()
        names = ", ".join(sorted(r.repo_id for r in rows))[:1500]
        already = {
            r.repo_id for r in conn.execute(
                select(s.problems.c.repo_id).where(s.problems.c.run_id == run_id, s.problems.c.code == "lineage-cycle")
            )
        }
        for r in rows:
            if r.repo_id not in already:
                add_problem(conn, run_id, "model", r.repo_id, r.sha, "classify", "lineage-cycle", f"its lineage loops back to it: {names}")
    from .analysis_io import count_problems

    count_problems(conn, run_id)


@dataclass(frozen=True)
class ConfigCandidate:
    version_id: int
    repo_id: str
    sha: str
    path: str




def config_candidates(conn: Connection, names: list[str], limit: int) -> list[ConfigCandidate]:
    """Current versions under an open licence, with weights, that name no base and whose config file
    was never fetched: a config.json may still say which model they were loaded from."""
    m, v, e, vb, f = s.models, s.model_versions, s.evidence, s.version_bases, s.version_files
    has_base = select(vb.c.version_id).where(vb.c.version_id == v.c.id).exists()
    has_config = select(f.c.version_id).where(f.c.version_id == v.c.id, f.c.path.in_(names)).exists()
    out: list[ConfigCandidate] = []
    last: int | None = None
    while len(out) < limit:
        query = (
            select(v.c.id, v.c.repo_id, v.c.sha, v.c.metadata)
            .join(m, m.c.current_version_id == v.c.id)
            .join(e, e.c.version_id == v.c.id)
            .where(m.c.status == "active", m.c.private.is_(False), e.c.weights.is_(True))
            .where(e.c.licence_family.in_(sorted(OPEN_FAMILIES)), ~has_base, ~has_config)
            .order_by(v.c.id.desc())  # newest versions first
            .limit(BATCH)
        )
        rows = conn.execute(query if last is None else query.where(v.c.id < last)).all()
        if not rows:
            break
        last = rows[-1].id
        for r in rows:
            siblings = set(siblings_of(r.metadata or {}) or ())
            path = next((n for n in names if n in siblings), None)
            if path is not None and len(out) < limit:
                out.append(ConfigCandidate(r.id, r.repo_id, r.sha, path))
    return out


def record_config_files(conn: Connection, run_id: int, fetched) -> None:
    """Store fetched config files as files of their version (they enter its extraction inputs)."""
    from .crawl_writes import record_files

    record_files(conn, run_id, [(c.version_id, c.repo_id, c.sha, [outcome]) for c, outcome in fetched])
