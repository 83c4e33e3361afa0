"""Stored evidence read by msgspec (extract/evidence_json.py) is the very object the field-by-field
build gives: the same classes, the same value types (an integer stays an integer, a list a tuple),
for every version of the equivalence corpus, and for documents an older extractor or a hand edit
could have left (fields missing, extra, of another type), which the slow path reads as before.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from extract import evidence_json
from extract.evidence_json import _bare_float_fields, evidence_from_json, slow_evidence_from_json
from extract.evidence_record import evidence_record
from extract.types import Finding, ModelEvidence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def same(a: Any, b: Any, where: str = "$") -> None:
    """Equal and of the same types all the way down (== alone takes 1 for 1.0 and a list for a tuple)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, float):
        assert repr(a) == repr(b), where  # nan, -0.0 and inf compared as written
    else:
        assert a == b, where


def fast_only(text: str) -> ModelEvidence:
    """msgspec alone: fails where the fast path would fall back."""
    return msgspec.json.decode(text, type=ModelEvidence)


def read_both(text: str) -> tuple[Any, Any]:
    """(what labelling reads now, what it read before): each an object or the exception's type."""
    out = []
    for read in (evidence_from_json, slow_evidence_from_json):
        try:
            out.append(read(text))
        except Exception as exc:  # noqa: BLE001 - the same error, whatever it is, is what is asserted
            out.append(type(exc))
    return out[0], out[1]


@pytest.fixture(scope="module")
def stored_documents() -> dict[str, str]:
    """Every version of the equivalence corpus (dev hub, demo, judged set, generated and fuzzed
    cards), extracted by the production path and serialised as the evidence table stores it."""
    import equivalence

    from hubscan.extract_guard import bound_version, extract_one

    out = {}
    for key, snap in equivalence.corpus():
        evidence, _ = extract_one(bound_version(snap)[0])
        if evidence is not None:
            out[key] = evidence_record(evidence).data_json
    return out


def test_the_fast_path_is_on():
    assert evidence_json.fast_path_enabled and evidence_json._DECODER is not None


@pytest.mark.slow
def test_every_corpus_version_decodes_fast_to_the_built_object(stored_documents):
    corpora = {key.split(":", 1)[0] for key in stored_documents}
    assert corpora == {"dev", "demo", "judged", "generated", "fuzzed"}
    assert len(stored_documents) > 1000
    for key, text in stored_documents.items():
        fast = fast_only(text)  # no fallback: real evidence must take the fast path, or the speed is gone
        same(fast, slow_evidence_from_json(text), key)
        same(evidence_from_json(text), fast, key)
        # and it serialises back to the very bytes stored
        assert evidence_record(fast).data_json == text, key


# --- documents the dataclasses do not describe exactly: the slow path decides ----------------

SAMPLE = ModelEvidence.from_dict(json.loads((ROOT / "tests" / "data" / "evidence_sample.json").read_text()))
SAMPLE_DOC = json.loads(evidence_record(SAMPLE).data_json)


def _paths(doc: Any, path: tuple = ()) -> list[tuple]:
    """Every key/index path in a document (the root excluded)."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for k, v in items:
        out.append(path + (k,))
        out += _paths(v, path + (k,))
    return out


def _set(doc: Any, path: tuple, value: Any) -> None:
    for k in path[:-1]:
        doc = doc[k]
    doc[path[-1]] = value


def _drop(doc: Any, path: tuple) -> None:
    for k in path[:-1]:
        doc = doc[k]
    del doc[path[-1]]


ODD_VALUES = [None, True, False, 0, 1, -3, 2.5, 1.0, float("nan"), float("inf"), "", "x", "open-source", [], [1, "a"], [[]], {}, {"a": 1},
              {"source": "s", "reason": "r"}, 10**30]


def test_the_sample_covers_every_evidence_class():
    # the fuzzing below only reaches classes the sample holds
    seen = set()

    def walk(obj):
        if dataclasses.is_dataclass(obj):
            seen.add(type(obj).__name__)
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name))
        elif isinstance(obj, tuple):
            for v in obj:
                walk(v)

    walk(SAMPLE)
    assert seen == {c.__name__ for c in evidence_json._EVIDENCE_CLASSES}


@pytest.mark.parametrize("seed", range(6))
def test_fuzzed_documents_read_as_before(seed):
    rng = random.Random(seed)
    paths = _paths(SAMPLE_DOC)
    fell_back = fast = 0
    for _ in range(400):
        doc = json.loads(json.dumps(SAMPLE_DOC))
        for _ in range(rng.choice((1, 1, 2, 3))):
            path = rng.choice(paths)
            try:
                action = rng.random()
                if action < 0.3:
                    _drop(doc, path)
                elif action < 0.45 and isinstance(path[-1], str):
                    _set(doc, path[:-1] + ("extra_" + path[-1],), rng.choice(ODD_VALUES))
                else:
                    _set(doc, path, rng.choice(ODD_VALUES))
            except (KeyError, IndexError, TypeError):
                continue  # the path went away with an earlier change
        text = json.dumps(doc)
        now, before = read_both(text)
        if isinstance(now, type):
            assert now is before, text
        else:
            assert not isinstance(before, type), text
            same(now, before)
        try:
            fast_only(text)
            fast += 1
        except (msgspec.ValidationError, msgspec.DecodeError):
            fell_back += 1
    assert fast and fell_back  # both paths were exercised


@pytest.mark.parametrize(
    "change",
    [
        ("licence", "findings", 0, "confidence", 1),  # an integer in a float field stays an integer
        ("claims", "claims", 0, "confidence", 0),
        ("base_model", "bases", 0, "confidence", 1),
        ("data_information", "score", 50.0),  # a float in an int field stays a float
        ("weights", "present", 1),  # 1 for True is kept as written
        ("weights", "access", "somewhere"),  # a value no Literal names
        ("licence", "family", None),
        ("licence", None),  # a nested evidence block stored as null
        ("licence", "raw", "mit"),  # a string for a list
        ("licence", "raw", [["mit"]]),
        ("weights", "formats", {"a": 1}),
        ("datasets", "refs", SAMPLE_DOC["datasets"]["refs"][0]),  # one object for a list of them
        ("problems", [{"code": "c", "message": "m", "later": 1}]),
        ("extractor_version", True),
        ("extractor_version", 10**30),
        ("sha", 5),
        ("code_repos", 0, "training_paths", [1, 2]),
        ("licence", "findings", 0, "confidence", float("nan")),
        ("licence", "findings", 0, "confidence", float("-inf")),
    ],
)
def test_odd_values_read_as_before(change):
    *path, value = change
    doc = json.loads(json.dumps(SAMPLE_DOC))
    _set(doc, tuple(path), value)
    text = json.dumps(doc)
    now, before = read_both(text)
    assert not isinstance(before, type)
    same(now, before)


def test_an_integer_confidence_is_written_back_as_stored():
    doc = json.loads(json.dumps(SAMPLE_DOC))
    doc["licence"]["findings"][0]["confidence"] = 1
    text = json.dumps(doc)
    evidence = fast_only(text)  # taken fast, because the field says `float | int`
    assert type(evidence.licence.findings[0].confidence) is int
    assert evidence_record(evidence).data_json == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        "{}",  # every required field missing
        '{"repo_id": "a"}',
        "{" + json.dumps(SAMPLE_DOC)[1:-1] + ', "repo_id": 7}',  # a duplicate key: the last one counts
        "{" + json.dumps(SAMPLE_DOC)[1:-1] + ', "repo_id": "other/name"}',
        json.dumps(SAMPLE_DOC) + " x",  # trailing text
        json.dumps(SAMPLE_DOC).replace('"repo_id"', '"repo_\\u0069d"'),  # an escaped key
        json.dumps(SAMPLE_DOC).replace(json.dumps(SAMPLE.repo_id), '"\\ud800"'),  # a lone surrogate
        '{"a": NaN}',
    ],
)
def test_malformed_documents_read_or_fail_as_before(text):
    now, before = read_both(text)
    if isinstance(before, type):
        assert now is before
    else:
        same(now, before)


def test_a_bare_float_field_turns_the_fast_path_off():
    assert _bare_float_fields() == []

    @dataclasses.dataclass(frozen=True)
    class Scored:
        weight: float
        count: int
        share: float | None = None
        either: float | int = 1.0

    assert _bare_float_fields((Finding, Scored)) == ["Scored.weight", "Scored.share"]
    # what the guard protects against: msgspec makes a stored 1 into 1.0 in a bare float field
    assert type(msgspec.json.decode(b'{"weight": 1, "count": 2}', type=Scored).weight) is float
    assert math.isclose(msgspec.json.decode(b'{"weight": 1, "count": 2}', type=Scored).weight, 1)
