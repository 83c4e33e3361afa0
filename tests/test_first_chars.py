"""extract/first_chars.py: compiling a pattern with its first characters (in the INFO block `re`'s search
loop skips by, or behind a lookahead) never changes what it finds."""

from __future__ import annotations

import random
import re
import sys

import pytest

from extract.first_chars import DIGITS, NON_ASCII_PARTNERS, _hinted, first_chars, start_set, with_first_chars


def test_every_code_point_that_matches_an_ascii_letter_ignoring_case_is_in_the_table() -> None:
    """The set for a letter under IGNORECASE: its two cases and NON_ASCII_PARTNERS, nothing else."""
    any_letter = re.compile("[a-z]", re.I)
    partners = [chr(c) for c in range(128, sys.maxunicode + 1) if any_letter.fullmatch(chr(c))]
    for letter in "abcdefghijklmnopqrstuvwxyz":
        one = re.compile(letter, re.I)
        assert {ch for ch in partners if one.fullmatch(ch)} == set(NON_ASCII_PARTNERS.get(letter, "")), letter


def test_no_other_character_matches_a_caseless_one_ignoring_case() -> None:
    """A non-ASCII character without case stands only for itself (kept as it is in the set)."""
    for c in range(128, sys.maxunicode + 1):
        ch = chr(c)
        low = ch.lower()
        if low != ch and len(low) == 1:
            assert low.lower() != low.upper() or low.isascii(), hex(c)


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"\b(?:train|fine-?tune)\b", re.I, set("tTfF")),
        (r"(?<!\w)(?:code|scripts?)\s+for", re.I, set("cCsS\u017f")),  # long s matches s
        (r"\bkit", re.I, set("kK\u212a")),  # the Kelvin sign matches k
        (r"\bkit", 0, {"k"}),
        (r"x?abc", 0, set("xa")),  # the match may start at 'a' too
        (r"(?:a|)b", 0, set("ab")),
        (r"\w+ing", 0, None),  # \w: not narrow
        (r"[^a]b", 0, None),
        (r"a*", 0, None),  # may match the empty string
        (r"(?i:a)b", 0, None),  # scoped flags
    ],
)
def test_first_chars(pattern: str, flags: int, expected: set[str] | None) -> None:
    assert first_chars(re.compile(pattern, flags)) == (frozenset(expected) if expected is not None else None)


def test_a_pattern_with_its_own_prefix_scan_is_left_alone() -> None:
    literal = re.compile(r"train\w*")
    assert with_first_chars(literal) is literal
    assert with_first_chars(re.compile(r"\w+")) is not None


WORDS = ["train", "Training", "FINE-tune", "ſcripts", "code for", "İnstruct", "ıt", "Kit", "data", "x", "—", "本模型", "ok"]


@pytest.mark.parametrize(
    "pattern",
    [
        re.compile(r"\b(?:pre-?training|training|fine-?tuning|train|sft)\s+(?:code|scripts?)\b|\b(?:code|scripts?)\s+for\b", re.I),
        re.compile(r"\b(?:instruct|it|kit)\b", re.I),
        re.compile(r"(?<![\w.])(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?\s?(?:B|M|k)\b"),
        re.compile(r"\b(custom|own)\s+(?:\w+\s+)?(code|framework)\b", re.I),
        re.compile(r"\b(?:本模型|オープン)\S*", re.I),
        re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s?(?P<unit>B|M|k)\b", re.I),  # starts with any digit
        re.compile(r"\b(?:(?P<n>\d+)\s?%|per\s?cent)", re.I),
    ],
)
def test_the_prefixed_pattern_finds_the_same_matches(pattern: re.Pattern[str]) -> None:
    fast = with_first_chars(pattern)
    assert fast is not pattern  # these all get the lookahead
    rng = random.Random(15)
    for _ in range(400):
        text = " ".join(rng.choice(WORDS + ["12,000 B", "7 M", "custom training code", "own code", "scripts for"]) for _ in range(rng.randint(1, 12)))
        assert [(m.span(), m.groups()) for m in fast.finditer(text)] == [(m.span(), m.groups()) for m in pattern.finditer(text)], text
        assert bool(fast.match(text)) == bool(pattern.match(text))
        assert bool(fast.fullmatch(text)) == bool(pattern.fullmatch(text))
        pos = rng.randrange(len(text) + 1)
        assert [m.span() for m in fast.finditer(text, pos)] == [m.span() for m in pattern.finditer(text, pos)]
        got, expected = fast.search(text, pos, len(text) - 1), pattern.search(text, pos, len(text) - 1)
        assert (got and (got.span(), got.groupdict())) == (expected and (expected.span(), expected.groupdict()))


def test_the_hint_is_the_patterns_own_code_with_a_start_set() -> None:
    pattern = re.compile(r"\b(?P<what>train|fine-?tune)\w*\s+(code|scripts?)\b", re.I)
    fast = with_first_chars(pattern)
    assert _hinted(pattern, start_set(pattern)) is not None  # this Python's `re` takes the hint
    assert fast.pattern == pattern.pattern and fast.flags == pattern.flags  # no lookahead added
    assert fast.groupindex == pattern.groupindex and fast.groups == pattern.groups
    assert fast != pattern  # the compiled code differs: it holds the start set


def test_a_start_set_with_digits_is_only_a_hint() -> None:
    assert start_set(re.compile(r"(?<!\w)\d+\s?B", re.I)) == {DIGITS}
    assert first_chars(re.compile(r"(?<!\w)\d+\s?B", re.I)) is None  # no lookahead can list every digit
    assert start_set(re.compile(r"\b(?:\d+|[Kk]ilo)", re.I)) == {DIGITS, "k", "K", "\u212a"}


def test_every_digit_python_takes_starts_a_match_of_the_hinted_pattern() -> None:
    """Over every code point `\\d` takes (with and without IGNORECASE), and every other one: the
    hinted pattern finds exactly the bare pattern's matches."""
    text = " ".join(chr(c) + "0 B" for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    for flags in (0, re.I):
        pattern = re.compile(r"(?<![\w.])\d+\s?B\b", flags)
        fast = with_first_chars(pattern)
        assert fast is not pattern
        expected = [m.span() for m in pattern.finditer(text)]
        assert len(expected) > 600  # every decimal digit, Unicode's included
        assert [m.span() for m in fast.finditer(text)] == expected
