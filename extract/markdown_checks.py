"""Where markdown-it-pyrs (markdown-it.rs) and markdown-it-py can read a card differently.

Each check raises `Declined`, and `markdown_tree` leaves the card to markdown-it-py. The
differences were found by differential fuzzing against markdown-it-py (its own test fixtures,
the CommonMark spec examples, mutated real and generated cards):

- nesting: markdown-it-py stops at 20 levels (of blocks, and of nested link brackets); deep
  nesting overflows the Rust parser's stack (a crash, not an exception), so text that could
  nest deeply is declined *before* parsing;
- CommonMark 0.31 (markdown-it-py) vs 0.30 (markdown-it.rs): Unicode symbols next to emphasis
  delimiters, HTML comments with "--", declarations, the `search`/`source` tags;
- emphasis: unpaired delimiters of more than one kind in one paragraph, long '~' runs;
- markdown-it-py quirks: tables whose header line starts another block or has no (or an escaped)
  pipe, list items ending a table or a lazy blockquote paragraph, Unicode whitespace trimmed off
  paragraphs and cells;
- markdown-it.rs quirks: tabs in a list item's or quote's indentation, raw HTML blocks (comments,
  scripts) inside containers, non-ASCII tag names, code spans with backtick runs of different
  lengths, an escaped pipe right before a pipe;
- URL normalisation (punycode hosts, trimmed Unicode spaces, odd authorities): only URLs both
  leave unchanged pass (extract/markdown_urls.py); link reference definitions only in the plain
  one-line form.

`check_text` runs on the text before parsing; `SourceChecks` and the other functions on the
source of the nodes the fast parser produced.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Sequence

from extract.markdown_urls import url_is_plain

# markdown-it-py's maxNesting is 20 (block levels: a blockquote adds 1, a list item 2; nested
# link labels 1 each). Declining a few levels earlier keeps clear of its exact cut-off.
MAX_BLOCK_LEVEL = 16
MAX_LABEL_NESTING = 16
# The Rust parser recurses once per nesting level and overflows an 8 MB stack past ~16,000
# nested list items or ~40,000 nested emphasis spans. These bounds keep far below that.
MAX_CONTAINER_BOUND = 100  # block containers one line can open or continue
MAX_DELIMITER_BOUND = 1_000  # emphasis/link openers in one paragraph (text between blank lines)
MAX_AUTOCOMPLETED_CELLS = 0x10000  # markdown-it-py ends a table that pads more cells than this


class Declined(Exception):
    """This card is left to markdown-it-py (see the module docstring for when)."""


def check_text(src: str) -> None:
    """Decline text that could nest too deeply, or that the two read differently, before parsing."""
    _check_nesting_bounds(src)
    _check_spec_differences(src)
    _check_table_headers(src)
    _check_lazy_quote_lists(src)


# --- checks on the text, before parsing ----------------------------------------------------------

# The leading run of a line that can hold block container markers: '>', list bullets, "1." / "1)".
# Lines are found by the newline before them (a "^" under re.M is tried at every position), the first by a match.
_FIRST_LINE_PREFIX = re.compile(rf"[ \t>*+\-.)0-9]{{{MAX_CONTAINER_BOUND},}}")
_LINE_PREFIX = re.compile(rf"\n({_FIRST_LINE_PREFIX.pattern})")
_MARKER = re.compile(r">|(?:[-+*]|[0-9]{1,9}[.)])(?=[ \t]|\Z)")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _check_nesting_bounds(src: str) -> None:
    """Decline bodies that could nest deeper than the bounds above, without parsing them.

    A block container is opened by a marker at the start of a line and continued by a '>' or by
    two or more columns of indentation, so a line's containers are at most its markers plus half
    its leading whitespace. Inline nesting needs an opening '*', '_', '~' or '[' per level, all
    inside one paragraph, which never spans a blank line.
    """
    first = _FIRST_LINE_PREFIX.match(src)
    for prefix in ([first.group()] if first else []) + _LINE_PREFIX.findall(src):
        indent = prefix.count(" ") + 4 * prefix.count("\t")
        if len(_MARKER.findall(prefix)) + indent // 2 >= MAX_CONTAINER_BOUND:
            raise Declined("deeply nested block containers")
    if _delimiters(src) >= MAX_DELIMITER_BOUND and any(
        _delimiters(chunk) >= MAX_DELIMITER_BOUND for chunk in _BLANK_LINE.split(src)
    ):
        raise Declined("deeply nested inline markup")


def _delimiters(text: str) -> int:
    return text.count("*") + text.count("_") + text.count("~") + text.count("[")


# CommonMark 0.31 counts Unicode symbols as punctuation next to emphasis delimiters (and the two
# parsers disagree on a few Unicode spaces there); allows "--" inside, and "<!-->", as HTML
# comments; reads "<!x" declarations in any case; changed the HTML block tags (search, source).
# Non-ASCII characters before and after a delimiter (a pattern starting with a lookbehind is tried everywhere).
_BEFORE_DELIMITER = re.compile(r"[^\x00-\x7f](?=[*_~])")
_AFTER_DELIMITER = re.compile(r"[*_~](?=[^\x00-\x7f])")


def _next_to_delimiter(src: str) -> list[int]:
    """The positions of the non-ASCII characters next to a '*', '_' or '~', in order."""
    return sorted({m.start() for m in _BEFORE_DELIMITER.finditer(src)} | {m.end() for m in _AFTER_DELIMITER.finditer(src)})
_ODD_SPACES = frozenset("\x85\u2028\u2029")
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _delimiter_run_differs(src: str, at: int) -> bool:
    """Could a delimiter run next to the non-ASCII `src[at]` open or close emphasis under one
    CommonMark version only?

    Decided as CommonMark does (flanking, plus the intraword rule for '_'), with symbols counted
    as punctuation (0.31) and not (0.30); the parsers also disagree on Unicode spaces there, which
    are declined outright. Next to the edge of a paragraph, table cell or heading the parser sees
    a space where the source has '|', '#' or a line break, so an ASCII punctuation or space
    neighbour is tried both ways.
    """
    ch = src[at]
    if unicodedata.category(ch) == "Zs" or ch in _ODD_SPACES:
        return True
    if unicodedata.category(ch)[0] != "S":
        return False
    runs = []
    if at > 0 and src[at - 1] in "*_~":
        runs.append(at - 1)
    if at + 1 < len(src) and src[at + 1] in "*_~":
        runs.append(at + 1)
    for inside in runs:
        marker = src[inside]
        start = end = inside
        while start > 0 and src[start - 1] == marker:
            start -= 1
        while end < len(src) and src[end] == marker:
            end += 1
        prev = src[start - 1] if start > 0 else "\n"
        nxt = src[end] if end < len(src) else "\n"
        for p in _possible_neighbours(prev):
            for n in _possible_neighbours(nxt):
                if _can_open_close(marker, p, n, symbols_are_punctuation=True) != _can_open_close(marker, p, n, symbols_are_punctuation=False):
                    return True
    return False


def _possible_neighbours(ch: str) -> tuple[str, ...]:
    return (ch, " ") if ch in _ASCII_PUNCT or ch in " \t\n\r\f\v" else (ch,)


def _can_open_close(marker: str, prev: str, nxt: str, *, symbols_are_punctuation: bool) -> tuple[bool, bool]:
    def punct(ch: str) -> bool:
        if ch.isascii():
            return ch in _ASCII_PUNCT
        category = unicodedata.category(ch)
        return category[0] == "P" or (symbols_are_punctuation and category[0] == "S")

    prev_space, next_space = prev in " \t\n\r\f\v", nxt in " \t\n\r\f\v"
    left = not next_space and (not punct(nxt) or prev_space or punct(prev))
    right = not prev_space and (not punct(prev) or next_space or punct(nxt))
    if marker == "_":
        return left and (not right or punct(prev)), right and (not left or punct(nxt))
    return left, right


_HTML_031 = re.compile(r"<!-->|<!--->|</?(?:search|source)\b", re.I)
# A tag name with a non-ASCII letter: markdown-it.rs folds case Unicode-wide ("<ſcript>", "<dİv>"
# start HTML blocks for it), markdown-it-py matches ASCII names only.
_NON_ASCII_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*[^\x00-\x7f]|</?[^\x00-\x7f]")
# A declaration 0.31 reads ("<!" and a letter) but 0.30 does not (upper-case name, then a space).
_NEW_DECLARATION = re.compile(r"<!(?![A-Z]+\s)[A-Za-z]")
# A line of only whitespace with some that is not a space or tab: not blank for either parser,
# but markdown-it-py trims it (str.strip) off the ends of paragraphs and table rows.
_ODD_BLANK_LINE = re.compile(r"^[ \t]*[^\S\n \t][^\S\n]*$", re.M)  # matched at the start; lines after it:
_ODD_BLANK_LINE_AFTER = re.compile(r"\n[ \t]*[^\S\n \t][^\S\n]*$", re.M)


def _check_spec_differences(src: str) -> None:
    if not src.isascii() and any(_delimiter_run_differs(src, at) for at in _next_to_delimiter(src)):
        raise Declined("a Unicode symbol or space next to an emphasis delimiter")
    if _ODD_BLANK_LINE.match(src) or _ODD_BLANK_LINE_AFTER.search(src):
        raise Declined("a line of Unicode whitespace")
    if "<" in src:
        if _HTML_031.search(src) or _NEW_DECLARATION.search(src) or (not src.isascii() and _NON_ASCII_TAG.search(src)):
            raise Declined("HTML that CommonMark 0.30 and 0.31 read differently")
        if "<!--" in src and _comment_holds_dashes(src):
            raise Declined("an HTML comment containing '--'")


def _comment_holds_dashes(src: str) -> bool:
    """Whether a comment that `re.finditer(r"<!--(.*?)-->", src, re.S)` finds holds "--", found with
    str.find: that pattern's lazy group runs from every "<!--" to the end of the text when none
    closes, so "<!--" repeated cost the square of its length (48 kB: 10 s). Once no "-->" follows
    an opener, none follows a later one."""
    at = src.find("<!--")
    while at >= 0:
        end = src.find("-->", at + 4)
        if end < 0:
            return False
        if "--" in src[at + 4 : end]:
            return True
        at = src.find("<!--", end + 3)
    return False


# A table delimiter row ("|---|:-:|", "---") found by the newline before it, and the line above it (the would-be header).
_DELIMITER_ROW = re.compile(r"\n([ \t>]*[|:\-][-:| \t]*)$", re.M)
# markdown-it-py tries tables before every other block, so a header line that starts another
# block (quote, heading, HTML, list item, fence, indented code) makes a table there only.
_BLOCK_START = re.compile(r"[ \t]*(?:>|#|<|```|~~~|[-+*](?:[ \t]|$)|[0-9]{1,9}[.)](?:[ \t]|$))|(?: {4}|\t)")


def _check_table_headers(src: str) -> None:
    if "-" not in src:
        return
    for m in _DELIMITER_ROW.finditer(src):
        row, at = m.group(1), m.start(1)
        if "-" not in row:
            continue
        header = src[src.rfind("\n", 0, at - 1) + 1 : at - 1]
        if not header.strip(" \t"):
            continue  # nothing above it: not a table for either
        if "|" not in header:
            # No table for markdown-it-py; markdown-it.rs may make one, or end a paragraph here.
            if "|" in row or ":" in row:
                raise Declined("a delimiter row under a line without a pipe")
            continue
        if "|" not in row:
            raise Declined("a pipe-less delimiter row under a line with a pipe")  # a table for one only
        if "\\|" in header or _BLOCK_START.match(header) or _BLOCK_START.match(row):
            raise Declined("a table header that the two parsers split or place differently")
        if _has_odd_space(header):
            raise Declined("a table header with odd whitespace")  # markdown-it-py trims it off


_ODD_ASCII_SPACE = re.compile(r"[\x0b\x0c\x1c-\x1f]")
# What `str.isspace` calls whitespace but a space, tab or line break (tests check all of Unicode).
_ODD_SPACE = re.compile("[\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def _has_odd_space(text: str) -> bool:
    """Whitespace other than spaces, tabs and line breaks: markdown-it-py trims some of it off
    table cells (as JavaScript's trim does), markdown-it.rs none of it."""
    if _ODD_ASCII_SPACE.search(text):
        return True
    return not text.isascii() and _ODD_SPACE.search(text) is not None


# markdown-it-py lets any list item (also "2." or an empty "-") end a lazy blockquote paragraph,
# where CommonMark (markdown-it.rs) keeps the line in the paragraph; and markdown-it.rs lets a
# table start there, where markdown-it-py does not.
_QUOTE_LINE = re.compile(r"[ \t]*(?:(?:[-+*]|[0-9]{1,9}[.)])[ \t]+)*>")
_LIST_LINE = re.compile(r"[ \t]*(?:[-+*]|[0-9]{1,9}[.)])(?:[ \t]|$)")
_QUOTE_START = re.compile(r"[ \t]*(?:(?:[-+*]|[0-9]{1,9}[.)])[ \t]+)*>")  # matched at the start; lines after it:
_QUOTE_START_AFTER = re.compile(r"\n[ \t]*(?:(?:[-+*]|[0-9]{1,9}[.)])[ \t]+)*>")


def _check_lazy_quote_lists(src: str) -> None:
    if ">" not in src or not (_QUOTE_START.match(src) or _QUOTE_START_AFTER.search(src)):
        return
    in_quote = False
    for line in src.split("\n"):
        if not line.strip(" \t"):
            in_quote = False
        elif in_quote and (_LIST_LINE.match(line) or "|" in line):
            raise Declined("a list item or table line right after a blockquote")
        elif _QUOTE_LINE.match(line):
            in_quote = True


# A link reference definition in the one form both parsers read alike: `[label]: url "title"` on one line.
_PLAIN_DEFINITION = re.compile(
    r"[ ]{0,3}\[[^\[\]\\\s][^\[\]\\]{0,98}\]:[ ]*(<[!-;=?-~]+>|[!-;=?-~]+)"
    r"(?:[ ]+(?:\"[^\"\\\n]*\"|'[^'\\\n]*'))?[ ]*\n?"
)

# --- checks on the source of parsed nodes ---------------------------------------------------------

_LEADING_SPACE = re.compile(rb"[ \t]*")
_CONTAINER_ZONE = re.compile(rb"[ \t>*+\-0-9.)]*")  # indentation and container markers
# HTML blocks that only a closing marker ends, not a blank line (CommonMark types 1-5).
_RAW_HTML_START = re.compile(r"[ \t]*<(?:!|\?|(?:script|pre|style|textarea)(?:[\s>]|$))", re.I)
_BACKTICK_RUN = re.compile(rb"`+")
# A table row line that markdown-it-py ends the table at (a list item, quote, heading, fence, HTML).
# (Checked on the lines of the table's source, so a table inside a quote or list is declined too.)
_ROW_BREAKER = re.compile(rb"^[ \t]*(?:>|#|<|```|~~~|[-+*](?:[ \t]|$)|[0-9]{1,9}[.)](?:[ \t]|$))", re.M)


def check_table_source(source: bytes, lines: list[bytes]) -> None:
    """`source`: the lines of a table markdown-it.rs found (header, delimiter row, body rows)."""
    if b"|" not in lines[0]:
        raise Declined("table whose header row has no pipe")  # markdown-it-py requires one
    body = source[len(lines[0]) + len(lines[1]) + 2 :] if len(lines) > 2 else b""
    if _ROW_BREAKER.search(body):
        raise Declined("a table row that markdown-it-py reads as the end of the table")
    if b"\\||" in body:
        raise Declined("an escaped pipe right before a pipe")  # the two split the cells differently
    if _has_odd_space(source.decode("utf-8", "surrogatepass")):
        raise Declined("a table row with odd whitespace")  # markdown-it-py trims cells with it too


_DELIMITER_RUN = re.compile(rb"\*+|_+|~+")


def _unpaired_delimiters(inline: Sequence[Any]) -> bool:
    """Did the parse leave a '*', '~' or non-intraword '_' in the text (a delimiter it did not pair)?"""
    stack = list(inline)
    while stack:
        node = stack.pop()
        name = node.name
        if name == "text":
            content = node.meta["content"]
            if "*" in content or "~" in content:
                return True
            if "_" in content and any(
                not (m.start() > 0 and m.end() < len(content) and content[m.start() - 1].isalnum() and content[m.end()].isalnum())
                for m in _UNDERSCORES.finditer(content)
            ):
                return True
        elif name in ("em", "strong", "strikethrough", "link"):
            stack.extend(node.children)
    return False


_UNDERSCORES = re.compile(r"_+")


def _mixed_delimiters(src: bytes, start: int, end: int) -> bool:
    """Does src[start:end] have delimiter runs of more than one kind, or one of 3+ tildes?

    A run counts when it could open or close under either CommonMark version, with its
    neighbours as in the source or (at the edge of a paragraph or cell) a space.
    """
    runs = _DELIMITER_RUN.findall(src, start, end)
    if len({run[:1] for run in runs}) < 2 and not any(run[:1] == b"~" and len(run) >= 3 for run in runs):
        return False  # one kind of character only, and no long '~' run: nothing to weigh up
    kinds = set()
    for m in _DELIMITER_RUN.finditer(src, start, end):
        marker = chr(src[m.start()])
        prev, nxt = _char_before(src, m.start()), _char_at(src, m.end())
        if any(
            any(_can_open_close(marker, p, n, symbols_are_punctuation=v))
            for v in (True, False)
            for p in _possible_neighbours(prev)
            for n in _possible_neighbours(nxt)
        ):
            if marker == "~" and m.end() - m.start() >= 3:
                return True
            kinds.add(marker)
    return len(kinds) > 1


def _char_before(src: bytes, at: int) -> str:
    if at == 0:
        return "\n"
    begin = at - 1
    while begin > 0 and at - begin < 4 and 0x80 <= src[begin] < 0xC0:  # back over UTF-8 continuation bytes
        begin -= 1
    return src[begin:at].decode("utf-8", "replace")[-1]


def _char_at(src: bytes, at: int) -> str:
    return src[at : at + 4].decode("utf-8", "replace")[0] if at < len(src) else "\n"


def _has_delimiter(src: bytes, start: int, end: int) -> bool:
    return src.find(b"*", start, end) >= 0 or src.find(b"_", start, end) >= 0 or src.find(b"~", start, end) >= 0


class SourceChecks:
    """Checks on the UTF-8 source of nodes markdown-it-pyrs produced (srcmap byte offsets)."""

    def __init__(self, src: bytes) -> None:
        self.src = src
        # Only bodies with these characters can hold what the checks look for.
        self.definitions = b"]:" in src
        self.brackets = src.count(b"[") >= MAX_LABEL_NESTING
        self.backticks = b"``" in src
        self.delimiters = b"*" in src or b"_" in src or b"~" in src  # a run of one or more

    def any_inline(self, start: int, end: int) -> bool:
        """Could `inline` find anything in src[start:end]? (A cheap test before calling it.)"""
        src = self.src
        return (
            (self.brackets and src.count(b"[", start, end) >= MAX_LABEL_NESTING)
            or (self.backticks and src.find(b"``", start, end) >= 0)
            or (self.delimiters and _has_delimiter(src, start, end))
        )

    def inline(self, inline: Sequence[Any], start: int, end: int, paragraph: bool = False) -> None:
        """Decline inline text whose reading could differ between the two parsers.

        - a paragraph that starts with '[' and has ']:' may be a link reference definition that
          only one of the two parsers accepts;
        - link labels nested 16+ deep reach markdown-it-py's nesting limit (see `_bracket_depth`);
        - backtick runs of different lengths can hit markdown-it.rs's code span cache bug;
        - the two implementations can pair delimiters differently when one paragraph mixes kinds
          ('*' with '_' or '~') and leaves some unpaired, or has a run of three or more '~'
          (found by differential fuzzing; with one kind of '*' or '_' delimiter they agree, and
          mixed kinds that all pair up read the same).
        """
        src = self.src
        if self.definitions and paragraph:
            head = _LEADING_SPACE.match(src, start).end()  # type: ignore[union-attr]
            if src.startswith(b"[", head) and src.find(b"]:", head, end) >= 0:
                raise Declined("paragraph that may be a link reference definition")
        # (each check looks for a character first, then does the costlier test)
        if (
            self.brackets
            and src.count(b"[", start, end) >= MAX_LABEL_NESTING
            and _bracket_depth(src[start:end]) >= MAX_LABEL_NESTING
        ):
            raise Declined("deeply nested brackets")
        if (
            self.backticks
            and src.find(b"``", start, end) >= 0
            and len({len(run) for run in _BACKTICK_RUN.findall(src, start, end)}) > 1
        ):
            raise Declined("code spans with backtick runs of different lengths")
        if (
            self.delimiters
            and _has_delimiter(src, start, end)
            and _mixed_delimiters(src, start, end)
            and _unpaired_delimiters(inline)
        ):
            raise Declined("unpaired delimiters of more than one kind, or a long '~' run, in one paragraph")

    def container_tabs(self, start: int, end: int) -> None:
        """The two expand tabs differently in a list item's or quote's indentation."""
        if self.src.find(b"\t", start, end) < 0:
            return
        for line in self.src[start:end].split(b"\n"):
            if b"\t" in _CONTAINER_ZONE.match(line).group():  # type: ignore[union-attr]
                raise Declined("a tab in the indentation inside a list item or quote")

    def definition(self, start: int, end: int) -> None:
        line = self.src[start:end].decode("utf-8", "surrogatepass")
        plain = _PLAIN_DEFINITION.fullmatch(line)
        if plain is None or not url_is_plain(plain.group(1).strip("<>")):
            raise Declined("link reference definition in an unusual form")


def check_html_block(content: str, top: bool) -> None:
    if not top and _RAW_HTML_START.match(content):
        # markdown-it.rs ends these at a blank line inside a list item or quote
        raise Declined("a comment, script or raw HTML block inside a container")


def _bracket_depth(source: bytes) -> int:
    """An upper bound of how deep link labels nest in `source`.

    Every '[' outside a backslash escape counts; a ']' closes one only when the text has no
    backtick or '<' (a code span or tag could hide it from markdown-it-py), so the count never
    falls below markdown-it-py's own.
    """
    closes = b"`" not in source and b"<" not in source
    depth = deepest = 0
    escaped = False
    for byte in source:
        if escaped:
            escaped = False
        elif byte == 0x5C:  # backslash
            escaped = True
        elif byte == 0x5B:  # [
            depth += 1
            deepest = max(deepest, depth)
        elif byte == 0x5D and closes and depth:  # ]
            depth -= 1
    return deepest
