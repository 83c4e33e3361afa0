"""Stored evidence JSON read straight into the typed dataclasses (labelling reads every version's).

`ModelEvidence.from_dict(json.loads(text))` builds each of the ~40 nested dataclasses of a version
field by field in Python; msgspec decodes the same text into the same dataclasses in C, several
times faster. msgspec only succeeds where the document is exactly what the dataclasses declare (each
field of its declared type, every Literal one of its values, no NaN); `_build` instead keeps any
plain value it finds, as written. So whenever msgspec refuses a document (evidence stored by an
older extractor, a field of another type, a missing required field), the slow path reads it, and
every document gives the same object, or the same error, as before.

The one value msgspec would read differently is an integer in a `float` field (it makes 1 into 1.0,
which `json.dumps` writes back as "1.0", not "1"): such fields are declared `float | int`, and
`fast_path_enabled` turns the fast path off if a bare `float` field ever appears.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any

import msgspec

from .types import _EVIDENCE_CLASSES, ModelEvidence

_FAILED = (msgspec.DecodeError, msgspec.ValidationError)


def _bare_float_fields(classes: tuple[type, ...] = _EVIDENCE_CLASSES) -> list[str]:
    """Evidence fields typed `float` without `int` (msgspec would turn a stored integer into a float)."""
    out = []
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            kind = hints[f.name]
            if kind is float or (float in typing.get_args(kind) and int not in typing.get_args(kind)):
                out.append(f"{cls.__name__}.{f.name}")
    return out


fast_path_enabled = not _bare_float_fields()
_DECODER = msgspec.json.Decoder(ModelEvidence) if fast_path_enabled else None


def evidence_from_json(text: str | bytes) -> ModelEvidence:
    """The evidence a stored JSON document holds, as `ModelEvidence.from_dict(json.loads(text))` gives it."""
    if _DECODER is not None:
        try:
            return _DECODER.decode(text)
        except _FAILED:
            pass
    return slow_evidence_from_json(text)


def slow_evidence_from_json(text: str | bytes) -> ModelEvidence:
    """The reference reading: the JSON column type's `json.loads`, then the field-by-field build."""
    data: Any = json.loads(text)
    return ModelEvidence.from_dict(data)
