"""A Python regular expression rewritten as a Hyperscan expression that matches at least as much.

Hyperscan's own reading of a pattern differs from Python's `re` in places (`\\w`, `\\s` and
`\\b` over Unicode, case folding of 'İ', 'K' (Kelvin sign) or 'ſ', lookarounds). Rather than
trust the two to agree, the pattern is rewritten from Python's own parse of it into an expression
that uses none of those: every character Python could match at a place is listed explicitly, so
the rewrite matches every string Python's pattern matches (and perhaps more), over UTF-8 text:

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
_SURROGATES = (0xD800, 0xDFFF)  # not characters in UTF-8: never in a class
_NON_ASCII = ((0x80, 0xD7FF), (0xE000, MAX_CODE))
_MAX_FOLDED_RANGE = 0x3000  # a case-insensitive range wider than this is not listed out
_MAX_BOUND = 8  # a repeat allowed more times than this becomes unbounded: Hyperscan's bounded
# repeats of a multi-byte class compile slowly (seconds for `[^.;]{0,80}`), and more is fine here
MAX_EXPRESSION = 20_000  # characters of rewrite: a pattern that grows past this is not routed

Ranges = list[tuple[int, int]]


class Untranslatable(ValueError):
    """The pattern uses something the rewrite cannot widen safely; the message says what."""


def translate(pattern: re.Pattern[str]) -> str:
    """A Hyperscan expression (for HS_FLAG_UTF8) matching every string `pattern` matches."""
    if not isinstance(pattern.pattern, str):
        raise Untranslatable("a bytes pattern")
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    out = _sequence(list(parsed), pattern.flags)
    if not out:
        raise Untranslatable("nothing left to require once assertions are dropped")
    if len(out) > MAX_EXPRESSION:
        raise Untranslatable(f"the rewrite has {len(out)} characters (more than {MAX_EXPRESSION})")
    return out


def _sequence(items: Iterable, flags: int) -> str:
    return "".join(_node(op, av, flags) for op, av in items)


def _node(op, av, flags: int) -> str:
    c = _c
    if op is c.LITERAL:
        return _class(_literal_chars(av, flags))
    if op is c.NOT_LITERAL:
        return _class(_complement([(av, av)]))  # Python excludes av and perhaps its partners: exclude av only
    if op is c.ANY:
        return _class(_complement([]))  # any character ('\n' too: wider than Python's '.')
    if op is c.IN:
        return _class(_in_set(av, flags))
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return ""  # zero width: dropping it only widens the match
    if op is c.SUBPATTERN:
        _group, add, remove, body = av
        inner = _sequence(body, (flags | add) & ~remove)
        return f"(?:{inner})" if inner else ""
    if op is c.BRANCH:
        branches = [_sequence(b, flags) for b in av[1]]
        return "(?:" + "|".join(branches) + ")"
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
        low, high, body = av
        inner = _sequence(body, flags)
        if not inner or high == 0:
            return ""
        unbounded = high == c.MAXREPEAT or high > _MAX_BOUND
        bound = f"{{{low},}}" if unbounded else f"{{{low},{high}}}"
        return f"(?:{inner}){bound}"
    if op is getattr(c, "ATOMIC_GROUP", None):
        inner = _sequence(av, flags)
        return f"(?:{inner})" if inner else ""
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
        if _SURROGATES[0] <= start <= _SURROGATES[1]:
            continue
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


# --- ranges and their text -----------------------------------------------------------------------


def _merge(ranges: Iterable[tuple[int, int]]) -> Ranges:
    out: Ranges = []
    for low, high in sorted(ranges):
        if out and low <= out[-1][1] + 1:
            if high > out[-1][1]:
                out[-1] = (out[-1][0], high)
        else:
            out.append((low, high))
    return _without_surrogates(out)


def _without_surrogates(ranges: Ranges) -> Ranges:
    out: Ranges = []
    s_low, s_high = _SURROGATES
    for low, high in ranges:
        if high < s_low or low > s_high:
            out.append((low, high))
            continue
        if low < s_low:
            out.append((low, s_low - 1))
        if high > s_high:
            out.append((s_high + 1, high))
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
    return _without_surrogates(out)


def _char(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)  # plain letters and digits: what Hyperscan's literal search keys on
    return f"\\x{{{code:x}}}"


def _class(ranges: Ranges) -> str:
    if not ranges:
        raise Untranslatable("a class no character can match")
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _char(ranges[0][0])
    parts = [_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in ranges]
    return "[" + "".join(parts) + "]"
