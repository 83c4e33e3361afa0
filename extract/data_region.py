"""Where a card describes its training data: the region extract/data_info.py scores.

The region is every block of the sections whose titles name data or training (`_section_kinds`:
the nearest title that settles anything settles a section), plus, elsewhere, the sentences that
say what the model was trained on, the list items they introduce and "Data: ..." labels, bounded to
MAX_REGION_CHARS; and the tables of those sections or whose header pairs a source column with an
amount column. Evaluation, licence and citation sections stay out.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import groupby
from operator import attrgetter

from extract.card import ParsedCard, Table, TextBlock, flatten
from extract.card_scan import SEP, join
from extract.data_patterns import (
    MAX_REGION_CHARS,
    _AMOUNT_COLUMN,
    _ANCHOR,
    _DATA_LABEL_WORDS,
    _DATA_TITLE,
    _IGNORED_TITLE,
    _LABEL,
    _Region,
    _SOURCE_COLUMN,
    _TRAIN_TITLE,
    _may_label,
)

_SECTION_OF = attrgetter("section_index")


def _data_region(card: ParsedCard, whole: bool = False) -> _Region:
    region = _Region()
    kinds = _section_kinds(card)
    if whole:
        kinds = ["data" if kind == "other" else kind for kind in kinds]
    # a cheap pre-check: can any block outside the data sections join the region?
    anchored = _ANCHOR.search(card.prose.text) is not None or _DATA_LABEL_WORDS.search(card.prose.text) is not None
    by_section: dict[int, list[TextBlock | Table]] = {}
    for index, run in groupby(card.segments, _SECTION_OF):  # runs of one section (in card order)
        by_section.setdefault(index, []).extend(run)
    for i, kind in enumerate(kinds):
        blocks = by_section.get(i, [])
        if kind in ("data", "training"):
            # a dataset card's template headings ("Data Collection and Processing") are no detail
            region.blocks.extend(b for b in flatten(blocks) if not (whole and b.kind == "heading"))
            region.add_section(i)
            if kind == "data":
                region.data_section_ids.add(i)
            continue
        if kind == "ignored":
            continue
        if not anchored:
            continue  # no block outside the data sections says what the model was trained on
        introduced = False
        for block in blocks:
            if isinstance(block, Table):  # its rows join no region here; they end an introduction
                introduced = introduced and not block.row_blocks()
                continue
            if block.kind == "list_item" and introduced:
                region.blocks.append(block)
                continue
            introduced = False
            if block.kind in ("paragraph", "list_item", "quote", "html") and _ANCHOR.search(block.text[:5000]):
                region.blocks.append(block)
                region.add_section(i)
                introduced = block.text.rstrip().endswith(":")
            elif block.kind in ("paragraph", "list_item") and _is_data_label(block.text):
                region.blocks.append(block)
                region.add_section(i)
    region.blocks = _bounded(region.blocks)
    region.text = join([b.text[:10_000] for b in region.blocks])
    for table in card.tables[:200]:
        if table.section_index < len(kinds) and kinds[table.section_index] in ("data", "training"):
            region.tables.append(table)
        elif _is_source_table(table) and (table.section_index >= len(kinds) or kinds[table.section_index] != "ignored"):
            region.tables.append(table)
            region.add_section(table.section_index)
    return region


def _bounded(blocks: list[TextBlock]) -> list[TextBlock]:
    """Keep blocks up to MAX_REGION_CHARS in total: every regex below runs on bounded text."""
    kept: list[TextBlock] = []
    total = 0
    for block in blocks:
        total += len(block.text)
        if total > MAX_REGION_CHARS:
            break
        kept.append(block)
    return kept


@lru_cache(maxsize=2048)
def _title_decides(title: str) -> str:
    """What a title settles when the titles below it settled nothing: "" when it settles nothing."""
    if _IGNORED_TITLE.search(title) and not (_DATA_TITLE.search(title) or _TRAIN_TITLE.search(title)):
        return "ignored"
    if _DATA_TITLE.search(title):
        return "data"
    if _TRAIN_TITLE.search(title):
        return "training"
    return ""


def _section_kinds(card: ParsedCard) -> list[str]:
    """Each section's kind: data, training, ignored or other. The nearest title, own first then its
    ancestors' outwards, that settles anything settles it (`_title_decides`); an own title that
    names an ignored topic and no data makes it ignored whatever its ancestors say. Each title is
    searched once: a section's ancestors are its parent's and the parent, so what the parent's
    chain settles is reused."""
    sections = card.sections
    if not sections:
        return []
    chain: list[str] = []  # what the section's titles, own first then its ancestors', settle
    kinds: list[str] = []
    for i, section in enumerate(sections):
        title = section.title
        settled = _title_decides(title) if title else ""
        if not settled:
            ancestors = card.ancestors(i)
            settled = chain[ancestors[-1]] if ancestors else ""
        chain.append(settled)
        if settled == "ignored" or (settled == "training" and _IGNORED_TITLE.search(title)):
            kinds.append("ignored")  # an ignored own title, unless it also names data
        else:
            kinds.append(chain[i] or "other")
    return kinds


def _is_data_label(text: str) -> bool:
    label = _LABEL.match(text) if _may_label(text) else None
    return bool(label and _DATA_LABEL_WORDS.search(label.group(1)))


def _is_source_table(table: Table) -> bool:
    if table.row_count < 2 or not table.header:
        return False
    header = SEP.join(table.header)  # one search for all cells: a NUL is a cell's edge to these patterns
    return _SOURCE_COLUMN.search(header) is not None and _AMOUNT_COLUMN.search(header) is not None
