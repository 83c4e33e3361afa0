"""Card structure from markdown-it-pyrs, the compiled (Rust) port of markdown-it: ~6x faster.

It builds the same structure as `markdown_tokens` (markdown-it-py), event for event: both parsers
implement CommonMark + GFM tables, and this walker replays what markdown-it-py's token stream
carries (image alt text as written, autolink text, NUL as U+FFFD, no final line of spaces).
Where the two can read a card differently (`markdown_checks`), the card is declined (`Declined`)
and parsed by markdown-it-py instead, so the fast path never changes what a card says. The walk
itself also declines image alt text it cannot recover as written, unclosed fences at the end of
a nested block, node kinds it does not know, and a panic in the Rust parser (pyo3's
PanicException, a BaseException).
"""

from __future__ import annotations

import bisect
import operator
import re
from itertools import accumulate
from typing import Any, Sequence

from markdown_it.common.normalize_url import normalizeLink, normalizeLinkText
from markdown_it_pyrs import MarkdownIt as FastMarkdownIt

from extract.card_structure import (
    HTML_HEADING,
    MAX_BLOCKS,
    BlockKind,
    InlineText,
    Spans,
    Structure,
    StructureBuilder,
    plain_text,
)
from extract.markdown_tables import CELL_PREFIX, Cell, CutTable, cell_document, cut_tables
from extract.markdown_checks import (
    MAX_AUTOCOMPLETED_CELLS,
    MAX_BLOCK_LEVEL,
    Declined,
    SourceChecks,
    check_html_block,
    check_table_source,
    check_text,
)
from extract.markdown_urls import url_is_plain

__all__ = ["Declined", "structure_from_tree"]

_FAST = FastMarkdownIt("commonmark").enable_many(["table", "strikethrough"])

MAX_INLINE_DEPTH = 200  # our own recursion over inline nodes

_INLINE = frozenset(
    {"text", "text_special", "softbreak", "hardbreak", "code_inline", "em", "strong", "strikethrough",
     "link", "autolink", "image", "html_inline"}
)
_TEXT = frozenset({"text", "text_special"})
_STYLE = frozenset({"em", "strong", "strikethrough"})


def structure_from_tree(body: str) -> Structure:
    """The card's structure, or `Declined` when only markdown-it-py can vouch for it.

    Plain top-level tables are read from their lines (`markdown_tables`), the rest by the compiled
    parser; when a table turns out not to have stood at the top level, the card is parsed uncut.
    """
    src = _as_markdown_it_py_reads(body)
    reduced, tables = cut_tables(src)
    if tables:
        _read_cells(tables)
        try:
            return _walk(reduced, body, tables)
        except _Misplaced:
            pass
    return _walk(src, body, {})


def _read_cells(tables: dict[int, CutTable]) -> None:
    """Read the cut tables' cells that are not plain text, all in one parse, in place."""
    pending = [at for table in tables.values() for at in table.pending]
    if not pending:
        return
    doc = cell_document([row[k] for row, k in pending])  # type: ignore[misc]
    check_text(doc)
    try:
        root = _FAST.tree(doc)
    except BaseException as exc:
        if not _declines(exc):
            raise
        raise Declined(f"markdown-it-pyrs failed: {type(exc).__name__}") from exc
    paragraphs = root.children
    if len(paragraphs) != len(pending) or any(p.name != "paragraph" for p in paragraphs):
        raise Declined("a table cell read as more than one paragraph")
    reader = _TreeWalker(doc, "", {})
    for (row, k), paragraph in zip(pending, paragraphs):
        row[k] = reader.cell_paragraph(paragraph)


def _walk(src: str, body: str, tables: dict[int, CutTable]) -> Structure:
    check_text(src)
    try:
        root = _FAST.tree(src)
    except BaseException as exc:
        if not _declines(exc):
            raise
        raise Declined(f"markdown-it-pyrs failed: {type(exc).__name__}") from exc
    return _TreeWalker(src, body, tables).run(root)


def _declines(exc: BaseException) -> bool:
    """Whether the fast parser's failure sends the card to markdown-it-py: an error, or a Rust panic
    (pyo3's PanicException is a BaseException). Interrupts and a spent CPU budget
    (hubscan/cpu_budget.py) are not the parser's failure; they go on up."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


class _Misplaced(Exception):
    """A table cut from the source did not stand at the top level (a fence or HTML block held it)."""


_LAST_LINE_OF_SPACES = re.compile(r"(?<![^\n])[ \t]+\Z")


def _as_markdown_it_py_reads(body: str) -> str:
    """NUL becomes U+FFFD (CommonMark); a final line of only spaces/tabs without "\\n" does not
    exist for markdown-it-py's block parser, so it is dropped."""
    body = body.replace("\0", "\ufffd")
    # the pattern ends at the very end: only a body ending in a space or tab is searched (a scan of it all otherwise)
    return _LAST_LINE_OF_SPACES.sub("", body) if body.endswith((" ", "\t")) else body


# --- the walk ---------------------------------------------------------------------------------

_FENCE_CLOSER = re.compile(rb" {0,3}(`+|~+)[ \t]*")


class _TreeWalker:
    """Replays markdown-it-py's token events from the markdown-it-pyrs tree."""

    def __init__(self, src: str, body: str, tables: dict[int, CutTable]) -> None:
        self.src = src.encode("utf-8", "surrogatepass")  # srcmap offsets are UTF-8 byte offsets
        self.cut = dict(tables)  # line of its placeholder -> a table read from its lines
        # a table's plain rows may stay unread only where the block bound cannot cut into them
        self.lazy_ok = bool(tables) and self.src.count(b"\n") + 1 < MAX_BLOCKS
        self.out = StructureBuilder(body)
        self.newlines: list[int] | None = None
        self.list_depth = 0
        self.quote_depth = 0
        self.in_table = False
        self.checks = SourceChecks(self.src)

    def run(self, root: Any) -> Structure:
        children = root.children  # a new list of new node objects at each access: read once
        self.out.begin(self._first_heading_line(children))
        self._blocks(children, len(self.src), level=0)
        if self.cut:
            raise _Misplaced("a cut table's placeholder was read as something else")
        return self.out.finish()

    # line numbers (markdown-it-py's token.map) from byte offsets

    def _line_of(self, offset: int) -> int:
        if self.newlines is None:
            self.newlines = _newline_offsets(self.src)
        return bisect.bisect_left(self.newlines, offset)

    def _line_map(self, node: Any) -> tuple[int, int]:
        return self._span_lines(_span(node))

    def _span_lines(self, span: tuple[int, int]) -> tuple[int, int]:
        start, end = span
        first = self._line_of(start)
        return first, (self._line_of(end - 1) + 1 if end > start else first + 1)

    def _line_at(self, offset: int) -> bytes:
        start = self.src.rfind(b"\n", 0, offset) + 1
        end = self.src.find(b"\n", offset)
        return self.src[start : end if end >= 0 else len(self.src)]

    def _first_heading_line(self, nodes: Sequence[Any]) -> int | None:
        for node in nodes:
            if node.name in ("heading", "lheading") or (node.name == "html_block" and HTML_HEADING.match(node.meta["content"])):
                return self._line_map(node)[0]
        return None

    # blocks

    def _blocks(self, nodes: Sequence[Any], parent_end: int, level: int) -> None:
        """Block children of the root, a list item or a blockquote; `level` as markdown-it-py counts."""
        if level >= MAX_BLOCK_LEVEL:
            raise Declined("nesting beyond markdown-it-py's limit")
        top = level == 0
        i, n = 0, len(nodes)
        while i < n:
            node = nodes[i]
            name = node.name
            if name in _INLINE:  # a tight list item's paragraph has no node of its own
                j = i + 1
                while j < n and nodes[j].name in _INLINE:
                    j += 1
                self._paragraph(nodes[i:j], _span(nodes[i])[0], parent_end)
                i = j
                continue
            if name == "paragraph":
                self._paragraph(node.children, *_span(node))
            elif name in ("heading", "lheading"):
                self._heading(node, top)
            elif name in ("bullet_list", "ordered_list"):
                for item in node.children:
                    if item.name != "list_item":
                        raise Declined(f"unexpected {item.name} in a list")
                    span = _span(item)
                    self.checks.container_tabs(*span)
                    self.list_depth += 1
                    self._blocks(item.children, span[1], level + 2)
                    self.list_depth -= 1
            elif name == "blockquote":
                span = _span(node)
                self.checks.container_tabs(*span)
                self.quote_depth += 1
                self._blocks(node.children, span[1], level + 1)
                self.quote_depth -= 1
            elif name == "table":
                self._table(node)
            elif name == "code_block":
                self.out.code_block("", node.meta["content"])
            elif name == "fence":
                self.out.code_block(node.meta.get("info", ""), self._fence_content(node, top))
            elif name == "html_block":
                content = node.meta["content"]
                check_html_block(content, top)
                first, after = self._line_map(node) if top else (0, 0)
                self.out.html_block(self._at_end_of_body(node, content), top, first, after)
            elif name == "definition":
                self.checks.definition(*_span(node))
            elif name == "hr":
                if self.cut:
                    self._cut_table(node, top)
            else:
                raise Declined(f"unexpected {name} node")
            i += 1

    def _paragraph(self, inline: Sequence[Any], start: int, end: int) -> None:
        self.checks.inline(inline, start, end, paragraph=True)
        text, spans = self._render(inline)
        kind: BlockKind = "list_item" if self.list_depth else "quote" if self.quote_depth else "paragraph"
        self.out.emit(kind, text, spans)

    def _heading(self, node: Any, top: bool) -> None:
        children, span = node.children, _span(node)
        self.checks.inline(children, *span)
        if top:
            first, after = self._span_lines(span)
            self.out.start_section(int(node.meta["level"]), first, after)
        text, spans = self._render(children)
        if top:
            self.out.set_title(text)
        self.out.emit("heading", text, spans)

    def _at_end_of_body(self, node: Any, content: str) -> str:
        """markdown-it-py keeps the body's last line as it is: no newline added when it has none."""
        if content.endswith("\n") and _span(node)[1] == len(self.src) and not self.src.endswith(b"\n"):
            return content[:-1]
        return content

    def _fence_content(self, node: Any, top: bool) -> str:
        content = node.meta["content"]
        end = _span(node)[1]
        if end != len(self.src) or self.src.endswith(b"\n"):
            return content
        # The fence runs to the end of a body without a final newline. Closed, its content ends
        # with the line before the closing fence; unclosed, with the body's last line, as written.
        closer = _FENCE_CLOSER.fullmatch(self._line_at(end))
        marker = node.meta.get("marker", "")
        if closer and closer.group(1)[:1] == marker.encode() and len(closer.group(1)) >= node.meta.get("marker_len", 3):
            return content
        if not top:
            raise Declined("unclosed fence at the end of a nested block")
        return self._at_end_of_body(node, content)

    def _cut_table(self, node: Any, top: bool) -> None:
        """A thematic break: where it holds the place of a table read from its lines, that table."""
        table = self.cut.pop(self._line_of(_span(node)[0]), None)
        if table is None:
            return
        if not top:
            raise _Misplaced("a cut table inside a container")
        if self.lazy_ok:
            self.out.lazy_table(table.header, table.body, table.width, table.cell_rows)  # type: ignore[arg-type]
            return
        rows = table.rows()
        for row in rows:
            self.out.emit_row(row)
        self.out.table(tuple(text for text, _ in rows[0]), [tuple(text for text, _ in row) for row in rows[1:]])

    def cell_paragraph(self, paragraph: Any) -> Cell:
        """A table cell read as a paragraph of `cell_document`: its text and links, without the prefix."""
        start, end = _span(paragraph)
        self.checks.inline(paragraph.children, start, end)
        text, spans = self._render(paragraph.children)
        if not text.startswith(CELL_PREFIX):
            raise Declined("a table cell's paragraph lost its prefix")
        cut = len(CELL_PREFIX)
        return text[cut:], [(url, s - cut, e - cut) for url, s, e in spans]

    def _table(self, node: Any) -> None:
        start, end = _span(node)
        source = self.src[self.src.rfind(b"\n", 0, start) + 1 : end]
        lines = source.split(b"\n")
        check_table_source(source, lines)
        parts = node.children
        if any(part.name not in ("thead", "tbody") for part in parts):
            raise Declined("unexpected node in a table")
        head_rows = parts[0].children if parts[0].name == "thead" else []
        body_rows = [tr for part in parts if part.name == "tbody" for tr in part.children]
        width = len(head_rows[0].children) if head_rows else 0
        if width * len(body_rows) > MAX_AUTOCOMPLETED_CELLS:
            raise Declined("a table too large for markdown-it-py to complete")
        # One source line per row (header, delimiter, body), unless something else is mixed in.
        row_lines = [lines[0]] + lines[2:] if len(head_rows) == 1 and len(lines) == 2 + len(body_rows) else None
        rows = _plain_table(row_lines, width) if row_lines is not None and _PLAIN_TABLE.fullmatch(source) else None
        if rows is None:
            rows = self._table_rows(head_rows + body_rows, row_lines, start, end)
        for row in rows:
            self.out.emit_row(row)
        self.out.table(tuple(text for text, _ in rows[0]) if rows else (), [tuple(text for text, _ in row) for row in rows[1:]])

    def _table_rows(self, trs: list[Any], row_lines: list[bytes] | None, start: int, end: int) -> list[list[tuple[str, Spans]]]:
        """The rows cell by cell: plain rows from their line, the others from their nodes."""
        check_cells = self.checks.any_inline(start, end)
        rows = []
        self.in_table = True
        for i, tr in enumerate(trs):
            cells = tr.children
            # a plain row has no markup at all, so nothing for the cell checks to find
            plain = _plain_row(row_lines[i], len(cells), i == 0) if row_lines is not None else None
            rows.append(plain if plain is not None else [self._cell(cell, check_cells) for cell in cells])
        self.in_table = False
        return rows

    def _cell(self, cell: Any, check: bool) -> tuple[str, Spans]:
        children = cell.children
        if check:
            self.checks.inline(children, *_span(cell))
        if not children:
            return "", []
        if len(children) == 1:
            child = children[0]
            if child.name == "text":  # most cells: one run of plain text
                return plain_text(child.meta["content"])
        return self._render(children)

    # inline

    def _render(self, nodes: Sequence[Any]) -> tuple[str, Spans]:
        plain = _plain_run(nodes)
        if plain is not None:  # most paragraphs and headings: text and line breaks only
            return plain_text(plain)
        out = InlineText()
        self._inline(nodes, out, 0)
        return out.result()

    def _inline(self, nodes: Sequence[Any], out: InlineText, depth: int) -> None:
        if depth > MAX_INLINE_DEPTH:
            raise Declined("deeply nested inline markup")
        i, n = 0, len(nodes)
        while i < n:
            node = nodes[i]
            name = node.name
            if name in _TEXT:  # markdown-it-py joins adjacent text (escapes, entities) into one token
                j = i + 1
                while j < n and nodes[j].name in _TEXT:
                    j += 1
                out.text("".join(t.meta["content"] for t in nodes[i:j]))
                i = j
                continue
            if name in _STYLE:
                self._inline(node.children, out, depth + 1)
            elif name == "code_inline":
                out.add("".join(t.meta["content"] for t in node.children))
            elif name in ("softbreak", "hardbreak"):
                out.add(" ")
            elif name == "link":
                out.open_link(_href(node))
                self._inline(node.children, out, depth + 1)
                out.close_link()
            elif name == "autolink":
                self._autolink(node, out)
            elif name == "image":
                _href(node)  # declines URLs markdown-it-py would read differently
                out.add(self._image_alt(node))
            elif name == "html_inline":
                out.html_inline(node.meta["content"])
            else:
                raise Declined(f"unexpected inline {name}")
            i += 1

    def _autolink(self, node: Any, out: InlineText) -> None:
        """markdown-it-py: href is the normalised URL (mailto: added to e-mails), text the URL as shown."""
        (child,) = node.children
        raw = child.meta["content"]
        is_email = node.meta.get("url", "").startswith("mailto:") and not raw.lower().startswith("mailto:")
        out.open_link(normalizeLink("mailto:" + raw if is_email else raw))
        out.text(normalizeLinkText(raw))
        out.close_link()

    def _image_alt(self, node: Any) -> str:
        """markdown-it-py's image token content: the label exactly as written between '![' and ']'."""
        start = _span(node)[0] + 2
        end = _span(node.children[-1])[1] if node.children else start
        label = self.src[start:end]
        if self.src[start - 2 : start] != b"![" or self.src[end : end + 1] != b"]" or b"\n" in label:
            raise Declined("image label not recoverable from the source")
        if self.in_table and b"|" in label:
            raise Declined("image label in a table cell with a pipe")
        return label.decode("utf-8", "surrogatepass")


_BREAKS = frozenset({"softbreak", "hardbreak"})


def _plain_run(nodes: Sequence[Any]) -> str | None:
    """The text of inline nodes that are only text and line breaks, as `InlineText` builds it (a break
    is a space; bare URLs, found in each run of text, cannot run across the space either, so
    `plain_text` of the whole finds the same); None when any other node is among them."""
    parts = []
    for node in nodes:
        name = node.name
        if name in _TEXT:
            parts.append(node.meta["content"])
        elif name in _BREAKS:
            parts.append(" ")
        else:
            return None
    return "".join(parts)


# A row line without any inline markup (no escapes, code, emphasis, links, HTML or entities): its
# cells are its '|'-separated parts, trimmed, exactly as both parsers read them.
_PLAIN_ROW = re.compile(rb"[^\\`*_~\[\]<>!&\x00-\x1f\x7f]*")
_PLAIN_TABLE = re.compile(rb"[^\\`*_~\[\]<>!&\x00-\x09\x0b-\x1f\x7f]*")  # all its lines plain


def _plain_table(row_lines: list[bytes], width: int) -> list[list[tuple[str, Spans]]] | None:
    """All rows of a table without any markup, or None when the header does not split as expected."""
    rows = []
    for i, line in enumerate(row_lines):
        columns = _columns(line)
        if i == 0 and len(columns) != width:
            return None
        cells = [column.strip(" ") for column in columns[:width]] + [""] * (width - len(columns))
        rows.append([plain_text(cell) for cell in cells])
    return rows


def _plain_row(line: bytes, width: int, header: bool) -> list[tuple[str, Spans]] | None:
    """The cells of a plain row, padded or cut to `width` like the parser; None if not plain."""
    if not _PLAIN_ROW.fullmatch(line):
        return None
    columns = _columns(line)
    if header and len(columns) != width:
        return None
    cells = [column.strip(" ") for column in columns[:width]] + [""] * (width - len(columns))
    return [plain_text(cell) for cell in cells]


def _columns(line: bytes) -> list[str]:
    """A row's '|'-separated parts, without the empty ones outside its leading and trailing pipes."""
    columns = line.decode("utf-8", "surrogatepass").strip(" ").split("|")
    if columns and columns[0] == "":
        columns.pop(0)
    if columns and columns[-1] == "":
        columns.pop()
    return columns


def _newline_offsets(src: bytes) -> list[int]:
    """The offset of every b"\\n" in `src`, in order: the running sum of the line lengths (each plus its
    newline), started at -1, all of it in C (a regular-expression scan yields a match object per line)."""
    offsets = list(accumulate(map((1).__add__, map(len, src.split(b"\n"))), operator.add, initial=-1))
    del offsets[0]
    offsets.pop()  # the end of the last line, which no newline ends
    return offsets


def _span(node: Any) -> tuple[int, int]:
    span = node.srcmap  # made anew at each access: read once
    if span is None:
        raise Declined(f"{node.name} without a source position")
    return span


def _href(node: Any) -> str:
    url = node.meta.get("url", "")
    if url and not url_is_plain(url):
        raise Declined("URL normalised differently by the two parsers")
    return url
