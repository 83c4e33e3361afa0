"""extract/bounds.py: `clean_text`'s ASCII shortcut answers as the UTF-8 round trip that defines it."""

from __future__ import annotations

import random

from extract.bounds import clean_text, scrub


def _reference(value: str) -> str:
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")


def test_clean_text_is_the_utf8_round_trip() -> None:
    rng = random.Random(12)
    alphabet = ["a", "Z", "0", " ", "\x00", "\x7f", "\x80", "é", "本", "\ud800", "\udfff", "\U0001f600", "\ufffd"]
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert clean_text(text) == _reference(text), repr(text)
    assert clean_text("ab\ud800c") == "ab?c"
    assert clean_text("plain ascii") == "plain ascii"


def test_scrub_replaces_lone_surrogates_in_keys_and_values() -> None:
    assert scrub({"k\udc80": ["v\ud800", "ok", 1.5, float("nan")], "n": {"x": "é"}}) == {"k?": ["v?", "ok", 1.5, None], "n": {"x": "é"}}
