"""The export's rows (JSONL, CSV, `latest_labels.parquet`) read without decoding whole documents.

`export.latest_records` decodes each model's evidence (about 3 kB of JSON), explanation and washing
reasons in full, because `explain` needs all of them. The export needs a dozen fields of them: here
the stored JSON text is decoded by msgspec into small typed structs that name only those fields, and
the decoder skips the rest without building Python objects for it (about 4 µs a model instead of
about 40). The values are then derived exactly as `export.to_record` derives them. Any document
these structs do not fit (a field of another type, one missing) is handed to `to_record` itself, so
an odd document gives the same row, or the same error, as before.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import msgspec
from sqlalchemy import Connection

from classify.washing import reason_text

from .export import CODE_ROLES, EXPORT_KEYS, latest_query, public, to_record
from .prefetch import batches_of

_UNSET: Any = msgspec.UNSET  # a key absent from the document: to_record reads some keys only when needed


# gc=False: the decoded structs hold no reference cycles, so the garbage collector need not track
# them (msgspec's option; a struct per field of every model otherwise adds to each collection).
class _Licence(msgspec.Struct, gc=False):
    spdx_id: Any = None
    hub_id: Any = None
    raw: list[Any] | None = None
    family: Any = None


class _Weights(msgspec.Struct, gc=False):
    present: Any


class _InferenceCode(msgspec.Struct, gc=False):
    present: Any
    licence: Any = None


class _TrainingCode(msgspec.Struct, gc=False):
    released: Any
    licence: Any = None


class _CodeRepo(msgspec.Struct, gc=False):
    role: Any
    full_name: Any = None
    name: Any = _UNSET


class _Id(msgspec.Struct, gc=False):
    id: Any


class _Datasets(msgspec.Struct, gc=False):
    refs: list[_Id]
    all_open: Any


class _DataInformation(msgspec.Struct, gc=False):
    sufficient: Any


class _Bases(msgspec.Struct, gc=False):
    bases: list[_Id]


class _Claim(msgspec.Struct, gc=False):
    sentence: Any = _UNSET
    about_self: Any = None


class _Claims(msgspec.Struct, gc=False):
    claims: list[_Claim]


class _Evidence(msgspec.Struct, gc=False):
    licence: _Licence
    weights: _Weights
    inference_code: _InferenceCode
    training_code: _TrainingCode
    datasets: _Datasets
    data_information: _DataInformation
    base_model: _Bases
    claims: _Claims
    code_repos: list[_CodeRepo] | None = None  # older evidence (extractor v1) has none


class _Gate(msgspec.Struct, gc=False):
    rule: Any = None


class _Confidence(msgspec.Struct, gc=False):
    level: Any = None


class _Explanation(msgspec.Struct, gc=False):
    gates: list[_Gate] | None = None
    confidence: _Confidence | None = None


_EVIDENCE = msgspec.json.Decoder(_Evidence)
_EXPLANATION = msgspec.json.Decoder(_Explanation | None)


class _Unfit(Exception):
    """The document holds something the structs cannot say as to_record would: use to_record."""


def export_row(r) -> tuple:
    """One model's export values, in EXPORT_KEYS order, from a row of `latest_rows`' query."""
    try:
        return _fast_row(r)
    except (msgspec.DecodeError, msgspec.ValidationError, _Unfit):
        return _slow_row(r)


def _slow_row(r) -> tuple:
    # json.loads, as the JSON column type decodes: the same documents (NaN included), the same errors
    decoded = {key: None if r._mapping[key] is None else json.loads(r._mapping[key]) for key in ("data", "explanation", "washing_reasons")}
    record = public(to_record(_Decoded(r, decoded)))
    return tuple(record[k] for k in EXPORT_KEYS)


class _Decoded:
    """A query row whose JSON text columns read as decoded documents, for to_record."""

    def __init__(self, row, decoded: dict[str, Any]) -> None:
        self._row, self._decoded = row, decoded

    def __getattr__(self, name: str) -> Any:
        return self._decoded[name] if name in self._decoded else getattr(self._row, name)


def _fast_row(r) -> tuple:
    # One unpacking of the row (in the query's column order) instead of an attribute lookup per value.
    (repo_id, status, origin, sha, label, rule_version, rule, open_basis, open_washing, reasons, explanation_text, confidence_score,
     data, downloads, likes, review_label, review_reason, reviewed_by, reviewed_at) = r
    ev = _EVIDENCE.decode(data)
    explanation = None if explanation_text is None else _EXPLANATION.decode(explanation_text)
    lic = ev.licence
    bases = [b.id for b in ev.base_model.bases]
    if not bases:
        lineage_verified = None
    else:
        gates = (explanation.gates if explanation is not None else None) or ()
        lineage_verified = not any(g.rule == "B0" for g in gates)
    code_repos = []
    for ref in ev.code_repos or ():
        if ref.role in CODE_ROLES:
            name = ref.full_name or ref.name
            if name is _UNSET:
                raise _Unfit("a linked repository without a name")
            code_repos.append(name)
    claims = []
    for claim in ev.claims.claims:
        if claim.about_self:
            if claim.sentence is _UNSET:
                raise _Unfit("a claim without its sentence")
            claims.append(claim.sentence)
    confidence = explanation.confidence if explanation is not None else None
    return (
        repo_id,
        sha,
        review_label or label,
        rule_version,
        rule,
        open_basis,
        lic.spdx_id or lic.hub_id,
        list(lic.raw or []),
        lic.family,
        ev.weights.present,
        ev.inference_code.present,
        ev.training_code.released,
        ev.inference_code.licence,
        ev.training_code.licence,
        code_repos,
        [ref.id for ref in ev.datasets.refs],
        ev.datasets.all_open,
        ev.data_information.sufficient,
        bases,
        lineage_verified,
        bool(open_washing),
        [] if reasons is None or reasons == "[]" else [reason_text(x) for x in (json.loads(reasons) or [])],
        claims,
        status,
        downloads,
        likes,
        origin or "listing",
        None if confidence is None else confidence.level,
        confidence_score,
        label,
        review_reason,
        reviewed_by,
        reviewed_at,
    )


def latest_rows(conn: Connection, include_private: bool = False, batch_rows: int = 5_000) -> Iterator[tuple]:
    """One export row per labelled model (EXPORT_KEYS order), ordered by repo id, streamed: the
    models and columns of `export.latest_query`, with the JSON columns read as text."""
    query = latest_query(include_private, json_as_text=True)
    result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(query)
    for partition in batches_of(conn, result):
        for row in partition:
            yield export_row(row)
