"""The card parse's and the worker's shortcuts give what the code they replace gave.

Each shortcut is compared with the plain form it stands for: the binary-text count with the pattern's
count, the YAML walk with libyaml's loader, the scan for table rows with markup with a test of each
line, the evidence JSON with `json.dumps(evidence.to_dict())`, the listing check's scalar sizes with
`shape`. (The card's structure as a whole is compared with markdown-it-py's reading in
tests/test_extract_speed_equivalence.py; every version's evidence by benchmarks/equivalence.py.)
"""

from __future__ import annotations

import json
import random
import re

import pytest
import yaml

from card_corpus import corpus_cards
from crawler.validate import _field_over, check_item
from extract import extract_model
from extract.bounds import MAX_FIELD_CHARS, shape
from extract.card import _BINARY_RATIO, _CONTROL, _looks_binary
from extract.evidence_record import evidence_json, evidence_record
from extract.front_matter import _c_load, split_front_matter
from extract.markdown_tables import _LOOSE_UNDERSCORE, _MARKUP_IN_BLOCK, _lines_matching, cut_tables, plain_line
from extract.types import StoredVersion

CORPUS = corpus_cards(60, 60)


def test_binary_share_counted_as_the_pattern_counts() -> None:
    rng = random.Random(15)
    alphabet = [chr(i) for i in range(0x90)] + ["\ufffd", "\ud800", "é", "\U0001f600", "\x85", "\u2028"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
        expected = len(_CONTROL.findall(text)) / len(text) > _BINARY_RATIO
        assert _looks_binary(text) is expected, repr(text)
    # the threshold: 3 control characters in 10 are not "mostly non-text", 4 are
    assert not _looks_binary("\x01\x02\x03abcdefg") and _looks_binary("\x01\x02\x03\ufffdabcdef")
    assert not _looks_binary("\x0c\x1b\t\n\r text")  # form feed, escape and line breaks are text


YAML_FORMS = [
    "license: mit\nb: [1, 2.5, .inf, .nan, null, ~, true, no, 0x1F, 1:30, 1_000, 2020-01-02, 2020-01-02 10:00:00]\n",
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",  # a merge key: the constructor's
    "a: &x [1, {k: v}]\nb: *x\n",  # an alias of a collection: one object in two places
    "a: &s text\nb: *s\n",
    "s: !!set {a, b}\no: !!omap [a: 1]\np: !!pairs [a: 1]\nx: !!binary aGVsbG8=\n",
    "? [a]\n: 1\n",  # an unhashable key: an error
    "= : 3\n",  # the value key
    "a: !custom tag\n",  # an unknown tag: an error
    "bad: !!int abc\n",
    "1: a\n1.5: b\nnull: c\ntrue: d\n2001-01-01: e\n",  # keys of every scalar kind (1 and true are one key)
    "t: !!str 12\nf: !!float 3\n",
    "- a\n- b\n",
    "plain scalar",
    "",
    "# a comment only\n",
    "a: 1\n---\nb: 2\n",  # two documents: an error
]


def _loaded(text: str) -> str:
    try:
        return repr(yaml.load(text, Loader=yaml.CSafeLoader))
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return f"error {type(exc).__name__}"


def _walked(text: str) -> str:
    try:
        return repr(_c_load(text))
    except Exception as exc:  # noqa: BLE001
        return f"error {type(exc).__name__}"


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml")
def test_front_matter_walk_gives_what_the_loader_constructs() -> None:
    fronts = list(YAML_FORMS)
    for card in CORPUS:
        match = re.match(r"\A[ \t\n]*---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$", card, re.S | re.M)
        if match:
            fronts.append(match.group(1))
    assert len(fronts) > len(YAML_FORMS) + 50
    for text in fronts:
        assert _walked(text) == _loaded(text), text[:300]
    # and what a card then holds: the aliased list copied into plain data in both places
    front, _, problems = split_front_matter("---\na: &x [1]\nb: *x\n---\nbody\n")
    assert front == {"a": [1], "b": [1]} and problems == []


def test_rows_with_markup_found_by_scanning_the_block() -> None:
    rng = random.Random(7)
    pieces = ["| a ", "| b_c ", "| _d ", "e_ |", "| **1** ", "| `x` ", "| [l](https://x.org) ", "\\|", "!", "&amp;", "|", "\x7f"]
    for _ in range(3000):
        lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(1, 6))]
        text = "\n".join(lines)
        for pattern in (_MARKUP_IN_BLOCK, _LOOSE_UNDERSCORE):
            assert _lines_matching(pattern, text) == [k for k, line in enumerate(lines) if pattern.search(line)], text
        marked = set(_lines_matching(_MARKUP_IN_BLOCK, text)) | set(_lines_matching(_LOOSE_UNDERSCORE, text))
        assert marked == {k for k, line in enumerate(lines) if not plain_line(line)}, text


def test_cut_tables_list_the_rows_read_and_the_cells_left_to_read() -> None:
    tables = 0
    for card in CORPUS:
        _, cut = cut_tables(card)
        for table in cut.values():
            tables += 1
            assert table.cell_rows == [k for k, row in enumerate(table.body) if not isinstance(row, str)]
            expected = [
                (row, k) for row in (table.header, *(table.body[i] for i in table.cell_rows)) for k, cell in enumerate(row) if isinstance(cell, str)
            ]
            assert [(id(row), k) for row, k in table.pending] == [(id(row), k) for row, k in expected]
            # a row kept as its line is plain (its cells are its parts) and holds no bare URL
            assert all(plain_line(row) and "://" not in row for row in table.body if isinstance(row, str))
    assert tables > 30


def _evidence(card: str, i: int):  # type: ignore[no-untyped-def]
    metadata = {"tags": ["transformers", "license:apache-2.0"], "siblings": [{"rfilename": "model.safetensors"}], "cardData": None}
    return extract_model(StoredVersion(repo_id=f"org/model-{i}", sha=None, metadata=metadata, readme=card.encode("utf-8", "surrogatepass")))


def test_evidence_json_is_json_dumps_of_to_dict() -> None:
    evidences = [_evidence(card, i) for i, card in enumerate(CORPUS[::3])]
    for evidence in evidences:
        assert evidence_json(evidence) == json.dumps(evidence.to_dict())
        assert evidence_record(evidence).data_json == json.dumps(evidence.to_dict())
    # an attribute that is not a field is not written (the fields are, in their order)
    evidence = evidences[0]
    object.__setattr__(evidence.licence, "_note", "not a field")
    assert evidence_json(evidence) == json.dumps(evidence.to_dict())
    assert "_note" not in evidence_json(evidence)


def test_listing_field_sizes_as_shape_measures_them() -> None:
    values = ["", "x" * (MAX_FIELD_CHARS - 3), "x" * (MAX_FIELD_CHARS - 2), 0, 2**70, 1.5, float("nan"), True, None,
              [], ["x" * MAX_FIELD_CHARS], {"a": 1}, ("t",), b"bytes", object()]
    for value in values:
        assert _field_over(value) is shape(value, max_chars=MAX_FIELD_CHARS).over, repr(value)[:40]
    # the file list keeps scalar fields, and container fields within shape(v, 4, 32)
    siblings = [{"rfilename": "a", "size": 3, "lfs": {"size": 3, "sha256": "x"}, "blobId": None, "other": 1},
                {"rfilename": "b", "lfs": [[[[["deep"]]]]]}, {"rfilename": 5}, "c"]
    item, problems = check_item({"id": "org/m", "siblings": siblings})
    assert item is not None
    assert item["siblings"] == [{"rfilename": "a", "size": 3, "lfs": {"size": 3, "sha256": "x"}, "blobId": None}, {"rfilename": "b"}]
    assert [p.code for p in problems] == ["bad-siblings"]


def test_odd_space_class_is_str_isspace_less_space_tab_and_newline() -> None:
    from extract.markdown_checks import _ODD_SPACE, _has_odd_space

    odd = {chr(c) for c in range(0x110000) if chr(c).isspace() and chr(c) not in " \t\n"}
    assert {chr(c) for c in range(0x110000) if _ODD_SPACE.match(chr(c))} == odd
    assert _has_odd_space("a\u3000b") and _has_odd_space("é\x85") and not _has_odd_space("é \t\nb")


def test_line_start_patterns_find_what_a_multiline_caret_finds() -> None:
    from extract import front_matter as fm
    from extract import markdown_checks as mc

    old_prefix = re.compile("^" + mc._FIRST_LINE_PREFIX.pattern, re.M)
    old_odd = re.compile(r"^[ \t]*[^\S\n \t][^\S\n]*$", re.M)
    old_delimiter = re.compile(r"^[ \t>]*[|:\-][-:| \t]*$", re.M)
    old_quote = re.compile(r"^[ \t]*(?:(?:[-+*]|[0-9]{1,9}[.)])[ \t]+)*>", re.M)
    old_close = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
    old_block = re.compile(r"^[ ?\-]*", re.M)
    rng = random.Random(3)
    alphabet = [" ", "\t", "\n", "\n", ">", "-", "*", "1.", "|", ":", "a", "\x0b", "\u00a0", "?", "---", "...", " " * 50, "- " * 30]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        first = mc._FIRST_LINE_PREFIX.match(text)
        assert [m.group() for m in old_prefix.finditer(text)] == ([first.group()] if first else []) + mc._LINE_PREFIX.findall(text)
        assert bool(old_odd.search(text)) == bool(mc._ODD_BLANK_LINE.match(text) or mc._ODD_BLANK_LINE_AFTER.search(text))
        assert [(m.start(), m.group()) for m in old_delimiter.finditer(text) if m.start()] == [
            (m.start(1), m.group(1)) for m in mc._DELIMITER_ROW.finditer(text)
        ]
        assert bool(old_quote.search(text)) == bool(mc._QUOTE_START.match(text) or mc._QUOTE_START_AFTER.search(text))
        longest = max(len(fm._FIRST_BLOCK_PREFIX.match(text).group()), max(map(len, fm._BLOCK_PREFIX.findall(text)), default=1) - 1)
        assert max(len(m.group()) for m in old_block.finditer(text)) == longest
        for pos in [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]:
            old = old_close.search(text, pos)
            new = fm._FM_CLOSE.match(text, pos)
            after = fm._FM_CLOSE_AFTER.search(text, pos)
            assert (old.span() if old else None) == (new.span() if new else after.span(1) if after else None)


def test_pipe_runs_are_the_runs_of_lines_starting_with_a_pipe() -> None:
    from extract.markdown_tables import _pipe_runs

    def runs(text: str) -> list[tuple[int, int]]:
        lines, out, i = text.split("\n"), [], 0
        while i < len(lines):
            end = i
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            if end > i:
                out.append((i, end))
            i = max(end, i + 1)
        return out

    rng = random.Random(2)
    for _ in range(20000):
        text = "".join(rng.choice(["|", "\n", "a", " ", "|x|", "\n\n", " |"]) for _ in range(rng.randint(0, 20)))
        assert _pipe_runs(text) == runs(text), repr(text)


def test_delimiter_width_by_one_pattern_is_the_width_column_by_column() -> None:
    from extract.markdown_tables import _delimiter_width, _delimiter_width_by_columns

    rng = random.Random(4)
    for _ in range(30000):
        line = "|" + "".join(rng.choice(["-", "--", ":", "|", " ", "\t", "a", "-:", ":-"]) for _ in range(rng.randint(0, 10)))
        assert _delimiter_width(line) == _delimiter_width_by_columns(line), repr(line)
    assert _delimiter_width("|:---|---:| --- |") == 3 and _delimiter_width("|---||---|") is None


def test_marked_row_without_loose_underscores_is_the_marked_row() -> None:
    from extract.markdown_tables import _LOOSE_UNDERSCORE, _MARKED_ROW, _MARKED_ROW_WITHOUT_LOOSE_UNDERSCORE

    rng = random.Random(1)
    pieces = ["|", " ", "**", "`", "a", "1", "_", "b_c", "x_", "_y", " **7.1** ", "`bbh`", "(3-shot)", "é", "\u3000", "\t", "*", "[", "``"]
    accepted = 0
    for _ in range(60000):
        line = "|" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        expected = bool(_MARKED_ROW.fullmatch(line))
        assert expected == (_LOOSE_UNDERSCORE.search(line) is None and bool(_MARKED_ROW_WITHOUT_LOOSE_UNDERSCORE.fullmatch(line))), repr(line)
        accepted += expected
    assert accepted > 5000


def test_characters_next_to_delimiters_found_from_both_sides() -> None:
    from extract.markdown_checks import _next_to_delimiter

    next_to_delimiter = re.compile(r"(?<=[*_~])[^\x00-\x7f]|[^\x00-\x7f](?=[*_~])")  # what it replaced

    rng = random.Random(6)
    for _ in range(30000):
        text = "".join(rng.choice(["*", "_", "~", "a", " ", "é", "→", "\u3000", "**", "中文"]) for _ in range(rng.randint(0, 14)))
        assert _next_to_delimiter(text) == [m.start() for m in next_to_delimiter.finditer(text)], repr(text)


def test_cell_of_n_words_found_as_by_splitting_every_cell() -> None:
    from extract.card_structure import Table

    def expected(table: Table, words: int) -> bool:
        cells = [*table.header, *"|".join(line for line in table._lines if isinstance(line, str)).split("|")]
        cells += [text for line in table._lines if not isinstance(line, str) for text, _ in line]
        return any(len(cell.split()) >= words for cell in cells)

    rng = random.Random(3)
    for _ in range(5000):
        lines: list = ["|" + "|".join("".join(rng.choice(["a", " ", "  ", "\u3000", "\t", "bb", "|"]) for _ in range(rng.randint(0, 12))) for _ in range(3))
                       for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.3:
            lines.append([("one two three four five six", []), ("x", [])])
        table = Table(("h", "two words"), None, 0, lines, 3)
        for words in (1, 2, 3, 6):
            assert table.may_have_cell_of(words) == expected(table, words), (lines, words)


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml")
def test_plain_scalar_tags_remembered_are_the_resolvers() -> None:
    from extract.front_matter import _implicit_tag

    resolver = yaml.CSafeLoader("")
    values = ["", "~", "null", "Null", "NULL", "true", "yes", "No", "off", "0", "-1", "+1_000", "0x1F", "0o17", "017", "1:30",
              "1.5", ".5", "1e3", "1.0e+3", ".inf", "-.Inf", ".NaN", "2020-01-02", "2020-01-02 10:00:00", "2020-1-2", "<<", "=",
              "apache-2.0", "en", "transformers", "0.1.2", "1,000", "y", "n", "on", "ON", "True", "TRUE"]
    for value in values:
        assert _implicit_tag(value) == resolver.resolve(yaml.ScalarNode, value, (True, False)) == resolver.resolve(
            yaml.ScalarNode, value, (True, True)
        ), value
