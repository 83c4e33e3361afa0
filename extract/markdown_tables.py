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
from dataclasses import dataclass, field

from markdown_it.common.normalize_url import validateLink

from extract.card_structure import Spans, plain_text
from extract.markdown_checks import MAX_AUTOCOMPLETED_CELLS, _has_odd_space
from extract.markdown_urls import normalised_link
from extract.memo import text_memo

PLACEHOLDER = "***"

# A line without inline markup: no escapes, code, emphasis, links, images, HTML, entities or control
# characters; '_' only between two ASCII letters or digits (it cannot open or close emphasis there).
_PLAIN_LINE = re.compile(r"(?:[^\\`*_~\[\]<>!&\x00-\x1f\x7f]|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))*")
_PLAIN_BLOCK = re.compile(r"(?:[^\\`*_~\[\]<>!&\x00-\x09\x0b-\x1f\x7f]|(?<=[A-Za-z0-9])_(?=[A-Za-z0-9]))*")  # lines too
_DELIMITER_CELL = re.compile(r":?-+:?")
# The same tests, each as two scans `re` runs at full speed (a character class, the literal '_'):
# a character of markup other than '_', or an '_' without an ASCII letter or digit on both sides.
_MARKUP = re.compile(r"[\\`*~\[\]<>!&\x00-\x1f\x7f]")
_MARKUP_IN_BLOCK = re.compile(r"[\\`*~\[\]<>!&\x00-\x09\x0b-\x1f\x7f]")
_LOOSE_UNDERSCORE = re.compile(r"_(?<![A-Za-z0-9]_)|_(?![A-Za-z0-9])")


# A row whose only markup is whole-cell strong emphasis ("**71.2**") and code spans with plain text
# around them ("`bbh` (3-shot)"): every cell reads as its part of the line less the markers
# ("**", "`"), so the row is kept as that line, a plain one (`unmarked`), and read like the plain
# rows (`_read_cells` gives the same cells: tests/test_table_quick_cells.py). The contents are plain
# characters with no space at either end (no code span loses a space), code spans are never next to
# each other (a "``" run pairs differently), and the row holds no bare URL ("://": a code span
# has none). A part (between two pipes) is matched once, atomically: a shorter match of it could
# not be followed by a pipe either, so a failing line costs one pass.
_RUN = r"[^\\`*_~\[\]<>!&|\x00-\x1f\x7f]++"  # plain characters, taken at a class's speed
_INNER_UNDERSCORE = r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])"
_CONTENT = rf"(?!\s)(?:{_RUN}|{_INNER_UNDERSCORE})++(?<!\s)"  # plain, no whitespace at either end
_PART = rf"(?> *\*\*{_CONTENT}\*\* *|(?:{_RUN}|{_INNER_UNDERSCORE}|`{_CONTENT}`(?!`))*+)"
_MARKED_ROW = re.compile(rf"\|(?:{_PART}\|)*{_PART}")
# The same for a line without a loose underscore (one not between two ASCII letters or digits):
# every '_' in it is one `_INNER_UNDERSCORE` takes, so the plain runs may simply include '_' (no
# group repeated at each underscore: about twice as fast).
_RUN_U = r"[^\\`*~\[\]<>!&|\x00-\x1f\x7f]++"
_CONTENT_U = rf"(?!\s){_RUN_U}(?<!\s)"
_PART_U = rf"(?> *\*\*{_CONTENT_U}\*\* *|(?:{_RUN_U}|`{_CONTENT_U}`(?!`))*+)"
_MARKED_ROW_WITHOUT_LOOSE_UNDERSCORE = re.compile(rf"\|(?:{_PART_U}\|)*{_PART_U}")


def unmarked(line: str) -> str:
    """A row line `_MARKED_ROW` accepts, as the plain line of the same cells."""
    return line.replace("**", "").replace("`", "")


def plain_line(text: str) -> bool:
    """`_PLAIN_LINE.fullmatch(text)`, faster."""
    return _MARKUP.search(text) is None and ("_" not in text or _LOOSE_UNDERSCORE.search(text) is None)


def _plain_block(text: str) -> bool:
    """`_PLAIN_BLOCK.fullmatch(text)`, faster."""
    return _MARKUP_IN_BLOCK.search(text) is None and ("_" not in text or _LOOSE_UNDERSCORE.search(text) is None)


# A cell still to be read by the parser: its content, as markdown-it-py hands it to the inline parser.
Pending = str
Cell = tuple[str, Spans]
CELL_PREFIX = "X "  # keeps a cell's paragraph a paragraph ("# a", "- b", "<div>" start no block after it)


def cut_tables(src: str, references: bool | None = None) -> tuple[str, dict[int, CutTable]]:
    """(`src` with its top-level tables replaced, {line of each replacement: the table}).

    With link reference definitions in the card (`references`), a table with a '[' in a cell to be
    read is left to the parser, which knows the definitions.
    """
    if "|" not in src or "\r" in src:
        return src, {}
    if references is None:
        references = "]:" in src
    lines = src.split("\n")
    cut: dict[int, CutTable] = {}
    n = len(lines)
    for i, end in _pipe_runs(src):
        # a table starts after a blank line (or at the top), and the line after it is blank (or the end)
        if i >= n - 1 or (i > 0 and lines[i - 1].strip(" \t")):
            continue
        table = _read(lines, i, end, references) if end == n or not lines[end].strip(" \t") else None
        if table is None:
            continue
        cut[i] = table
        lines[i] = PLACEHOLDER
        lines[i + 1 : end] = [""] * (end - i - 1)
    if not cut:
        return src, {}
    return "\n".join(lines), cut


# Lines starting with '|' are found by the newline before them, and the end of a run of them by the
# first newline not followed by '|': literals the regex engine skips to, so the lines in between
# are never looked at one by one (a pattern repeating a group per line costs more than that loop).
_PIPE_LINE = re.compile(r"\n\|")
_OTHER_LINE = re.compile(r"\n(?!\|)")


def _pipe_runs(src: str) -> list[tuple[int, int]]:
    """(first line, line after the last) of each run of lines starting with '|', in order."""
    runs: list[tuple[int, int]] = []
    line = pos = 0  # the line `pos` is on
    if src.startswith("|"):
        other = _OTHER_LINE.search(src)
        pos = other.start() if other else len(src)
        line = src.count("\n", 0, pos)
        runs.append((0, line + 1))
    while (m := _PIPE_LINE.search(src, pos)) is not None:
        other = _OTHER_LINE.search(src, m.end())
        end = other.start() if other else len(src)
        start = line + src.count("\n", pos, m.start()) + 1
        line = start + src.count("\n", m.end(), end)
        runs.append((start, line + 1))
        pos = end
    return runs


@dataclass
class CutTable:
    """A table read from its lines: header cells, and each body row as its plain source line (its cells
    read when asked for) or as cells; a cell is (text, link spans), or its content still to be read.
    `cell_rows` lists (in order) the body rows held as cells, `pending` (in card order) where the
    cells still to be read are: (row, column)."""

    width: int
    header: list[Cell | Pending]
    body: list[str | list[Cell | Pending]]
    cell_rows: list[int] = field(default_factory=list)
    pending: list[tuple[list[Cell | Pending], int]] = field(default_factory=list)

    def rows(self) -> list[list[Cell]]:
        """Every row as cells, header first (once the pending cells are read)."""
        return [self.header, *(split_row(r, self.width) if isinstance(r, str) else r for r in self.body)]  # type: ignore[list-item]


def split_row(line: str, width: int) -> list[Cell]:
    """The cells of a plain row line, padded or cut to `width` as markdown-it-py does."""
    columns = _columns(line)
    return [plain_text(c.strip(" ")) for c in columns[:width]] + [("", [])] * (width - len(columns))


def _read(lines: list[str], start: int, end: int, references: bool) -> CutTable | None:
    """The table on lines[start:end] as markdown-it-py splits it, or None when it is not a table (or
    one to leave to the parser: tabs, odd whitespace, too many padded cells)."""
    if end - start < 2:
        return None
    width = _delimiter_width(lines[start + 1])
    if width is None:
        return None
    block = "\n".join(lines[start:end])
    if "\t" in block or (not block.isascii() and _has_odd_space(block)):
        return None
    all_plain = _plain_block(block)
    header = _cells(lines[start], all_plain, references)
    if header is None or len(header) != width:
        return None
    if width * (end - start - 2) > MAX_AUTOCOMPLETED_CELLS:
        return _read_padded(lines, start, end, width, header, all_plain, references)
    # Rows without markup (most) are kept as their line, found with a scan or two of the block
    # rather than tested one by one; only the rows with markup are looked at here.
    body: list[str | list[Cell | Pending]] = lines[start + 2 : end]  # type: ignore[assignment]
    table = CutTable(width, header, body)
    _note_pending(table, header)
    loose: set[int] = set()  # rows with a loose underscore: never `_MARKED_ROW`'s
    if all_plain:
        marked: list[int] = []
    else:
        rows_text = block[len(lines[start]) + len(lines[start + 1]) + 2 :]
        marked = _lines_matching(_MARKUP_IN_BLOCK, rows_text)
        if "_" in rows_text:
            loose = set(_lines_matching(_LOOSE_UNDERSCORE, rows_text))
            marked = sorted(loose.union(marked))
    cell_rows = table.cell_rows
    marked_row = _MARKED_ROW_WITHOUT_LOOSE_UNDERSCORE.fullmatch
    for k in marked:
        line = body[k]
        if "://" not in line and k not in loose and marked_row(line):  # type: ignore[arg-type]
            body[k] = unmarked(line)  # type: ignore[arg-type]
            continue
        columns = _escaped_columns(line) if "\\" in line else _columns(line)  # type: ignore[arg-type]
        row = _read_cells(columns, width, references)
        if row is None:
            return None
        body[k] = row
        cell_rows.append(k)
    if "://" in block:  # plain rows with a bare URL are read now: the parse adds their links in card order
        for k, line in enumerate(body):
            if isinstance(line, str) and "://" in line:
                body[k] = split_row(line, width)  # type: ignore[assignment]
                cell_rows.append(k)
        cell_rows.sort()
    for k in cell_rows:
        _note_pending(table, body[k])  # type: ignore[arg-type]
    return table


def _lines_matching(pattern: re.Pattern[str], text: str) -> list[int]:
    """The numbers (from 0) of the lines of `text` where `pattern` finds something, in order: one
    search per such line, none for the others."""
    found: list[int] = []
    search = pattern.search
    line, pos = 0, 0
    m = search(text)
    while m is not None:
        at = m.start()
        line += text.count("\n", pos, at)
        found.append(line)
        pos = text.find("\n", at) + 1
        if not pos:
            break
        line += 1
        m = search(text, pos)
    return found


def _note_pending(table: CutTable, row: list[Cell | Pending]) -> None:
    for k, cell in enumerate(row):
        if isinstance(cell, str):
            table.pending.append((row, k))


def _read_padded(
    lines: list[str], start: int, end: int, width: int, header: list[Cell | Pending], all_plain: bool, references: bool
) -> CutTable | None:
    """`_read`'s rows, one by one, for a table large enough that its padded cells must be counted."""
    body: list[str | list[Cell | Pending]] = []
    padded = 0
    markup, loose = _MARKUP.search, _LOOSE_UNDERSCORE.search  # `plain_line`, inlined: a call per row adds up
    for k in range(start + 2, end):
        line = lines[k]
        if all_plain or (markup(line) is None and ("_" not in line or loose(line) is None)):
            padded += width - len(_columns(line))
            body.append(split_row(line, width) if "://" in line else line)  # type: ignore[arg-type]  # (list is invariant: cells are cells or pendings)
        elif "://" not in line and _MARKED_ROW.fullmatch(line):
            padded += width - len(_columns(line))
            body.append(unmarked(line))
        else:
            columns = _escaped_columns(line) if "\\" in line else _columns(line)
            padded += width - len(columns)
            row = _read_cells(columns, width, references)
            if row is None:
                return None
            body.append(row)
        if padded > MAX_AUTOCOMPLETED_CELLS:
            return None  # markdown-it-py stops the table here: left to the parsers
    table = CutTable(width, header, body)
    _note_pending(table, header)
    for k, item in enumerate(body):
        if not isinstance(item, str):
            table.cell_rows.append(k)
            _note_pending(table, item)
    return table


def _cells(line: str, plain: bool, references: bool) -> list[Cell | Pending] | None:
    """The header's cells (not padded: its column count decides whether this is a table)."""
    plain = plain or plain_line(line)
    columns = _columns(line) if plain or "\\" not in line else _escaped_columns(line)
    if plain:
        return [plain_text(c.strip(" ")) for c in columns]
    return _read_cells(columns, len(columns), references)


def _read_cells(columns: list[str], width: int, references: bool) -> list[Cell | Pending] | None:
    row: list[Cell | Pending] = []
    markup, loose = _MARKUP.search, _LOOSE_UNDERSCORE.search  # `plain_line`, inlined: a call per cell adds up
    for column in columns[:width]:
        cell = column.strip(" ")
        if markup(cell) is None and ("_" not in cell or loose(cell) is None):
            row.append(plain_text(cell) if "://" in cell else (cell, []))
            continue
        quick = _quick_cell(cell)
        if quick is not None:
            row.append(quick)
        elif references and "[" in cell:
            return None
        else:
            row.append(cell)
    return row + [("", [])] * (width - len(columns))


# Whole-cell markup that reads one way only (CommonMark, as markdown-it-py implements it):
# **X** / *X* with plain X not starting or ending with a space: strong / emphasis around X;
# `X` without a backtick: a code span (one space stripped from each end when both have one), also
# several of them with plain text between and around (`_code_and_text`);
# [T](U) with plain T and a plain, valid destination U: a link to U's normalised form.
_STRONG = re.compile(r"(\*\*?)(\S(?:.*\S)?)\1", re.S)
_LINK = re.compile(r"\[([^\[\]]+)\]\(([A-Za-z][A-Za-z0-9+.\-]{1,31}:[!#-'*-;=?-\[\]-~]*)\)")


def _quick_cell(cell: str) -> Cell | None:
    """The cell's text and links when it is one of the forms above; None otherwise (the parser reads it).

    Once per distinct cell (evaluation tables repeat their task links and scores card after card);
    each answer gets a list of links of its own."""
    quick = _quick_cell_read(cell)
    return None if quick is None else (quick[0], list(quick[1]))


@text_memo(4096)
def _quick_cell_read(cell: str) -> tuple[str, tuple[tuple[str, int, int], ...]] | None:
    quick = _read_quick_cell(cell)
    return None if quick is None else (quick[0], tuple(quick[1]))


def _read_quick_cell(cell: str) -> Cell | None:
    first = cell[:1]
    if first == "*":
        m = _STRONG.fullmatch(cell)
        if m and plain_line(m.group(2)) and not m.group(2)[0].isspace() and not m.group(2)[-1].isspace():
            return plain_text(m.group(2))
    elif "`" in cell:
        return _code_and_text(cell)
    elif first == "[":
        m = _LINK.fullmatch(cell)
        if m and plain_line(m.group(1)) and m.group(1).strip():
            href = _normalised(m.group(2))
            if validateLink(href):
                text = m.group(1)
                return text, [(href, 0, len(text))]
    return None


def _code_and_text(cell: str) -> Cell | None:
    """A cell of code spans between single backticks and plain text ("`bbh` (3-shot)"), or None.

    With every backtick run one long (no "``"), runs pair up in order, each pair a code span whose
    content is taken as written (one space stripped from each end when both have one and it is not
    all spaces); the text between them must be plain and hold no bare URL. An odd backtick is
    literal text: left to the parser, as is everything else.
    """
    if "``" in cell:
        return None
    parts = cell.split("`")
    if not len(parts) % 2:
        return None
    for k in range(0, len(parts), 2):
        text = parts[k]
        if text and (not plain_line(text) or "://" in text):
            return None
    for k in range(1, len(parts), 2):
        code = parts[k]
        if code[0] == " " and code[-1] == " " and code.strip(" "):
            parts[k] = code[1:-1]
    return "".join(parts), []


@text_memo(4096)
def _normalised(url: str) -> str:
    return normalised_link(url)  # cached: evaluation tables link the same task pages again and again


def cell_document(cells: list[Pending]) -> str:
    """The cells to read, each a paragraph of its own behind `CELL_PREFIX`."""
    return "\n\n".join(CELL_PREFIX + cell for cell in cells)


# A delimiter row as markdown-it-py's table rule reads one (after the leading '|'): cells of
# ":?-+:?" between spaces or tabs, each closed by '|' except perhaps the last; no empty cell but
# the one after the last '|'.
_DELIMITER_ROW = re.compile(r"\|(?:[ \t]*:?-+:?[ \t]*\|)*(?:[ \t]*:?-+:?)?[ \t]*")


def _delimiter_width(line: str) -> int | None:
    """Columns of a delimiter row under markdown-it-py's table rule, or None when it is not one.

    The row starts with '|' here (the caller's condition), so the rule's first-character test holds.
    One cell per '|' after the first, and one more when text follows the last.
    """
    if not _DELIMITER_ROW.fullmatch(line):
        return None
    width = line.count("|") - 1 + (1 if line[line.rfind("|") + 1 :].strip(" \t") else 0)
    return width or None


def _delimiter_width_by_columns(line: str) -> int | None:
    """`_delimiter_width` column by column, as the rule states it (tests compare the two)."""
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
