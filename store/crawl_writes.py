"""What a crawl writes, one transaction per call: a listing page, a batch of downloads, a dataset.

Idempotent by construction: a version row is keyed by (repo_id, sha) and written once; the model
row is only updated when a stored field really changed; observations are keyed by (run, model).
Crawling an unchanged hub again therefore touches only `runs` and `observations`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

from sqlalchemy import Connection, and_, bindparam, func, insert, select, tuple_, update

from extract.version_input import siblings_of

from . import schema as s
from .blobs import pack
from .portable import fit, fit_value
from .records import ItemProblem, PendingFetch, VersionDownload, linked_dataset_ids
from .redact import redact, strip_credentials
from .rollups import models_changed, note_latest

# Counters that change every day without the model changing: kept per run, not per version.
VOLATILE_FIELDS = frozenset({"downloads", "likes", "trendingScore", "downloadsAllTime", "_id"})


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# --- runs -------------------------------------------------------------------------------


RUN_COUNTERS = (
    "models_seen", "versions_new", "readmes_fetched", "files_fetched", "datasets_fetched", "disappeared",
    "problems", "api_calls", "resolver_calls", "retries", "rate_limited", "incomplete", "lineage_calls", "bases_fetched",
)


def start_run(
    conn: Connection, endpoint: str, params: Mapping[str, Any], full_sweep: bool, mode: str = "full", analysis: str = "pending"
) -> int:
    """A new run row. `analysis` is `pending` when the crawl will extract and label, else `skipped`."""
    result = conn.execute(
        insert(s.runs).values(
            started_at=utcnow(),
            status="running",
            analysis=analysis,
            endpoint=strip_credentials(endpoint),
            full_sweep=full_sweep,
            params=dict(params),
            mode=mode,
            pages=0,
            listing_done=False,
            **{name: 0 for name in RUN_COUNTERS},
        )
    )
    return int(result.inserted_primary_key[0])


def resumable_run(conn: Connection, endpoint: str, params: Mapping[str, Any]) -> Any | None:
    """The newest run, if it stopped before finishing (killed, interrupted, failed) with the same query."""
    # the newest run of *this* crawl: shard workers and other queries have runs of their own
    endpoint = strip_credentials(endpoint)
    for row in conn.execute(select(s.runs).where(s.runs.c.endpoint == endpoint).order_by(s.runs.c.id.desc()).limit(50)):
        if dict(row.params or {}) == dict(params):
            return row if row.status in ("running", "interrupted", "failed") and row.mode is not None else None
    return None


def reopen_run(conn: Connection, run_id: int, analyse: bool = True) -> None:
    values: dict[str, Any] = {"status": "running", "finished_at": None, "error": None}
    if analyse:
        values["analysis"] = "pending"
    conn.execute(update(s.runs).where(s.runs.c.id == run_id).values(**values))


def bump(conn: Connection, run_id: int, **deltas: int) -> None:
    """Add to a run's counters in the caller's transaction, so a resumed run keeps its totals."""
    deltas = {k: v for k, v in deltas.items() if v}
    if deltas:
        conn.execute(update(s.runs).where(s.runs.c.id == run_id).values({getattr(s.runs.c, k): getattr(s.runs.c, k) + v for k, v in deltas.items()}))


def finish_run(
    conn: Connection, run_id: int, status: str, error: str | None = None, owns: Callable[[str], bool] | None = None
) -> int:
    """Close the run; returns how many problems it recorded.

    `incomplete` counts the versions (of this worker's repos) whose README is still to be fetched:
    lost to faults after every retry, or never reached. The next crawl fetches them first.
    """
    problems = conn.execute(select(func.count()).select_from(s.problems).where(s.problems.c.run_id == run_id)).scalar_one()
    conn.execute(
        update(s.runs).where(s.runs.c.id == run_id).values(
            finished_at=utcnow(), status=status, error=redact(error), problems=problems, incomplete=count_incomplete(conn, owns)
        )
    )
    return int(problems)


def count_incomplete(conn: Connection, owns: Callable[[str], bool] | None = None) -> int:
    v = s.model_versions
    waiting = v.c.readme_status.in_(("pending", "error"))
    if owns is None:
        return int(conn.execute(select(func.count()).select_from(v).where(waiting)).scalar_one())
    return sum(1 for row in conn.execute(select(v.c.repo_id).where(waiting)) if owns(row.repo_id))


# --- listing ----------------------------------------------------------------------------


def version_key(item: Mapping[str, Any]) -> str:
    """The listed sha; a content hash when a listing omits it (so versions still separate)."""
    sha = item.get("sha")
    if isinstance(sha, str) and sha:
        return sha
    stable = {k: v for k, v in item.items() if k not in VOLATILE_FIELDS}
    return "meta-" + hashlib.sha1(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()


def gated_value(value: Any) -> str:
    return value if value in ("auto", "manual") else "false"


def record_listing_page(
    conn: Connection,
    run_id: int,
    items: Sequence[Mapping[str, Any]],
    next_url: str | None = None,
    problems: Sequence[ItemProblem] = (),
) -> tuple[list[PendingFetch], int]:
    """Store one listing page (items checked by crawler.validate) and move the run's cursor past it,
    in the caller's one transaction.

    A problem with an item's version is recorded when that version is first stored (a malformed
    field is not news every night); one with its per-run counters, or with an item that could not be
    stored at all, in every run that sees it. Returns the versions that still need downloads, and
    how many versions were new.
    """
    items = list({item["id"]: item for item in items}.values())  # a page never holds a repo twice
    ids = [item["id"] for item in items]
    versions, fresh_ids = store_models(conn, run_id, items, origin="listing")
    new_versions = len(fresh_ids)
    if problems:
        add_problems_once(
            conn,
            run_id,
            [
                {"repo_id": p.repo_id, "sha": versions_sha(items, p.repo_id), "stage": "listing", "code": p.code, "message": p.message}
                for p in problems
                if p.volatile or p.repo_id in fresh_ids or p.repo_id not in versions
            ],
        )
    o = s.observations
    observed = {r.repo_id for r in conn.execute(select(o.c.repo_id).where(and_(o.c.run_id == run_id, o.c.repo_id.in_(ids))))} if ids else set()
    fresh = [_observation(run_id, item, versions[item["id"]]) for item in items if item["id"] not in observed]
    if fresh:
        conn.execute(insert(o), fresh)
    again = [_observation(run_id, item, versions[item["id"]]) for item in items if item["id"] in observed]
    note_latest(conn, fresh + again)  # each model's latest observation (store/rollups.py)
    if again:  # the same run resumed and saw these models again: refresh, never duplicate
        conn.execute(
            update(o).where(and_(o.c.run_id == bindparam("r"), o.c.repo_id == bindparam("k"))),
            [{"r": x.pop("run_id"), "k": x.pop("repo_id"), **x} for x in again],
        )
    high_water = max((str(i.get("lastModified")) for i in items if i.get("lastModified")), default=None)
    run = conn.execute(select(s.runs.c.high_water).where(s.runs.c.id == run_id)).first()
    checkpoint = {"cursor": strip_credentials(next_url), "pages": s.runs.c.pages + 1}
    if next_url is None:
        checkpoint["listing_done"] = True
    if high_water and (run.high_water is None or high_water > run.high_water):
        checkpoint["high_water"] = high_water
    conn.execute(update(s.runs).where(s.runs.c.id == run_id).values(**checkpoint))
    bump(conn, run_id, models_seen=len(fresh), versions_new=new_versions)
    pending = pending_fetches(conn, version_ids=[versions[i] for i in ids])
    return pending, new_versions


def versions_sha(items: Sequence[Mapping[str, Any]], repo_id: str) -> str | None:
    item = next((i for i in items if i["id"] == repo_id), None)
    return version_key(item) if item is not None else None


def store_models(conn: Connection, run_id: int, items: Sequence[Mapping[str, Any]], origin: str) -> tuple[dict[str, int], set[str]]:
    """Store models and their current versions (listing items or model-info answers).

    Returns each repo's current version id and the repos whose version was new. `origin` is how a new
    model came in ("listing", or "lineage" for a base asked about by id); a listed model is a listing
    model from then on, and a lineage answer never demotes it.
    """
    ids = [item["id"] for item in items]
    m, v = s.models, s.model_versions
    known = {row.repo_id: row for row in conn.execute(select(m).where(m.c.repo_id.in_(ids)))} if ids else {}
    keys = {item["id"]: version_key(item) for item in items}
    versions = {
        (r.repo_id, r.sha): r.id
        for r in conn.execute(select(v.c.id, v.c.repo_id, v.c.sha).where(tuple_(v.c.repo_id, v.c.sha).in_(list(keys.items()))))
    } if keys else {}
    rows = {item["id"]: _model_row(item, keys[item["id"]]) for item in items}
    new_models = [fit(m, dict(repo_id=i, first_seen_run=run_id, origin=origin, **rows[i])) for i in ids if i not in known]
    if new_models:
        conn.execute(insert(m), new_models)
    # Every statement below is one executemany per page, not one per model: a page of 1,000 models
    # is a handful of round trips.
    fresh_versions = [item for item in items if (item["id"], keys[item["id"]]) not in versions]
    if fresh_versions:
        conn.execute(
            insert(v),
            [
                fit(v, {
                    "repo_id": item["id"],
                    "sha": keys[item["id"]],
                    "first_seen_run": run_id,
                    "last_modified": item.get("lastModified"),
                    "metadata": {k: val for k, val in item.items() if k not in VOLATILE_FIELDS},
                    "readme_status": "pending",
                })
                for item in fresh_versions
            ],
        )
        wanted = [(item["id"], keys[item["id"]]) for item in fresh_versions]
        versions.update(
            {(r.repo_id, r.sha): r.id for r in conn.execute(select(v.c.id, v.c.repo_id, v.c.sha).where(tuple_(v.c.repo_id, v.c.sha).in_(wanted)))}
        )
        links = [
            {"version_id": versions[(item["id"], keys[item["id"]])], "dataset_id": d}
            for item in fresh_versions
            for d in dict.fromkeys(fit_value(s.version_datasets.c.dataset_id, d) for d in linked_dataset_ids(item))
        ]
        if links:  # a version is new, so it has no links yet
            conn.execute(insert(s.version_datasets), links)
    changes = []
    for repo_id in ids:
        row = dict(rows[repo_id], current_version_id=versions[(repo_id, keys[repo_id])])
        current = known.get(repo_id)
        if current is not None and origin == "listing" and current.origin == "lineage":
            row["origin"] = "listing"  # the crawl now lists a model it first stored for lineage
        if current is None or any(getattr(current, k) != val for k, val in row.items()):
            changes.append({"key": repo_id, **fit(m, row)})
    # one executemany per set of columns: a row that also sets `origin` (a lineage model the listing
    # now shows) cannot share a statement with rows that do not
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        by_columns.setdefault(tuple(sorted(change)), []).append(change)
    for group in by_columns.values():
        conn.execute(update(m).where(m.c.repo_id == bindparam("key")), group)
    # a model that turned private or public was counted in the wrong scope by the runs that saw it,
    # one that changed organisation for the wrong organisation
    models_changed(conn, [c["key"] for c in changes if c["key"] in known and (
        bool(known[c["key"]].private) != bool(c["private"]) or known[c["key"]].author != c["author"])])
    return {i: versions[(i, keys[i])] for i in ids}, {item["id"] for item in fresh_versions}


def _model_row(item: Mapping[str, Any], sha: str) -> dict[str, Any]:
    repo_id = item["id"]
    return {
        "author": item.get("author") or (repo_id.split("/", 1)[0] if "/" in repo_id else None),
        "sha": sha,
        "gated": gated_value(item.get("gated")),
        "private": bool(item.get("private")),
        "disabled": bool(item.get("disabled")),
        "created_at": item.get("createdAt"),
        "last_modified": item.get("lastModified"),
        "pipeline_tag": item.get("pipeline_tag"),
        "library_name": item.get("library_name"),
        "status": "active",
        "disappeared_run": None,
    }


def _observation(run_id: int, item: Mapping[str, Any], version_id: int) -> dict[str, Any]:
    return {"run_id": run_id, "repo_id": item["id"], "version_id": version_id, "downloads": item.get("downloads"), "likes": item.get("likes")}


def mark_listing_done(conn: Connection, run_id: int) -> None:
    conn.execute(update(s.runs).where(s.runs.c.id == run_id).values(listing_done=True, cursor=None))


def pending_fetches(conn: Connection, *, version_ids: Iterable[int] | None = None, limit: int | None = None) -> list[PendingFetch]:
    """Versions whose README is still to be fetched (new, or a failed/interrupted earlier try)."""
    query = select(s.model_versions.c.id, s.model_versions.c.repo_id, s.model_versions.c.sha, s.model_versions.c.metadata).where(
        s.model_versions.c.readme_status.in_(("pending", "error"))
    )
    if version_ids is not None:
        query = query.where(s.model_versions.c.id.in_(list(version_ids)))
    query = query.order_by(s.model_versions.c.id)
    if limit is not None:
        query = query.limit(limit)
    out = []
    for row in conn.execute(query):
        out.append(PendingFetch(row.id, row.repo_id, row.sha, siblings_of(row.metadata or {})))
    return out


def mark_disappeared(conn: Connection, run_id: int, owns: Callable[[str], bool] | None = None) -> list[str]:
    """After a complete full sweep: active models this run did not see are marked, not deleted.

    `owns` restricts it to a shard's models: another worker's models are not this run's to judge.
    """
    seen = select(s.observations.c.repo_id).where(s.observations.c.run_id == run_id)
    gone = [
        r.repo_id
        for r in conn.execute(select(s.models.c.repo_id).where(and_(s.models.c.status == "active", s.models.c.repo_id.not_in(seen))))
        if owns is None or owns(r.repo_id)
    ]
    if gone:  # executemany: no IN list, whatever the number (PostgreSQL takes 65,535 parameters at most)
        conn.execute(
            update(s.models).where(s.models.c.repo_id == bindparam("key")),
            [{"key": repo_id, "status": "disappeared", "disappeared_run": run_id} for repo_id in gone],
        )
    return gone


# --- downloads --------------------------------------------------------------------------


def record_downloads(conn: Connection, run_id: int, results: Iterable[VersionDownload]) -> tuple[int, int]:
    """Store README + licence file outcomes; failures become problems. Returns (readmes, files) fetched.

    One executemany per kind of row, whatever the batch size.
    """
    results = list(results)
    if not results:
        return 0, 0
    v = s.model_versions
    conn.execute(
        update(v).where(v.c.id == bindparam("vid")),
        [
            {
                "vid": r.version_id,
                "readme_status": r.readme.status,
                "readme": pack(r.readme.content),
                "readme_size": len(r.readme.content) if r.readme.content is not None else None,
                "readme_error": r.readme.error,
            }
            for r in results
        ],
    )
    problems = [
        (r.repo_id, r.sha, "readme", r.readme.code, f"README.md: {r.readme.error}") for r in results if r.readme.code
    ]
    for repo_id, sha, stage, code, message in problems:
        add_problem(conn, run_id, "model", repo_id, sha, stage, code, message)
    record_files(conn, run_id, [(r.version_id, r.repo_id, r.sha, r.files) for r in results])
    readmes = sum(r.readme.content is not None for r in results)
    files = sum(o.content is not None for r in results for o in r.files)
    return readmes, files


def record_files(conn: Connection, run_id: int, outcomes: Sequence[tuple[int, str, str, Sequence[Any]]]) -> None:
    """Store file outcomes (version id, repo id, sha, FileOutcomes); a retried file replaces its row."""
    f = s.version_files
    ids = [version_id for version_id, *_ in outcomes]
    existing = {(row.version_id, row.path) for row in conn.execute(select(f.c.version_id, f.c.path).where(f.c.version_id.in_(ids)))} if ids else set()
    inserts, updates, problems = [], [], []
    for version_id, repo_id, sha, files in outcomes:
        for outcome in files:
            values = {
                "status": outcome.status,
                "size": len(outcome.content) if outcome.content is not None else None,
                "content": pack(outcome.content),
                "error": outcome.error,
            }
            if (version_id, outcome.path) in existing:
                updates.append({"vid": version_id, "p": fit_value(f.c.path, outcome.path), **fit(f, values)})
            else:
                inserts.append(fit(f, {"version_id": version_id, "path": outcome.path, **values}))
            if outcome.code:
                problems.append((repo_id, sha, outcome.code, f"{outcome.path}: {outcome.error}"))
    if inserts:
        conn.execute(insert(f), inserts)
    if updates:
        conn.execute(update(f).where(and_(f.c.version_id == bindparam("vid"), f.c.path == bindparam("p"))), updates)
    for repo_id, sha, code, message in problems:
        add_problem(conn, run_id, "model", repo_id, sha, "file", code, message)


def add_problem(conn: Connection, run_id: int, repo_type: str, repo_id: str, sha: str | None, stage: str, code: str, message: str) -> None:
    row = dict(run_id=run_id, repo_type=repo_type, repo_id=repo_id, sha=sha, stage=stage, code=code, message=redact(message)[:2000])
    conn.execute(insert(s.problems).values(**fit(s.problems, row)))


def add_problems_once(conn: Connection, run_id: int, rows: Sequence[Mapping[str, Any]], repo_type: str = "model") -> int:
    """Record problems (dicts of repo_id, sha, stage, code, message) unless this run already holds the
    same (repo, sha, stage, code): a resumed page or a re-analysis never records one twice.
    Returns how many were new."""
    p = s.problems
    wanted = {}
    for row in rows:
        fitted = fit(p, {"run_id": run_id, "repo_type": repo_type, **row, "message": redact(str(row["message"]))[:2000]})
        wanted.setdefault((fitted["repo_id"], fitted.get("sha"), fitted["stage"], fitted["code"]), fitted)
    if not wanted:
        return 0
    ids = sorted({key[0] for key in wanted})
    for start in range(0, len(ids), 500):  # bounded IN lists
        for r in conn.execute(
            select(p.c.repo_id, p.c.sha, p.c.stage, p.c.code).where(p.c.run_id == run_id, p.c.repo_id.in_(ids[start : start + 500]))
        ):
            wanted.pop((r.repo_id, r.sha, r.stage, r.code), None)
    if wanted:
        conn.execute(insert(p), list(wanted.values()))
    return len(wanted)
