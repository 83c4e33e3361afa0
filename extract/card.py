"""Parse a model card (README.md bytes) into structure the evidence extractors can read.

A card is untrusted input: it may be missing, binary, not UTF-8, huge, or carry broken
YAML. `parse_card` never raises; whatever it could not read is reported as a
`ParseProblem` and the rest is still parsed. Sizes are bounded before any regex runs,
the YAML front matter goes through `yaml.safe_load` only, and the loaded value is
copied into plain JSON-like data under a node budget (so alias bombs cannot blow up
later walks).

Markdown structure comes from markdown-it-py (CommonMark + tables); inline HTML
(`<a href>`, HTML headings) from BeautifulSoup. Besides the raw sections the card is
flattened into `TextBlock`s (one per paragraph, list item, heading, table row, quote or
HTML block, as plain text) so extractors can reason about sentences and list items
without re-parsing Markdown.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, NamedTuple

import yaml
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from extract.types import ParseProblem

DEFAULT_MAX_BYTES = 512_000
MAX_FRONT_MATTER_CHARS = 200_000  # real cards with big model-index blocks stay well below
MAX_YAML_NODES = 100_000  # counted after alias expansion
MAX_YAML_DEPTH = 64
MAX_BLOCK_CHARS = 50_000
MAX_BLOCKS = 50_000
MAX_LINKS = 5_000
MAX_CODE_BLOCKS = 2_000
MAX_TITLE_CHARS = 300
MAX_CONTEXT_CHARS = 300
_BINARY_SAMPLE = 65_536
_BINARY_RATIO = 0.30  # share of replacement/control characters above which text is "binary"

BlockKind = Literal["paragraph", "list_item", "heading", "table_row", "quote", "html"]


@dataclass(frozen=True)
class Section:
    """A heading and the Markdown source of its own content (up to the next heading).

    Level 0 with an empty title is the text before the first heading.
    """

    level: int
    title: str
    text: str


@dataclass(frozen=True)
class Link:
    url: str
    text: str  # link text as shown (the URL itself for bare URLs)
    context: str  # the sentence (or table row) the link sits in, bounded
    section: str  # title of the enclosing section ("" before the first heading)
    section_index: int = 0


class CodeBlock(NamedTuple):
    lang: str  # first word of the fence info, lower-cased; "" when none
    text: str


@dataclass(frozen=True)
class TextBlock:
    """One block of the card as plain text (links replaced by their text)."""

    kind: BlockKind
    text: str
    section_index: int


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    section_index: int


@dataclass(frozen=True)
class ParsedCard:
    front_matter: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    sections: tuple[Section, ...] = ()
    links: tuple[Link, ...] = ()
    code_blocks: tuple[CodeBlock, ...] = ()
    problems: tuple[ParseProblem, ...] = ()
    blocks: tuple[TextBlock, ...] = ()
    tables: tuple[Table, ...] = ()

    def has_problem(self, code: str) -> bool:
        return any(p.code == code for p in self.problems)

    def ancestors(self, index: int) -> tuple[int, ...]:
        """Indexes of the sections enclosing section `index`, outermost first."""
        if not 0 <= index < len(self.sections):
            return ()
        out: list[int] = []
        level = self.sections[index].level
        for j in range(index - 1, -1, -1):
            if 0 < self.sections[j].level < level:
                out.append(j)
                level = self.sections[j].level
        return tuple(reversed(out))

    def subtree(self, index: int) -> tuple[int, ...]:
        """Section `index` and every section nested under it."""
        if not 0 <= index < len(self.sections):
            return ()
        level = self.sections[index].level
        out = [index]
        for j in range(index + 1, len(self.sections)):
            if level == 0 or self.sections[j].level <= level:
                break
            out.append(j)
        return tuple(out)

    def section_title(self, index: int) -> str:
        return self.sections[index].title if 0 <= index < len(self.sections) else ""


def parse_card(raw: bytes | None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedCard:
    """Parse README bytes; never raises. Problems are reported in `ParsedCard.problems`."""
    try:
        return _parse(raw, max_bytes)
    except Exception as exc:  # last resort: a parser bug must not stop a crawl
        return ParsedCard(problems=(ParseProblem("parse-error", _clip(f"{type(exc).__name__}: {exc}", 200)),))


# --- bytes -> text ---------------------------------------------------------------------


def _parse(raw: bytes | None, max_bytes: int) -> ParsedCard:
    if raw is None:
        return ParsedCard(problems=(ParseProblem("readme-missing", "no README.md"),))
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        return ParsedCard(problems=(ParseProblem("binary", f"README is {type(raw).__name__}, not bytes"),))
    raw = bytes(raw)
    problems: list[ParseProblem] = []
    text, decode_problems = _decode(raw, max(0, int(max_bytes)))
    problems.extend(decode_problems)
    if text is None:
        return ParsedCard(problems=tuple(problems))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    front_matter, body, fm_problems = _split_front_matter(text)
    problems.extend(fm_problems)
    try:
        structure = _Walker(body).run()
    except Exception as exc:  # markdown-it should not fail, but the body is still useful
        problems.append(ParseProblem("markdown-error", _clip(f"{type(exc).__name__}: {exc}", 200)))
        structure = _Structure(sections=(Section(0, "", body),))
    return ParsedCard(
        front_matter=front_matter,
        body=body,
        sections=structure.sections,
        links=structure.links,
        code_blocks=structure.code_blocks,
        problems=tuple(problems),
        blocks=structure.blocks,
        tables=structure.tables,
    )


def _decode(raw: bytes, max_bytes: int) -> tuple[str | None, list[ParseProblem]]:
    problems: list[ParseProblem] = []
    utf16 = raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if len(raw) > max_bytes:
        cut = max_bytes
        if utf16:
            cut -= cut % 2
        else:
            # Back off over UTF-8 continuation bytes so no character is split.
            steps = 0
            while 0 < cut < len(raw) and (raw[cut] & 0xC0) == 0x80 and steps < 3:
                cut -= 1
                steps += 1
        problems.append(ParseProblem("oversize", f"README is {len(raw)} bytes; truncated to {cut}"))
        raw = raw[:cut]
    if utf16:
        text = raw.decode("utf-16", errors="replace")
        problems.append(ParseProblem("not-utf8", "README is UTF-16; decoded"))
    else:
        if b"\x00" in raw[:_BINARY_SAMPLE]:
            return None, problems + [ParseProblem("binary", "README contains NUL bytes")]
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw.decode("utf-8", errors="replace")
            problems.append(ParseProblem("not-utf8", f"invalid UTF-8 at byte {exc.start}; decoded with replacement"))
    if _looks_binary(text):
        return None, problems + [ParseProblem("binary", "README is mostly non-text")]
    return text.lstrip("\ufeff"), problems


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f\ufffd]")


def _looks_binary(text: str) -> bool:
    sample = text[:_BINARY_SAMPLE]
    if not sample:
        return False
    bad = len(_CONTROL.findall(sample))
    return bad / len(sample) > _BINARY_RATIO


# --- front matter ------------------------------------------------------------------------

_FM_OPEN = re.compile(r"\A[ \t\n]*---[ \t]*\n")
_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)


def _split_front_matter(text: str) -> tuple[dict[str, Any], str, list[ParseProblem]]:
    opening = _FM_OPEN.match(text)
    if not opening:
        return {}, text, []
    closing = _FM_CLOSE.search(text, opening.end())
    if closing is None:
        return {}, text, [ParseProblem("yaml-unclosed", "front matter starts with --- but never closes")]
    yaml_text = text[opening.end() : closing.start()]
    body = text[closing.end() :]
    if body.startswith("\n"):
        body = body[1:]
    if len(yaml_text) > MAX_FRONT_MATTER_CHARS:
        return {}, body, [ParseProblem("yaml-oversize", f"front matter is {len(yaml_text)} characters; not parsed")]
    try:
        loaded = yaml.safe_load(yaml_text)
    except Exception as exc:  # YAMLError, RecursionError on deep nesting, ...
        return {}, body, [ParseProblem("yaml-invalid", _clip(f"{type(exc).__name__}: {exc}", 300))]
    if loaded is None:
        return {}, body, []
    if not isinstance(loaded, dict):
        return {}, body, [ParseProblem("yaml-not-mapping", f"front matter is a {type(loaded).__name__}, not a mapping")]
    try:
        return _plain(loaded, _Budget()), body, []
    except _TooComplex as exc:
        return {}, body, [ParseProblem("yaml-too-complex", str(exc))]


class _TooComplex(Exception):
    pass


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0

    def spend(self, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            raise _TooComplex(f"front matter has more than {MAX_YAML_NODES} nodes (after alias expansion)")
        if depth > MAX_YAML_DEPTH:
            raise _TooComplex(f"front matter nests deeper than {MAX_YAML_DEPTH}")


def _plain(value: Any, budget: _Budget, depth: int = 0) -> Any:
    """Copy safe_load output into str/int/float/bool/None/list/dict, bounded."""
    budget.spend(depth)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {(_plain_key(k)): _plain(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, budget, depth + 1) for v in value]
    return str(value)


def _plain_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return str(key).lower() if key is not None else "null"
    return str(key)


# --- markdown structure -------------------------------------------------------------------

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_HTML_HEADING = re.compile(r"\A\s*<h([1-6])\b[^>]*>(.*?)</h\1>\s*\Z", re.I | re.S)
_BARE_URL = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]{1,2000}", re.I)
_WS = re.compile(r"\s+")


@dataclass
class _Structure:
    sections: tuple[Section, ...] = ()
    links: tuple[Link, ...] = ()
    code_blocks: tuple[CodeBlock, ...] = ()
    blocks: tuple[TextBlock, ...] = ()
    tables: tuple[Table, ...] = ()


class _Walker:
    """One pass over markdown-it tokens, collecting sections, blocks, links, tables, code."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.lines = body.splitlines(keepends=True)
        self.headings: list[tuple[int, str, int, int]] = []  # level, title, first line, line after it
        self.blocks: list[TextBlock] = []
        self.links: list[Link] = []
        self.code: list[CodeBlock] = []
        self.tables: list[Table] = []
        self.section = 0  # index into sections; 0 is the preamble until the first heading

    def run(self) -> _Structure:
        tokens = _MD.parse(self.body)
        has_preamble = self._preamble_has_text(tokens)
        self.section = 0 if has_preamble else -1
        list_depth = quote_depth = 0
        heading_level = 0
        row: list[tuple[str, list[tuple[str, int, int]]]] | None = None
        table_rows: list[tuple[str, ...]] = []
        table_header: tuple[str, ...] = ()
        in_thead = False
        pending_title = False
        for tok in tokens:
            kind = tok.type
            if kind == "heading_open":
                heading_level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
                if tok.level == 0 and tok.map:
                    self._start_section(heading_level, tok.map)
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
                self._emit_row(row)
                row = None
            elif kind == "table_close":
                self.tables.append(Table(table_header, tuple(table_rows), self._section_index()))
            elif kind == "inline":
                text, spans = _render_inline(tok.children or [])
                if row is not None and row:
                    row[-1] = (text, spans)
                    continue
                if heading_level:
                    if pending_title:
                        level, _, first, after = self.headings[-1]
                        self.headings[-1] = (level, _clip(text, MAX_TITLE_CHARS), first, after)
                        pending_title = False
                    self._emit("heading", text, spans)
                elif list_depth:
                    self._emit("list_item", text, spans)
                elif quote_depth:
                    self._emit("quote", text, spans)
                else:
                    self._emit("paragraph", text, spans)
            elif kind in ("fence", "code_block"):
                if len(self.code) < MAX_CODE_BLOCKS:
                    lang = (tok.info or "").strip().split(maxsplit=1)[0].lower() if tok.info and tok.info.strip() else ""
                    self.code.append(CodeBlock(lang[:40], tok.content))
            elif kind == "html_block":
                self._html_block(tok)
        return _Structure(
            sections=self._sections(has_preamble),
            links=tuple(self.links),
            code_blocks=tuple(self.code),
            blocks=tuple(self.blocks),
            tables=tuple(self.tables),
        )

    # sections

    def _preamble_has_text(self, tokens: list) -> bool:
        first_heading_line = len(self.lines)
        for tok in tokens:
            if tok.level == 0 and tok.map and (tok.type == "heading_open" or (tok.type == "html_block" and _HTML_HEADING.match(tok.content))):
                first_heading_line = tok.map[0]
                break
        return any(line.strip() for line in self.lines[:first_heading_line])

    def _start_section(self, level: int, line_map: list[int], title: str = "") -> None:
        self.headings.append((level, title, line_map[0], line_map[1]))
        self.section += 1

    def _section_index(self) -> int:
        return max(self.section, 0)

    def _sections(self, has_preamble: bool) -> tuple[Section, ...]:
        out: list[Section] = []
        starts = [h[2] for h in self.headings] + [len(self.lines)]
        if has_preamble:
            out.append(Section(0, "", "".join(self.lines[: starts[0]])))
        for i, (level, title, _first, after) in enumerate(self.headings):
            out.append(Section(level, title, "".join(self.lines[after : starts[i + 1]])))
        return tuple(out)

    # blocks and links

    def _emit(self, kind: BlockKind, text: str, spans: list[tuple[str, int, int]]) -> None:
        text = text[:MAX_BLOCK_CHARS]
        if text.strip() and len(self.blocks) < MAX_BLOCKS:
            self.blocks.append(TextBlock(kind, _WS.sub(" ", text).strip(), self._section_index()))
        for url, start, end in spans:
            if start >= len(text):
                continue
            link_text = text[start:end].strip() or url
            self._add_link(url, link_text, _sentence_around(text, start, end))

    def _emit_row(self, row: list[tuple[str, list[tuple[str, int, int]]]]) -> None:
        pieces: list[str] = []
        shifted: list[tuple[str, int, int]] = []
        offset = 0
        for i, (cell, spans) in enumerate(row):
            if i:
                pieces.append(" | ")
                offset += 3
            pieces.append(cell)
            shifted.extend((url, s + offset, e + offset) for url, s, e in spans)
            offset += len(cell)
        text = "".join(pieces)
        if text.replace("|", "").strip() and len(self.blocks) < MAX_BLOCKS:
            self.blocks.append(TextBlock("table_row", text[:MAX_BLOCK_CHARS], self._section_index()))
        for url, start, end in shifted:
            self._add_link(url, text[start:end].strip() or url, _clip(text, MAX_CONTEXT_CHARS))

    def _add_link(self, url: str, text: str, context: str) -> None:
        url = url.strip()
        if not url or len(self.links) >= MAX_LINKS:
            return
        title = self.headings[-1][1] if self.headings else ""  # the preamble has no title
        self.links.append(Link(url[:2000], _clip(text, MAX_TITLE_CHARS), context, title, self._section_index()))

    def _html_block(self, tok: Any) -> None:
        content = tok.content[:MAX_BLOCK_CHARS]
        heading = _HTML_HEADING.match(content)
        if heading and tok.level == 0 and tok.map:
            title = _WS.sub(" ", BeautifulSoup(heading.group(2), "html.parser").get_text(" ")).strip()
            self._start_section(int(heading.group(1)), tok.map, _clip(title, MAX_TITLE_CHARS))
            if title:
                self.blocks.append(TextBlock("heading", title, self._section_index()))
            return
        soup = BeautifulSoup(content, "html.parser")
        text = _WS.sub(" ", soup.get_text(" ")).strip()
        if text and len(self.blocks) < MAX_BLOCKS:
            self.blocks.append(TextBlock("html", text, self._section_index()))
        for a in soup.find_all("a", href=True)[:200]:
            link_text = _WS.sub(" ", a.get_text(" ")).strip()
            pos = text.find(link_text) if link_text else -1
            context = _sentence_around(text, pos, pos + len(link_text)) if pos >= 0 else _clip(text, MAX_CONTEXT_CHARS)
            self._add_link(str(a["href"]), link_text or str(a["href"]), context)


def _render_inline(children: Iterable[Any]) -> tuple[str, list[tuple[str, int, int]]]:
    """Plain text of an inline token, with (url, start, end) spans of its links."""
    parts: list[str] = []
    pos = 0
    opened: list[tuple[str, int]] = []
    spans: list[tuple[str, int, int]] = []

    def add(s: str) -> None:
        nonlocal pos
        parts.append(s)
        pos += len(s)

    for child in children:
        kind = child.type
        if kind == "text":
            if not opened:
                for m in _BARE_URL.finditer(child.content):
                    url = _trim_url(m.group(0))
                    spans.append((url, pos + m.start(), pos + m.start() + len(url)))
            add(child.content)
        elif kind == "code_inline":
            add(child.content)
        elif kind in ("softbreak", "hardbreak"):
            add(" ")
        elif kind == "link_open":
            opened.append((str(child.attrs.get("href", "") or ""), pos))
        elif kind == "link_close" and opened:
            href, start = opened.pop()
            spans.append((href, start, pos))
        elif kind == "image":
            add(child.content or "")
        elif kind == "html_inline":
            tag = child.content.strip().lower()
            if tag.startswith(("<a ", "<a\n", "<a\t")):
                opened.append((_href_of(child.content[:2000]), pos))
            elif tag.startswith("</a") and opened:
                href, start = opened.pop()
                if href:
                    spans.append((href, start, pos))
            elif tag.startswith("<br"):
                add(" ")
    return "".join(parts), spans


@functools.lru_cache(maxsize=1024)
def _href_of(tag: str) -> str:
    """href of an opening <a ...> tag (cached: badge-heavy cards repeat the same tags)."""
    anchor = BeautifulSoup(tag, "html.parser").find("a")
    href = anchor.get("href") if anchor is not None else None
    return str(href or "")


def _trim_url(url: str) -> str:
    url = url.rstrip(".,;:!?*_'\"")
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;:!?*_")
    return url


# --- sentences ----------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs cf al approx incl inc ltd co jr sr dr mr mrs ms st no fig figs eq resp viz ca est"
    .split()
)
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]*\s+(?=[\"'(\[*_`]*[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of a plain-text block."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        before = text[start : m.start()].rsplit(None, 1)
        word = before[-1].lower().strip("([{\"'*_").rstrip(".") if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        end = m.start() + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def split_sentences(text: str) -> list[str]:
    return [text[s:e].strip() for s, e in sentence_spans(text)]


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence containing [start, end), whitespace-collapsed and bounded."""
    for s, e in sentence_spans(text):
        if s <= start < e or (start >= e and s <= start < e + 2):
            return _window(text[s:e], start - s, end - s)
    return _window(text, start, end)


def _window(text: str, start: int, end: int) -> str:
    """`text` collapsed to one line, cut to about MAX_CONTEXT_CHARS around [start, end)."""
    if len(text) > MAX_CONTEXT_CHARS:
        margin = max(0, (MAX_CONTEXT_CHARS - (end - start)) // 2)
        lo = max(0, start - margin)
        text = text[lo : lo + max(MAX_CONTEXT_CHARS, end - start)]
    return _WS.sub(" ", text).strip()[: MAX_CONTEXT_CHARS * 2]


def _clip(text: str, limit: int) -> str:
    text = _WS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
