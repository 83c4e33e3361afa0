"""Extraction workers send back what the store writes (extract/evidence_record.py), not the evidence:
the record must say exactly what the evidence says, and the pool must merge the bounding problems in
before it is made."""

from __future__ import annotations

import json

from extract import extract_model
from extract.evidence_record import evidence_record, record_outcome
from extract.types import BaseRef, ModelEvidence, ParseProblem
from hubscan.extract_guard import GuardedExtractor
from test_extract_isolation import deep, fails_on_broken, stored_version


def test_a_record_holds_the_evidence_json_exactly_and_its_key_facts():
    snap = stored_version("org/m", cardData={"license": "apache-2.0", "base_model": "org/base"})
    ev = extract_model(snap)
    rec = evidence_record(ev)
    assert rec.data_json == json.dumps(ev.to_dict())  # what the plain JSON column would store
    assert ModelEvidence.from_dict(json.loads(rec.data_json)) == ev
    cols = dict(rec.columns)
    assert cols["licence"] == "Apache-2.0" and cols["licence_family"] == ev.licence.family and cols["weights"] is True
    assert [b[0] for b in rec.bases] == ["org/base"] and rec.extractor_version == ev.extractor_version


def test_a_base_named_twice_is_one_row_and_the_last_reference_wins():
    ev = extract_model(stored_version("org/m"))
    twice = (BaseRef("org/base", "finetune", "cardData.base_model"), BaseRef("org/other", "merge", "card"), BaseRef("org/base", "adapter", "tag:base_model"))
    ev = ev.__class__(**{**ev.__dict__, "base_model": ev.base_model.__class__(**{**ev.base_model.__dict__, "bases": twice})})
    assert [(b[0], b[1]) for b in evidence_record(ev).bases] == [("org/base", "adapter"), ("org/other", "merge")]


def test_the_pool_sends_records_with_the_bounding_problems_first_and_failures_still_get_one():
    snaps = [stored_version(f"org/m{i}") for i in range(6)]
    snaps[2] = stored_version("org/deep", cardData=deep(500))  # bounded before extraction: a problem
    snaps[4] = stored_version("org/broken")  # extraction fails: metadata-only evidence
    plain = GuardedExtractor(jobs=1, min_parallel=100, extract=fails_on_broken)(snaps)
    for jobs in (1, 2):
        records = GuardedExtractor(jobs=jobs, min_parallel=1, extract=fails_on_broken, finish=record_outcome)(snaps)
        assert records == [record_outcome(outcome) for outcome in plain]
    deep_rec, deep_problems = records[2]
    assert [p.code for p in deep_problems] == ["carddata-oversize"] == [p.code for p in deep_rec.problems]
    broken_rec, broken_problems = records[4]
    assert [p.code for p in broken_problems] == ["extract-failed"] and dict(broken_rec.columns)["weights"] is True
    assert all(isinstance(p, ParseProblem) for _, problems in records for p in problems)
