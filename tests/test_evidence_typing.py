"""Evidence read back from its JSON is the evidence that was stored, and `plain` says what
`dataclasses.asdict` says (extract/types.py): both are on the labelling path of every version, so
their shortcuts are checked against the generic ways they replace, on generated and fuzzed cards."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from cards import fuzzed_card, realistic_card  # noqa: E402

from classify import label_version  # noqa: E402
from extract import extract_model  # noqa: E402
from extract.types import ModelEvidence, StoredVersion, _field_types, _names, plain  # noqa: E402

WEIGHTS = [{"rfilename": "model.safetensors"}, {"rfilename": "config.json"}]


def _evidence(seed: int, make) -> ModelEvidence:
    if make is realistic_card:
        card = make(seed, repo_id=f"org/model-{seed}", base_model="org/base" if seed % 2 else None, datasets=["org/data"] if seed % 3 else None)
    else:
        card = make(seed)
    meta = {"siblings": WEIGHTS, "tags": ["transformers", "license:apache-2.0"], "cardData": {"license": "apache-2.0"}}
    return extract_model(StoredVersion(f"org/model-{seed}", f"{seed:040x}", meta, card.encode(), "ok"))


def _generic_build(cls: type, data: Mapping[str, Any]) -> Any:
    """The reading before its shortcuts: every value tested against the Mapping ABC."""
    hints, kwargs = _field_types(cls), {}
    for name in _names(cls):
        if name in data:
            value, kind = data[name], hints.get(name)
            if kind is not None and isinstance(value, Mapping):
                value = _generic_build(kind, value)
            elif kind is not None and isinstance(value, list):
                value = tuple(_generic_build(kind, v) if isinstance(v, Mapping) else v for v in value)
            elif isinstance(value, list):
                value = tuple(value)
            kwargs[name] = value
    return cls(**kwargs)


def _frozen(value: Any) -> Any:
    """The same data with every dict a read-only mapping: not a dict, still a Mapping."""
    if isinstance(value, dict):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_frozen(v) for v in value]
    return value


@pytest.mark.parametrize("make", [realistic_card, fuzzed_card], ids=["realistic", "fuzzed"])
def test_evidence_read_back_from_json_is_the_evidence_stored(make):
    nested = 0
    for seed in range(40):
        ev = _evidence(seed, make)
        assert ev.to_dict() == dataclasses.asdict(ev)  # `to_dict` is `plain`, which says what asdict says
        stored = json.loads(json.dumps(ev.to_dict()))
        back = ModelEvidence.from_dict(stored)
        assert back == ev == _generic_build(ModelEvidence, stored)
        assert ModelEvidence.from_dict(_frozen(stored)) == ev  # mappings that are not dicts are read too
        nested += sum(1 for v in stored.values() if isinstance(v, dict))
    assert nested > 40 * 5  # the cards give evidence with many nested parts


def test_plain_says_what_asdict_says_for_labels():
    for seed in range(30):
        ev = _evidence(seed, realistic_card)
        labelled = label_version(ev)
        for gate in labelled.decision.gates:
            assert plain(gate) == dataclasses.asdict(gate)
        for reason in labelled.washing_reasons:
            assert reason.to_dict() == {**dataclasses.asdict(reason), "text": str(reason)}
        assert labelled.explanation()["gates"] == [dataclasses.asdict(g) for g in labelled.decision.gates]
