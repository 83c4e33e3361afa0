"""Regular expressions that first ask whether the text holds a word every match needs.

Python's `re` has no literal pre-scan for an alternation: `\\b(?:pre-?train\\w*|train\\w*|...)\\b` is
tried at every position of the text, which costs 100-600 µs on 2 kB of card prose, while
`"train" in text` costs well under one. `Guarded(pattern)` derives from the compiled pattern a set
of literals, one of which every match contains ("train", "fine", "tun" for the example), and
answers a search, match or findall on a text that holds none of them without running the
expression. The answer is the expression's own in every case: the literals are a necessary
condition, checked case-insensitively (lower case, with the few non-ASCII letters Python's
case-insensitive matching pairs with ASCII ones folded too), so a text the expression could match
is never passed over. Patterns for which no literal of two or more characters is required are run
as they are.

Before the literals are looked at, a guarded pattern asks the one Hyperscan scan of the text for
all guarded patterns (extract/pattern_scan.py), which is sharper and shared; the literal guard is
what a pattern the scan cannot take, or a text of fewer than 16 characters, still gets. A text the
scan already holds costs a guarded search one dict lookup and one set test (`Guarded.search`).
`may_occur_in(text)` asks the same of a whole text on behalf of its pieces (the blocks of a joined
text): both filters answer for every piece, so a caller can skip a loop over the pieces at once.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterator

from extract.first_chars import with_first_chars
from extract.pattern_scan import SCAN

try:  # Python 3.11+
    import re._constants as _c  # type: ignore[import-not-found]
    import re._parser as _parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

_SHORT = 300  # characters: below this the expression runs as it is
_TINY = 16  # characters: below this the expression runs as it is, without the shared scan
MIN_LITERAL = 2  # a required literal shorter than this is no filter worth having
MAX_LITERALS = 80
_MAX_CLASS = 4  # a character class of up to this many characters still gives literals

# Case-insensitive matching in `re` pairs some non-ASCII letters with ASCII ones that str.lower()
# does not turn into them: long s, dotless i, and the combining dot of 'İ'.lower().
try:
    from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]  # sre's extra case pairs
except ImportError:  # pragma: no cover
    _EXTRA_CASES = {}
_FOLD = str.maketrans({"ſ": "s", "ı": "i", "\u0307": None})


def fold(text: str) -> str:
    low = text.lower()
    return low if low.isascii() else low.translate(_FOLD)


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case ASCII strings, one of which every match of `pattern` contains; None if there are none
    worth checking."""
    found = _sequence(_parser.parse(pattern.pattern, pattern.flags))
    if not found or min(len(s) for s in found) < MIN_LITERAL or len(found) > MAX_LITERALS:
        return None
    return _minimal(found)


def _minimal(found: set[str]) -> frozenset[str]:
    """Drop every literal that contains another: the shorter one is present whenever it is."""
    ordered = sorted(found, key=len)
    kept: list[str] = []
    for s in ordered:
        if not any(k in s for k in kept):
            kept.append(s)
    return frozenset(kept)


def _sequence(items) -> set[str] | None:
    """A literal set for a sequence of nodes: its best element's (every match contains a match of each)."""
    best: set[str] | None = None
    run: list[str] = []

    def consider(candidate: set[str] | None) -> None:
        nonlocal best
        if candidate and _better(candidate, best):
            best = candidate

    for op, av in items:
        if op is _c.LITERAL and _plain_char(av):
            run.append(chr(av).lower())
            continue
        if run:
            consider({"".join(run)})
            run = []
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero width: the run goes on ("\bfoo\b")
        consider(_node(op, av))
        run = []
    if run:
        consider({"".join(run)})
    return best


def _better(candidate: set[str], best: set[str] | None) -> bool:
    if best is None:
        return True
    short_c, short_b = min(len(s) for s in candidate), min(len(s) for s in best)
    return short_c > short_b or (short_c == short_b and len(candidate) < len(best))


def _node(op, av) -> set[str] | None:
    if op is _c.SUBPATTERN:
        return _sequence(av[-1])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
        low, _high, body = av
        return _sequence(body) if low >= 1 else None
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(av)
    if op is _c.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            part = _sequence(branch)
            if not part:
                return None  # a branch without a literal: the alternation guarantees none
            out |= part
        return out
    if op is _c.IN:
        chars = [a for o, a in av if o is _c.LITERAL]
        if len(chars) == len(av) and len(chars) <= _MAX_CLASS and all(_plain_char(a) for a in chars):
            return {chr(a).lower() for a in chars}
        return None
    return None


def _plain_char(code: int) -> bool:
    """A character `fold` compares exactly as case-insensitive matching does: ASCII, or a letter
    without case (CJK, kana, hangul), or a cased one whose only partners are its lower/upper case."""
    if code < 128:
        return True
    ch = chr(code)
    if ch.lower() == ch == ch.upper():
        return unicodedata.category(ch) == "Lo"
    low = ch.lower()
    return len(low) == 1 and ord(low) not in _EXTRA_CASES and low.upper().lower() == low


class Guarded:
    """A compiled pattern that skips texts without any of its required literals (module docstring).

    Quacks like the pattern for search/match/fullmatch/finditer/findall; everything else (sub,
    split, pattern, flags) is the pattern's own.
    """

    __slots__ = ("_pattern", "_fast", "literals", "words", "slot", "_scanned")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self._pattern = pattern
        self._fast = with_first_chars(pattern)  # the same matches, tried only where one can start
        self.literals = required_literals(pattern)
        # the longest part of each literal without spaces or '|': what a table row's source line must
        # hold when its text (cells joined by " | ") holds the literal
        words = {max(re.split(r"[ |]+", lit), key=len) for lit in self.literals} if self.literals else None
        self.words = _minimal(words) if words and all(words) else None
        # its place in the one Hyperscan scan for all guarded patterns (extract/pattern_scan.py), or
        # None when it keeps the literal guard alone
        self.slot = SCAN.route(pattern)
        # the scan's answers for the texts it holds: a text already scanned (by any guarded pattern)
        # costs one dict lookup and one set test here, not a call into the scan
        self._scanned = SCAN.cached()

    def may_match_row_source(self, text: str) -> bool:
        """Could the pattern match the text of a table row whose cells are parts of `text`?"""
        if self.words is None:
            return True
        low = _folded(text)
        return any(word in low for word in self.words)

    def may_match(self, text: str) -> bool:
        if self.slot is not None and len(text) >= _TINY:
            verdict = SCAN.may_match(self.slot, text)
            if verdict is not None:
                return verdict
        if self.literals is None or len(text) < _SHORT:
            return True  # a short text is searched faster than its literals are looked for
        low = _folded(text)
        return any(lit in low for lit in self.literals)

    def may_occur_in(self, text: str) -> bool:
        """False only when the pattern matches no piece of `text` (no block, sentence or slice of
        it): a loop over the pieces of a text (the NUL-joined blocks of a card, say) can then be
        skipped whole. Both filters say so of every piece: the scan's rewrite has no zero-width
        assertions (extract/hs_translate.py), so a match inside a piece is a match of the rewrite
        inside `text`; a literal every match holds is in `text` when it is in a piece of it."""
        return self._may(text)

    def _may(self, text: str) -> bool:
        """`may_match`, answered from the scan's cache when it holds the text (the same answer:
        a routed slot missing from a cached answer cannot match; see PatternSet._cache)."""
        if len(text) < _TINY:
            return True  # never scanned (`may_match`): searched as it is
        hit = self._scanned(text)
        if hit is not None and self.slot is not None:
            return self.slot in hit
        return self.may_match(text)

    # Each method repeats `_may`'s first lines: most calls end there, and a call saved per search
    # is a good part of what a guarded search costs on a text already scanned.
    def search(self, text: str, *args: int) -> re.Match[str] | None:
        if len(text) < _TINY:
            return self._fast.search(text, *args)
        hit = self._scanned(text)
        if hit is not None and self.slot is not None:
            return self._fast.search(text, *args) if self.slot in hit else None
        return self._fast.search(text, *args) if self.may_match(text) else None

    def match(self, text: str, *args: int) -> re.Match[str] | None:
        return self._fast.match(text, *args) if self._may(text) else None

    def fullmatch(self, text: str, *args: int) -> re.Match[str] | None:
        return self._fast.fullmatch(text, *args) if self._may(text) else None

    def finditer(self, text: str, *args: int) -> Iterator[re.Match[str]]:
        return self._fast.finditer(text, *args) if self._may(text) else iter(())

    def findall(self, text: str, *args: int) -> list[Any]:
        return self._fast.findall(text, *args) if self._may(text) else []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)

    def __repr__(self) -> str:
        return f"Guarded({self._pattern!r}, literals={sorted(self.literals or ())})"


# The last few texts folded, by identity: the extractors run many patterns over the same text.
_cache: list[tuple[str, str]] = []
_CACHE_SIZE = 4


def _folded(text: str) -> str:
    for seen, low in _cache:
        if seen is text:
            return low
    low = fold(text)
    if len(text) > 64:  # short texts fold faster than they are looked up
        _cache.insert(0, (text, low))
        del _cache[_CACHE_SIZE:]
    return low


def guarded(pattern: re.Pattern[str]) -> Guarded:
    return Guarded(pattern)
