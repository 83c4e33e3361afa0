"""Named training-data sources in a card: source tables, labelled list items, enumerations after
"trained on ...", and the datasets its metadata declares (for extract/data_info.py).

Pure: data in, signals out.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from extract.card import ParsedCard, Table, split_sentences
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
    introducers = _INTRODUCER.search(region.text.text) is not None  # else no sentence lists names
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
