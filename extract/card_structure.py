"""The structure of a model card body: sections, text blocks, links, tables and code blocks.

`StructureBuilder` collects them while a Markdown walker (`markdown_tree` for the fast parser,
`markdown_tokens` for markdown-it-py) reports what it meets, in document order: headings,
inline text with its link spans, table rows, code and HTML blocks. Keeping the collecting here
means both walkers build exactly the same structure from the same events.
"""

from __future__ import annotations

import functools
import re
from itertools import accumulate, repeat
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal, NamedTuple, Sequence, Union

from bs4 import BeautifulSoup

from extract.html_anchor import href_of
from extract.literals import fold
from extract.sentences import MAX_CONTEXT_CHARS, WS, clip, sentence_in, sentence_spans, split_sentences

MAX_BLOCK_CHARS = 50_000
MAX_BLOCKS = 50_000
MAX_LINKS = 5_000
MAX_CODE_BLOCKS = 2_000
MAX_TITLE_CHARS = 300

BlockKind = Literal["paragraph", "list_item", "heading", "table_row", "quote", "html"]

HTML_HEADING = re.compile(r"\A\s*<h([1-6])\b[^>]*>(.*?)</h\1>\s*\Z", re.I | re.S)
BARE_URL = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]{1,2000}", re.I)

#: Plain text of one inline run plus (url, start, end) spans of the links in it.
Spans = list[tuple[str, int, int]]


@dataclass(frozen=True)
class Section:
    """A heading and the Markdown source of its own content (up to the next heading).

    Level 0 with an empty title is the text before the first heading.
    """

    level: int
    title: str
    text: str


@dataclass(frozen=True)
class Link:
    url: str
    text: str  # link text as shown (the URL itself for bare URLs)
    context: str  # the sentence (or table row) the link sits in, bounded
    section: str  # title of the enclosing section ("" before the first heading)
    section_index: int = 0


class CodeBlock(NamedTuple):
    lang: str  # first word of the fence info, lower-cased; "" when none
    text: str


@dataclass(frozen=True)
class TextBlock:
    """One block of the card as plain text (links replaced by their text)."""

    kind: BlockKind
    text: str
    section_index: int

    @functools.cached_property
    def sentences(self) -> list[str]:
        """The sentences of its first 10,000 characters, split once for every extractor that reads them
        (by the parser already, for a block whose links needed them: `StructureBuilder.emit`)."""
        spans = self.__dict__.pop("_sentence_spans", None)
        if spans is not None:
            text = self.text
            return [text[s:e].strip() for s, e in spans]
        return split_sentences(self.text[:10_000])


Cell = tuple[str, Spans]


def plain_cells(line: str, width: int) -> tuple[str, ...]:
    """A table row written without markup, as `width` cells: split at its pipes (the outer ones
    dropped), each cell stripped of spaces, missing cells empty and extra ones cut."""
    columns = line.strip(" ").split("|")
    if columns and columns[0] == "":
        columns.pop(0)
    if columns and columns[-1] == "":
        columns.pop()
    return tuple(c.strip(" ") for c in columns[:width]) + ("",) * (width - len(columns))


class Table:
    """A table: its header, its body rows (cell texts) and the section it sits in.

    A table read from its lines (extract/markdown_tables.py) keeps its plain rows as written until
    they are asked for (`rows`, `row_blocks`): most tables are results no extractor reads row by
    row. `text` is for pre-checks: every row's text, plain rows as written, so a word without spaces
    or '|' that a row's text holds is in `text` too (a cell is part of its line).
    """

    __slots__ = ("header", "section_index", "_rows", "_lines", "_width", "_cell_rows", "__dict__")

    def __init__(
        self,
        header: tuple[str, ...],
        rows: tuple[tuple[str, ...], ...] | None,
        section_index: int,
        lines: list[str | list[Cell]] | None = None,
        width: int = 0,
        cell_rows: list[int] | None = None,
    ) -> None:
        self.header = header
        self.section_index = section_index
        self._rows = rows
        self._lines = lines  # body rows still as a plain source line (str), or read into cells
        self._width = width
        # which of `lines` are read into cells (the others are plain source lines), in order
        self._cell_rows = cell_rows if cell_rows is not None else [k for k, line in enumerate(lines or ()) if not isinstance(line, str)]

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        if self._rows is None:
            self._rows = tuple(tuple(text for text, _ in row) for row in self._body())
        return self._rows

    @property
    def row_count(self) -> int:
        return len(self._lines) if self._rows is None and self._lines is not None else len(self.rows)

    @property
    def lazy(self) -> bool:
        return self._rows is None

    def _body(self) -> list[list[Cell]]:
        width = self._width
        out: list[list[Cell]] = []
        for line in self._lines or ():
            if isinstance(line, str):
                out.append([(c, []) for c in plain_cells(line, width)])
            else:
                out.append(line)
        return out

    def row_blocks(self) -> list[TextBlock]:
        """The blocks of its rows, header first, as `StructureBuilder.emit_row` makes them."""
        blocks = []
        for texts in (self.header, *self.rows):
            text = " | ".join(texts)
            if text.replace("|", "").strip():
                blocks.append(TextBlock("table_row", text[:MAX_BLOCK_CHARS], self.section_index))
        return blocks

    @functools.cached_property
    def text(self) -> str:
        """Header and rows, joined by NUL (extract/card_scan.py); plain rows as written."""
        if self._rows is not None or self._lines is None:
            return "\x00".join([" | ".join(self.header), *(" | ".join(row) for row in self.rows)])
        lines = self._lines
        parts = [" | ".join(self.header), *lines]  # the plain lines as they are; those read into cells:
        for k in self._cell_rows:
            parts[k + 1] = " | ".join(c if isinstance(c, str) else c[0] for c in lines[k])  # type: ignore[union-attr]
        return "\x00".join(parts)  # type: ignore[arg-type]

    def may_have_cell_of(self, words: int) -> bool:
        """Could a cell hold `words` words or more? Plain rows are judged by their line (the parts
        between its pipes: their cells hold no pipe), the others by their cells. A text of n words
        has at least 2n - 1 characters: shorter ones (most cells: numbers) are not split."""
        shortest = 2 * words - 1

        def any_long(texts) -> bool:  # type: ignore[no-untyped-def]
            return any(len(text.split()) >= words for text in texts if len(text) >= shortest)

        if any_long(self.header):
            return True
        if self._lines is None or self._rows is not None:
            return any_long(cell for row in self.rows for cell in row)
        plain = [line for line in self._lines if isinstance(line, str)]
        if plain:
            # whitespace runs made one space: a part of n words has n - 1 spaces (`str.count`, in C)
            parts = " ".join("|".join(plain).split()).split("|")
            if max(map(str.count, parts, repeat(" "))) >= words - 1 and any_long(parts):
                return True
        return any_long(text for line in self._lines if not isinstance(line, str) for text, _ in line)

    def rows_holding(self, words: frozenset[str] | None, limit: int) -> list[tuple[str, ...]]:
        """The first `limit` body rows, less the plain rows whose line holds none of `words` (lower-case
        pieces without spaces or pipes, as `Guarded.words`): their cells, parts of the line, hold
        none either. Those rows are never read; one search per word over the body finds the others."""
        if words is None or self._rows is not None or self._lines is None:
            return list(self.rows[:limit])
        lines = self._lines[:limit]
        read = [k for k in self._cell_rows if k < limit]
        parts = list(lines)  # the plain lines as they are; those read into cells:
        for k in read:
            parts[k] = " | ".join(text for text, _ in lines[k])
        body = "\x00".join(parts)  # type: ignore[arg-type]
        low = fold(body)
        if len(low) != len(body):  # a letter that lower-cases to two: positions would not line up
            return list(self.rows[:limit])
        starts = list(accumulate(map((1).__add__, map(len, parts)), initial=0))  # type: ignore[arg-type]
        starts.pop()  # (where a part after the last would start)
        wanted = set(read)  # read cells: always
        for word in words:
            pos = low.find(word)
            while pos >= 0:
                wanted.add(bisect_right(starts, pos) - 1)
                pos = low.find(word, pos + 1)
        width = self._width
        out: list[tuple[str, ...]] = []
        for k in sorted(wanted):
            line = lines[k]
            if isinstance(line, str):
                out.append(plain_cells(line, width))
            else:
                out.append(tuple(text for text, _ in line))
        return out

    @property
    def body_text(self) -> str:
        """`text` without the header."""
        text = self.text
        at = text.find("\x00")
        return text[at + 1 :] if at >= 0 else ""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return (self.header, self.rows, self.section_index) == (other.header, other.rows, other.section_index)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Table(header={self.header!r}, rows={self.rows!r}, section_index={self.section_index})"


Segment = Union[TextBlock, Table]  # a table stands for the blocks of its rows


def flatten(segments: Sequence[Segment]) -> tuple[TextBlock, ...]:
    out: list[TextBlock] = []
    for segment in segments:
        if isinstance(segment, Table):
            out.extend(segment.row_blocks())
        else:
            out.append(segment)
    return tuple(out)


@dataclass(eq=False)
class Structure:
    sections: tuple[Section, ...] = ()
    links: tuple[Link, ...] = ()
    code_blocks: tuple[CodeBlock, ...] = ()
    segments: tuple[Segment, ...] = ()
    tables: tuple[Table, ...] = ()

    @functools.cached_property
    def blocks(self) -> tuple[TextBlock, ...]:
        return flatten(self.segments)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Structure):
            return NotImplemented
        return (self.sections, self.links, self.code_blocks, self.blocks, self.tables) == (
            other.sections, other.links, other.code_blocks, other.blocks, other.tables
        )


class StructureBuilder:
    """Collects the structure of one body from a walker's events."""

    def __init__(self, body: str) -> None:
        self.lines = body.splitlines(keepends=True)
        self.headings: list[tuple[int, str, int, int]] = []  # level, title, first line, line after it
        self.segments: list[Segment] = []
        self.count = 0  # blocks emitted, a lazy table's rows counted as one each (an upper bound)
        self.links: list[Link] = []
        self.code: list[CodeBlock] = []
        self.tables: list[Table] = []
        self.has_preamble = False
        self.section = 0  # index into sections; 0 is the preamble until the first heading

    def begin(self, first_heading_line: int | None) -> None:
        """Called once before the walk, with the line of the first top-level heading (None: no heading)."""
        end = len(self.lines) if first_heading_line is None else first_heading_line
        self.has_preamble = any(line.strip() for line in self.lines[:end])
        self.section = 0 if self.has_preamble else -1

    def finish(self) -> Structure:
        return Structure(
            sections=self._sections(),
            links=tuple(self.links),
            code_blocks=tuple(self.code),
            segments=tuple(self.segments),
            tables=tuple(self.tables),
        )

    # sections

    def start_section(self, level: int, first: int, after: int, title: str = "") -> None:
        self.headings.append((level, title, first, after))
        self.section += 1

    def set_title(self, text: str) -> None:
        level, _, first, after = self.headings[-1]
        self.headings[-1] = (level, clip(text, MAX_TITLE_CHARS), first, after)

    def section_index(self) -> int:
        return max(self.section, 0)

    def _sections(self) -> tuple[Section, ...]:
        out: list[Section] = []
        starts = [h[2] for h in self.headings] + [len(self.lines)]
        if self.has_preamble:
            out.append(Section(0, "", "".join(self.lines[: starts[0]])))
        for i, (level, title, _first, after) in enumerate(self.headings):
            out.append(Section(level, title, "".join(self.lines[after : starts[i + 1]])))
        return tuple(out)

    # blocks and links

    def emit(self, kind: BlockKind, text: str, spans: Spans) -> None:
        text = text[:MAX_BLOCK_CHARS]
        block = None
        if text.strip() and self.count < MAX_BLOCKS:
            block = TextBlock(kind, _collapse(text), self.section_index())
            self._block(block)
        sentences = None  # split once per block, not once per link
        for url, start, end in spans:
            if start >= len(text):
                continue
            if len(self.links) >= MAX_LINKS:
                break
            if sentences is None:
                sentences = sentence_spans(text)
            link_text = text[start:end].strip() or url
            self.add_link(url, link_text, sentence_in(text, sentences, start, end))
        if sentences is not None and block is not None and block.text is text and len(text) <= 10_000:
            # the block's text is the text just split (nothing to collapse or strip): its sentences
            # (`TextBlock.sentences`) are these spans', not split again
            object.__setattr__(block, "_sentence_spans", sentences)

    def _block(self, block: TextBlock) -> None:
        self.segments.append(block)
        self.count += 1

    def table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        self.tables.append(Table(header, tuple(rows), self.section_index()))

    def lazy_table(self, header: list[Cell], lines: list[str | list[Cell]], width: int, cell_rows: Sequence[int]) -> None:
        """A table whose plain rows are kept as written (read when asked for); the rows read into cells
        (`cell_rows`, in order: a plain row holds no link) have their links added now, in card order.
        Only while the body has fewer lines than MAX_BLOCKS, so the block bound cannot cut into it."""
        if any(spans for _, spans in header):
            self._row_links(header)
        for k in cell_rows:
            line = lines[k]
            if any(spans for _, spans in line):  # type: ignore[union-attr]
                self._row_links(line)  # type: ignore[arg-type]
        table = Table(tuple(text for text, _ in header), None, self.section_index(), lines, width, list(cell_rows))
        self.segments.append(table)
        self.count += 1 + len(lines)
        self.tables.append(table)

    def emit_row(self, row: list[tuple[str, Spans]]) -> None:
        if any(spans for _, spans in row):
            text = self._row_links(row)
        else:  # most rows have no links: just the text
            text = " | ".join([cell for cell, _ in row])
        if text.replace("|", "").strip() and self.count < MAX_BLOCKS:
            self._block(TextBlock("table_row", text[:MAX_BLOCK_CHARS], self.section_index()))

    def _row_links(self, row: list[Cell]) -> str:
        """Add the links of a row's cells (the row's text is their context); returns the row's text."""
        text = " | ".join([cell for cell, _ in row])
        context = None  # the same for every link of the row: made once
        offset = 0
        for cell, spans in row:
            for url, start, end in spans:
                if context is None:
                    context = clip(text, MAX_CONTEXT_CHARS)
                self.add_link(url, text[start + offset : end + offset].strip() or url, context)
            offset += len(cell) + 3  # the cell and the " | " after it
        return text

    def add_link(self, url: str, text: str, context: str) -> None:
        url = url.strip()
        if not url or len(self.links) >= MAX_LINKS:
            return
        title = self.headings[-1][1] if self.headings else ""  # the preamble has no title
        self.links.append(Link(url[:2000], clip(text, MAX_TITLE_CHARS), context, title, self.section_index()))

    def code_block(self, info: str, content: str) -> None:
        if len(self.code) < MAX_CODE_BLOCKS:
            lang = info.strip().split(maxsplit=1)[0].lower() if info and info.strip() else ""
            self.code.append(CodeBlock(lang[:40], content))

    def html_block(self, content: str, top_level: bool, first: int, after: int) -> None:
        """An HTML block: a top-level <hN> starts a section; otherwise its text and <a href> links."""
        content = content[:MAX_BLOCK_CHARS]
        heading = HTML_HEADING.match(content)
        if heading and top_level:
            title = WS.sub(" ", BeautifulSoup(heading.group(2), "html.parser").get_text(" ")).strip()
            self.start_section(int(heading.group(1)), first, after, clip(title, MAX_TITLE_CHARS))
            if title:
                self._block(TextBlock("heading", title, self.section_index()))
            return
        soup = BeautifulSoup(content, "html.parser")
        text = WS.sub(" ", soup.get_text(" ")).strip()
        if text and self.count < MAX_BLOCKS:
            self._block(TextBlock("html", text, self.section_index()))
        sentences = None
        for a in soup.find_all("a", href=True)[:200]:
            link_text = WS.sub(" ", a.get_text(" ")).strip()
            pos = text.find(link_text) if link_text else -1
            if pos >= 0 and sentences is None:
                sentences = sentence_spans(text)
            context = sentence_in(text, sentences, pos, pos + len(link_text)) if pos >= 0 else clip(text, MAX_CONTEXT_CHARS)
            self.add_link(str(a["href"]), link_text or str(a["href"]), context)


class InlineText:
    """Plain text of one inline run and the spans of its links, built piece by piece.

    Link targets nest as a stack shared by Markdown links and inline <a href> tags, so an
    `</a>` or a link end closes whatever opened last (as the token stream has it).
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.opened: list[tuple[str, int]] = []
        self.spans: Spans = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def text(self, s: str) -> None:
        """Literal text; bare URLs in it are links unless it already sits inside a link."""
        if not self.opened and "://" in s:
            self.spans.extend(_bare_urls(s, self.pos))
        self.add(s)

    def open_link(self, href: str) -> None:
        self.opened.append((href, self.pos))

    def close_link(self) -> None:
        if self.opened:
            href, start = self.opened.pop()
            self.spans.append((href, start, self.pos))

    def html_inline(self, content: str) -> None:
        tag = content.strip().lower()
        if tag.startswith(("<a ", "<a\n", "<a\t")):
            self.opened.append((href_of(content[:2000]), self.pos))
        elif tag.startswith("</a") and self.opened:
            href, start = self.opened.pop()
            if href:
                self.spans.append((href, start, self.pos))
        elif tag.startswith("<br"):
            self.add(" ")

    def result(self) -> tuple[str, Spans]:
        return "".join(self.parts), self.spans


def _collapse(text: str) -> str:
    """`WS.sub(" ", text).strip()`, without the substitution where there is nothing to collapse: ASCII text
    without two spaces in a row or a control character (all other ASCII whitespace is one), found in C."""
    if text.isascii() and "  " not in text and text.isprintable():
        return text.strip()
    return WS.sub(" ", text).strip()


def plain_text(s: str) -> tuple[str, Spans]:
    """What `InlineText` makes of a single run of literal text."""
    return s, (_bare_urls(s, 0) if "://" in s else [])


def _bare_urls(s: str, offset: int) -> Spans:
    spans: Spans = []
    for m in BARE_URL.finditer(s):
        url = trim_url(m.group(0))
        spans.append((url, offset + m.start(), offset + m.start() + len(url)))
    return spans


def trim_url(url: str) -> str:
    url = url.rstrip(".,;:!?*_'\"")
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;:!?*_")
    return url
