"""Parse a model card (README.md bytes) into structure the evidence extractors can read.

A card is untrusted input: it may be missing, binary, not UTF-8, huge, or carry broken
YAML. `parse_card` never raises; whatever it could not read is reported as a
`ParseProblem` and the rest is still parsed. Sizes are bounded before any regex runs;
the YAML front matter is safe-loaded and copied into plain data (`front_matter`).

Markdown structure is CommonMark + tables as markdown-it-py reads it: from the compiled
markdown-it-pyrs wherever it is sure to agree (`markdown_tree`), from markdown-it-py itself
otherwise (`markdown_tokens`); inline HTML (`<a href>`, HTML headings) from BeautifulSoup.
Besides the raw sections the card is flattened into `TextBlock`s (one per paragraph, list
item, heading, table row, quote or HTML block, as plain text) so extractors can reason
about sentences and list items without re-parsing Markdown (`card_structure`).
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from extract.card_structure import (
    MAX_BLOCK_CHARS,
    MAX_BLOCKS,
    MAX_CODE_BLOCKS,
    MAX_LINKS,
    MAX_TITLE_CHARS,
    BlockKind,
    CodeBlock,
    Segment,
    Link,
    Section,
    Structure,
    Table,
    TextBlock,
    flatten,
)
from extract.card_scan import Joined, RowRun, join, row_runs
from extract.front_matter import split_front_matter
from extract.markdown_tokens import structure_from_tokens
from extract.markdown_tree import structure_from_tree
from extract.sentences import MAX_CONTEXT_CHARS, sentence_spans, split_sentences
from extract.sentences import clip as _clip
from extract.types import ParseProblem

__all__ = [
    "MAX_BLOCKS",
    "MAX_BLOCK_CHARS",
    "MAX_CODE_BLOCKS",
    "MAX_CONTEXT_CHARS",
    "MAX_LINKS",
    "MAX_TITLE_CHARS",
    "BlockKind",
    "CodeBlock",
    "Link",
    "ParsedCard",
    "Section",
    "Segment",
    "Table",
    "TextBlock",
    "flatten",
    "parse_card",
    "sentence_spans",
    "split_sentences",
]

DEFAULT_MAX_BYTES = 512_000
_BINARY_SAMPLE = 65_536
_BINARY_RATIO = 0.30  # share of replacement/control characters above which text is "binary"


@dataclass(frozen=True)
class ParsedCard:
    front_matter: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    sections: tuple[Section, ...] = ()
    links: tuple[Link, ...] = ()
    code_blocks: tuple[CodeBlock, ...] = ()
    problems: tuple[ParseProblem, ...] = ()
    segments: tuple[Segment, ...] = ()  # the blocks in card order, a table standing for its rows' blocks
    tables: tuple[Table, ...] = ()

    @functools.cached_property
    def blocks(self) -> tuple[TextBlock, ...]:
        """Every block in card order, table rows included (a lazy table's rows read now)."""
        return flatten(self.segments)

    @functools.cached_property
    def row_runs(self) -> dict[int, RowRun]:
        """Runs of table-row blocks, by their first block's index (extract/card_scan.py)."""
        return row_runs(self.segments)

    @functools.cached_property
    def prose_blocks(self) -> tuple[TextBlock, ...]:
        """The blocks that are not table rows, in card order (`prose` joins their texts)."""
        return tuple(b for b in self.segments if isinstance(b, TextBlock) and b.kind != "table_row")

    @functools.cached_property
    def prose(self) -> Joined:
        """The texts (first 10,000 characters) of the blocks that are not table rows, joined: a
        pre-check for extractors that read prose only (part k is `prose_blocks[k]`)."""
        return join([b.text[:10_000] for b in self.prose_blocks])

    def has_problem(self, code: str) -> bool:
        return any(p.code == code for p in self.problems)

    def ancestors(self, index: int) -> tuple[int, ...]:
        """Indexes of the sections enclosing section `index`, outermost first."""
        if not 0 <= index < len(self.sections):
            return ()
        out: list[int] = []
        parent = self._parents[index]
        while parent >= 0:
            out.append(parent)
            parent = self._parents[parent]
        return tuple(reversed(out))

    @functools.cached_property
    def _parents(self) -> tuple[int, ...]:
        """Each section's nearest earlier section of a lower heading level (-1: none), for all
        sections in one pass: asking each section's ancestors by scanning back is quadratic on a
        card with ten thousand headings."""
        parents: list[int] = []
        open_levels: list[tuple[int, int]] = []  # (level, index), levels strictly increasing
        for j, section in enumerate(self.sections):
            level = section.level
            if level <= 0:  # the preamble: never an ancestor, has none
                parents.append(-1)
                continue
            while open_levels and open_levels[-1][0] >= level:
                open_levels.pop()
            parents.append(open_levels[-1][1] if open_levels else -1)
            open_levels.append((level, j))
        return tuple(parents)

    def subtree(self, index: int) -> tuple[int, ...]:
        """Section `index` and every section nested under it."""
        if not 0 <= index < len(self.sections):
            return ()
        level = self.sections[index].level
        out = [index]
        for j in range(index + 1, len(self.sections)):
            if level == 0 or self.sections[j].level <= level:
                break
            out.append(j)
        return tuple(out)

    def section_title(self, index: int) -> str:
        return self.sections[index].title if 0 <= index < len(self.sections) else ""


def parse_card(raw: bytes | None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedCard:
    """Parse README bytes; never raises. Problems are reported in `ParsedCard.problems`."""
    try:
        return _parse(raw, max_bytes)
    except Exception as exc:  # last resort: a parser bug must not stop a crawl
        return ParsedCard(problems=(ParseProblem("parse-error", _clip(f"{type(exc).__name__}: {exc}", 200)),))


# --- bytes -> text ---------------------------------------------------------------------


def _parse(raw: bytes | None, max_bytes: int) -> ParsedCard:
    if raw is None:
        return ParsedCard(problems=(ParseProblem("readme-missing", "no README.md"),))
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        return ParsedCard(problems=(ParseProblem("binary", f"README is {type(raw).__name__}, not bytes"),))
    raw = bytes(raw)
    problems: list[ParseProblem] = []
    text, decode_problems = _decode(raw, max(0, int(max_bytes)))
    problems.extend(decode_problems)
    if text is None:
        return ParsedCard(problems=tuple(problems))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    front_matter, body, fm_problems = split_front_matter(text)
    problems.extend(fm_problems)
    try:
        structure = _structure(body)
    except Exception as exc:  # markdown-it should not fail, but the body is still useful
        problems.append(ParseProblem("markdown-error", _clip(f"{type(exc).__name__}: {exc}", 200)))
        structure = Structure(sections=(Section(0, "", body),))
    return ParsedCard(
        front_matter=front_matter,
        body=body,
        sections=structure.sections,
        links=structure.links,
        code_blocks=structure.code_blocks,
        problems=tuple(problems),
        segments=structure.segments,
        tables=structure.tables,
    )


def _decode(raw: bytes, max_bytes: int) -> tuple[str | None, list[ParseProblem]]:
    problems: list[ParseProblem] = []
    utf16 = raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if len(raw) > max_bytes:
        cut = max_bytes
        if utf16:
            cut -= cut % 2
        else:
            # Back off over UTF-8 continuation bytes so no character is split.
            steps = 0
            while 0 < cut < len(raw) and (raw[cut] & 0xC0) == 0x80 and steps < 3:
                cut -= 1
                steps += 1
        problems.append(ParseProblem("oversize", f"README is {len(raw)} bytes; truncated to {cut}"))
        raw = raw[:cut]
    if utf16:
        text = raw.decode("utf-16", errors="replace")
        problems.append(ParseProblem("not-utf8", "README is UTF-16; decoded"))
    else:
        if raw.find(b"\x00", 0, _BINARY_SAMPLE) >= 0:
            return None, problems + [ParseProblem("binary", "README contains NUL bytes")]
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", errors="replace")
            problems.append(ParseProblem("not-utf8", f"invalid UTF-8 at byte {exc.start}; decoded with replacement"))
    if _looks_binary(text):
        return None, problems + [ParseProblem("binary", "README is mostly non-text")]
    return text.lstrip("\ufeff"), problems


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f\ufffd]")
# The bytes of `_CONTROL`'s ASCII characters, and every other byte (deleted to count them). In UTF-8
# a byte below 0x80 is always that character, never part of another one's bytes.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
_OTHER_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


def _looks_binary(text: str) -> bool:
    sample = text[:_BINARY_SAMPLE]
    if not sample:
        return False
    # `len(_CONTROL.findall(sample))`, counted in C: the ASCII control characters as bytes, U+FFFD apart
    bad = len(sample.encode("utf-8", "surrogatepass").translate(None, _OTHER_BYTES))
    if not sample.isascii():
        bad += sample.count("\ufffd")
    return bad / len(sample) > _BINARY_RATIO


# --- markdown structure -------------------------------------------------------------------


def _structure(body: str) -> Structure:
    """The compiled parser where it is sure to agree with markdown-it-py; markdown-it-py otherwise.

    Any other failure on the fast path (e.g. BeautifulSoup rejecting an HTML block) also goes to
    markdown-it-py, so the reference decides what is reported.
    """
    try:
        return structure_from_tree(body)
    except Exception:  # Declined, or anything unexpected
        return structure_from_tokens(body)
