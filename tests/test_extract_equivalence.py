"""Speed work leaves evidence as it was: every version of the dev hub, the demo snapshot, the judged
benchmark set and 800 generated and fuzzed cards extracts to the digest recorded in
tests/data/evidence_digests.json (benchmarks/equivalence.py; rewritten only with an
EXTRACTOR_VERSION bump). The fast card parser also reads every generated and fuzzed card as
markdown-it-py reads it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import equivalence  # noqa: E402
from cards import fuzzed_card, realistic_card  # noqa: E402

from extract import EXTRACTOR_VERSION  # noqa: E402
from extract.markdown_tokens import structure_from_tokens  # noqa: E402
from extract.markdown_tree import Declined, structure_from_tree  # noqa: E402

REFERENCE = json.loads(equivalence.REFERENCE.read_text())


def test_the_reference_is_for_this_extractor_version():
    assert REFERENCE["extractor_version"] == EXTRACTOR_VERSION, (
        "extraction concludes differently now: rewrite the reference with `python benchmarks/equivalence.py --write`"
    )


@pytest.mark.slow
@pytest.mark.parametrize("corpus", equivalence.CORPORA)
def test_every_version_extracts_to_its_recorded_evidence(corpus, shared_dir, monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    found = equivalence.digests((corpus,))
    reference = {k: v for k, v in REFERENCE["digests"].items() if k.startswith(corpus + ":")}
    assert len(found) == len(reference) > 0
    assert equivalence.compare(found, reference) == []


def test_a_changed_conclusion_is_caught():
    # the comparison itself: one changed digest and one missing version are both reported
    reference = {"dev:a": "1", "dev:b": "2", "dev:c": "3"}
    assert equivalence.compare({"dev:a": "1", "dev:b": "X"}, reference) == ["dev:b", "dev:c"]


@pytest.mark.parametrize("make", [realistic_card, fuzzed_card], ids=["realistic", "fuzzed"])
def test_the_fast_parser_reads_generated_cards_as_markdown_it_py(make):
    from extract.front_matter import split_front_matter

    fast = 0
    for seed in range(150):
        body = split_front_matter(make(seed))[1]
        try:
            structure = structure_from_tree(body)
        except Declined:
            continue
        fast += 1
        assert structure == structure_from_tokens(body), seed
    assert fast >= 50


def test_add_records_only_new_versions_and_refuses_when_a_recorded_one_moved(tmp_path, monkeypatch, capsys):
    reference = tmp_path / "digests.json"
    reference.write_text(json.dumps({"extractor_version": EXTRACTOR_VERSION, "digests": {"judged:a": "1"}}))
    monkeypatch.setattr(equivalence, "digests", lambda only: {"judged:a": "1", "judged:b": "2"})
    assert equivalence.main(["--add", "--only", "judged", "--reference", str(reference)]) == 0
    assert json.loads(reference.read_text())["digests"] == {"judged:a": "1", "judged:b": "2"}
    monkeypatch.setattr(equivalence, "digests", lambda only: {"judged:a": "X", "judged:b": "2", "judged:c": "3"})
    assert equivalence.main(["--add", "--only", "judged", "--reference", str(reference)]) == 1
    assert "refused: 1 recorded versions extract differently (judged:a)" in capsys.readouterr().out
    assert json.loads(reference.read_text())["digests"] == {"judged:a": "1", "judged:b": "2"}  # untouched
