"""The pieces a card's structure is made of: sections, links, code blocks and text blocks, with the
bounds every walker keeps (see extract/card_structure.py for how they are collected)."""

from __future__ import annotations

import functools
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


@dataclass(frozen=True)
class TextBlock:
    """One block of the card as plain text (links replaced by their text)."""

    kind: BlockKind
    text: str
    section_index: int

    @functools.cached_property
    def sentences(self) -> list[str]:
        """The sentences of its first 10,000 characters, split once for every extractor that reads them
        (by the parser already, for a block whose links needed them: `StructureBuilder.emit`)."""
        spans = self.__dict__.pop("_sentence_spans", None)
        if spans is not None:
            text = self.text
            return [text[s:e].strip() for s, e in spans]
        return split_sentences(self.text[:10_000])


Cell = tuple[str, Spans]
