"""The structure of a model card body: sections, text blocks, links, tables and code blocks.

`StructureBuilder` collects them while a Markdown walker (`markdown_tree` for the fast parser,
`markdown_tokens` for markdown-it-py) reports what it meets, in document order: headings,
inline text with its link spans, table rows, code and HTML blocks. Keeping the collecting here
means both walkers build exactly the same structure from the same events.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Sequence

from bs4 import BeautifulSoup

from extract.html_anchor import href_of
from extract.sentences import MAX_CONTEXT_CHARS, WS, clip, sentence_in, sentence_spans

# The pieces and the table live in their own modules; importers keep reading them from here.
from extract.card_blocks import (  # noqa: F401 (re-exported: the structure's pieces)
    MAX_BLOCK_CHARS, MAX_BLOCKS, MAX_CODE_BLOCKS, MAX_LINKS, MAX_TITLE_CHARS, BlockKind, Cell, CodeBlock, Link, Section,
    Spans, TextBlock,
)
from extract.card_table import Segment, Table, flatten  # noqa: F401 (re-exported)

HTML_HEADING = re.compile(r"\A\s*<h([1-6])\b[^>]*>(.*?)</h\1>\s*\Z", re.I | re.S)
BARE_URL = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]{1,2000}", re.I)


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
            block.sentence_spans = sentences

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
            if any(spans for _, spans in line):  # type: ignore[union-attr,str-unpack]
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
            if pos >= 0:
                if sentences is None:
                    sentences = sentence_spans(text)
                context = sentence_in(text, sentences, pos, pos + len(link_text))
            else:
                context = clip(text, MAX_CONTEXT_CHARS)
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
