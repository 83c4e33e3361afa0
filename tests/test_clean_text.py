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



def test_shape_of_a_scalar_is_what_the_walk_counts_for_it() -> None:
    """A scalar's shape (a shortcut) agrees with the walk over a list holding it: one level, one node
    and two characters ("[]") fewer."""
    from extract.bounds import Shape, shape

    for value in ["", "abc", "x" * 40, 0, 1.5, True, None, b"raw"]:
        inside = shape([value])
        assert shape(value) == Shape(inside.depth - 1, inside.nodes - 1, inside.chars - 2, False), value
    assert shape("abc") == Shape(0, 1, 6, False) and shape(7) == Shape(0, 1, 8, False)
    assert shape("x" * 30, 4, 32, 32).over and not shape("x" * 29, 4, 32, 32).over  # 29 + 3 characters
    assert shape("x", 4, 0).over and shape("x", -1).over  # a scalar is one node at depth 0
    assert shape({"a": ["b", 1]}) == Shape(2, 4, 2 + 5 + 2 + 4 + 8, False)
    assert shape([[[]]], max_depth=2).over


def _scrubbed(value):  # type: ignore[no-untyped-def]
    """What `scrub` promises, written recursively: strings cleaned, non-finite floats None, tuples lists."""
    import math

    if isinstance(value, str):
        return _reference(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {(_reference(k) if isinstance(k, str) else str(k)): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(v) for v in value]
    return value


def test_scrub_matches_its_recursive_definition() -> None:
    rng = random.Random(5)
    leaves = ["a", "é", "x\ud800", 1, 2.5, float("inf"), float("nan"), True, None, b"b"]

    def make(depth: int):  # type: ignore[no-untyped-def]
        kind = rng.random()
        if depth > 3 or kind < 0.4:
            return rng.choice(leaves)
        if kind < 0.6:
            return tuple(make(depth + 1) for _ in range(rng.randint(0, 3)))
        if kind < 0.8:
            return [make(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(["k", "k\udc00", 3, None, "é"]): make(depth + 1) for _ in range(rng.randint(0, 3))}

    for _ in range(3000):
        value = make(0)
        got, want = scrub(value), _scrubbed(value)
        assert repr(got) == repr(want), value  # repr: NaN is gone either way, and list vs tuple shows
