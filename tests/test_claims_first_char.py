"""`claims_lexicon.by_first_char` groups an alternation's parts behind lookaheads for their first
character: the compiled pattern must find exactly what the plain alternation finds (same spans, same
groups), also where what follows the alternation makes `re` backtrack into it."""

from __future__ import annotations

import random
import re

from extract.claims_lexicon import by_first_char, lexicon, phrase_regex

_PHRASES = ["open source", "open sourc*", "open … model*", "open weights", "openly released", "offen*", "fully open",
            "free", "código abierto", "完全开源", "开源", "オープンソース", "à poids ouverts"]
_WORDS = ["open", "Open", "OPEN", "source", "sourced", "model", "models", "multilingual", "weights", "offene", "fully",
          "free", "código", "abierto", "完全开源", "开源", "オープンソース", "à", "poids", "ouverts", "the", "-", "_", "  ", "ſ"]


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_WORDS) + rng.choice([" ", "", "-", ", "]) for _ in range(rng.randint(1, 12))) for _ in range(n)]


def test_grouped_alternation_finds_what_the_plain_one_finds():
    parts = [phrase_regex(p, any(ord(ch) > 0x2E80 for ch in p)) for p in _PHRASES]
    grouped = by_first_char(parts)
    assert grouped != "|".join(parts) and "(?=o)" in grouped  # it did group
    for tail in ("", r"(?:[\s\-]+\w+){0,2}\Z", r"[\s,]+model"):  # what follows may send `re` back into the alternation
        plain_re = re.compile(f"(?:{'|'.join(parts)}){tail}", re.I)
        grouped_re = re.compile(f"(?:{grouped}){tail}", re.I)
        for text in _texts(7, 3000):
            assert [m.span() for m in plain_re.finditer(text)] == [m.span() for m in grouped_re.finditer(text)], text


def test_grouping_falls_back_to_the_plain_alternation():
    assert by_first_char(["[ab]x", "ay"]) == "[ab]x|ay"  # a first character that is no literal
    assert by_first_char(["s1", "\u017f2"]) == "s1|\u017f2"  # the long s matches s ignoring case: one character, two keys
    grouped = re.compile(by_first_char(["k1", "k2", "\u212a3"]), re.I)  # the Kelvin sign lower-cases to k: one key
    assert [m.group(0) for m in grouped.finditer("K3 \u212a1 k2 s1")] == ["K3", "\u212a1", "k2"]
    assert by_first_char(["only"]) == "only"


def test_the_lexicon_phrases_keep_their_kinds():
    lex = lexicon()
    text = "Our fully open-source model is one of the best open models, 完全オープンな モデル, de código abierto y pesos abiertos."
    assert [(m.group(0), m.lastgroup) for m in lex.phrases.finditer(text)] == [
        ("fully open-source", "fully_open"),
        ("open models", "open_model"),
        ("完全オープン", "fully_open"),
        ("código abierto", "open_source"),
        ("pesos abiertos", "open_weights"),
    ]
