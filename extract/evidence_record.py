"""Evidence as the store writes it, made where it was extracted. Pure: data in, data out.

An extraction worker used to send the whole `ModelEvidence` back to the main process, which unpickled
its dataclasses (about 0.2 ms a version), turned them into a dict and that into JSON (another
0.15 ms) before writing one row: that was a third of the main process's time, on the one process
every worker waits for. `evidence_record` does the conversion in the worker and sends only what the
store writes: the key-fact columns, the JSON text (exactly what `json.dumps(evidence.to_dict())`
gives, so the stored bytes are unchanged), the bases, the repositories to link and the problems.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from extract.types import ModelEvidence, ParseProblem


@dataclass(frozen=True)
class EvidenceRecord:
    repo_id: str
    extractor_version: int
    columns: tuple[tuple[str, Any], ...]  # the `evidence` table's key-fact columns, name and value
    data_json: str  # the full evidence as JSON: json.dumps(evidence.to_dict())
    bases: tuple[tuple[str, str, str, str, float], ...]  # (id, relation, kind, source, confidence), one per id
    code_repos: tuple[tuple[str, str, str], ...]  # (name, role, status) of each repository the card links
    problems: tuple[ParseProblem, ...]


def evidence_record(evidence: ModelEvidence) -> EvidenceRecord:
    ev = evidence
    columns = (
        ("licence", ev.licence.spdx_id or ev.licence.hub_id),
        ("licence_family", ev.licence.family),
        ("weights", ev.weights.present),
        ("inference_code", ev.inference_code.present),
        ("training_code", ev.training_code.released),
        ("datasets_open", ev.datasets.all_open),
        ("data_information", ev.data_information.sufficient),
        ("data_information_score", ev.data_information.score),
        ("inference_code_licence", ev.inference_code.licence),
        ("training_code_licence", ev.training_code.licence),
    )
    # one row per base id, the last one written winning (as a dict keyed by id keeps it)
    bases = {b.id: (b.id, b.relation, b.kind, b.source, b.confidence) for b in ev.base_model.bases}
    return EvidenceRecord(
        repo_id=ev.repo_id,
        extractor_version=ev.extractor_version,
        columns=columns,
        data_json=evidence_json(ev),
        bases=tuple(bases.values()),
        code_repos=tuple((ref.name, ref.role, ref.status) for ref in ev.code_repos),
        problems=tuple(ev.problems),
    )


def evidence_json(evidence: ModelEvidence) -> str:
    """`json.dumps(evidence.to_dict())`, the same text: the encoder (in C) walks the evidence itself and
    asks `_fields` for each dataclass's fields (its own `__dict__`, already in field order), where
    `to_dict` would first copy every dataclass into a dict in Python."""
    return _ENCODER.encode(evidence)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(obj: Any) -> dict[str, Any]:
    kind = type(obj)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(kind):  # what json.dumps says of it (to_dict would copy it for that)
            raise TypeError(f"Object of type {kind.__name__} is not JSON serializable")
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind))
    values = obj.__dict__
    if tuple(values) == names:  # the fields and nothing else, in order: as `to_dict` makes it
        return values  # type: ignore[no-any-return]
    return {name: getattr(obj, name) for name in names}


_ENCODER = json.JSONEncoder(default=_fields)  # json.dumps's own settings otherwise


def record_outcome(outcome: tuple[ModelEvidence | None, tuple[ParseProblem, ...]]) -> tuple[EvidenceRecord | None, tuple[ParseProblem, ...]]:
    """An extraction outcome (evidence or None, problems) with the evidence as its record."""
    evidence, problems = outcome
    return (evidence_record(evidence) if evidence is not None else None), problems
