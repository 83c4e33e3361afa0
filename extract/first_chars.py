"""A pattern's possible first characters, so that `re` tries the expression only where a match can start.

Python's `re` skips ahead by itself only when a pattern starts with a literal or a plain alternation
of literals: its compiler then puts that prefix or character set in the compiled code's INFO block,
and the search loop (in C) steps over every position whose character is not in it. `\\b(?:pre-?training|
training|fine-?tuning|...)` starts with a word boundary, so `re` runs the whole expression at every
position of the text. `with_first_chars(pattern)` compiles the same expression with the set of
characters a match can start with in that INFO block (`_hinted`): the expression is unchanged (same
spans, same groups), and is tried only where the character is in the set, as `re` does for a
pattern that starts with a character class. The set only has to hold every character a match may
start with (more is harmless): under IGNORECASE an ASCII letter also stands for its other case and
for the non-ASCII letters `re` pairs with it (tests/test_first_chars.py checks every code point);
a class of decimal digits (`\\d`, which ignoring case changes nothing) stands for all of them.

Where the compiled code cannot be built that way (another Python's `re` internals), the pattern is
prefixed with a lookahead for the same characters instead (`(?=(?-i:[pPtTfF...]))`), which finds the
same matches at a smaller gain. Patterns whose first character is not known this narrowly (a class
like \\w, a negated class, a non-ASCII letter ignoring case, a match that may be empty, scoped flags,
verbose mode) are returned as they are.
"""

from __future__ import annotations

import re

import _sre

try:  # Python 3.11+
    import re._compiler as _compiler  # type: ignore[import-not-found]
    import re._constants as _c  # type: ignore[import-not-found]
    import re._parser as _parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_compile as _compiler  # type: ignore[no-redef]
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

MAX_FIRST_CHARS = 40  # a set this wide passes most positions anyway: not worth the lookahead
MAX_HINT_CHARS = 120  # characters in the compiled set (`re` tests it in C: a wide one still pays)
DIGITS = "\\d"  # in a start set: every character `\d` takes (not one character, so never confused with one)
_MAX_RANGE = 26
# Non-ASCII characters that `re` matches with an ASCII letter when ignoring case (Unicode mode):
# dotted capital I and dotless i (with i), the Kelvin sign (with k), long s (with s).
NON_ASCII_PARTNERS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def first_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Characters every match of `pattern` starts with (in every case it may match), or None."""
    chars = start_set(pattern)
    if chars is None or DIGITS in chars or len(chars) > MAX_FIRST_CHARS:
        return None
    return chars


def start_set(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """As `first_chars`, but a match may also start with a decimal digit (`DIGITS` in the set),
    and the set may be wider."""
    if pattern.flags & re.VERBOSE or not isinstance(pattern.pattern, str):
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        found = _sequence(parsed)
    except (_Unknown, re.error, RecursionError):
        return None
    chars, nullable = found
    if nullable or not chars:
        return None
    if pattern.flags & re.IGNORECASE:
        both = _both_cases(chars)  # DIGITS stays as it is: no digit has a case partner
        if both is None:
            return None
        chars = both
    return frozenset(chars) if len(chars) <= MAX_HINT_CHARS else None


def with_first_chars(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` compiled to be tried only where one of its first characters stands (same
    matches), or `pattern` itself when `re` skips ahead on its own (a literal or character-set
    prefix) or the set is not known."""
    if _skips_ahead(pattern):
        return pattern
    start = start_set(pattern)
    if start is None:
        return pattern
    hinted = _hinted(pattern, start)
    if hinted is not None:
        return hinted
    chars = first_chars(pattern)
    if chars is None:
        return pattern
    cls = "".join(re.escape(ch) for ch in sorted(chars))
    try:
        return re.compile(f"(?=(?-i:[{cls}]))(?:{pattern.pattern})", pattern.flags)
    except re.error:  # e.g. global inline flags, which must stay at the start
        return pattern


def _hinted(pattern: re.Pattern[str], start: frozenset[str]) -> re.Pattern[str] | None:
    """The pattern's own compiled code, its INFO block holding `start` as the set of characters a
    match begins with: what `re`'s compiler writes there for a pattern that starts with a character
    class, and what its search loop steps over positions with. None when the code is not laid out as
    expected (these are private parts of `re`)."""
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        code = _compiler._code(parsed, pattern.flags)
        # INFO, skip, flags, min width, max width[, prefix or charset]: nothing there yet, and a
        # match is at least one character long (an empty match may start anywhere)
        if code[0] != _c.INFO or code[2] & (_c.SRE_INFO_PREFIX | _c.SRE_INFO_CHARSET) or code[3] < 1:
            return None
        items = [(_c.LITERAL, ord(ch)) for ch in sorted(start - {DIGITS})]
        if DIGITS in start:
            items.append((_c.CATEGORY, _c.CATEGORY_DIGIT))
        charset, hascased = _compiler._optimize_charset(items)
        if hascased:
            return None
        info = [_c.INFO, 0, _c.SRE_INFO_CHARSET, code[3], code[4]]
        _compiler._compile_charset(charset, pattern.flags, info)
        info[1] = len(info) - 1
        groupindex = parsed.state.groupdict
        indexgroup = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        return _sre.compile(
            pattern.pattern, pattern.flags | parsed.state.flags, info + code[1 + code[1] :],
            parsed.state.groups - 1, groupindex, tuple(indexgroup),
        )
    except Exception:  # noqa: BLE001 - another `re`: the lookahead instead
        return None


def _skips_ahead(pattern: re.Pattern[str]) -> bool:
    """Does `re` itself scan for the pattern's first characters (its compiler's prefix search)?"""
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        return bool(_compiler._get_literal_prefix(parsed, pattern.flags)[0]) or _compiler._get_charset_prefix(parsed, pattern.flags) is not None
    except Exception:  # noqa: BLE001 - private helpers of `re`: when they change, no prefix is added
        return True


class _Unknown(Exception):
    """A node whose first character is not known narrowly."""


def _sequence(items) -> tuple[set[str], bool]:
    """(first characters, may it match the empty string) of a sequence of nodes."""
    chars: set[str] = set()
    for op, av in items:
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero width: the next node gives the first character
        first, nullable = _node(op, av)
        chars |= first
        if not nullable:
            return chars, False
    return chars, True


def _node(op, av) -> tuple[set[str], bool]:
    if op is _c.LITERAL:
        return {chr(av)}, False
    if op is _c.IN:
        return _class(av), False
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        if add_flags or del_flags:
            raise _Unknown("scoped flags")
        return _sequence(body)
    if op is _c.BRANCH:
        chars: set[str] = set()
        nullable = False
        for branch in av[1]:
            first, empty = _sequence(branch)
            chars |= first
            nullable = nullable or empty
        return chars, nullable
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) or op is getattr(_c, "POSSESSIVE_REPEAT", None):
        low, _high, body = av
        first, empty = _sequence(body)
        return first, empty or low == 0
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _sequence(av)
    raise _Unknown(str(op))


def _class(items) -> set[str]:
    chars: set[str] = set()
    for op, av in items:
        if op is _c.CATEGORY and av is _c.CATEGORY_DIGIT:
            chars.add(DIGITS)
        elif op is _c.LITERAL:
            chars.add(chr(av))
        elif op is _c.RANGE and av[1] - av[0] < _MAX_RANGE:
            chars.update(chr(code) for code in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY, a wide range
            raise _Unknown(str(op))
    return chars


def _both_cases(chars: set[str]) -> set[str] | None:
    out: set[str] = set()
    for ch in chars:
        if ch == DIGITS:
            out.add(ch)
            continue
        if not ch.isascii():
            if ch.lower() == ch.upper():
                out.add(ch)  # no case: matches itself only
                continue
            return None
        low = ch.lower()
        out |= {ch, low, ch.upper()}
        out.update(NON_ASCII_PARTNERS.get(low, ""))
    return out
