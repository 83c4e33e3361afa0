"""What the fast parser's failures mean (extract/markdown_tree.py): an error or a Rust panic sends
the card to markdown-it-py; an interrupt or a spent CPU budget goes on up, or the reference parser
would run on with no budget left (hubscan/cpu_budget.py)."""

from __future__ import annotations

import pytest

from extract import markdown_tree
from extract.card import parse_card
from hubscan.cpu_budget import OverBudget


class PanicException(BaseException):
    """As pyo3 names a panic in Rust code: a BaseException, so `except Exception` misses it."""


class Failing:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def tree(self, _src: str):
        raise self.exc


CARD = "# Model\n\nWeights under | apache-2.0 |\n\n| a | b |\n|---|---|\n| *x* | y |\n"


@pytest.mark.parametrize("exc", [ValueError("bad"), PanicException("index out of bounds")], ids=["error", "panic"])
def test_a_failure_of_the_fast_parser_declines_the_card(monkeypatch, exc):
    reference = parse_card(CARD.encode())
    monkeypatch.setattr(markdown_tree, "_FAST", Failing(exc))
    with pytest.raises(markdown_tree.Declined, match=type(exc).__name__):
        markdown_tree.structure_from_tree(CARD)
    parsed = parse_card(CARD.encode())  # markdown-it-py read it, to the same structure
    assert (parsed.blocks, parsed.sections, parsed.links, parsed.problems) == (reference.blocks, reference.sections, reference.links, ())


@pytest.mark.parametrize("exc", [OverBudget(30.0), KeyboardInterrupt()], ids=["over-budget", "interrupt"])
def test_a_spent_budget_or_an_interrupt_is_not_the_parsers_failure(monkeypatch, exc):
    monkeypatch.setattr(markdown_tree, "_FAST", Failing(exc))
    with pytest.raises(type(exc)):
        markdown_tree.structure_from_tree(CARD)
    with pytest.raises(type(exc)):
        parse_card(CARD.encode())  # not reported as a parse problem either


def test_a_card_that_makes_the_compiled_parser_panic_is_read_by_markdown_it_py():
    # markdown-it 0.6.0 (the Rust crate) indexes past an empty list on an unclosed '[' before an
    # unmatched backtick (generics/inline/code_pair.rs); pyo3 raises that as PanicException
    from extract.markdown_tokens import structure_from_tokens

    card = "# Model\n\nSee [`train.py for the recipe; weights under Apache-2.0.\n"
    with pytest.raises(markdown_tree.Declined, match="PanicException"):
        markdown_tree.structure_from_tree(card)
    parsed = parse_card(card.encode())
    reference = structure_from_tokens(card)
    assert parsed.problems == () and parsed.sections == reference.sections and parsed.blocks[-1].text.startswith("See [`train.py")
