"""benchmarks/bench_adversarial.py: its expensive card shapes are what they say, and extraction reads
each without failing (the card gives evidence, not an `extract-failed` problem). Nothing is timed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_adversarial import CASES, extract_card  # noqa: E402


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_is_a_card_of_about_the_size_asked_and_is_read(name: str) -> None:
    small, large = CASES[name](4_000), CASES[name](16_000)
    # sizes grow with what is asked: the benchmark's cost ratio is read against the size ratio
    assert 3_000 <= len(small) <= 6_000, len(small)
    assert 3.0 <= len(large) / len(small) <= 5.0
    evidence = extract_card(small)
    assert evidence.problems == (), evidence.problems
    assert evidence.repo_id == "o/m"


def test_the_link_cases_give_links_to_read() -> None:
    from extract.card import parse_card

    for name in ("links in one block", "URL sentences in one block", "table of links", "reference links"):
        card = parse_card(CASES[name](8_000).encode())
        assert len(card.links) > 50, name
