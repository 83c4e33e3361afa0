"""Table cells read without a parser (extract/markdown_tables.py) read as markdown-it-py reads them.

Cards with tables of random cells (code spans, plain text, emphasis, links, odd backticks, escaped
pipes, HTML, ragged rows) are read by the fast path (`structure_from_tree`: plain and quick cells
from their text, the rest by the compiled parser) and by markdown-it-py (`structure_from_tokens`,
the reference); rows, blocks and links must be the same.
"""

from __future__ import annotations

import random

import pytest

from extract.markdown_tables import _MARKED_ROW, _code_and_text, _columns, _quick_cell, _read_cells, split_row, unmarked
from extract.markdown_tokens import structure_from_tokens
from extract.markdown_tree import Declined, structure_from_tree

PIECES = [
    "`bbh`", "`math_hard`", "` a `", "`  `", "` x`", "`a b`", "``", "```x```", "`", "`<b>`", "`[x](y)`", "`*x*`",
    "(5-shot)", " ", "  ", "a", "arc_challenge", "_x", "x_", "**9**", "*i*", "[t](https://e.org/a)", "<b>", "&amp;",
    "\\|", "\\`", "!", "~", "https://x.org/a", "é", "本", "#", "-", "1.", ":", "2.5",
    "**71.2**", "**x_y**", "`bbh` (3-shot)", "65.61", "65.61", "math_hard",
]


NICE = ["**71.2**", "**x_y**", "**a b**", "`bbh` (3-shot)", "`a b`", "`x`", "65.61", "math_hard", "a", " ", "*i*", "` a `"]


def _cell(rng: random.Random, pieces: list[str]) -> str:
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))


def _card(rng: random.Random) -> str:
    width = rng.randint(1, 4)
    pieces = PIECES if rng.random() < 0.6 else NICE  # some tables of mostly well-formed cells
    lines = ["| " + " | ".join(f"h{k}" for k in range(width)) + " |", "|" + "---|" * width]
    for _ in range(rng.randint(1, 6)):
        cells = [_cell(rng, pieces) for _ in range(width + rng.choice((-1, 0, 0, 0, 1)))]  # ragged rows too
        lines.append("| " + " | ".join(cells) + " |")
    return "# Results\n\nSome text.\n\n" + "\n".join(lines) + "\n"


def _body_rows(body: str) -> list[tuple[str, bool]]:
    from extract.markdown_tables import plain_line

    return [(line, plain_line(line)) for line in body.splitlines()[6:]]


def _seen(structure) -> tuple:  # type: ignore[no-untyped-def]
    return (
        [(t.header, t.rows) for t in structure.tables],
        [(b.kind, b.text) for b in structure.blocks],
        [(link.url, link.text, link.context) for link in structure.links],
    )


def test_random_tables_read_as_markdown_it_py_reads_them() -> None:
    rng = random.Random(2026_12_06)
    compared = quick = marked = 0
    for _ in range(2000):
        body = _card(rng)
        try:
            fast = structure_from_tree(body)
        except Declined:
            continue
        assert _seen(fast) == _seen(structure_from_tokens(body)), body
        compared += 1
        cells = [c.strip(" ") for line in body.splitlines()[6:] for c in line.strip(" |").split("|")]
        quick += any("`" in c and _code_and_text(c) is not None and not c.startswith("`") for c in cells)
        marked += any(_MARKED_ROW.fullmatch(line) and not plain for line, plain in _body_rows(body))
    assert compared > 600 and quick > 100 and marked > 100  # the comparison reached both shortcuts


@pytest.mark.parametrize(
    ("cell", "read"),
    [
        ("`bbh` (3-shot)", "bbh (3-shot)"),
        ("`math_hard` (4-shot)", "math_hard (4-shot)"),
        ("see `a` and `b`", "see a and b"),
        ("` x ` y", "x y"),  # one space stripped from both ends of a code span
        ("`  ` y", "   y"),  # not when it is all spaces
        ("` x` y", " x y"),  # nor when only one end has one
    ],
)
def test_code_spans_with_plain_text_around_them(cell: str, read: str) -> None:
    assert _quick_cell(cell) == (read, [])


@pytest.mark.parametrize(
    "cell",
    [
        "`a``b`",  # a double backtick run: the spans pair differently
        "`a` b `c",  # an odd backtick is literal
        "`a` _b",  # emphasis may open
        "`a` **b**",
        "`a` <b>",
        "`a` see https://e.org",  # a bare URL: left to the parser's text runs
        "`a` [b](c)",
    ],
)
def test_other_cells_with_code_are_left_to_the_parser(cell: str) -> None:
    assert _code_and_text(cell) is None


MARKED_PIECES = ["**9**", "** 9**", "**9 **", "**a b**", "**x_y**", "**_x**", "****", "*i*", "`bbh`", "`a b`", "` a`", "`a `",
                 "`x_y`", "`_x`", "``", "`", "a", "x_y", "_x", " ", "  ", "(5-shot)", "é", "<b>", "https://e.org", "[t](u)", "\\"]


def test_marked_rows_read_as_their_cells() -> None:
    """A row `_MARKED_ROW` accepts, kept as its unmarked line, splits into the cells `_read_cells` reads."""
    rng = random.Random(71)
    accepted = 0
    for _ in range(20_000):
        width = rng.randint(1, 4)
        cells = ["".join(rng.choice(MARKED_PIECES) for _ in range(rng.randint(0, 3))) for _ in range(width + rng.choice((-1, 0, 1)))]
        line = "|" + "|".join(" " * rng.randint(0, 2) + c + " " * rng.randint(0, 2) for c in cells) + rng.choice(("|", "| ", ""))
        if "|" in "".join(cells) or "://" in line or not _MARKED_ROW.fullmatch(line):
            continue
        accepted += 1
        eager = _read_cells(_columns(line), width, False)
        assert eager is not None and all(isinstance(cell, tuple) for cell in eager), line  # nothing left to the parser
        assert split_row(unmarked(line), width) == eager, line
    assert accepted > 2000


@pytest.mark.parametrize(
    "line",
    ["| `a``b` | x |", "| ** a** | x |", "| **a ** | x |", "| _x | **1** |", "| *i* | 1 |", "| `a` **b** |", "| **a** b |",
     "| [a](b) | **1** |", "| ` a` | 1 |", "| `_x` | 1 |"],
)
def test_rows_the_shortcut_leaves_to_the_cell_reader(line: str) -> None:
    assert not _MARKED_ROW.fullmatch(line)


def test_newline_offsets() -> None:
    import re

    from extract.markdown_tree import _newline_offsets

    rng = random.Random(3)
    for text in [b"", b"\n", b"a", b"a\n", b"\n\n", b"ab\ncd\n\nef"] + [
        bytes(rng.choice(b"ab\n") for _ in range(rng.randint(0, 30))) for _ in range(500)
    ]:
        assert _newline_offsets(text) == [m.start() for m in re.finditer(b"\n", text)], text
