"""Writing extracted evidence: one `evidence` row per version, its bases, linked repositories, problems.

Each version comes as an `EvidenceRecord` (extract/evidence_record.py), made where it was extracted:
its JSON is already text, so this process writes it as it is (the `data` column is written through
`JSON_TEXT`, a JSON type that binds text unchanged) instead of turning dataclasses into dicts and
dicts into JSON here. The bytes stored are the ones `json.dumps(evidence.to_dict())` gives, as the
plain JSON column would store them.
"""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import JSON, Connection, MetaData, delete
from sqlalchemy.types import TypeDecorator

from extract.evidence_record import EvidenceRecord, evidence_record
from extract.lineage_ids import base_key
from extract.types import ModelEvidence

from . import schema as s
from .code_repo_rows import CHECKED_ROLES, link_code_repos
from .crawl_writes import utcnow
from .portable import insert_ignore, upsert


class JsonText(TypeDecorator):
    """A JSON column written from text that already is JSON: bound as it is, not encoded again."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Any):
        return None


def _evidence_from_text():
    """The `evidence` table as this module writes it: the same table, its `data` bound as JSON text."""
    table = s.evidence.to_metadata(MetaData())
    table.c.data.type = JsonText()
    return table


EVIDENCE_WRITE = _evidence_from_text()


def record_of(evidence: ModelEvidence | EvidenceRecord) -> EvidenceRecord:
    return evidence if isinstance(evidence, EvidenceRecord) else evidence_record(evidence)


def write_evidence(conn: Connection, items: Sequence[tuple[Any, EvidenceRecord]]) -> None:
    """Replace the evidence rows, bases and repository links of these versions (`items`: version row
    (with version_id and digest), record)."""
    ids = [row.version_id for row, _ in items]
    # Upserted, not deleted and re-inserted: two analysers sharing a PostgreSQL database may write
    # the same version at once, and both compute the same evidence.
    conn.execute(delete(s.version_bases).where(s.version_bases.c.version_id.in_(ids)))
    now = utcnow()
    upsert(
        conn,
        EVIDENCE_WRITE,
        [
            {
                "version_id": row.version_id,
                "extractor_version": rec.extractor_version,
                "inputs_digest": row.digest,
                "extracted_at": now,
                **dict(rec.columns),
                "data": rec.data_json,
            }
            for row, rec in items
        ],
    )
    links = [
        (row.version_id, name, role)
        for row, rec in items
        for name, role, status in rec.code_repos
        if role in CHECKED_ROLES and status != "not-fetched"
    ]
    link_code_repos(conn, ids, links)
    bases = [
        {
            "version_id": row.version_id, "base_id": base_id, "relation": relation,
            "base_key": base_key(base_id) if kind == "hub-id" else base_id, "kind": kind, "source": source,
            "confidence": confidence,
        }
        for row, rec in items
        for base_id, relation, kind, source, confidence in rec.bases
    ]
    insert_ignore(conn, s.version_bases, bases)  # fitted ids may coincide; a concurrent writer may have them


__all__ = ["EVIDENCE_WRITE", "JsonText", "record_of", "write_evidence"]
