"""Named training-data sources in a card: source tables, labelled list items, enumerations after
"trained on ...", and the datasets its metadata declares (for extract/data_info.py).

Pure: data in, signals out.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from extract.card import ParsedCard, Table, split_sentences
from extract.first_chars import with_first_chars
from extract.literals import fold
from extract.memo import text_memo
from extract.data_patterns import (
    POINTS,
    _AMOUNT_COLUMN,
    _COMPUTE,
    _DATA_WORD,
    _FRAGMENT_SPLIT,
    _GENERIC,
    _HARDWARE,
    _INTRODUCER,
    _INTRODUCER_RE,
    _LABEL,
    _may_label,
    _LAST_PREP,
    _NOT_DATA_SIZE,
    _NOT_SOURCE,
    _PROCESSING_STEP,
    _SIZE,
    _SIZE_FAST,
    _SOURCE_COLUMN,
    _Region,
    _Signals,
)




MAX_MEMO_NAME = 300  # characters: longer texts (a long table cell) are judged without the memo


def _is_named(name: str, *, initial: bool = False) -> bool:
    """Does `name` contain a proper name (not just generic words like "web documents")?

    `initial`: the first word starts a sentence or a list item, so its capital is no evidence.
    Memoised (bounded): the same names (a dataset, a list label) come back card after card.
    """
    return _judge_named(name, initial)


@text_memo(4096, max_key=MAX_MEMO_NAME)
def _judge_named(name: str, initial: bool) -> bool:
    i = 0
    for word in name.split():
        tok = word.strip(".,;:()[]{}*_`'\"“”!?")
        if not tok:
            continue
        first = i == 0
        i += 1
        if len(tok) < 2 or not tok[0].isalpha():
            continue
        low = tok.lower()
        if low in _NOT_SOURCE or (low in _GENERIC if "-" not in low else all(p in _GENERIC for p in low.split("-") if p)):
            continue  # "Books", "English-language", "high-quality"
        if _HARDWARE.match(tok):
            continue
        if any(c.isdigit() for c in tok):
            return True  # C4, S2ORC, LAION-2B, Cosmopedia v2
        if not tok[1:].islower() and any(c.isupper() for c in tok[1:]):
            return True  # StarCoder, peS2o, arXiv, PubMed
        if tok[0].isupper() and not (initial and first):
            return True  # Wikipedia, Reddit, Gutenberg
    return False


_SPACES = re.compile(r"\s+")
_ARTICLE = re.compile(r"^(?:the|a|an|and|or|plus)\s+", re.I)
_NOT_KEY = re.compile(r"[^a-z0-9]")
_PAREN_LABEL = re.compile(r"^\s*([^()]{1,60}?)\s*\(")  # "Name (...)": a list item's label
_LIST_COLUMN = re.compile(r"\bsources\b|\bexamples\b|\bincludes\b", re.I)
_LIST_SPLIT = re.compile(r",|;|\band\b")


def _clean_name(name: str) -> str:
    name = _SPACES.sub(" ", name).strip(" .*_`'\"“”")
    if len(name.split()) > 2:
        shorter = _LAST_PREP.sub("", name)  # "text pairs from StackExchange" -> "StackExchange"
        if shorter and _is_named(shorter):
            name = shorter
    name = _ARTICLE.sub("", name)
    return name[:60]


def _norm(name: str) -> str:
    return _NOT_KEY.sub("", name.lower())


@text_memo(4096, max_key=MAX_MEMO_NAME)
def _source_key(name: str) -> tuple[str, str]:
    """(normalised key, name as kept) of a name as written; memoised as `_is_named` is."""
    name = _clean_name(name)
    return _norm(name), name


def _add_source(signals: _Signals, name: str) -> None:
    key, name = _source_key(name)
    if len(key) < 2:
        return
    sources = signals.sources
    if key in sources:
        return
    for existing in sources:
        if key in existing or existing in key:
            return
    if len(sources) < 200:
        sources[key] = name


def _named_sources(card: ParsedCard, region: _Region, signals: _Signals) -> None:
    categories: list[str] = []
    # a sentence lists names only when the region's joined text holds an introducer too: asked
    # when the first sentence has names to give (most regions have none), then kept
    introducers: bool | None = None if _INTRODUCER.may_occur_in(region.text.text) else False
    for table in region.tables:
        for name in _table_source_names(table):
            if _is_named(name):
                _add_source(signals, name)
            elif name.strip():
                categories.append(name)
    data_sections = region.data_section_ids
    for block in region.blocks:
        kind = block.kind
        if kind == "table_row":
            continue
        text = block.text[:5000]
        if kind == "list_item":
            label = (_LABEL.match(text) if _may_label(text) else None) or ("(" in text and _PAREN_LABEL.match(text)) or None
            # whether the item describes data is asked only of a label that names no processing step
            if label and not _PROCESSING_STEP.search(label.group(1)) and (  # "CSAM Filtering: ..." is a step
                block.section_index in data_sections or _data_sizes(text) or _DATA_WORD.search(text)
            ):
                if _is_named(label.group(1), initial=True):
                    _add_source(signals, label.group(1))
                    continue
                if block.section_index in data_sections and len(label.group(1).split()) <= 4:
                    categories.append(label.group(1))  # "Web Documents: ...", "Code: ..."
        if introducers is False or not _INTRODUCER.may_occur_in(block.text[:10_000]):
            continue  # no sentence of the block can hold an introducer (its scan answers for every piece)
        for sentence in block.sentences if len(block.text) <= 5000 else split_sentences(text):
            names = _enumerated_names(sentence)
            if names and introducers is None:
                introducers = _joined_introducer(region.text.text, names[0][1])
            if not introducers:
                if introducers is False:
                    break
                continue
            for name, _intro in names:
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


def _table_source_names(table: Table) -> list[str]:
    header = [h.strip() for h in table.header]
    col = next((i for i, h in enumerate(header) if _SOURCE_COLUMN.search(h)), None)
    if col is None:
        # A table without a source column names its rows in the first column, if it gives amounts.
        if not any(_AMOUNT_COLUMN.search(h) for h in header[1:]):
            return []
        col = 0
    names: list[str] = []
    extra = [i for i, h in enumerate(header) if i != col and _LIST_COLUMN.search(h)]
    for row in table.rows[:200]:
        if col < len(row):
            names.append(row[col])
        for i in extra:
            if i < len(row):
                names.extend(p for p in _LIST_SPLIT.split(row[i]) if p.strip())
    return names


# Every introducer holds one of these (lower case, as `fold` makes a text): a text without any
# cannot introduce a list, and neither can a sentence of it (a sentence is a piece of its block).
_INTRODUCER_WORDS = tuple(sorted(_INTRODUCER.literals)) if _INTRODUCER.literals else None
_INTRODUCER_FAST = with_first_chars(_INTRODUCER_RE)  # its matches, tried only where one can start


def _may_introduce(text: str) -> bool:
    if _INTRODUCER_WORDS is None:
        return True
    return any(map(fold(text).__contains__, _INTRODUCER_WORDS))


def _joined_introducer(joined: str, intro: str) -> bool:
    """Does `joined` (the region's text) hold an introducer? `intro` is one a sentence of it holds:
    where it stands in `joined`, a match there proves it at once; otherwise the whole text is searched."""
    at = joined.find(intro)
    if at >= 0 and _INTRODUCER_FAST.match(joined, at) is not None:  # `re` sees the text before `at` too
        return True
    return _INTRODUCER.search(joined) is not None


def _enumerated_names(sentence: str) -> list[tuple[str, str]]:
    """Names listed after a data introducer: "text pairs from StackExchange, Quora and news"; each
    with the introducer that lists it."""
    found: list[tuple[str, str]] = []
    head = sentence[:1000]
    if not _may_introduce(head):
        return found
    for intro in _INTRODUCER_FAST.finditer(head):
        tail = sentence[intro.end() : intro.end() + 400]
        for fragment in _FRAGMENT_SPLIT.split(tail):
            words = fragment.split()
            if not words:
                continue
            if len(words) > 8:
                break  # the enumeration is over
            if len(words) <= 6 and not _COMPUTE.search(fragment) and _is_named(fragment):
                found.append((fragment, intro.group(0)))
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


def _data_sizes(text: str, *, flagged: bool = False) -> list[str]:
    """Amounts with a data unit, leaving out context windows, sequence lengths and batch sizes.

    `flagged`: the caller knows a size may stand in `text` (the region's scan said so of every
    block); the expression then runs without asking the scan about this text again."""
    found: list[str] = []
    for m in (_SIZE_FAST if flagged else _SIZE).finditer(text[:10_000]):
        start, end = m.span()
        size = m.group(0)
        # one search of the words before, after and of the amount itself, joined by NUL
        if _NOT_DATA_SIZE.search(f"{text[max(0, start - 30) : start]}\x00{text[end : end + 25]}\x00{size}") is None:
            found.append(size.strip())
    return found
