"""extract/markdown_tables.py: the fast plain-text tests answer exactly as the patterns that define them."""

from __future__ import annotations

import random

from extract.markdown_tables import _PLAIN_BLOCK, _PLAIN_LINE, _plain_block, plain_line

ALPHABET = "ab Z9_-|*`~[]<>!&\\\t\n\x00\x7fé本 .:"


def test_plain_line_and_block_agree_with_their_patterns() -> None:
    rng = random.Random(15)
    for _ in range(20_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
        assert plain_line(text) == (_PLAIN_LINE.fullmatch(text) is not None), repr(text)
        assert _plain_block(text) == (_PLAIN_BLOCK.fullmatch(text) is not None), repr(text)


def test_underscores() -> None:
    assert plain_line("arc_challenge | 25-shot")
    assert not plain_line("_private")
    assert not plain_line("snake_")
    assert not plain_line("a__b")
    assert not plain_line("é_a")  # only ASCII letters and digits keep '_' from opening emphasis
