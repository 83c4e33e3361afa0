"""A card's table: header, body rows read only when asked for, and the pre-checks that spare reading
them (extract/markdown_tables.py cuts tables from their lines; extract/card_structure.py keeps them)."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate, repeat
from typing import Sequence, Union

from extract.card_blocks import MAX_BLOCK_CHARS, Cell, TextBlock
from extract.literals import fold


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

    __slots__ = ("header", "section_index", "_rows", "_lines", "_width", "_cell_rows", "_text")

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
        self._text: str | None = None  # `text`, once made

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
        return [TextBlock("table_row", text, self.section_index) for text in self.row_texts()]

    def row_texts(self) -> list[str]:
        """The texts of `row_blocks`, without making the blocks."""
        out = []
        for texts in (self.header, *self.rows):
            text = " | ".join(texts)
            if text.replace("|", "").strip():
                out.append(text[:MAX_BLOCK_CHARS])
        return out

    @property
    def text(self) -> str:
        """Header and rows, joined by NUL (extract/card_scan.py); plain rows as written."""
        if self._text is None:
            self._text = self._joined()
        return self._text

    def _joined(self) -> str:
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
            parts[k] = " | ".join(text for text, _ in lines[k])  # type: ignore[str-unpack]  # (a read row: cells)
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
