"""extract/markdown_tables.py: the fast plain-text tests answer exactly as the patterns that define them."""

from __future__ import annotations

import random

from extract.markdown_tables import _PLAIN_BLOCK, _PLAIN_LINE, _plain_block, plain_line

ALPHABET = "ab Z9_-|*`~[]<>!&\\\t\n\x00\x7fé本 .:"


def test_plain_line_and_block_agree_with_their_patterns() -> None:
    rng = random.Random(15)
    for _ in range(20_000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))
        assert plain_line(text) == (_PLAIN_LINE.fullmatch(text) is not None), repr(text)
        assert _plain_block(text) == (_PLAIN_BLOCK.fullmatch(text) is not None), repr(text)


def test_underscores() -> None:
    assert plain_line("arc_challenge | 25-shot")
    assert not plain_line("_private")
    assert not plain_line("snake_")
    assert not plain_line("a__b")
    assert not plain_line("é_a")  # only ASCII letters and digits keep '_' from opening emphasis


def test_may_have_cell_of_answers_as_the_word_run_pattern() -> None:
    """A plain row holds a cell of n words exactly when n words in a row stand between two pipes."""
    import re

    from extract.card_structure import Table

    rng = random.Random(6)
    words = ["a", "bc", "45.2", "**9**", " ", "  ", "|", "é"]
    for _ in range(3000):
        lines = ["| " + "".join(rng.choice(words) for _ in range(rng.randint(0, 14))) + " |" for _ in range(rng.randint(1, 4))]
        table = Table(("h1", "h2"), None, 0, list(lines), 2)
        run = re.compile(r"[^|\s]+(?:\s+[^|\s]+){%d}" % (4 - 1))
        assert table.may_have_cell_of(4) == bool(run.search("|".join(lines))), lines


def test_rows_holding_reads_only_the_rows_whose_line_holds_a_word() -> None:
    from extract.card import parse_card

    card = parse_card(
        b"# Card\n\n| Feature | Acme-7B | Other |\n|---|---|---|\n| licence | Apache-2.0 | MIT |\n"
        b"| weights | Open Source | closed |\n| data | *closed* | x |\n| eval | **closed** | `z` |\n| code | fully OPEN | y |\n"
    )
    (table,) = card.tables
    assert table.lazy
    rows = table.rows_holding(frozenset({"open"}), 10)
    # the plain rows without "open" are left out, and so is the row of strong and code cells (kept as
    # its unmarked line); the row with other markup (read into cells) is kept
    assert rows == [("weights", "Open Source", "closed"), ("data", "closed", "x"), ("code", "fully OPEN", "y")]
    assert table.rows_holding(frozenset({"open"}), 1) == []
    assert table.rows_holding(None, 2) == list(table.rows[:2])
    assert table.rows[3] == ("eval", "closed", "z")


def test_a_model_column_marked_open_source_is_still_a_claim() -> None:
    from extract.card import parse_card
    from extract.claims import read_claims

    card = parse_card(
        (
            "# Acme-7B\n\n| Feature | Acme-7B | Other |\n|---|---|---|\n"
            + "".join(f"| row {i} | {i}.5 | {i} |\n" for i in range(30))
            + "| licence | Open Source | closed |\n"
        ).encode()
    )
    evidence, _ = read_claims(card, "acme/Acme-7B", ())
    assert any(c.source == "table" and c.about_self for c in evidence.claims)


def test_may_have_cell_of_plain_rows_is_the_part_by_part_count() -> None:
    """The one search over plain lines answers as counting the words of each part between pipes."""
    from extract.card_structure import Table

    rng = random.Random(61)
    pieces = ["a", "bc", "45.2", "**9**", " ", "  ", "|", "é", "\u00a0", "\u2003", "x" * 70]
    for words in (0, 1, 2, 3, 7):
        for _ in range(1500):
            lines = ["| " + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16))) + " |" for _ in range(rng.randint(1, 3))]
            table = Table((), None, 0, list(lines), 2)
            parts = "|".join(lines).split("|")
            expected = any(len(part.split()) >= words for part in parts if len(part) >= 2 * words - 1)
            assert table.may_have_cell_of(words) == expected, (words, lines)
