"""Sentences of a plain-text card block, and short one-line excerpts of them.

Used by the card parser (the sentence a link sits in) and by the extractors that judge sentences
(claims, training code, data information). Pure text functions; inputs are bounded by the callers.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from operator import itemgetter

MAX_CONTEXT_CHARS = 300
_END = itemgetter(1)

_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs cf al approx incl inc ltd co jr sr dr mr mrs ms st no fig figs eq resp viz ca est"
    .split()
)
# `[.!?]+` written as `[.!?][.!?]*`: the same matches, but a pattern that opens with a character class
# lets `re` skip ahead to the next stop instead of trying a match at every position.
_BOUNDARY = re.compile(r"[.!?][.!?]*[\"')\]]*\s+(?=[\"'(\[*_`]*[A-Z0-9])")
WS = re.compile(r"\s+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of a plain-text block."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        word = _last_word(text, start, m.start()).lower().strip("([{\"'*_").rstrip(".")
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        end = m.start() + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _last_word(text: str, lo: int, hi: int) -> str:
    """`text[lo:hi].rsplit(None, 1)[-1]` (or "" for blank text) without copying all of text[lo:hi]:
    boundaries after abbreviations do not move `lo`, so slicing from it is quadratic on long text."""
    window_lo = max(lo, hi - 64)
    parts = text[window_lo:hi].rsplit(None, 1)
    if len(parts) == 2 or window_lo == lo:
        return parts[-1] if parts else ""
    end = hi  # the last word is longer than the window: scan back to its start (linear overall)
    while end > lo and text[end - 1].isspace():
        end -= 1
    begin = end
    while begin > lo and not text[begin - 1].isspace():
        begin -= 1
    return text[begin:end]


def split_sentences(text: str) -> list[str]:
    return [text[s:e].strip() for s, e in sentence_spans(text)]


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence containing [start, end), whitespace-collapsed and bounded."""
    return sentence_in(text, sentence_spans(text), start, end)


def sentence_in(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """`sentence_around` with the block's `sentence_spans` computed once by the caller: a block with
    thousands of links would otherwise split its sentences again for each (quadratic in its size).

    The sentence is the first whose span, extended by two characters, holds `start`.
    """
    i = bisect_right(spans, start - 2, key=_END)  # the ends ascend; no list of them made per call
    if i < len(spans) and spans[i][0] <= start:
        s, e = spans[i]
        return window(text[s:e], start - s, end - s)
    return window(text, start, end)


def window(text: str, start: int, end: int) -> str:
    """`text` collapsed to one line, cut to about MAX_CONTEXT_CHARS around [start, end)."""
    if len(text) > MAX_CONTEXT_CHARS:
        margin = max(0, (MAX_CONTEXT_CHARS - (end - start)) // 2)
        lo = max(0, start - margin)
        text = text[lo : lo + max(MAX_CONTEXT_CHARS, end - start)]
    return one_line(text)[: MAX_CONTEXT_CHARS * 2]


def one_line(text: str) -> str:
    """`WS.sub(" ", text).strip()`, faster: str.split and `re`'s \\s agree on what whitespace is
    (tests/test_claims_text_squeeze.py checks every code point)."""
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
