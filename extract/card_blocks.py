"""The pieces a card's structure is made of: sections, links, code blocks and text blocks, with the
bounds every walker keeps (see extract/card_structure.py for how they are collected)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from extract.sentences import split_sentences

MAX_BLOCK_CHARS = 50_000
MAX_BLOCKS = 50_000
MAX_LINKS = 5_000
MAX_CODE_BLOCKS = 2_000
MAX_TITLE_CHARS = 300

BlockKind = Literal["paragraph", "list_item", "heading", "table_row", "quote", "html"]

#: Plain text of one inline run plus (url, start, end) spans of the links in it.
Spans = list[tuple[str, int, int]]


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


class TextBlock:
    """One block of the card as plain text (links replaced by their text).

    A value, compared and hashed by (kind, text, section_index) as the frozen dataclass it was
    (nothing assigns its fields after it is made; only its caches change); a plain class with slots
    because a card makes thousands of them (a frozen dataclass sets each field through
    `object.__setattr__`) and so that the compiled build (setup.py) can compile it.
    """

    __slots__ = ("kind", "text", "section_index", "sentence_spans", "_sentences")

    def __init__(self, kind: BlockKind, text: str, section_index: int) -> None:
        self.kind: BlockKind = kind
        self.text = text
        self.section_index = section_index
        # the (start, end) spans of its sentences, when the parser already split its text
        # (`StructureBuilder.emit`); read once by `sentences`
        self.sentence_spans: list[tuple[int, int]] | None = None
        self._sentences: list[str] | None = None

    @property
    def sentences(self) -> list[str]:
        """The sentences of its first 10,000 characters, split once for every extractor that reads them
        (by the parser already, for a block whose links needed them: `StructureBuilder.emit`)."""
        done = self._sentences
        if done is None:
            spans = self.sentence_spans
            if spans is not None:
                self.sentence_spans = None
                text = self.text
                done = [text[s:e].strip() for s, e in spans]
            else:
                done = split_sentences(self.text[:10_000])
            self._sentences = done
        return done

    def _key(self) -> tuple[str, str, int]:
        return (self.kind, self.text, self.section_index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextBlock):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"TextBlock(kind={self.kind!r}, text={self.text!r}, section_index={self.section_index!r})"


Cell = tuple[str, Spans]
