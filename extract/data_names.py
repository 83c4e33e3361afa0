"""Named training-data sources in a card: source tables, labelled list items, enumerations after
"trained on ...", and the datasets its metadata declares (for extract/data_info.py).

Pure: data in, signals out.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

try:  # Python 3.11+
    import re._constants as _sre_constants  # type: ignore[import-not-found]
    import re._parser as _sre_parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parser  # type: ignore[no-redef]

from extract.card import ParsedCard, Table, TextBlock, split_sentences
from extract.data_patterns import (
    POINTS,
    _AMOUNT_COLUMN,
    _COMPUTE,
    _DATA_WORD,
    _FRAGMENT_SPLIT,
    _GENERIC,
    _HARDWARE,
    _INTRODUCER,
    _LABEL,
    _LAST_PREP,
    _NOT_DATA_SIZE,
    _NOT_SOURCE,
    _PROCESSING_STEP,
    _SIZE,
    _SOURCE_COLUMN,
    _Region,
    _Signals,
)




def _is_named(name: str, *, initial: bool = False) -> bool:
    """Does `name` contain a proper name (not just generic words like "web documents")?

    `initial`: the first word starts a sentence or a list item, so its capital is no evidence.
    """
    words = [w.strip(".,;:()[]{}*_`'\"“”!?") for w in name.split()]
    for i, tok in enumerate(w for w in words if w):
        low = tok.lower()
        if len(tok) < 2 or not tok[0].isalpha() or low in _NOT_SOURCE or _HARDWARE.match(tok):
            continue
        if all(part in _GENERIC for part in low.split("-") if part):
            continue  # "Books", "English-language", "high-quality"
        if any(c.isdigit() for c in tok):
            return True  # C4, S2ORC, LAION-2B, Cosmopedia v2
        if any(c.isupper() for c in tok[1:]):
            return True  # StarCoder, peS2o, arXiv, PubMed
        if tok[0].isupper() and not (initial and i == 0):
            return True  # Wikipedia, Reddit, Gutenberg
    return False


def _clean_name(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" .*_`'\"“”")
    if len(name.split()) > 2:
        shorter = _LAST_PREP.sub("", name)  # "text pairs from StackExchange" -> "StackExchange"
        if shorter and _is_named(shorter):
            name = shorter
    name = re.sub(r"^(?:the|a|an|and|or|plus)\s+", "", name, flags=re.I)
    return name[:60]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _add_source(signals: _Signals, name: str) -> None:
    name = _clean_name(name)
    key = _norm(name)
    if len(key) < 2:
        return
    for existing in list(signals.sources):
        if key in existing or existing in key:
            return
    if len(signals.sources) < 200:
        signals.sources[key] = name


def _named_sources(card: ParsedCard, region: _Region, signals: _Signals) -> None:
    categories: list[str] = []
    # Whether the region holds an introducer at all (else no sentence lists names): asked only for a
    # block its own search cannot settle (`_no_sentence_introduces`); a block whose own text holds
    # one makes the region's text hold it too (its part of the joined text, between separators).
    introducers: bool | None = None
    for table in region.tables:
        for name in _table_source_names(table):
            if _is_named(name):
                _add_source(signals, name)
            elif name.strip():
                categories.append(name)
    for block in region.blocks:
        text = block.text[:5000]
        if block.kind == "table_row":
            continue
        if block.kind == "list_item":
            label = _LABEL.match(text) or re.match(r"^\s*([^()]{1,60}?)\s*\(", text)
            describes_data = (
                block.section_index in region.data_section_ids or _data_sizes(text) or _DATA_WORD.search(text)
            )
            is_step = label is not None and _PROCESSING_STEP.search(label.group(1))  # "CSAM Filtering: ..."
            if label and describes_data and not is_step:
                if _is_named(label.group(1), initial=True):
                    _add_source(signals, label.group(1))
                    continue
                if block.section_index in region.data_section_ids and len(label.group(1).split()) <= 4:
                    categories.append(label.group(1))  # "Web Documents: ...", "Code: ..."
        if introducers is False:
            continue  # the region holds no introducer: no sentence of it lists names
        settled = _no_sentence_introduces(block)
        if settled is True:
            continue
        if settled is None:
            if introducers is None:
                introducers = _INTRODUCER.search(region.text.text) is not None
            if not introducers:
                continue
        for sentence in block.sentences if len(block.text) <= 5000 else split_sentences(text):
            for name in _enumerated_names(sentence):
                _add_source(signals, name)
    categories = list(dict.fromkeys(c.strip() for c in categories))
    if len(categories) >= 2:
        signals.add(
            "source-categories",
            POINTS["source-categories"],
            "card",
            f"kinds of data listed (not named sources): {', '.join(categories[:6])}",
            0.6,
        )


def sees_only_word_edges(pattern: re.Pattern[str]) -> bool:
    """Does `pattern` assert nothing about its surroundings but word boundaries (\\b, \\B)? No
    anchors, lookarounds or back-references: then it matches a substring whose neighbours are
    spaces wherever it matches that substring alone."""
    c = _sre_constants
    allowed = {c.AT_BOUNDARY, c.AT_NON_BOUNDARY, c.AT_UNI_BOUNDARY, c.AT_UNI_NON_BOUNDARY}

    def fine(parsed) -> bool:  # type: ignore[no-untyped-def]
        for op, av in parsed:
            if op is c.AT and av not in allowed:
                return False
            if op in (c.ASSERT, c.ASSERT_NOT, c.GROUPREF, c.GROUPREF_EXISTS):
                return False
            if op is c.SUBPATTERN and not fine(av[-1]):
                return False
            if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)) and not fine(av[2]):
                return False
            if op is c.BRANCH and not all(fine(b) for b in av[1]):
                return False
            if op is getattr(c, "ATOMIC_GROUP", None) and not fine(av):
                return False
        return True

    return fine(_sre_parser.parse(pattern.pattern, pattern.flags))


_INTRODUCER_SEES_ONLY_WORD_EDGES = sees_only_word_edges(_INTRODUCER)  # policy: checked, not assumed


def _no_sentence_introduces(block: TextBlock) -> bool | None:
    """Whether no sentence of the block can hold an `_INTRODUCER` match (True), some may (False), or
    the block's text cannot tell (None), judged with one search of the block's text (which the
    shared scan of the block mostly answers) instead of sentence by sentence.

    A sentence is the block's text between whitespace, and the pattern has no anchors or
    lookarounds, only word boundaries, which see the same at a sentence's edge as at the whitespace
    beside it: a match in a sentence is a match in the block. Not so where a sentence may be cut (at
    1,000 characters below, or a block cut at 5,000): for those blocks the text cannot tell.
    """
    if not _INTRODUCER_SEES_ONLY_WORD_EDGES or len(block.text) > 5000:
        return None
    if _INTRODUCER.search(block.text) is not None:
        return False
    # a sentence of a block of at most 1,000 characters is not cut; a longer block's sentences are
    # not split just to find out (the region's search, made once, decides for it as before)
    return True if len(block.text) <= 1000 else None


def _table_source_names(table: Table) -> list[str]:
    header = [h.strip() for h in table.header]
    col = next((i for i, h in enumerate(header) if _SOURCE_COLUMN.search(h)), None)
    if col is None:
        # A table without a source column names its rows in the first column, if it gives amounts.
        if not any(_AMOUNT_COLUMN.search(h) for h in header[1:]):
            return []
        col = 0
    names: list[str] = []
    extra = [i for i, h in enumerate(header) if i != col and re.search(r"\bsources\b|\bexamples\b|\bincludes\b", h, re.I)]
    for row in table.rows[:200]:
        if col < len(row):
            names.append(row[col])
        for i in extra:
            if i < len(row):
                names.extend(p for p in re.split(r",|;|\band\b", row[i]) if p.strip())
    return names


def _enumerated_names(sentence: str) -> list[str]:
    """Names listed after a data introducer: "text pairs from StackExchange, Quora and news"."""
    found: list[str] = []
    for intro in _INTRODUCER.finditer(sentence[:1000]):
        tail = sentence[intro.end() : intro.end() + 400]
        for fragment in _FRAGMENT_SPLIT.split(tail):
            words = fragment.split()
            if not words:
                continue
            if len(words) > 8:
                break  # the enumeration is over
            if len(words) <= 6 and not _COMPUTE.search(fragment) and _is_named(fragment):
                found.append(fragment)
        if len(found) >= 50:
            break
    return found


def _declared_datasets(card_data: Mapping[str, Any], tags: Sequence[str], signals: _Signals) -> None:
    declared: list[str] = []
    raw = card_data.get("datasets")
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, list):
        declared.extend(d for d in raw if isinstance(d, str))
    declared.extend(t.split(":", 1)[1] for t in tags if isinstance(t, str) and t.startswith("dataset:"))
    unique = list(dict.fromkeys(d.strip() for d in declared if d.strip()))
    if not unique:
        return
    for ds in unique[:200]:
        _add_source(signals, ds.rsplit("/", 1)[-1])
    signals.add(
        "declared-datasets",
        POINTS["declared-datasets"],
        "cardData.datasets",
        f"{len(unique)} training dataset(s) declared: {', '.join(unique[:5])}",
        0.9,
    )


def _data_sizes(text: str) -> list[str]:
    """Amounts with a data unit, leaving out context windows, sequence lengths and batch sizes."""
    found: list[str] = []
    for m in _SIZE.finditer(text[:10_000]):
        before = text[max(0, m.start() - 30) : m.start()]
        after = text[m.end() : m.end() + 25]
        if _NOT_DATA_SIZE.search(before) or _NOT_DATA_SIZE.search(after) or _NOT_DATA_SIZE.search(m.group(0)):
            continue
        found.append(m.group(0).strip())
    return found
