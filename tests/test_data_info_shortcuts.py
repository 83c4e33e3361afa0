"""The shortcuts data information takes answer as the plain reading does (issue 15 speed work).

Each shortcut is checked against the straightforward reading it replaces: section kinds from each
title once against the walk over a section's own and ancestors' titles, the pre-checks against the
patterns they guard, a region's introducer found from a sentence's against the search of the
whole region.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from extract.card import parse_card
from extract.data_region import _section_kinds
from extract.data_names import _INTRODUCER_WORDS, _enumerated_names, _joined_introducer, _may_introduce
from extract.data_patterns import (
    _DATA_TITLE,
    _IGNORED_TITLE,
    _INTRODUCER,
    _LABEL,
    _NOT_DATA_SIZE,
    _SIZE,
    _TRAIN_TITLE,
    _may_label,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cards import realistic_card  # noqa: E402


def _kind_by_walk(titles: list[str]) -> str:
    """The rule as first written: the own title, then every title from it outwards."""
    own = titles[-1] if titles else ""
    if own and _IGNORED_TITLE.search(own) and not _DATA_TITLE.search(own):
        return "ignored"
    for title in reversed(titles):
        if _IGNORED_TITLE.search(title) and not (_DATA_TITLE.search(title) or _TRAIN_TITLE.search(title)):
            return "ignored"
        if _DATA_TITLE.search(title):
            return "data"
        if _TRAIN_TITLE.search(title):
            return "training"
    return "other"


NESTED = """intro

# Model
## Training
### Evaluation during training
### Hardware
#### Data
## Evaluation
### Training data contamination
### Results
## Limitations and bias
### Training data
## Pre-training
### Prompt format
### Licence of the data
# Usage
## Fine-tuning
"""


def _walk_kinds(card) -> list[str]:
    return [_kind_by_walk([card.sections[j].title for j in card.ancestors(i)] + [s.title]) for i, s in enumerate(card.sections)]


def test_section_kinds_match_the_walk_over_titles():
    card = parse_card(NESTED.encode())
    kinds = _section_kinds(card)
    assert kinds == _walk_kinds(card)
    by_title = dict(zip((s.title for s in card.sections), kinds))
    assert by_title["Evaluation during training"] == "ignored"  # its own title: ignored topic, no data
    assert by_title["Training data contamination"] == "data"  # under an ignored section, names data
    assert by_title["Hardware"] == "ignored"
    assert by_title["Data"] == "data"  # under an ignored section, its own title settles it
    assert by_title["Prompt format"] == "ignored"
    assert by_title["Licence of the data"] == "data"
    assert by_title["Fine-tuning"] == "training"


@pytest.mark.parametrize("seed", range(40))
def test_section_kinds_match_the_walk_on_generated_cards(seed):
    card = parse_card(realistic_card(seed).encode())
    assert _section_kinds(card) == _walk_kinds(card)


LABELS = ["Wikipedia: 10B tokens", "C4 - web text", "Books — 2B", "Code – GitHub", "no label here", "a:b", "-", "x (y)", "  : z"]


@pytest.mark.parametrize("text", LABELS)
def test_a_label_needs_a_colon_or_a_dash(text):
    if _LABEL.match(text):
        assert _may_label(text)
    assert _may_label("Plain words only") is False and _LABEL.match("Plain words only") is None


def test_the_introducer_words_are_required_by_every_match():
    assert _INTRODUCER_WORDS  # the pattern has required words: the pre-check filters
    for sentence in ["Trained on C4 and The Pile.", "Data from Reddit, Quora and StackExchange.", "It includes: A, B", "Nothing here."]:
        if _INTRODUCER.search(sentence):
            assert _may_introduce(sentence)
            assert _may_introduce(sentence.upper())  # case is folded as the pattern ignores it
    assert not _may_introduce("A model for chat.")


def test_a_sentence_introducer_found_in_the_region_proves_one_there():
    joined = "Some prose.\x00The corpus consists of data from Wikipedia and arXiv."
    names = _enumerated_names("The corpus consists of data from Wikipedia and arXiv.")
    assert any("Wikipedia" in name for name, _ in names) and all(intro in joined for _, intro in names)
    assert _joined_introducer(joined, names[0][1]) is True
    # where the introducer's text stands in the region without matching there, the region is searched
    assert _joined_introducer("xdata from\x00nothing", "data from") is (_INTRODUCER.search("xdata from\x00nothing") is not None)


def test_the_words_around_a_size_are_searched_joined_as_apart():
    text = "a context window of 4,096 tokens and 2T tokens of web text, batch size 512 examples"
    for m in _SIZE.finditer(text):
        before, after = text[max(0, m.start() - 30) : m.start()], text[m.end() : m.end() + 25]
        apart = bool(_NOT_DATA_SIZE.search(before) or _NOT_DATA_SIZE.search(after) or _NOT_DATA_SIZE.search(m.group(0)))
        assert apart == bool(_NOT_DATA_SIZE.search(f"{before}\x00{after}\x00{m.group(0)}"))
