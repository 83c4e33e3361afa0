"""The claims' reading under their character budget (cards past MAX_CARD_CHARS) gives what reading
every block in order gives.

`_budgeted_texts` walks the card's segments and tries a table read whole within the budget through
one search of its rows joined, instead of making every row a block and searching each (twice the
claims' time on 500 kB cards). Here it is compared with the block-by-block reading it replaced, on
the test corpus with budgets small enough to end inside tables and text blocks, and on large
generated cards with the real budget.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from card_corpus import ROOT, corpus_cards  # noqa: E402
from extract import claims  # noqa: E402
from extract.card import parse_card  # noqa: E402
from extract.claims_lexicon import lexicon  # noqa: E402


def block_by_block(card, trigger, work, budget):
    """The reading before: every block of `card.blocks`, cut to what is left of the budget."""
    for block in card.blocks:
        if budget <= 0:
            return
        text = block.text[:budget]
        budget -= len(text)
        work.chars += len(text)
        if trigger.search(text):
            yield block.kind, text


def both(text: str, budget: int) -> tuple[tuple[list, int], tuple[list, int]]:
    trigger = claims._guarded(lexicon().trigger)
    old, new = claims.Work(), claims.Work()
    expected = list(block_by_block(parse_card(text.encode("utf-8", "surrogatepass")), trigger, old, budget))
    got = list(claims._budgeted_texts(parse_card(text.encode("utf-8", "surrogatepass")), trigger, new))
    return (got, new.chars), (expected, old.chars)


@pytest.mark.parametrize("budget", [1_500, 6_000, 20_000])
def test_small_budgets_end_inside_tables_and_blocks_alike(budget, monkeypatch):
    monkeypatch.setattr(claims, "MAX_CARD_CHARS", budget)
    found = 0
    for text in corpus_cards(realistic=80, fuzzed=80):
        got, expected = both(text, budget)
        assert got == expected
        found += len(expected[0])
    assert found > 50  # the corpus does hold texts with a stem


def test_large_cards_with_the_real_budget():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from cards import realistic_card

    for size in (470_000, 500_000):
        text = realistic_card(f"budget:{size}", "org/model", target_bytes=size)
        card = parse_card(text.encode())
        assert sum(len(b.text) for b in card.blocks) > claims.MAX_CARD_CHARS  # the budget does run out
        got, expected = both(text, claims.MAX_CARD_CHARS)
        assert got == expected and expected[0]


def test_a_claim_in_a_table_row_cut_by_the_budget(monkeypatch):
    row = "| This model is fully open source and released under Apache-2.0 for everyone | 1 |"
    text = "Intro paragraph.\n\n| note | n |\n|---|---|\n" + "\n".join([row] * 40) + "\n"
    for budget in (200, 300, 2_000, 10_000):
        monkeypatch.setattr(claims, "MAX_CARD_CHARS", budget)
        got, expected = both(text, budget)
        assert got == expected and expected[0], budget
