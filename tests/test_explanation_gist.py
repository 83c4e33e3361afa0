"""The flagged list's typed reading of a stored explanation gives what decoding it whole gave."""

from __future__ import annotations

import json

import pytest

from classify import label_version
from extract import extract_model
from extract.types import StoredVersion
from reports.explanation_gist import failed_gates_and_level


def _by_dict(stored: str | None) -> tuple[list[str], str]:
    """The reading before: the whole document decoded, then picked from as dictionaries."""
    explanation = json.loads(stored) if stored is not None else None
    failed = [f"{g.get('name')} gate ({g.get('rule')}): {g.get('reason')}" for g in (explanation or {}).get("gates", []) if not g.get("passed")]
    return failed, str(((explanation or {}).get("confidence") or {}).get("level") or "high")


def _real_explanation(card: bytes, tags: list[str]) -> str:
    snap = StoredVersion("org/m", "0" * 40, {"siblings": [{"rfilename": "model.safetensors"}], "tags": tags}, card)
    return json.dumps(label_version(extract_model(snap)).explanation())


REAL = [
    _real_explanation(b"---\nlicense: apache-2.0\n---\n# M\n\nFully open source.\n", ["license:apache-2.0"]),
    _real_explanation(b"---\nlicense: llama3.1\n---\n# M\n\nAn open source model.\n", ["license:llama3.1"]),
    _real_explanation(b"# M\n\nNo licence at all.\n", []),
]

ODD = [
    None,
    "null",
    "{}",
    "[]",
    '{"gates": []}',
    '{"gates": [{"name": "weights"}]}',  # no "passed": read as failed
    '{"gates": [{"name": 1, "rule": null, "reason": ["a", 2], "passed": 0}], "confidence": {}}',
    '{"gates": [{"name": "x", "passed": "yes"}], "confidence": {"level": 3}}',
    '{"gates": [{"name": "x", "passed": false, "extra": {"deep": [1, 2]}}], "confidence": {"level": "low", "score": 0.2}}',
    '{"confidence": null, "label": "Open Weights"}',
    '{"gates": [{"name": "é\\u00e9", "rule": "L1", "reason": "\\ud83d\\ude00", "passed": false}]}',
]


@pytest.mark.parametrize("stored", REAL + ODD)
def test_gist_matches_the_whole_document(stored):
    assert failed_gates_and_level(stored) == _by_dict(stored)


def test_real_explanations_have_a_failed_gate_to_show():
    # the check above would pass vacuously if no real document had a failed gate
    assert any(failed_gates_and_level(s)[0] for s in REAL)


@pytest.mark.parametrize("stored", ['{"gates": null}', '{"gates": [1]}', '{"confidence": "high"}', '[1]'])
def test_documents_the_old_reading_refused_are_refused_the_same_way(stored):
    with pytest.raises(Exception) as old:
        _by_dict(stored)
    with pytest.raises(Exception) as new:
        failed_gates_and_level(stored)
    assert type(new.value) is type(old.value)
