"""Top-level tables read from their lines, their plain cells without a Markdown parser.

Tables are most of a card's bytes (evaluation results, issue 15) and, cell by cell, most of the
parser's work. `cut_tables` finds the tables markdown-it-py (the reference, rules_block/table.py)
would start at the top level, and where it would end them, splits their rows into cells exactly as
it does (`escaped_split`), and puts a thematic break ("***") and blank lines in their place, so
every other line keeps its number and the compiled parser never walks the tables. A plain cell (no
escapes, code, emphasis, links, images, HTML, entities; an underscore only inside a word) reads as
it is written; the other cells are read by the compiled parser all at once, each as a paragraph
of its own (`cell_document`), with the same inline checks as any other text.

Whether a table really stood at the top level depends on what comes before it (an unclosed fence
or HTML comment swallows it): `markdown_tree` checks that each break it put in became a top-level
thematic break at that line, and otherwise parses the card again uncut.
"""

from __future__ import annotations

import re

from extract.card_structure import Spans, plain_text
from extract.markdown_checks import MAX_AUTOCOMPLETED_CELLS, _has_odd_space

PLACEHOLDER = "***"

# A line without inline markup: no escapes, code, emphasis, links, images, HTML, entities or control
# characters; '_' only between two ASCII letters or digits (it cannot open or close emphasis there).
_PLAIN_LINE = re.compile(r"(?:[^\\`*_~\[\]<>!&\x00-\x1f\x7f]|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))*")
_DELIMITER_CELL = re.compile(r":?-+:?")


# A cell still to be read by the parser: its content, as markdown-it-py hands it to the inline parser.
Pending = str
Cell = tuple[str, Spans]
Rows = list[list[Cell | Pending]]
CELL_PREFIX = "X "  # keeps a cell's paragraph a paragraph ("# a", "- b", "<div>" start no block after it)


def cut_tables(src: str, references: bool | None = None) -> tuple[str, dict[int, Rows]]:
    """(`src` with its top-level tables replaced, {line of each replacement: the table's rows}).

    A row's cells are (text, link spans), or the content still to be read (`Pending`). With link
    reference definitions in the card (`references`), a table with a '[' in a cell to be read is
    left to the parser, which knows the definitions.
    """
    if "|" not in src or "\r" in src:
        return src, {}
    if references is None:
        references = "]:" in src
    lines = src.split("\n")
    cut: dict[int, Rows] = {}
    i, n = 0, len(lines)
    while i < n - 1:
        line = lines[i]
        if not line.startswith("|") or (i > 0 and lines[i - 1].strip(" \t")):
            i += 1
            continue
        end = i + 1
        while end < n and lines[end].startswith("|"):
            end += 1
        table = _read(lines, i, end, references) if end == n or not lines[end].strip(" \t") else None
        if table is None:
            i = end
            continue
        cut[i] = table
        lines[i] = PLACEHOLDER
        for j in range(i + 1, end):
            lines[j] = ""
        i = end
    if not cut:
        return src, {}
    return "\n".join(lines), cut


def _read(lines: list[str], start: int, end: int, references: bool) -> Rows | None:
    """The rows of the table on lines[start:end] as markdown-it-py splits them, or None when they
    are not a table (or one to leave to the parser: tabs, odd whitespace, too many padded cells)."""
    if end - start < 2:
        return None
    width = _delimiter_width(lines[start + 1])
    if width is None:
        return None
    rows: Rows = []
    padded = 0
    for k in range(start, end):
        if k == start + 1:
            continue
        line = lines[k]
        if "\t" in line or (not line.isascii() and _has_odd_space(line)):
            return None
        plain = _PLAIN_LINE.fullmatch(line) is not None
        columns = _columns(line) if plain or "\\" not in line else _escaped_columns(line)
        if k == start:
            if len(columns) != width:
                return None
        else:
            padded += width - len(columns)
            if padded > MAX_AUTOCOMPLETED_CELLS:
                return None  # markdown-it-py stops the table here: left to the parsers
        cells = [column.strip(" ") for column in columns[:width]] + [""] * (width - len(columns))
        if plain:
            rows.append([plain_text(cell) for cell in cells])
            continue
        row: list[Cell | Pending] = []
        for cell in cells:
            if _PLAIN_LINE.fullmatch(cell):
                row.append(plain_text(cell))
            elif references and "[" in cell:
                return None
            else:
                row.append(cell)
        rows.append(row)
    return rows


def cell_document(cells: list[Pending]) -> str:
    """The cells to read, each a paragraph of its own behind `CELL_PREFIX`."""
    return "\n\n".join(CELL_PREFIX + cell for cell in cells)


def _delimiter_width(line: str) -> int | None:
    """Columns of a delimiter row under markdown-it-py's table rule, or None when it is not one.

    The row starts with '|' here (the caller's condition), so the rule's first-character test holds.
    """
    if len(line) < 2 or line[1] not in "|-: \t":
        return None
    if line.strip("|-: \t"):
        return None  # another character: not a delimiter row
    columns = line.split("|")
    width = 0
    for k, column in enumerate(columns):
        cell = column.strip(" \t")
        if not cell:
            if k == 0 or k == len(columns) - 1:
                continue
            return None
        if not _DELIMITER_CELL.fullmatch(cell):
            return None
        width += 1
    return width or None


def _escaped_columns(line: str) -> list[str]:
    """markdown-it-py's `escapedSplit` of the trimmed row: '\\|' is a pipe inside a cell (the backslash
    dropped), any other '|' separates cells; then the empty parts outside the outer pipes go."""
    text = line.strip(" ")
    result: list[str] = []
    current, last, escaped = "", 0, False
    for pos, ch in enumerate(text):
        if ch == "|":
            if not escaped:
                result.append(current + text[last:pos])
                current, last = "", pos + 1
            else:
                current += text[last : pos - 1]
                last = pos
        escaped = ch == "\\"
    result.append(current + text[last:])
    if result and result[0] == "":
        result.pop(0)
    if result and result[-1] == "":
        result.pop()
    return result


def _columns(line: str) -> list[str]:
    """A row's '|'-separated parts, without the empty ones outside its leading and trailing pipes."""
    columns = line.strip(" ").split("|")
    if columns and columns[0] == "":
        columns.pop(0)
    if columns and columns[-1] == "":
        columns.pop()
    return columns
