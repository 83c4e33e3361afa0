"""Openness claims a model card makes, read as a person reads the card.

Open-washing is judged against claims a model makes *about itself*, now. For every openness phrase
("open source", "fully open", "open weights", "open model", "open science", and their Chinese,
Japanese, Korean, French, German and Spanish forms; policy/claims.yaml) this module records where it
was seen and what it says (`extract.claims_judge`): what it is about (this model, data, code, a
tool, other models, a community, a licence, a name, a quotation), whether it is asserted, negated,
future or conditional, whether it is implied ("other open-source models", a badge, a tag), the
sentence's language, and how sure the reader is. `Claim.about_self` is the claim open-washing reads:
about this model, asserted, with at least the policy's `min_confidence`.

Where claims come from:
- the card's sentences (paragraphs, list items, headings, quotes, HTML text; table cells only when
  they are prose); code blocks are never read;
- badges and banner images (alt text, and shields.io-style badge URLs "open source-yes-green");
- comparison tables whose column (or row) for this model is marked "Open Source" (or ✅ under an
  "Open Weights" column); the quote is then a sentence written from the table, never a fragment;
- repository tags (`open-source`, `open-weights`, ...);
- the model's name is recorded as a name, never a claim ("Llama-3-Open-Ko-8B").

Linear time: sentences are scanned once with one compiled alternation, only when a cheap trigger
(a stem such as "open", "开源", "オープン") occurs; each phrase is judged on windows of bounded size;
the number of phrases judged per card and the characters read are capped (`MAX_JUDGED`,
`MAX_CARD_CHARS`). `read_claims` also returns the work done, so tests can bound it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
import functools
from typing import Iterator, Sequence
from urllib.parse import unquote

from extract.card import MAX_BLOCK_CHARS, ParsedCard, Table, TextBlock
from extract.card_scan import join
from extract.first_chars import with_first_chars
from extract.literals import Guarded
from extract.types import Claim, ClaimsEvidence
from extract.version_input import VersionInput

from .claims_judge import Judgement, judge
from .claims_lexicon import Lexicon, kind_of, lexicon
from .claims_text import MAX_SENTENCE_CHARS, bounded, language_of, may_mention, mentions, name_tokens, sentences

__all__ = ["MAX_CLAIMS", "MAX_SENTENCE_CHARS", "Work", "openness_claims", "read_claims"]

MAX_CARD_CHARS = 300_000  # characters of card text read for claims
MAX_CLAIMS = 50  # claims kept per card (about-self ones first)
MAX_JUDGED = 400  # phrases judged per card
MAX_PER_SENTENCE = 8
MAX_IMAGES = 300
MAX_TAGS = 500
MAX_TABLES = 50
MAX_TABLE_ROWS = 200
_PROSE_CELL_WORDS = 6  # a table cell with this many words is read as a sentence
_PROSE_PART_CHARS = 10_000  # characters of each block in `ParsedCard.prose`

_MD_IMAGE = re.compile(r"!\[([^\]\n]{0,300})\]\(\s*<?([^)\s>]{0,1500})")
_HTML_IMG = re.compile(r"<img\b[^>]{0,2000}>", re.I)
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]{0,300})"|'([^']{0,300})')""", re.I)
_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]{0,1500})"|'([^']{0,1500})')""", re.I)
_BADGE_PATH = re.compile(r"/(?:badge|os/v1)/([^?#\s]{1,300})")
_NAME_SPLIT = re.compile(r"[-_.\s/]+")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass
class Work:
    """What reading one card cost: characters scanned and phrases judged (both bounded)."""

    chars: int = 0
    judged: int = 0
    sentences: int = 0


def openness_claims(inp: VersionInput) -> ClaimsEvidence:
    return read_claims(inp.card, inp.repo_id, inp.tags)[0]


def read_claims(card: ParsedCard, repo_id: str, tags: Sequence[str]) -> tuple[ClaimsEvidence, Work]:
    lex = lexicon()
    names = _own_names(repo_id, tags)
    work = Work()
    found: list[Claim] = []
    seen: set[tuple[str, str, str]] = set()

    def add(claim: Claim) -> None:
        key = (claim.kind, claim.phrase.lower(), claim.sentence)
        if key not in seen:
            seen.add(key)
            found.append(claim)

    for claim in _name_claims(repo_id, lex):
        add(claim)
    for claim in _tag_claims(tags, lex):
        add(claim)
    images = _images(card.body[:MAX_CARD_CHARS])
    for claim in _badge_claims(images, lex, names, work):
        add(claim)
    for claim in _sentence_claims(card, lex, names, work, images):
        add(claim)
    for claim in _table_claims(card, lex, names, work):
        add(claim)
    return ClaimsEvidence(claims=_keep(found)), work


def _own_names(repo_id: str, tags: Sequence[str]) -> tuple[str, ...]:
    """Name tokens that stand for this model, less those it shares with its base model: in the card
    of "Llama-3-Open-Ko-8B", "Llama 3" is the base (tag base_model:meta-llama/Meta-Llama-3-8B)."""
    names = name_tokens(repo_id)
    owner = repo_id.split("/", 1)[0].lower() if "/" in repo_id else ""
    inherited: set[str] = set()
    for tag in tags[:MAX_TAGS]:
        if isinstance(tag, str) and tag.startswith("base_model:"):
            base = tag.rsplit(":", 1)[-1]
            if owner and base.split("/", 1)[0].lower() == owner:
                continue  # the publisher's own base ("Lucie-7B" for "Lucie-7B-Instruct"): the same family
            inherited.update(name_tokens(base))
    return tuple(n for n in names if n not in inherited)  # may be empty: a quantised copy of its base


def _keep(found: list[Claim]) -> tuple[Claim, ...]:
    """At most MAX_CLAIMS, in card order; claims about the model itself are kept first."""
    if len(found) <= MAX_CLAIMS:
        return tuple(found)
    own = [i for i, c in enumerate(found) if c.about_self][:MAX_CLAIMS]
    rest = [i for i, c in enumerate(found) if not c.about_self][: MAX_CLAIMS - len(own)]
    return tuple(found[i] for i in sorted(own + rest))


def _claim(lex: Lexicon, kind: str, phrase: str, sentence: str, source: str, j: Judgement, language: str) -> Claim:
    about_self = j.target == "self" and j.modality == "asserted" and j.confidence >= lex.min_confidence
    return Claim(
        kind=kind,  # type: ignore[arg-type]
        phrase=phrase,
        sentence=sentence,
        source=source,
        about_self=about_self,
        target=j.target,  # type: ignore[arg-type]
        modality=j.modality,  # type: ignore[arg-type]
        implied=j.implied,
        confidence=j.confidence,
        language=language,
        rule=j.rule,
    )


# --- the card's sentences ------------------------------------------------------------------------


def _sentence_claims(card: ParsedCard, lex: Lexicon, names: Sequence[str], work: Work, images: Sequence[tuple[str, str]]) -> Iterator[Claim]:
    alts: tuple[str, ...] | None = None
    for kind, text in _texts_that_may_claim(card, lex, work):
        if work.judged >= MAX_JUDGED:
            return
        if alts is None:
            alts = _alt_texts(images)
        if alts and _only_badges(text, alts):
            continue  # "Open Source License": badge alt texts glued together, read as badges above
        pieces = _prose_cells(text) if kind == "table_row" else [text]
        for piece in pieces:
            yield from _claims_in_text(piece, kind, lex, names, work)


def _texts_that_may_claim(card: ParsedCard, lex: Lexicon, work: Work) -> Iterator[tuple[str, str]]:
    """(kind, text) of the blocks, in card order, that hold a stem of a phrase (no other can give
    a claim), each read to the end of the character budget."""
    trigger, stems = _guarded(lex.trigger), _stems(lex.trigger)
    segments = card.segments
    bound = sum(len(s.text) if isinstance(s, TextBlock) else len(s.text) + 3 * len(s.header) * (s.row_count + 1) for s in segments)
    if bound >= MAX_CARD_CHARS:  # the budget may run out: every block counts towards it
        yield from _budgeted_texts(card, trigger, work)
        return
    # the budget cannot run out: only the blocks that hold a stem are read, found by one search of
    # the card's joined prose and, for tables, by the rows whose line holds a stem
    prose = card.prose_blocks
    hits = _prose_with_stem(card, trigger)
    if len(prose) == len(segments):  # no table: the prose is every block
        for k in hits:
            block = prose[k]
            work.chars += len(block.text)
            if trigger.search(block.text):
                yield block.kind, block.text
        return
    wanted = set(hits)
    runs = card.row_runs
    k, i, n = 0, 0, len(segments)
    while i < n:
        segment = segments[i]
        if isinstance(segment, Table):
            yield from _table_texts(segment, trigger, stems, work)
        elif segment.kind != "table_row":
            if k in wanted:
                work.chars += len(segment.text)
                if trigger.search(segment.text):
                    yield segment.kind, segment.text
            k += 1
        else:
            run = runs.get(i)
            if run is not None and not trigger.search(run.text):
                i = run.end  # no row of the run holds a stem
                continue
            work.chars += len(segment.text)
            if trigger.search(segment.text):
                yield segment.kind, segment.text
        i += 1


def _budgeted_texts(card: ParsedCard, trigger: Guarded, work: Work) -> Iterator[tuple[str, str]]:
    """The blocks in card order (`card.blocks`), each cut to what is left of MAX_CARD_CHARS, that hold
    a stem. A table read whole within the budget is not made into blocks, and its rows are tried
    through one search of their texts joined: on a 500 kB card, a block and a search per row made the
    claims cost four times more per kB than on smaller cards (benchmarks/bench_card_size.py)."""
    budget = MAX_CARD_CHARS
    for segment in card.segments:
        if budget <= 0:
            return
        if isinstance(segment, Table):
            texts = segment.row_texts()
            size = sum(map(len, texts))
            if size <= budget:
                budget -= size
                yield from _rows_with_stem(texts, trigger, work)
                continue
            blocks = [("table_row", text) for text in texts]
        else:
            blocks = [(segment.kind, segment.text)]
        for kind, whole in blocks:
            if budget <= 0:
                return
            text = whole[:budget]
            budget -= len(text)
            work.chars += len(text)
            if trigger.search(text):
                yield kind, text


def _rows_with_stem(texts: list[str], trigger: Guarded, work: Work) -> Iterator[tuple[str, str]]:
    """("table_row", text) of the row texts `trigger` finds something in, in order; `work.chars`
    counts each text up to the one given, as reading them one by one would."""
    read = 0
    for k in join(texts).candidates(trigger):
        work.chars += sum(map(len, texts[read : k + 1]))
        read = k + 1
        if trigger.search(texts[k]):
            yield "table_row", texts[k]
    work.chars += sum(map(len, texts[read:]))


def _prose_with_stem(card: ParsedCard, trigger: Guarded) -> list[int]:
    """Indexes (in `card.prose_blocks`) of the prose blocks that may hold a stem, in order: one search
    of the joined prose (each block's first 10,000 characters), and every longer block."""
    joined = card.prose
    hits = list(joined.candidates(trigger))
    if len(joined.text) >= _PROSE_PART_CHARS:
        longer = [k for k, block in enumerate(card.prose_blocks) if len(block.text) > _PROSE_PART_CHARS]
        if longer:
            hits = sorted(set(hits).union(longer))
    return hits


def _table_texts(table: Table, trigger: Guarded, stems: re.Pattern[str], work: Work) -> Iterator[tuple[str, str]]:
    """The texts of a table's rows (header first, as `Table.row_blocks` makes them) that can give a
    claim: a row holds a stem and a cell long enough to be read as a sentence (`_prose_cells`). Only
    a table that may have both is read, and only its rows whose source line holds a stem
    (`Table.rows_holding`)."""
    if not trigger.may_match_row_source(table.text) or not table.may_have_cell_of(_PROSE_CELL_WORDS):
        return
    for row in (table.header, *table.rows_holding(trigger.words, table.row_count)):
        text = " | ".join(row)
        if text.replace("|", "").strip():
            text = text[:MAX_BLOCK_CHARS]
            work.chars += len(text)
            if _prose_cells(text) and stems.search(text):
                yield "table_row", text


@functools.lru_cache(maxsize=4)
def _guarded(pattern: re.Pattern[str]) -> Guarded:
    return Guarded(pattern)


@functools.lru_cache(maxsize=4)
def _stems(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The trigger tried only where a stem can start (the same matches): for sentences, names and
    cells, which are searched once each and not worth a scan of their own (`Guarded`)."""
    return with_first_chars(pattern)


def _only_badges(text: str, alts: Sequence[str]) -> bool:
    rest = text
    for alt in alts:
        rest = rest.replace(alt, " ")
    return len(rest) < len(text) and not _NOT_WORD.sub("", rest)


def _prose_cells(row: str) -> list[str]:
    """The cells of a table row that are sentences; short cells are read by `_table_claims`."""
    return [cell for cell in row.split(" | ") if len(cell.split()) >= _PROSE_CELL_WORDS]


def _claims_in_text(text: str, block_kind: str, lex: Lexicon, names: Sequence[str], work: Work) -> Iterator[Claim]:
    stems = _stems(lex.trigger)
    for start, end in sentences(text):
        if work.judged >= MAX_JUDGED:
            return
        sentence = text[start:end]
        if not stems.search(sentence):
            continue
        work.sentences += 1
        language = None
        for n, m in enumerate(lex.phrases.finditer(sentence)):
            if n >= MAX_PER_SENTENCE or work.judged >= MAX_JUDGED:
                break
            language = language or language_of(sentence, lex, m.group(0))
            work.judged += 1
            j = judge(sentence, m.start(), m.end(), language, lex, names, block_kind, kind_of(m))
            quote = bounded(sentence, m.start(), m.end())
            yield _claim(lex, kind_of(m), m.group(0), quote, "card", j, language)


# --- the model's name and tags -----------------------------------------------------------------------


def _name_claims(repo_id: str, lex: Lexicon) -> Iterator[Claim]:
    """A phrase in the model's own name is a name, not a claim ("Llama-3-Open-Ko-8B", "fully-open-llm")."""
    name = repo_id.rsplit("/", 1)[-1][:200]
    spaced = _NAME_SPLIT.sub(" ", name)
    if not _stems(lex.trigger).search(spaced):
        return  # every phrase holds a stem
    for m in lex.phrases.finditer(spaced):
        j = Judgement("name", "asserted", False, lex.confidence["name"], "name")
        yield _claim(lex, kind_of(m), m.group(0), f"The model's name “{name}” contains “{m.group(0)}”.", "name", j, "en")


def _tag_claims(tags: Sequence[str], lex: Lexicon) -> Iterator[Claim]:
    """Tags the Hub shows on the model page (`open-source`, `open-weights`): implied claims about it."""
    for tag in tags[:MAX_TAGS]:
        if not isinstance(tag, str) or ":" in tag:
            continue  # license:..., dataset:..., base_model:... name other things
        kind = lex.tags.get(tag.strip().lower())
        if kind:
            j = Judgement("self", "asserted", True, lex.confidence["tag"], "tag")
            yield _claim(lex, kind, tag, f"The repository is tagged “{tag}”.", f"tag:{tag}", j, "en")


# --- badges and banners -------------------------------------------------------------------------


def _images(body: str) -> list[tuple[str, str]]:
    """(alt text, url) of the card's images, Markdown and HTML, in card order (bounded)."""
    found: list[tuple[int, str, str]] = []
    for m in _MD_IMAGE.finditer(body):
        found.append((m.start(), m.group(1), m.group(2)))
        if len(found) >= MAX_IMAGES:
            break
    for n, m in enumerate(_HTML_IMG.finditer(body)):
        if n >= MAX_IMAGES:
            break
        tag = m.group(0)
        alt, src = _ALT.search(tag), _SRC.search(tag)
        found.append((m.start(), (alt.group(1) or alt.group(2)) if alt else "", (src.group(1) or src.group(2)) if src else ""))
    return [(alt, url) for _, alt, url in sorted(found, key=lambda x: x[0])[:MAX_IMAGES]]


def _badge_text(url: str, lex: Lexicon) -> str | None:
    """"label: message" of a shields.io-style badge URL, or None for other images."""
    if not any(p in url for p in lex.badge_urls):
        return None
    m = _BADGE_PATH.search(url)
    if m is None:
        return None
    spec = unquote(m.group(1).rsplit(".", 1)[0] if m.group(1).endswith((".svg", ".png")) else m.group(1))
    parts = [p.replace("\0", "-").replace("_", " ").strip() for p in spec.replace("--", "\0").split("-")]
    parts = [p for p in parts if p]
    if len(parts) >= 3:
        return f"{parts[0]}: {parts[1]}"
    return parts[0] if parts else None


def _badge_claims(images: Sequence[tuple[str, str]], lex: Lexicon, names: Sequence[str], work: Work) -> Iterator[Claim]:
    for alt, url in images:
        if work.judged >= MAX_JUDGED:
            return
        badge = _badge_text(url, lex)
        text = badge or " ".join(alt.split())
        if not text or not _stems(lex.trigger).search(text):
            continue
        m = lex.phrases.search(text)
        if m is None:
            continue
        label, _, message = text.partition(": ") if badge else (text, "", "")
        negated = bool(message) and message.lower() in lex.badge_no
        judged_text = label if message and m.start() < len(label) and message.lower() not in lex.badge_yes else text
        language = language_of(judged_text, lex, m.group(0))
        work.judged += 1
        j = judge(judged_text, m.start(), m.end(), language, lex, names, "heading", kind_of(m))
        if negated:
            j = Judgement(j.target, "negated", False, lex.confidence["negated"], "badge")  # "open source: no"
        elif j.target == "self" and j.modality == "asserted" and judged_text is text:
            j = Judgement("self", "asserted", True, lex.confidence["badge"], "badge")
        elif j.target == "self" and j.modality == "asserted":
            continue  # "open weights: soon" and other messages that neither affirm nor deny
        quote = f"The card shows a badge “{text}”." if badge else f"The card shows an image captioned “{text}”."
        yield _claim(lex, kind_of(m), m.group(0), bounded(quote, 0, 0), "badge", j, language)


def _alt_texts(images: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """Image alt texts, longest first: a paragraph of nothing but badges glues them together."""
    alts = {" ".join(a.split()) for a, _ in images if a.strip()}
    return tuple(sorted(alts, key=len, reverse=True))[:100]


# --- comparison tables -------------------------------------------------------------------------------


def _table_claims(card: ParsedCard, lex: Lexicon, names: Sequence[str], work: Work) -> Iterator[Claim]:
    """A comparison table that marks this model's column ("Open Source") or row (✅ under "Open Weights")."""
    if not names:
        return
    trigger = _guarded(lex.trigger)
    stems = _stems(lex.trigger)
    for table in card.tables[:MAX_TABLES]:
        title = card.section_title(table.section_index)
        where = f" under “{title}”" if title else ""
        heads = [head[:200] for head in table.header]
        # a header cell that names the model makes the joined header name it too
        columns = [i for i, head in enumerate(heads) if mentions(head, names)] if may_mention(" ".join(heads), names) else []
        body = table.body_text
        if columns and not trigger.may_match_row_source(body):
            columns = []  # no cell of the model's column can hold a phrase
        named_rows = may_mention(body, names)
        if not columns and not named_rows:
            continue  # nothing in the table can mark the model
        # only the model's column to read: a row whose line holds no stem of a phrase gives nothing
        rows = table.rows[:MAX_TABLE_ROWS] if named_rows else table.rows_holding(trigger.words, MAX_TABLE_ROWS)
        for row in rows:
            if work.judged >= MAX_JUDGED:
                return
            for i in columns:
                cell = _clean(row[i]) if i < len(row) else ""
                m = lex.phrases.search(cell) if 0 < len(cell) <= 40 and stems.search(cell) else None
                if m is not None and len(cell.split()) <= len(m.group(0).split()) + 1:
                    yield from _table_claim(lex, names, work, cell, m, f"The table{where} marks {_clean(table.header[i])} as “{cell}”.")
            if named_rows and row and mentions(row[0][:200], names):
                for j, head in enumerate(table.header[1:], 1):
                    mark = _clean(row[j]).lower() if j < len(row) else ""
                    head = _clean(head)
                    m = lex.phrases.search(head) if mark in lex.table_yes and len(head) <= 60 and stems.search(head) else None
                    if m is not None:
                        yield from _table_claim(
                            lex, names, work, head, m, f"The table{where} marks {_clean(row[0])} “{_clean(row[j])}” under “{head}”."
                        )


def _table_claim(lex: Lexicon, names: Sequence[str], work: Work, text: str, m: re.Match[str], sentence: str) -> Iterator[Claim]:
    work.judged += 1
    language = language_of(text, lex)
    j = judge(text, m.start(), m.end(), language, lex, names, "heading", kind_of(m))
    if j.target == "self" and j.modality == "asserted":
        j = Judgement("self", "asserted", True, lex.confidence["table-column"], "table-column")
        yield _claim(lex, kind_of(m), m.group(0), bounded(sentence, 0, 0), "table", j, language)


def _clean(cell: str) -> str:
    return " ".join(cell.replace("**", "").replace("__", "").split())[:200]
