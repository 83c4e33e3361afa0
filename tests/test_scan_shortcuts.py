"""The shortcuts around the one Hyperscan scan (extract/pattern_scan.py, extract/literals.py) give
exactly what `re` gives.

- A guarded search on a text the scan already holds is answered from the scan's cache with one
  lookup (`Guarded.search` and the other methods); every routed slot must then be in the cached
  answer unless it cannot match: a pattern routed after the text was scanned empties the cache, and
  a slot Hyperscan refused is in every answer.
- `Guarded.may_occur_in(text)` says "no" only when no piece of the text (no block of a joined text,
  no sentence, no slice) can hold a match; callers skip whole loops on it (extract/licence_terms.py,
  extract/data_info.py), so it is checked on every piece of real, generated and fuzzed cards, with
  the scan and with the literal guard alone (a platform without Hyperscan).
"""

from __future__ import annotations

import random
import re

import pytest

from extract import pattern_scan
from extract.card import parse_card
from extract.literals import Guarded
from extract.pattern_scan import SCAN, PatternSet
from test_pattern_scan import _cards, _pieces, routed  # noqa: F401 - `routed` is a fixture

_SEED = 15


def _corpus() -> list[str]:
    texts = [piece for card in _cards()[:45] for piece in _pieces(card)[:60]]
    rng = random.Random(_SEED)
    # fuzzed: slices cut anywhere (mid-word, mid-phrase), and pieces glued with the joiners the
    # extractors use (NUL, " | ", a space)
    for _ in range(1500):
        text = rng.choice(texts)
        a = rng.randrange(len(text) + 1)
        texts.append(text[a : a + rng.randrange(1, 400)])
    for _ in range(300):
        texts.append(rng.choice(["\0", " | ", " "]).join(rng.sample(texts[:2000], 3)))
    texts += ["", "a", "x" * 15, "training code ok", "0123456789abcdef"]  # around the 16-character bound
    return texts


def _same(got, expected) -> bool:
    return (got and (got.span(), got.groups())) == (expected and (expected.span(), expected.groups()))


def test_every_guarded_method_answers_as_re_on_texts_the_scan_holds(routed: list[Guarded]) -> None:  # noqa: F811
    texts = _corpus()
    cached = 0
    for text in texts:
        SCAN.flagged(text)  # the text scanned first (as another extractor's pattern would)
        cached += SCAN.cached()(text) is not None
        for guard in routed:
            pattern = guard._pattern
            assert _same(guard.search(text), pattern.search(text)), (pattern.pattern[:60], text[:120])
            assert _same(guard.match(text), pattern.match(text))
            assert _same(guard.fullmatch(text), pattern.fullmatch(text))
            if len(text) < 2000:
                assert guard.findall(text) == pattern.findall(text)
                assert [m.span() for m in guard.finditer(text)] == [m.span() for m in pattern.finditer(text)]
    assert cached > len(texts) // 2  # most answers came through the cache


def test_may_occur_in_holds_for_every_piece_of_a_text(routed: list[Guarded]) -> None:  # noqa: F811
    rng = random.Random(_SEED)
    wholes = [card for card in _cards()[:45]]
    wholes += ["\0".join(re.split(r"\n\s*\n", card)[:30]) for card in wholes]  # joined blocks, as card.prose
    ruled_out = matched_pieces = 0
    for whole in wholes:
        paragraphs = [p for p in re.split(r"\n\s*\n|\0", whole) if p.strip()]
        sentences = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", p)]
        slices = []
        for _ in range(60):
            a = rng.randrange(len(whole) + 1)
            slices.append(whole[a : a + rng.randrange(1, 300)])
        pieces = paragraphs + sentences + slices
        for guard in routed:
            if guard.may_occur_in(whole):
                matched_pieces += sum(1 for piece in pieces[:40] if guard._pattern.search(piece))
                continue
            ruled_out += 1
            for piece in pieces:
                assert guard._pattern.search(piece) is None, (guard._pattern.pattern[:60], piece[:120])
    assert ruled_out > 200  # the answer has teeth
    assert matched_pieces > 100  # and the corpus holds matches


def test_a_match_that_exists_only_in_a_piece_is_not_ruled_out() -> None:
    # `\b` holds in the piece ("training data" alone) but not in the whole ("pretraining datasets"):
    # the whole has no match, yet a caller reading the piece would find one
    guard = Guarded(re.compile(r"\btraining data\b", re.I))
    whole = "our pretraining datasets are described in the report"
    piece = whole[7:20]
    assert guard._pattern.search(whole) is None and guard._pattern.search(piece) is not None
    assert guard.may_occur_in(whole) is True


def test_without_hyperscan_may_occur_in_holds_for_every_piece(monkeypatch) -> None:
    monkeypatch.setattr(pattern_scan, "hyperscan", None)
    monkeypatch.setattr("extract.literals.SCAN", PatternSet())
    sources = [r"\btraining code\b", r"\b(?:open[- ]source|fully open)\b", r"\bdata(?:set)?s? (?:card|sheet)\b"]
    guards = [Guarded(re.compile(source, re.I)) for source in sources]
    assert all(g.slot is None for g in guards)
    rng = random.Random(_SEED)
    ruled_out = 0
    for whole in _cards()[:45]:
        slices = [whole[a : a + 200] for a in (rng.randrange(len(whole) + 1) for _ in range(80))]
        for guard in guards:
            if not guard.may_occur_in(whole):
                ruled_out += 1
                assert not any(guard._pattern.search(piece) for piece in slices)
    assert ruled_out > 10


def test_a_pattern_routed_after_a_scan_empties_the_cache() -> None:
    scan = PatternSet()
    first = scan.route(re.compile(r"\bdeepspeed\b", re.I))
    text = "trained with Megatron-LM on many nodes"
    assert scan.may_match(first, text) is False
    assert scan.cached()(text) == frozenset()
    later = scan.route(re.compile(r"megatron[- ]lm", re.I))
    assert scan.cached()(text) is None  # the answer held did not name `later`: gone
    assert scan.may_match(later, text) is True
    assert scan.cached()(text) == frozenset({later})


def test_a_slot_hyperscan_refuses_is_in_every_cached_answer(monkeypatch) -> None:
    scan = PatternSet()
    monkeypatch.setattr("extract.literals.SCAN", scan)
    good = Guarded(re.compile(r"\btraining code\b", re.I))
    refused = Guarded(re.compile(r"(?:ab)?c?"))  # matches the empty string: Hyperscan will not compile it
    assert good.slot is not None and refused.slot is not None
    text = "nothing of the sort in this text"
    assert good.search(text) is None  # scanned: the answer is now cached
    answer = scan.cached()(text)
    assert answer is not None and refused.slot in answer and good.slot not in answer
    assert _same(refused.search(text), refused._pattern.search(text))  # the empty match at 0, not None
    assert refused.findall(text) == refused._pattern.findall(text)


@pytest.mark.parametrize("at", [9_990, 10_500, 25_000])
def test_card_terms_finds_a_restriction_past_the_part_the_prose_join_keeps(at: int) -> None:
    from extract.licence_terms import card_terms

    filler = "This paragraph describes the architecture in general words and nothing else. "
    long_block = (filler * (at // len(filler) + 1))[:at] + " The model is licensed for research use only."
    card = parse_card(("# A model\n\n" + long_block + "\n\nAnother paragraph.\n").encode())
    assert len(card.prose_blocks[1].text) > at
    found = card_terms(card)
    assert found is not None and found.family == "non-commercial"


def test_card_terms_reads_nothing_from_a_card_without_a_phrase_and_still_finds_one_in_a_later_block() -> None:
    from extract.licence_terms import card_terms

    plain = "# A model\n\nA model card.\n\n" + "\n\n".join(f"Paragraph {i} about the architecture." for i in range(40))
    assert card_terms(parse_card(plain.encode())) is None
    restricted = plain + "\n\n- item one\n- The model is licensed for research use only.\n"
    found = card_terms(parse_card(restricted.encode()))
    assert found is not None and found.family == "non-commercial"
