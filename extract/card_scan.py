"""One search per concern: a card's block texts joined, and runs of table rows passed over at once.

An extractor that asks "does any block match P?" block by block runs P once per block: hundreds of
searches on a card whose evaluation tables have hundreds of rows (issue 15). Here the texts are
joined with a NUL between them (no block text holds one: the parsers turn NUL into U+FFFD), and P
runs once over the whole. That is exact as a *pre-check* for the patterns `prefilter` accepts:
whenever P matches inside one text, it matches the joined text at the same place, because a NUL
next to the text looks to P like the text's edge. What `prefilter` refuses are the patterns for
which that is not so: anchors (^ $ \\A \\Z), and negative lookarounds that could see a NUL (".",
negated classes, \\W \\S \\D). Word boundaries and lookarounds of words or spaces are fine.

`Joined.first` finds the first text P matches (scanning only from the text of the first joined
match on); `skipping_rows` walks the blocks but hands each run of table rows to a test first, so a
run that cannot hold what the extractor looks for costs one search instead of one per row.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

try:  # Python 3.11+
    import re._constants as _sre_constants  # type: ignore[import-not-found]
    import re._parser as _sre_parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parser  # type: ignore[no-redef]

from extract.card_structure import Segment, Table, TextBlock
from extract.literals import Guarded

SEP = "\x00"


@dataclass(frozen=True)
class Joined:
    """Texts joined by SEP, and where each starts."""

    text: str
    offsets: tuple[int, ...]

    def part_at(self, pos: int) -> int:
        return bisect_right(self.offsets, pos) - 1

    def candidates(self, pattern: re.Pattern[str] | Guarded) -> Iterator[int]:
        """Indexes of the texts that may match `pattern`, in order: each text that does match is among
        them (the texts before the first joined match, and between matches, cannot)."""
        pos, n = 0, len(self.offsets)
        while pos <= len(self.text):
            m = pattern.search(self.text, pos)
            if m is None:
                return
            k = self.part_at(m.start())
            yield k
            if k + 1 >= n:
                return
            pos = self.offsets[k + 1]


def join(texts: Sequence[str]) -> Joined:
    offsets, at = [], 0
    for text in texts:
        offsets.append(at)
        at += len(text) + 1
    return Joined(SEP.join(texts), tuple(offsets))


@dataclass(frozen=True)
class RowRun:
    """Consecutive table-row blocks of one section: blocks[start:end], their texts joined."""

    start: int
    end: int
    text: str


def row_runs(segments: Sequence[Segment]) -> dict[int, RowRun]:
    """The runs of table-row blocks (two or more rows of one section), by the index of their first one."""
    runs: dict[int, RowRun] = {}
    i, n = 0, len(segments)
    while i < n:
        block = segments[i]
        if isinstance(block, Table) or block.kind != "table_row":
            i += 1
            continue
        j = i + 1
        while j < n and _row_of(segments[j], block.section_index):
            j += 1
        if j - i > 1:
            runs[i] = RowRun(i, j, SEP.join(b.text for b in segments[i:j]))  # type: ignore[union-attr]
        i = j
    return runs


def _row_of(segment: Segment, section: int) -> bool:
    return isinstance(segment, TextBlock) and segment.kind == "table_row" and segment.section_index == section


def skipping_rows(
    segments: Sequence[Segment],
    runs: dict[int, RowRun],
    keep: Callable[[str, int], bool],
    keep_table: Callable[[Table], bool],
) -> Iterator[TextBlock]:
    """The blocks in order, less each run of table rows for which `keep(joined text, section index)`
    is False, and each table not yet read for which `keep_table(table)` is (the caller's promise:
    then no row of it can give it anything). A kept table's rows are read now."""
    i, n = 0, len(segments)
    while i < n:
        segment = segments[i]
        if isinstance(segment, Table):
            if keep_table(segment):
                yield from segment.row_blocks()
            i += 1
            continue
        run = runs.get(i)
        if run is not None and not keep(run.text, segment.section_index):
            i = run.end
            continue
        yield segment
        i += 1


# --- which patterns may run on joined text -------------------------------------------------------

_ANCHORS = frozenset(
    getattr(_sre_constants, name)
    for name in ("AT_BEGINNING", "AT_BEGINNING_LINE", "AT_BEGINNING_STRING", "AT_END", "AT_END_LINE", "AT_END_STRING")
)
_SEES_NUL_CATEGORIES = frozenset(
    getattr(_sre_constants, name) for name in ("CATEGORY_NOT_WORD", "CATEGORY_NOT_SPACE", "CATEGORY_NOT_DIGIT", "CATEGORY_NOT_LINEBREAK")
)


def joinable(pattern: re.Pattern[str]) -> str | None:
    """None when `pattern` may run on joined text (see the module docstring), else why not."""
    return _refusal(_sre_parser.parse(pattern.pattern, pattern.flags), negative=False)


def prefilter(pattern: re.Pattern[str]) -> Guarded:
    """`pattern`, after checking it may run on joined text (an error at import otherwise), guarded by
    its required literals (extract/literals.py)."""
    why = joinable(pattern)
    if why is not None:
        raise ValueError(f"pattern {pattern.pattern[:80]!r} cannot run on joined text: {why}")
    return Guarded(pattern)


def _refusal(parsed, negative: bool) -> str | None:
    c = _sre_constants
    for op, av in parsed:
        if op is c.AT and av in _ANCHORS:
            return "an anchor"
        if op is c.GROUPREF_EXISTS or op is c.GROUPREF:
            return "a back-reference"
        if op is c.ASSERT_NOT:
            why = _refusal(av[1], negative=True)
            if why:
                return why
            continue
        if negative:
            if op is c.ANY or op is c.NOT_LITERAL or (op is c.LITERAL and av == 0):
                return "a negative lookaround that could see the separator"
            if op is c.IN and any(
                o is c.NEGATE or (o is c.CATEGORY and a in _SEES_NUL_CATEGORIES) or (o is c.LITERAL and a == 0)
                or (o is c.RANGE and a[0] == 0)
                for o, a in av
            ):
                return "a negative lookaround that could see the separator"
        for sub in _subpatterns(op, av):
            why = _refusal(sub, negative)
            if why:
                return why
    return None


def _subpatterns(op, av) -> list:
    c = _sre_constants
    if op is c.SUBPATTERN:
        return [av[-1]]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        return [av[2]]
    if op is c.BRANCH:
        return list(av[1])
    if op is c.ASSERT:
        return [av[1]]
    if op is getattr(c, "ATOMIC_GROUP", None):
        return [av]
    return []
