"""Card structure from markdown-it-py's token stream (pure Python; the reference parser).

`markdown_tree` handles almost every card much faster; this walker takes the cards it declines
(pathological nesting, link forms whose normalisation it cannot vouch for, parser panics), so
every card gets exactly the structure markdown-it-py gives it.
"""

from __future__ import annotations

from typing import Any, Iterable

from markdown_it import MarkdownIt

from extract.card_structure import (
    HTML_HEADING,
    InlineText,
    Spans,
    Structure,
    StructureBuilder,
)

MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def structure_from_tokens(body: str) -> Structure:
    tokens = MARKDOWN.parse(body)
    out = StructureBuilder(body)
    out.begin(_first_heading_line(tokens))
    list_depth = quote_depth = 0
    heading_level = 0
    row: list[tuple[str, Spans]] | None = None
    table_rows: list[tuple[str, ...]] = []
    table_header: tuple[str, ...] = ()
    in_thead = False
    pending_title = False
    for tok in tokens:
        kind = tok.type
        if kind == "heading_open":
            heading_level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
            if tok.level == 0 and tok.map:
                out.start_section(heading_level, tok.map[0], tok.map[1])
                pending_title = True
            continue
        if kind == "heading_close":
            heading_level = 0
            continue
        if kind == "list_item_open":
            list_depth += 1
        elif kind == "list_item_close":
            list_depth = max(0, list_depth - 1)
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth = max(0, quote_depth - 1)
        elif kind == "table_open":
            table_rows, table_header = [], ()
        elif kind == "thead_open":
            in_thead = True
        elif kind == "thead_close":
            in_thead = False
        elif kind == "tr_open":
            row = []
        elif kind in ("th_open", "td_open"):
            if row is not None:
                row.append(("", []))
        elif kind == "tr_close" and row is not None:
            cells = tuple(cell for cell, _ in row)
            if in_thead:
                table_header = cells
            else:
                table_rows.append(cells)
            out.emit_row(row)
            row = None
        elif kind == "table_close":
            out.table(table_header, table_rows)
        elif kind == "inline":
            text, spans = _render_inline(tok.children or [])
            if row is not None and row:
                row[-1] = (text, spans)
                continue
            if heading_level:
                if pending_title:
                    out.set_title(text)
                    pending_title = False
                out.emit("heading", text, spans)
            elif list_depth:
                out.emit("list_item", text, spans)
            elif quote_depth:
                out.emit("quote", text, spans)
            else:
                out.emit("paragraph", text, spans)
        elif kind in ("fence", "code_block"):
            out.code_block(tok.info or "", tok.content)
        elif kind == "html_block":
            line_map = tok.map or (0, 0)
            out.html_block(tok.content, tok.level == 0 and bool(tok.map), line_map[0], line_map[1])
    return out.finish()


def _first_heading_line(tokens: list) -> int | None:
    for tok in tokens:
        if tok.level == 0 and tok.map and (tok.type == "heading_open" or (tok.type == "html_block" and HTML_HEADING.match(tok.content))):
            return tok.map[0]
    return None


def _render_inline(children: Iterable[Any]) -> tuple[str, Spans]:
    """Plain text of an inline token, with (url, start, end) spans of its links."""
    out = InlineText()
    for child in children:
        kind = child.type
        if kind == "text":
            out.text(child.content)
        elif kind == "code_inline":
            out.add(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.add(" ")
        elif kind == "link_open":
            out.open_link(str(child.attrs.get("href", "") or ""))
        elif kind == "link_close":
            out.close_link()
        elif kind == "image":
            out.add(child.content or "")
        elif kind == "html_inline":
            out.html_inline(child.content)
    return out.result()
