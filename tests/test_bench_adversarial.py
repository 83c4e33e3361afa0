"""benchmarks/bench_adversarial.py: its expensive card shapes are what they say, and extraction reads
each without failing (the card gives evidence, not an `extract-failed` problem). Nothing is timed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_adversarial import CASES, SLOW_CASES, extract_card  # noqa: E402


@pytest.mark.parametrize("name", sorted(CASES) + sorted(SLOW_CASES))
def test_each_case_is_a_card_of_about_the_size_asked_and_is_read(name: str) -> None:
    small, large = {**CASES, **SLOW_CASES}[name](4_000), {**CASES, **SLOW_CASES}[name](16_000)
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


def test_the_search_keeps_the_costliest_cards_made_of_the_fragments() -> None:
    from bench_adversarial import FRAGMENTS, search

    found = search(0.5, seed=3, size=2_000, keep=4)
    assert 1 <= len(found) <= 4
    assert [ms for ms, _ in found] == sorted((ms for ms, _ in found), reverse=True)
    for _, unit in found:  # each unit is fragments joined: the text splits into them
        can_end = [True] + [False] * len(unit)
        for i in range(len(unit)):
            if can_end[i]:
                for fragment in FRAGMENTS:
                    if unit.startswith(fragment, i):
                        can_end[i + len(fragment)] = True
        assert unit and can_end[-1], unit
