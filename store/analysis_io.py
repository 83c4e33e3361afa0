"""Database side of extraction and labelling: what needs (re)doing, loading inputs, saving results.

Both steps are keyed by an *inputs digest*: a hash of everything the pure function reads that can
change (extractor/rule version, README status, access, linked datasets' state, base labels). A run
with the same digest is a no-op; a new version or changed input recomputes exactly what changed.
Work is read in keyset-paginated batches so memory stays flat whatever the database size.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlalchemy import Connection, Text, and_, cast, delete, func, insert, select, update

from classify import BaseLabel
from extract.evidence_json import evidence_from_json
from extract.evidence_record import EvidenceRecord
from extract.types import StoredDataset, ModelEvidence, StoredVersion

from . import code_repo_rows as code_repos
from . import schema as s
from .blobs import unpack
from .crawl_writes import add_problems_once, utcnow
from .evidence_writes import record_of, write_evidence
from .portable import upsert
from .rollup_deltas import facts_moving
from .rollups import counted_evidence, evidence_changed, versions_changed

BATCH = 500
# Recorded in the evidence (the explanation says the card was not read) but normal on the Hub,
# so not counted as a crawl problem.
NOT_A_PROBLEM = frozenset({"readme-gated", "readme-absent", "readme-missing"})


def digest(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def access_of(model_status: str, private: bool, disabled: bool, gated: str, readme_status: str) -> str:
    if model_status == "disappeared" or private or disabled or readme_status == "unavailable":
        return "unavailable"
    if gated in ("auto", "manual"):
        return f"gated-{gated}"
    return "public"


# --- extraction -------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    version_id: int
    repo_id: str
    sha: str
    readme_status: str
    access: str
    digest: str
    stored_digest: str | None


def evidence_batches(
    conn: Connection, extractor_version: int, batch: int = BATCH, only_versions: Sequence[int] | None = None
) -> Iterator[list[VersionRow]]:
    """Versions whose evidence is missing or stale, batch by batch (downloads still pending are skipped).

    `only_versions` looks at just those ids (what a lineage round stored, or the versions linking a
    code repository whose state the GitHub stage changed) instead of every version."""
    v, m, e = s.model_versions, s.models, s.evidence
    wanted = sorted(set(only_versions)) if only_versions is not None else None
    last = 0
    while True:
        query = (
            select(v.c.id, v.c.repo_id, v.c.sha, v.c.readme_status, m.c.status, m.c.private, m.c.disabled, m.c.gated, e.c.inputs_digest)
            .join(m, m.c.repo_id == v.c.repo_id)
            .outerjoin(e, e.c.version_id == v.c.id)
            .where(v.c.id > last)
            .order_by(v.c.id)
            .limit(batch)
        )
        if wanted is not None:
            window = wanted[bisect_right(wanted, last) :][:batch]
            if not window:
                return
            query = query.where(v.c.id.in_(window))
        rows = conn.execute(query).all()
        if wanted is not None and not rows:
            last = window[-1]
            continue
        if not rows:
            return
        last = rows[-1].id
        states = _dataset_states(conn, [r.id for r in rows])
        repos = code_repos.repo_states(conn, [r.id for r in rows])
        files = _file_states(conn, [r.id for r in rows])
        todo = []
        for r in rows:
            if r.readme_status == "pending":
                continue
            access = access_of(r.status, r.private, r.disabled, r.gated, r.readme_status)
            d = digest(extractor_version, r.readme_status, access, states.get(r.id, []), files.get(r.id, []), repos.get(r.id, []))
            if d != r.inputs_digest:
                todo.append(VersionRow(r.id, r.repo_id, r.sha, r.readme_status, access, d, r.inputs_digest))
        if todo:
            yield todo


def _dataset_states(conn: Connection, version_ids: Sequence[int]) -> dict[int, list[tuple]]:
    vd, d = s.version_datasets, s.datasets
    out: dict[int, list[tuple]] = {}
    dv = s.dataset_versions
    rows = conn.execute(
        select(vd.c.version_id, vd.c.dataset_id, d.c.status, d.c.sha, dv.c.readme_status)
        .outerjoin(d, d.c.dataset_id == vd.c.dataset_id)
        .outerjoin(dv, dv.c.id == d.c.current_version_id)
        .where(vd.c.version_id.in_(list(version_ids)))
        .order_by(vd.c.version_id, vd.c.dataset_id)
    )
    for r in rows:  # the dataset card, once fetched, is an input too
        out.setdefault(r.version_id, []).append((r.dataset_id, r.status, r.sha, r.readme_status))
    return out


def _file_states(conn: Connection, version_ids: Sequence[int]) -> dict[int, list[tuple]]:
    """The files stored for each version (a file fetched later, e.g. config.json for lineage, re-extracts it)."""
    f = s.version_files
    out: dict[int, list[tuple]] = {}
    rows = conn.execute(
        select(f.c.version_id, f.c.path, f.c.status, f.c.size).where(f.c.version_id.in_(list(version_ids))).order_by(f.c.version_id, f.c.path)
    )
    for r in rows:
        out.setdefault(r.version_id, []).append((r.path, r.status, r.size))
    return out


def load_versions(conn: Connection, rows: Sequence[VersionRow]) -> list[StoredVersion]:
    ids = [r.version_id for r in rows]
    v = s.model_versions
    versions = {r.id: r for r in conn.execute(select(v.c.id, v.c.metadata, v.c.readme).where(v.c.id.in_(ids)))}
    files: dict[int, dict[str, bytes]] = {}
    for f in conn.execute(
        select(s.version_files.c.version_id, s.version_files.c.path, s.version_files.c.content).where(
            and_(s.version_files.c.version_id.in_(ids), s.version_files.c.content.is_not(None))
        )
    ):
        files.setdefault(f.version_id, {})[f.path] = unpack(f.content) or b""
    links: dict[int, list[str]] = {}
    for link in conn.execute(select(s.version_datasets).where(s.version_datasets.c.version_id.in_(ids))):
        links.setdefault(link.version_id, []).append(link.dataset_id)
    datasets = _load_datasets(conn, {d for ds in links.values() for d in ds})
    repos = code_repos.load_code_repos(conn, ids)
    out = []
    for r in rows:
        version = versions[r.version_id]
        out.append(
            StoredVersion(
                repo_id=r.repo_id,
                sha=r.sha,
                metadata=version.metadata or {},
                readme=unpack(version.readme),
                readme_status=r.readme_status,
                files=files.get(r.version_id, {}),
                datasets={d: datasets[d] for d in links.get(r.version_id, []) if d in datasets},
                access=r.access,  # type: ignore[arg-type]
                code_repos=repos.get(r.version_id, {}),
            )
        )
    return out


def _load_datasets(conn: Connection, ids: Iterable[str]) -> dict[str, StoredDataset]:
    ids = list(ids)
    if not ids:
        return {}
    d, dv = s.datasets, s.dataset_versions
    out = {}
    for r in conn.execute(
        select(d.c.dataset_id, d.c.status, d.c.gated, dv.c.metadata, dv.c.readme, dv.c.readme_status)
        .outerjoin(dv, dv.c.id == d.c.current_version_id)
        .where(d.c.dataset_id.in_(ids))
    ):
        meta = r.metadata or {}
        status = "ok" if r.status == "gated" else r.status
        out[r.dataset_id] = StoredDataset(
            id=r.dataset_id,
            status=status,
            gated=r.gated if r.gated in ("auto", "manual") else False,
            card_data=meta.get("cardData") or {},
            tags=tuple(meta.get("tags") or ()),
            description=meta.get("description"),
            readme=unpack(r.readme),
            readme_status=r.readme_status,
        )
    return out


def save_evidence(conn: Connection, items: Sequence[tuple[VersionRow, ModelEvidence | EvidenceRecord]], run_id: int | None = None) -> None:
    """Replace the evidence of these versions; with a run, their parse problems are logged on it too.

    Each version's evidence comes as it was extracted or as its record (extract/evidence_record.py,
    what an extraction worker sends back); both are stored the same."""
    records = [(row, record_of(ev)) for row, ev in items]
    # the runs whose stored aggregates counted what changes (none for a run's new versions): read before the write
    changed = evidence_changed(conn, {row.version_id: counted_evidence(rec) for row, rec in records})
    with facts_moving(conn, changed):  # their runs' stored aggregates are corrected, not dropped
        write_evidence(conn, records)
    record_problems(conn, run_id, [(row, rec.problems) for row, rec in records], "extract")


def record_problems(conn: Connection, run_id: int | None, items: Sequence[tuple[Any, Sequence[Any]]], stage: str) -> int:
    """Record (version row, problems) on a run, each (version, stage, code) once per run."""
    if run_id is None:
        return 0
    rows = [
        {"repo_id": row.repo_id, "sha": row.sha, "stage": stage, "code": problem.code, "message": problem.message}
        for row, problems in items
        for problem in problems
        if problem.code not in NOT_A_PROBLEM
    ]
    return add_problems_once(conn, run_id, rows)


def record_label_problems(conn: Connection, run_id: int | None, items: Sequence[tuple["LabelWork", Any]]) -> int:
    """Problems labelling found (today: a base_model cycle the lineage gate refused to follow)."""
    rows = [
        {"repo_id": work.repo_id, "sha": work.evidence.sha, "stage": "classify", "code": "lineage-cycle", "message": note}
        for work, labelled in items
        for note in labelled.decision.notes
        if note.startswith("lineage cycle")
    ]
    if not rows:
        return 0
    if run_id is None:
        run_id = conn.execute(select(func.max(s.runs.c.id))).scalar()
        if run_id is None:
            return 0
    added = add_problems_once(conn, run_id, rows)
    if added:
        count_problems(conn, run_id)
    return added


# --- labelling --------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelWork:
    version_id: int
    repo_id: str
    evidence: ModelEvidence
    bases: tuple[BaseLabel, ...]
    digest: str


def label_batches(
    conn: Connection,
    rule_version: str,
    *,
    only_versions: Sequence[int] | None = None,
    keep: Callable[[Sequence[int]], Sequence[bool]] | None = None,
    cycle_edges: frozenset[tuple[int, int]] = frozenset(),
    batch: int = BATCH,
) -> Iterator[list[LabelWork]]:
    """Versions whose label is missing or stale under their current evidence and bases, batch by batch.

    `only_versions` walks just those ids (a lineage level); otherwise every version, keeping those
    `keep` accepts (the first level: versions that derive from nothing still to be labelled).
    `cycle_edges` are (version, base version) pairs inside a lineage cycle: such a base is not followed.
    """
    e, lab, v = s.evidence, s.labels, s.model_versions
    # A level may name any number of versions: walk them `batch` ids at a time, so no IN
    # list outgrows the databases' bound-parameter limits (SQLite 32,766, PostgreSQL 65,535).
    wanted = sorted(set(only_versions)) if only_versions is not None else None
    last = 0
    while True:
        query = (
            select(e.c.version_id, e.c.inputs_digest, v.c.repo_id, lab.c.inputs_digest.label("label_digest"))
            .join(v, v.c.id == e.c.version_id)
            .outerjoin(lab, lab.c.version_id == e.c.version_id)
            .where(e.c.version_id > last)
            .order_by(e.c.version_id)
            .limit(batch)
        )
        if wanted is not None:
            window = wanted[bisect_right(wanted, last) :][:batch]
            if not window:
                return
            query = query.where(e.c.version_id.in_(window))
        rows = conn.execute(query).all()
        if wanted is not None and not rows:
            last = window[-1]  # none of this window has evidence: on to the next
            continue
        if not rows:
            return
        last = rows[-1].version_id
        if keep is not None:
            rows = [r for r, ok in zip(rows, keep([r.version_id for r in rows])) if ok]
            if not rows:
                continue
        bases = base_labels(conn, [r.version_id for r in rows], cycle_edges)
        stale = []
        for r in rows:
            b = bases.get(r.version_id, ())
            d = digest(rule_version, r.inputs_digest, [(x.repo_id, x.relation, x.label, x.licence_family, x.status) for x in b])
            if d != r.label_digest:
                stale.append((r, b, d))
        if not stale:
            continue
        # read as stored text, decoded straight into the dataclasses (extract/evidence_json.py)
        evidence = {
            r.version_id: evidence_from_json(r.data)
            for r in conn.execute(select(e.c.version_id, cast(e.c.data, Text).label("data")).where(e.c.version_id.in_([x[0].version_id for x in stale])))
        }
        yield [LabelWork(r.version_id, r.repo_id, evidence[r.version_id], b, d) for r, b, d in stale]


def base_labels(
    conn: Connection, version_ids: Sequence[int], cycle_edges: frozenset[tuple[int, int]] = frozenset()
) -> dict[int, tuple[BaseLabel, ...]]:
    """What the lineage gate needs to know about each base of these versions: its label and licence
    family when it is stored and labelled, else why not (its status)."""
    vb, m, lab, e = s.version_bases, s.models, s.labels, s.evidence
    rows = conn.execute(
        select(
            vb.c.version_id, vb.c.base_id, vb.c.relation, vb.c.status, vb.c.resolved_id, vb.c.confidence,
            m.c.current_version_id, m.c.disabled, lab.c.label, e.c.licence_family,
        )
        .outerjoin(m, m.c.repo_id == vb.c.resolved_id)
        .outerjoin(lab, lab.c.version_id == m.c.current_version_id)
        .outerjoin(e, e.c.version_id == m.c.current_version_id)
        .where(vb.c.version_id.in_(list(version_ids)))
        .order_by(vb.c.version_id, vb.c.base_id)
    )
    out: dict[int, list[BaseLabel]] = {}
    for r in rows:
        status = r.status or "pending"
        if status == "ok" and (r.version_id, r.current_version_id) in cycle_edges:
            status = "cycle"
        elif status == "ok" and r.disabled:
            status = "disabled"  # its files cannot be read: nothing about its weights can be checked
        elif status == "ok" and r.label is None:
            status = "unlabelled"  # stored, but its own README or evidence is not there yet
        ok = status == "ok"
        out.setdefault(r.version_id, []).append(
            BaseLabel(
                repo_id=r.resolved_id or r.base_id,
                relation=r.relation,
                label=r.label if ok else None,
                licence_family=r.licence_family if ok else None,
                status=status,
                confidence=r.confidence if r.confidence is not None else 1.0,
            )
        )
    return {k: tuple(v) for k, v in out.items()}


def save_labels(conn: Connection, items: Sequence[tuple[LabelWork, Any]], run_id: int | None = None) -> list[str]:
    """Write labels, and a label event for each version whose outcome changed (history as labelled then).

    Returns the repo ids whose current label changed (their derivatives need a look). `run_id` is
    the run the labels belong to; without one (a standalone `classify`) the newest run.
    """
    ids = [work.version_id for work, _ in items]
    lab = s.labels
    previous = {
        r.version_id: (r.label, r.rule, r.rule_version, bool(r.open_washing), list(r.washing_reasons or ()))
        for r in conn.execute(
            select(lab.c.version_id, lab.c.label, lab.c.rule, lab.c.rule_version, lab.c.open_washing, lab.c.washing_reasons)
            .where(lab.c.version_id.in_(ids))
        )
    }
    now = utcnow()
    rows = [
        {
            "version_id": work.version_id,
            "rule_version": labelled.rule_version,
            "extractor_version": work.evidence.extractor_version,
            "inputs_digest": work.digest,
            "classified_at": now,
            "label": labelled.label,
            "rule": labelled.decision.rule,
            "open_basis": labelled.decision.open_basis,
            "capped_by": labelled.decision.capped_by,
            "open_washing": labelled.open_washing,
            "washing_reasons": [reason.to_dict() for reason in labelled.washing_reasons],
            "explanation": labelled.explanation(),
            "confidence": labelled.confidence.score,
        }
        for work, labelled in items
    ]
    upsert(conn, lab, rows)
    outcome = lambda row: (row["label"], row["rule"], row["rule_version"], bool(row["open_washing"]), row["washing_reasons"])  # noqa: E731
    events = [row for row in rows if previous.get(row["version_id"]) != outcome(row)]
    if events:
        if run_id is None:
            run_id = conn.execute(select(func.max(s.runs.c.id))).scalar()
        changed = [r["version_id"] for r in events]
        since = label_event_bounds(conn, changed, run_id)
        # one event per version per run: a later lineage pass of the same run replaces an interim label
        same_run = s.label_events.c.run_id.is_(None) if run_id is None else s.label_events.c.run_id == run_id
        conn.execute(delete(s.label_events).where(s.label_events.c.version_id.in_(changed), same_run))
        conn.execute(
            insert(s.label_events),
            [
                {"version_id": r["version_id"], "run_id": run_id, "recorded_at": now, "label": r["label"], "rule": r["rule"],
                 "rule_version": r["rule_version"], "open_washing": r["open_washing"], "washing_reasons": r["washing_reasons"]}
                for r in events
            ],
        )
        # what the runs that saw these versions show (labelled as then) has changed: their stored
        # aggregates are dropped, and written again when a report needs them
        versions_changed(conn, changed, since)
    return [work.repo_id for work, labelled in items if (previous.get(work.version_id) or (None,))[0] != labelled.label]


def label_event_bounds(conn: Connection, version_ids: Sequence[int], run_id: int | None) -> dict[int, int]:
    """From which run on a new label event at `run_id` changes what runs show for each version (the
    `label_history` rule: a run shows the version's newest event at or before it, else its first).

    From `run_id` on, when an earlier event stays (runs before it keep theirs); versions left out
    (none yet, or their first event is the one replaced) change from the run that first stored them."""
    if run_id is None or not version_ids:
        return {}
    le = s.label_events
    events: dict[int, list] = {}
    for start in range(0, len(version_ids), BATCH):
        part = list(version_ids[start : start + BATCH])
        for r in conn.execute(select(le.c.version_id, le.c.id, le.c.run_id).where(le.c.version_id.in_(part)).order_by(le.c.id)):
            events.setdefault(r.version_id, []).append(r)
    return {
        version_id: run_id
        for version_id, rows in events.items()
        if rows[0].run_id != run_id and any(r.run_id is not None and r.run_id < run_id for r in rows)
    }


def count_problems(conn: Connection, run_id: int) -> int:
    """Recount a run's problems after extraction added its own, and store the total on the run."""
    total = conn.execute(select(func.count()).select_from(s.problems).where(s.problems.c.run_id == run_id)).scalar_one()
    conn.execute(update(s.runs).where(s.runs.c.id == run_id).values(problems=total))
    return int(total)
