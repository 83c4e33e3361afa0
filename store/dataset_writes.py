"""What a crawl writes about linked datasets: which versions name which dataset, which are due, what the Hub said.

One transaction per call, keyed like the rest of the crawl's writes (store/crawl_writes.py), so a
resumed or repeated crawl never stores a dataset twice.
"""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import schema as s
from .crawl_writes import add_problem, gated_value, version_key
from .portable import fit, fit_value, insert_ignore
from .records import DatasetOutcome
from .rollup_deltas import facts_moving


def link_datasets(conn: Connection, version_id: int, dataset_ids: Sequence[str]) -> None:
    """Remember which datasets a version names (metadata, or links in its card); duplicates ignored."""
    if not dataset_ids:
        return
    known = {
        r.dataset_id
        for r in conn.execute(select(s.version_datasets.c.dataset_id).where(s.version_datasets.c.version_id == version_id))
    }
    fitted = (fit_value(s.version_datasets.c.dataset_id, d) for d in dataset_ids)
    new = [{"version_id": version_id, "dataset_id": d} for d in dict.fromkeys(fitted) if d not in known]
    # a run that counted the version without datasets has its aggregates corrected
    with facts_moving(conn, [version_id] if new else []):
        insert_ignore(conn, s.version_datasets, new)  # another shard worker may link the same pair



def linked_datasets_among(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Which of these dataset ids some stored version names (a dataset sweep keeps only those)."""
    if not ids:
        return set()
    rows = conn.execute(select(s.version_datasets.c.dataset_id).where(s.version_datasets.c.dataset_id.in_(list(ids))).distinct())
    return {r.dataset_id for r in rows}


def datasets_due(conn: Connection, run_id: int, refresh_before: str, after: str = "", batch: int = 500) -> list[str]:
    """Datasets this run should ask the Hub about, in id order after `after`.

    Due: linked from a version this run stored for the first time, or never fetched, or last
    fetched by a run that started before `refresh_before`, and not already fetched by this run.
    Unchanged models thus cost no dataset call on a nightly sweep.
    """
    vd, v, d, r = s.version_datasets, s.model_versions, s.datasets, s.runs
    seen = select(s.observations.c.version_id).where(s.observations.c.run_id == run_id)
    last = r.alias("last_fetch")
    query = (
        select(vd.c.dataset_id)
        .join(v, v.c.id == vd.c.version_id)
        .outerjoin(d, d.c.dataset_id == vd.c.dataset_id)
        .outerjoin(last, last.c.id == d.c.fetched_run)
        .where(vd.c.version_id.in_(seen))
        .where(vd.c.dataset_id > after)
        .where(or_(d.c.fetched_run.is_(None), d.c.fetched_run != run_id))
        .where(or_(v.c.first_seen_run == run_id, d.c.dataset_id.is_(None), last.c.started_at < refresh_before))
        .group_by(vd.c.dataset_id)
        .order_by(vd.c.dataset_id)
        .limit(batch)
    )
    return [row.dataset_id for row in conn.execute(query)]


def datasets_of_versions_due(conn: Connection, run_id: int, version_ids: Sequence[int], refresh_before: str) -> list[str]:
    """Datasets these versions name that this run has not asked about, and no run since `refresh_before`."""
    if not version_ids:
        return []
    vd, d, r = s.version_datasets, s.datasets, s.runs
    last = r.alias("last_fetch")
    query = (
        select(vd.c.dataset_id)
        .outerjoin(d, d.c.dataset_id == vd.c.dataset_id)
        .outerjoin(last, last.c.id == d.c.fetched_run)
        .where(vd.c.version_id.in_(list(version_ids)))
        .where(or_(d.c.dataset_id.is_(None), and_(d.c.fetched_run != run_id, last.c.started_at < refresh_before)))
        .group_by(vd.c.dataset_id)
        .order_by(vd.c.dataset_id)
    )
    return [row.dataset_id for row in conn.execute(query)]


def datasets_known_missing(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Which of these datasets the Hub already answered as missing."""
    if not ids:
        return set()
    d = s.datasets
    return {r.dataset_id for r in conn.execute(select(d.c.dataset_id).where(d.c.dataset_id.in_(list(ids)), d.c.status == "missing"))}


def record_dataset(conn: Connection, run_id: int, requested_id: str, outcome: DatasetOutcome) -> None:
    record = outcome.record or {}
    status = outcome.status
    gated = gated_value(record.get("gated"))
    if status == "ok" and gated != "false":
        status = "gated"
    sha = record.get("sha")
    version_id = None
    if outcome.status == "ok":
        sha = sha or version_key(record)
        version_id = conn.execute(
            select(s.dataset_versions.c.id).where(
                and_(s.dataset_versions.c.dataset_id == requested_id, s.dataset_versions.c.sha == sha)
            )
        ).scalar()
    exists = conn.execute(select(s.datasets).where(s.datasets.c.dataset_id == requested_id)).first()
    if exists is None:
        _insert_once(
            conn,
            insert(s.datasets).values(
                **fit(s.datasets, dict(dataset_id=requested_id, status=status, gated=gated, first_seen_run=run_id, fetched_run=run_id, sha=sha, error=outcome.error))
            ),
        )
    if outcome.status == "ok" and version_id is None:
        _insert_once(
            conn,
            insert(s.dataset_versions).values(
                **fit(s.dataset_versions, dict(dataset_id=requested_id, sha=sha, first_seen_run=run_id, last_modified=record.get("lastModified"), metadata=record))
            ),
        )
        version_id = conn.execute(
            select(s.dataset_versions.c.id).where(and_(s.dataset_versions.c.dataset_id == requested_id, s.dataset_versions.c.sha == sha))
        ).scalar_one()
    conn.execute(
        update(s.datasets)
        .where(s.datasets.c.dataset_id == requested_id)
        .values(status=status, gated=gated, fetched_run=run_id, sha=sha if version_id else None, current_version_id=version_id, error=outcome.error)
    )
    if outcome.code and outcome.code != "repo-unavailable":  # a linked dataset that is gone is normal
        add_problem(conn, run_id, "dataset", requested_id, None, "dataset", outcome.code, outcome.error or outcome.code)


def _insert_once(conn: Connection, statement) -> None:
    """Insert unless a concurrent writer (another shard worker) just inserted the same key."""
    try:
        with conn.begin_nested():
            conn.execute(statement)
    except IntegrityError:
        pass
