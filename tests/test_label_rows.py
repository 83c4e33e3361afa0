"""The short cuts of a label row's making give what the generic code gave: the explanation's gates
are what `dataclasses.asdict` made of them (the same bytes), and `fit` with its per-table text
columns fits each value as `fit_value` does column by column."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from classify import label_version
from store import schema as s
from store.portable import fit, fit_value

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def labelled():
    """200 generated versions (every licence family, bases, claims) extracted and labelled."""
    from equivalence import generated_snapshots

    from hubscan.extract_guard import bound_version, extract_one

    out = []
    for snap in generated_snapshots(200, fuzzed=False):
        evidence, _ = extract_one(bound_version(snap)[0])
        if evidence is not None:
            out.append(label_version(evidence))
    return out


def test_the_explanation_is_as_the_generic_walk_made_it(labelled):
    gates = [g for item in labelled for g in item.decision.gates]
    assert len({(g.name, g.passed, g.rule) for g in gates}) >= 6  # gates of every step, passed and failed
    for item in labelled:
        d = item.decision
        assert json.dumps(item.explanation()) == json.dumps({
            "label": d.label, "rule": d.rule, "rule_version": item.rule_version, "gates": [dataclasses.asdict(g) for g in d.gates],
            "capped_by": d.capped_by, "lineage": list(d.lineage), "notes": list(d.notes), "confidence": item.confidence.as_dict(),
        })


VALUES = ["", "short", "x" * 300, "a\0b", "\0" * 70, 7, 1.5, None, True, ["\0"], {"k": "\0"}, b"bytes\0"]


@pytest.mark.parametrize("table", sorted(s.metadata.tables.values(), key=lambda t: t.name), ids=lambda t: t.name)
def test_fit_fits_each_column_as_fit_value_does(table):
    row = {c.key: VALUES[i % len(VALUES)] for i, c in enumerate(table.c)}
    for value in VALUES:
        row_all = {c.key: value for c in table.c}
        row_all["not_a_column"] = value
        assert fit(table, row_all) == {k: fit_value(table.c[k], v) if k in table.c else v for k, v in row_all.items()}
    assert fit(table, row) == {k: fit_value(table.c[k], v) for k, v in row.items()}


def test_fit_reads_columns_by_key_and_clips_to_each_length():
    t = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("the name", String(4), key="name"), Column("body", Text))
    assert fit(t, {"id": "123456", "name": "abcdef\0", "body": "z\0" * 9, "the name": "abcdef"}) == {
        "id": "123456", "name": "abcd", "body": "z" * 9, "the name": "abcdef",
    }
