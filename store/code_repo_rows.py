"""Linked GitHub repositories in the database: which to check, what was seen, and loading it for extraction.

`version_code_repos` is written from each version's evidence (like `version_bases`): the repositories
its card links as its code. The crawler's GitHub stage asks which of them are *due* (linked from the
current version of a model whose label could rise above Open Weights, and never checked, failed last
time, or checked longer ago than the refresh period) and records each answer in `code_repos`.
Extraction reads the rows back as `StoredCodeRepo`s; a row's `state_digest` goes into the inputs
digest of the versions linking it, so a repository that changes re-extracts exactly those versions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import Connection, and_, delete, or_, select, update

from extract.licence_catalog import OPEN_FAMILIES
from extract.types import StoredCodeRepo

from . import schema as s
from .blobs import pack, unpack
from .crawl_writes import utcnow
from .portable import fit, fit_value, insert_ignore

MAX_TREE_ENTRIES = 20_000  # paths kept per repository (the rest is marked truncated)
MAX_DOC_CHARS = 64_000
MAX_DOCS = 4
CHECKED_ROLES = ("training", "repository", "inference")
#: Outcomes that stand until the repository is due again; the others are retried by the next run.
SETTLED = ("ok", "renamed", "missing", "blocked")


@dataclass
class RepoSeen:
    """What one check of a repository found (the crawler fills it; `record_repo` stores it)."""

    status: str  # ok | renamed | missing | blocked | error
    full_name: str | None = None
    github_id: int | None = None
    archived: bool | None = None
    fork: bool | None = None
    default_branch: str | None = None
    licence_spdx: str | None = None
    licence_key: str | None = None
    licence_name: str | None = None
    description: str | None = None
    tree: list[tuple[str, int]] = field(default_factory=list)
    tree_entries: int | None = None
    truncated: bool = False
    docs: dict[str, str] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class LastCheck:
    """A `code_repos` row as the next check needs it: the ETags and what they stand for."""

    name: str
    status: str
    full_name: str | None
    github_id: int | None
    default_branch: str | None
    seen: RepoSeen


# --- links from evidence --------------------------------------------------------------------------


def link_code_repos(conn: Connection, ids: Sequence[int], links: Sequence[tuple[int, str, str]]) -> None:
    """Replace the links of versions `ids` to the repositories their cards give as their code: `links`
    are (version id, repository name, role) of the references in CHECKED_ROLES that were looked at."""
    if not ids:
        return
    conn.execute(delete(s.version_code_repos).where(s.version_code_repos.c.version_id.in_(ids)))
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for version_id, repo_name, role in links:
        name = fit_value(s.version_code_repos.c.repo_name, repo_name)
        rows.setdefault((version_id, name), {"version_id": version_id, "repo_name": name, "role": role})
    insert_ignore(conn, s.version_code_repos, list(rows.values()))


# --- which repositories to check ------------------------------------------------------------------


def repos_due(
    conn: Connection, run_id: int, refresh_before: str, after: str = "", batch: int = 200, owns: Callable[[str], bool] | None = None
) -> tuple[list[str], str | None]:
    """Repository names to check in this run, in name order after `after`, and where the next page starts
    (None: no more).

    Linked from the current version of an active model with weights under an open licence (its label
    could rise above Open Weights); and never checked, or not settled last time, or last answered
    before `refresh_before`; and not yet asked by this run.
    """
    vcr, m, e, cr = s.version_code_repos, s.models, s.evidence, s.code_repos
    query = (
        select(vcr.c.repo_name, m.c.repo_id)
        .join(m, m.c.current_version_id == vcr.c.version_id)
        .join(e, e.c.version_id == vcr.c.version_id)
        .outerjoin(cr, cr.c.name == vcr.c.repo_name)
        .where(m.c.status == "active", e.c.weights.is_(True), e.c.licence_family.in_(sorted(OPEN_FAMILIES)))
        .where(vcr.c.repo_name > after)
        .where(or_(cr.c.name.is_(None), and_(cr.c.fetched_run != run_id, or_(cr.c.status.not_in(SETTLED), cr.c.fetched_at <= refresh_before))))
        .order_by(vcr.c.repo_name)
        .limit(batch)
    )
    names: list[str] = []
    last = None
    for row in conn.execute(query):
        last = row.repo_name
        # a shard worker checks the repositories its own models link (two shards may both check one)
        if (owns is None or owns(row.repo_id)) and row.repo_name not in names:
            names.append(row.repo_name)
    return names, last


def last_check(conn: Connection, name: str) -> LastCheck | None:
    row = conn.execute(select(s.code_repos).where(s.code_repos.c.name == name)).first()
    if row is None:
        return None
    return LastCheck(row.name, row.status, row.full_name, row.github_id, row.default_branch, _seen_of(row))


def _seen_of(row: Any) -> RepoSeen:
    tree = json.loads(unpack(row.tree) or b"[]")
    docs = json.loads(unpack(row.docs) or b"{}")
    return RepoSeen(
        status=row.status, full_name=row.full_name, github_id=row.github_id, archived=row.archived, fork=row.fork,
        default_branch=row.default_branch, licence_spdx=row.licence_spdx, licence_key=row.licence_key,
        licence_name=row.licence_name, description=row.description, tree=[(p, int(n)) for p, n in tree],
        tree_entries=row.tree_entries, truncated=bool(row.truncated), docs=dict(docs), etags=dict(row.etags or {}), error=row.error,
    )


# --- writes ---------------------------------------------------------------------------------------


def state_digest(seen: RepoSeen) -> str:
    """Everything extraction reads of a repository: equal digests, equal evidence."""
    parts = [seen.status, seen.full_name, bool(seen.archived), bool(seen.fork), seen.default_branch, seen.licence_spdx,
             seen.licence_key, seen.licence_name, seen.tree, bool(seen.truncated), sorted(seen.docs.items())]
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()


def record_repo(conn: Connection, run_id: int, name: str, seen: RepoSeen) -> bool:
    """Store a check's answer; returns True when what extraction reads of it changed."""
    tree = sorted(seen.tree)[:MAX_TREE_ENTRIES]
    truncated = seen.truncated or len(seen.tree) > MAX_TREE_ENTRIES
    docs = {p: t[:MAX_DOC_CHARS] for p, t in list(seen.docs.items())[:MAX_DOCS]}
    bounded = RepoSeen(**{**seen.__dict__, "tree": tree, "truncated": truncated, "docs": docs})
    digest = state_digest(bounded)
    values = fit(s.code_repos, {
        "full_name": seen.full_name, "github_id": seen.github_id, "status": seen.status, "archived": seen.archived,
        "fork": seen.fork, "default_branch": seen.default_branch, "licence_spdx": seen.licence_spdx,
        "licence_key": seen.licence_key, "licence_name": seen.licence_name,
        "description": (seen.description or "")[:500] or None,
        "tree_digest": hashlib.sha1(json.dumps(tree).encode()).hexdigest() if tree else None,
        "tree_entries": seen.tree_entries, "truncated": truncated,
        "tree": pack(json.dumps(tree).encode()) if tree else None,
        "docs": pack(json.dumps(docs, ensure_ascii=False).encode()) if docs else None,
        "state_digest": digest, "etags": dict(seen.etags), "fetched_run": run_id, "fetched_at": utcnow(), "error": seen.error,
    })
    before = conn.execute(select(s.code_repos.c.state_digest).where(s.code_repos.c.name == name)).first()
    if before is None:
        insert_ignore(conn, s.code_repos, [{"name": name, "first_seen_run": run_id, **values}])
        conn.execute(update(s.code_repos).where(s.code_repos.c.name == name).values(**values))  # a concurrent shard's row
        return True
    conn.execute(update(s.code_repos).where(s.code_repos.c.name == name).values(**values))
    return before.state_digest != digest


def record_failure(conn: Connection, run_id: int, name: str, status: str, error: str) -> bool:
    """A check that failed (error, rate-limited): an earlier answer stays, and is due again next run.

    Returns True when a row was created (its versions are re-extracted to say the check failed).
    """
    exists = conn.execute(select(s.code_repos.c.status).where(s.code_repos.c.name == name)).first()
    if exists is not None:
        conn.execute(update(s.code_repos).where(s.code_repos.c.name == name).values(fetched_run=run_id, error=error[:500]))
        return False
    seen = RepoSeen(status=status, error=error[:500])
    row = fit(s.code_repos, {"name": name, "status": status, "state_digest": state_digest(seen), "etags": {},
                             "first_seen_run": run_id, "fetched_run": run_id, "fetched_at": utcnow(), "error": error[:500]})
    insert_ignore(conn, s.code_repos, [row])
    return True


def versions_linking(conn: Connection, names: Iterable[str]) -> list[int]:
    names = sorted(set(names))
    found: set[int] = set()
    for start in range(0, len(names), 500):
        part = names[start : start + 500]
        found.update(r.version_id for r in conn.execute(select(s.version_code_repos.c.version_id).where(s.version_code_repos.c.repo_name.in_(part))))
    return sorted(found)


# --- reads for extraction ---------------------------------------------------------------------------


def repo_states(conn: Connection, version_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """(repo name, state digest) of the checked repositories each version links, for its inputs digest."""
    vcr, cr = s.version_code_repos, s.code_repos
    out: dict[int, list[tuple[str, str]]] = {}
    rows = conn.execute(
        select(vcr.c.version_id, vcr.c.repo_name, cr.c.state_digest)
        .join(cr, cr.c.name == vcr.c.repo_name)
        .where(vcr.c.version_id.in_(list(version_ids)))
        .order_by(vcr.c.version_id, vcr.c.repo_name)
    )
    for r in rows:
        out.setdefault(r.version_id, []).append((r.repo_name, r.state_digest))
    return out


def load_code_repos(conn: Connection, version_ids: Sequence[int]) -> dict[int, dict[str, StoredCodeRepo]]:
    vcr, cr = s.version_code_repos, s.code_repos
    links: dict[int, list[str]] = {}
    for r in conn.execute(select(vcr.c.version_id, vcr.c.repo_name).where(vcr.c.version_id.in_(list(version_ids)))):
        links.setdefault(r.version_id, []).append(r.repo_name)
    names = sorted({n for ns in links.values() for n in ns})
    snaps: dict[str, StoredCodeRepo] = {}
    for start in range(0, len(names), 500):
        for row in conn.execute(select(cr).where(cr.c.name.in_(names[start : start + 500]))):
            snaps[row.name] = stored_code_repo(row)
    return {vid: {n: snaps[n] for n in ns if n in snaps} for vid, ns in links.items()}


def stored_code_repo(row: Any) -> StoredCodeRepo:
    seen = _seen_of(row)
    return StoredCodeRepo(
        name=row.name, status=row.status, full_name=row.full_name, archived=bool(row.archived), fork=bool(row.fork),
        default_branch=row.default_branch, licence_spdx=row.licence_spdx, licence_key=row.licence_key,
        licence_name=row.licence_name, tree=tuple(seen.tree), truncated=bool(row.truncated), docs=seen.docs,
        fetched_at=row.fetched_at, error=row.error,
    )

