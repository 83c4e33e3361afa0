"""A Python regular expression rewritten as a Hyperscan expression that matches at least as much.

Hyperscan's own reading of a pattern differs from Python's `re` in places (`\\w`, `\\s` and
`\\b` over Unicode, case folding of 'İ', 'K' (Kelvin sign) or 'ſ', lookarounds). Rather than
trust the two to agree, the pattern is rewritten from Python's own parse of it into an expression
that uses none of those: every character Python could match at a place is listed explicitly, so
the rewrite matches every string Python's pattern matches (and perhaps more). Hyperscan reads the
text one byte per character (`Alphabet.transcode`): ASCII as it is, the non-ASCII case partners
of ASCII letters as those letters in lower case, each other non-ASCII character a pattern names (up
to 127 of them) as a byte of its own, every other character as the byte 0xFF; a class of
characters becomes the class of their bytes (so a case-insensitive 'k' is `[Kk]`, which matches
what 'K', 'k' and the Kelvin sign become). Then:

- a literal under IGNORECASE becomes the class of every character Python pairs with it (its
  simple case partners, as `_sre` folds them, and `re._casefix`'s extra pairs);
- `\\w`, `\\d`, `\\s` and their negations are exact on ASCII and take every non-ASCII character
  (Python's Unicode tables need not be Hyperscan's);
- a negated class excludes only characters Python certainly excludes;
- zero-width assertions (`\\b`, `^`, `$`, lookaheads, lookbehinds) are left out: dropping a
  condition only widens what matches; possessive and lazy repeats and atomic groups become plain
  repeats and groups, which match every string they do; a repeat bounded above 8 is unbounded.

Anything else (back-references, conditionals, a case-folded range too wide to list) raises
`Untranslatable` with the reason, and the pattern keeps the literal-guard path. Hyperscan then
compiles the rewrite in prefilter mode (extract/pattern_scan.py), which widens it further where it
must: a text it does not flag cannot match the Python pattern, and `re` decides the rest.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

try:  # Python 3.11+
    import re._constants as _c  # type: ignore[import-not-found]
    import re._parser as _parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

try:
    from _sre import unicode_tolower as _tolower  # what IGNORECASE compares: the simple lower case
except ImportError:  # pragma: no cover - then no case-insensitive pattern is rewritten
    _tolower = None  # type: ignore[assignment]
try:
    from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    _EXTRA_CASES = {}

MAX_CODE = 0x10FFFF
_NON_ASCII = ((0x80, MAX_CODE),)
OTHER = 0xFF  # the byte for every non-ASCII character the alphabet does not name
_ALPHABET_SIZE = 0xFF - 0x80  # bytes 0x80-0xFE name characters
_SMALL_CLASS = 16  # a class with at most this many non-ASCII characters has them named in the alphabet
_MAX_FOLDED_RANGE = 0x3000  # a case-insensitive range wider than this is not listed out
_MAX_BOUND = 8  # a repeat allowed more times than this becomes unbounded (Hyperscan compiles
# long bounded repeats slowly; matching more is fine here)
MAX_EXPRESSION = 20_000  # characters of rewrite: a pattern that grows past this is not routed

Ranges = list[tuple[int, int]]


class Untranslatable(ValueError):
    """The pattern uses something the rewrite cannot widen safely; the message says what."""


class CharSet(tuple):
    """Code point ranges (low, high), merged: the characters one place of the pattern may take."""


Rewrite = list  # of str (expression syntax) and CharSet (a class, written out by `render`)


def translate(pattern: re.Pattern[str]) -> Rewrite:
    """The rewrite of `pattern`: syntax and character sets; `render` makes it an expression."""
    if not isinstance(pattern.pattern, str):
        raise Untranslatable("a bytes pattern")
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    out = _sequence(list(parsed), pattern.flags)
    if not out:
        raise Untranslatable("nothing left to require once assertions are dropped")
    return out


def _sequence(items: Iterable, flags: int) -> Rewrite:
    out: Rewrite = []
    for op, av in items:
        out += _node(op, av, flags)
    return out


def _group(inner: Rewrite, suffix: str = "") -> Rewrite:
    return ["(?:", *inner, ")" + suffix] if inner else []


def _node(op, av, flags: int) -> Rewrite:
    c = _c
    if op is c.LITERAL:
        return [CharSet(_literal_chars(av, flags))]
    if op is c.NOT_LITERAL:
        return [CharSet(_complement([(av, av)]))]  # Python excludes av and perhaps its partners: exclude av only
    if op is c.ANY:
        return [CharSet(_complement([]))]  # any character ('\n' too: wider than Python's '.')
    if op is c.IN:
        return [CharSet(_in_set(av, flags))]
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return []  # zero width: dropping it only widens the match
    if op is c.SUBPATTERN:
        _group_id, add, remove, body = av
        return _group(_sequence(body, (flags | add) & ~remove))
    if op is c.BRANCH:
        out: Rewrite = ["(?:"]
        for i, branch in enumerate(av[1]):
            out += (["|"] if i else []) + _sequence(branch, flags)
        return out + [")"]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
        low, high, body = av
        inner = _sequence(body, flags)
        if not inner or high == 0:
            return []
        unbounded = high == c.MAXREPEAT or high > _MAX_BOUND
        return _group(inner, f"{{{low},}}" if unbounded else f"{{{low},{high}}}")
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _group(_sequence(av, flags))
    if op in (c.GROUPREF, c.GROUPREF_EXISTS):
        raise Untranslatable("a back-reference")
    raise Untranslatable(f"the construct {op}")


# --- character sets ------------------------------------------------------------------------------


def _literal_chars(code: int, flags: int) -> Ranges:
    if flags & re.IGNORECASE:
        return _merge((p, p) for p in case_partners(code))
    return [(code, code)]


def _in_set(items, flags: int) -> Ranges:
    """Ranges holding every character the class matches (for a negated class: the complement of
    characters it certainly refuses)."""
    c = _c
    if items and items[0][0] is c.NEGATE:
        return _complement(_certain(items[1:]))
    out: Ranges = []
    for op, av in items:
        if op is c.LITERAL:
            out += _literal_chars(av, flags)
        elif op is c.RANGE:
            out += _folded_range(av[0], av[1], flags)
        elif op is c.CATEGORY:
            out += _category_superset(av)
        else:
            raise Untranslatable(f"the class item {op}")
    return _merge(out)


def _certain(items) -> Ranges:
    """Characters each item surely matches in Python (a literal itself, a range itself, the ASCII
    part of a category): what a negated class surely refuses."""
    c = _c
    out: Ranges = []
    for op, av in items:
        if op is c.LITERAL:
            out.append((av, av))
        elif op is c.RANGE:
            out.append((av[0], av[1]))
        elif op is c.CATEGORY:
            out += _ascii_category(av)
        else:
            raise Untranslatable(f"the class item {op}")
    return _merge(out)


def _folded_range(low: int, high: int, flags: int) -> Ranges:
    if not flags & re.IGNORECASE:
        return [(low, high)]
    if high - low > _MAX_FOLDED_RANGE:
        raise Untranslatable(f"a case-insensitive range of {high - low + 1} characters")
    out: Ranges = [(low, high)]
    for code in range(low, high + 1):
        out += ((p, p) for p in case_partners(code))
    return _merge(out)


_CATEGORY_TESTS = {
    "CATEGORY_WORD": lambda ch: re.match(r"\w", ch) is not None,
    "CATEGORY_NOT_WORD": lambda ch: re.match(r"\W", ch) is not None,
    "CATEGORY_DIGIT": lambda ch: re.match(r"\d", ch) is not None,
    "CATEGORY_NOT_DIGIT": lambda ch: re.match(r"\D", ch) is not None,
    "CATEGORY_SPACE": lambda ch: re.match(r"\s", ch) is not None,
    "CATEGORY_NOT_SPACE": lambda ch: re.match(r"\S", ch) is not None,
}


@functools.cache
def _ascii_category(category) -> Ranges:
    """The ASCII characters Python's own `re` puts in the category (with or without re.ASCII,
    the same set)."""
    test = _CATEGORY_TESTS.get(str(category))
    if test is None:
        raise Untranslatable(f"the category {category}")
    return _merge((i, i) for i in range(128) if test(chr(i)))


def _category_superset(category) -> Ranges:
    return _merge(_ascii_category(category) + list(_NON_ASCII))


# --- case partners -------------------------------------------------------------------------------


@functools.cache
def _lower_to_upper() -> dict[int, tuple[int, ...]]:
    """Every character whose simple lower case is another, by that lower case ('k' -> 'K', the
    Kelvin sign; 'i' -> 'I', 'İ'). Only blocks whose text changes under str.lower() are read."""
    if _tolower is None:
        raise Untranslatable("no _sre case table: case-insensitive patterns keep the guarded path")
    found: dict[int, list[int]] = {}
    block = 512
    for start in range(0, MAX_CODE + 1, block):
        if 0xD800 <= start <= 0xDFFF:
            continue  # surrogates have no case
        text = "".join(map(chr, range(start, start + block)))
        if text.lower() == text:
            continue  # no character here has a lower case of its own
        for code in range(start, start + block):
            low = _tolower(code)
            if low != code:
                found.setdefault(low, []).append(code)
    return {low: tuple(codes) for low, codes in found.items()}


@functools.cache
def case_partners(code: int) -> frozenset[int]:
    """Every character Python's case-insensitive matching takes for `code`: those with the same
    simple lower case, and those `re._casefix` pairs with that lower case."""
    if _tolower is None:
        raise Untranslatable("no _sre case table: case-insensitive patterns keep the guarded path")
    uppers = _lower_to_upper()
    low = _tolower(code)
    out = {code, low, *uppers.get(low, ())}
    for extra in _EXTRA_CASES.get(low, ()):
        out |= {extra, *uppers.get(extra, ())}
    return frozenset(out)


# --- ranges, the alphabet and the expression ------------------------------------------------------


def _merge(ranges: Iterable[tuple[int, int]]) -> Ranges:
    out: Ranges = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            if high > out[-1][1]:
                out[-1] = (out[-1][0], high)
        else:
            out.append((low, high))
    return out


def _complement(ranges: Ranges) -> Ranges:
    out: Ranges = []
    at = 0
    for low, high in _merge(ranges):
        if low > at:
            out.append((at, low - 1))
        at = high + 1
    if at <= MAX_CODE:
        out.append((at, MAX_CODE))
    return out


def named_characters(rewrite: Rewrite) -> list[int]:
    """The non-ASCII characters of the rewrite's small classes: those worth a byte of their own."""
    out: list[int] = []
    for part in rewrite:
        if isinstance(part, CharSet):
            wide = [(max(lo, 0x80), hi) for lo, hi in part if hi >= 0x80]
            if wide and sum(hi - lo + 1 for lo, hi in wide) <= _SMALL_CLASS:
                out += (code for lo, hi in wide for code in range(lo, hi + 1))
    return out


class Alphabet:
    """Which byte stands for which character in the text Hyperscan reads (module docstring).

    The non-ASCII characters Python's IGNORECASE pairs with an ASCII letter ('İ', 'ı', 'ſ', the
    Kelvin sign) are read as that letter in lower case: a case-insensitive word is then a plain
    caseless literal for Hyperscan (`[Kk]` rather than `[Kk\x83]`). Any such map is
    safe as long as a class is written as the bytes of all its characters (`byte_class`). ASCII
    keeps its case: case-sensitive patterns stay as sharp as they are."""

    def __init__(self, characters: Iterable[int]) -> None:
        folded: dict[int, int] = {}  # non-ASCII partner of an ASCII letter -> the letter's lower-case byte
        if _tolower is not None:
            for letter in range(ord("a"), ord("z") + 1):
                for partner in case_partners(letter):
                    if partner >= 0x80:
                        folded[partner] = letter
        named: dict[int, int] = {}
        for code in characters:
            if code >= 0x80 and code != OTHER and code not in named and code not in folded and len(named) < _ALPHABET_SIZE:
                named[code] = 0x80 + len(named)
        self.named = named
        self.folded = folded
        self._bytes = {**named, **folded}
        self._table = {code: chr(byte) for code, byte in self._bytes.items()}
        listed = "".join(re.escape(chr(code)) for code in sorted(self._bytes))
        self._other = re.compile(f"[^\\x00-\\x7f{listed}]")

    def transcode(self, text: str) -> bytes:
        """One byte per character of `text` (lone surrogates too)."""
        if text.isascii():
            return text.encode("ascii")
        return self._other.sub("\xff", text).translate(self._table).encode("latin-1")

    def byte_class(self, ranges: CharSet) -> list[tuple[int, int]]:
        """The bytes of the characters in `ranges`, as byte ranges."""
        out = [(lo, min(hi, 0x7F)) for lo, hi in ranges if lo < 0x80]
        held = [code for code in self._bytes if _holds(ranges, code)]
        out += [(self._bytes[code], self._bytes[code]) for code in held]
        wide = sum(hi - max(lo, 0x80) + 1 for lo, hi in ranges if hi >= 0x80)
        if wide > len(held):
            out.append((OTHER, OTHER))  # a non-ASCII character the alphabet does not name
        return _merge(out)


def _holds(ranges: CharSet, code: int) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def render(rewrite: Rewrite, alphabet: Alphabet) -> str:
    """The Hyperscan expression (bytes mode) for text transcoded by `alphabet`."""
    out = "".join(part if isinstance(part, str) else _class(alphabet.byte_class(part)) for part in rewrite)
    if len(out) > MAX_EXPRESSION:
        raise Untranslatable(f"the rewrite has {len(out)} characters (more than {MAX_EXPRESSION})")
    return out


def _byte(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)  # plain letters and digits: what Hyperscan's literal search keys on
    return f"\\x{code:02x}"


def _class(ranges: Ranges) -> str:
    if not ranges:
        raise Untranslatable("a class no character can match")
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _byte(ranges[0][0])
    parts = [_byte(lo) if lo == hi else f"{_byte(lo)}-{_byte(hi)}" for lo, hi in ranges]
    return "[" + "".join(parts) + "]"
