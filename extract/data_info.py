"""How completely does a card describe the model's TRAINING DATA? (score 0..100, `sufficient`)

The OSI definition asks for "sufficiently detailed information about the data used to train the
system so that a skilled person can build a substantially equivalent system": what the sources
are, how much of each, how the data was obtained, and how it was selected, filtered and
processed. We look for those kinds of detail, each scored once:

=====================  ======  =====================================================================
signal                 points  what counts
=====================  ======  =====================================================================
named-sources          6/10/15 1 / 2 / 3+ named sources (tables, lists, enumerations, dataset links,
                               declared Hub datasets); generic categories ("web documents, code")
                               only give `source-categories` (4)
size                   10      an amount with a data unit (tokens, documents, pairs, hours, GB, ...)
per-source-size        10      sizes per source (3+ sizes, a size column, or "token counts")
mixture                12      proportions per source (fraction column, several "% of the data",
                               sampling weights); 6 when only implied by per-source sizes, a
                               single share, or a pointer to "a breakdown of the sources"
collection             10      how it was gathered (crawl, scraped, snapshot, collected, cut-off, dates);
                               4 for the vague "publicly available"
filtering              10      quality/toxicity/language/PII filters, decontamination
deduplication          8
processing             8       tokenisation, cleaning, normalisation, format conversion, mining
selection              5       selection/curation/exclusion criteria
documentation          8       a dataset card, datasheet or technical report for the data
data-released          20      the card says the training data itself is published, with a link
declared-datasets      5       datasets declared in the card metadata / `dataset:` tags
paper                  2       an arXiv id or paper link: a paper is not detail in itself
=====================  ======  =====================================================================

Threshold: ``sufficient = score >= 50 and (named sources or data released)``. 50 cannot be reached
by one or two kinds of detail: a "Training Data" heading with a sentence such as "N trillion tokens
of publicly available data, filtered for quality" collects size + weak collection + filtering
(~25-40). Reaching 50 takes four or more independent kinds (e.g. sources + size + mixture +
collection, or sources + size + filtering + processing), which is what a rebuild needs. Without
knowing *which* sources were used nothing substantially equivalent can be rebuilt, hence the
named-sources condition; a card whose training data is itself published (data-released) meets it,
since the data is the most complete description there is.

Where we look: sections whose title names data ("Training Data", "Model Data", "Dataset",
"Data Preprocessing" and their subsections), training sections ("Training", "Training Details"),
sentences elsewhere that say what the model was trained on (plus the list they introduce), and
tables whose header pairs a source column with a size or fraction column. Evaluation, licence and
citation sections are ignored.

The points and patterns live in extract/data_patterns.py, the reading of named sources in
extract/data_names.py, the finding of the region in extract/data_region.py.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence
from urllib.parse import urlparse

from extract.card import Link, ParsedCard, Table
from extract.card_scan import SEP
from extract.literals import Guarded
from extract.types import DataInformationEvidence, Finding
from extract.version_input import VersionInput
from extract.data_region import _data_region
from extract.data_names import _add_source, _data_sizes, _declared_datasets, _is_named, _named_sources
from extract.data_patterns import (
    MAX_SECTIONS_REPORTED,
    POINTS,
    SUFFICIENT_SCORE,
    _ANCHOR,
    _COLLECTION,
    _COLLECTION_VAGUE,
    _COLLECTION_WEAK,
    _COMPOSITION_PHRASE,
    _DATA_LINK_TEXT,
    _DATA_WORD,
    _DEDUP,
    _DOC_PHRASE,
    _FILTERING,
    _MIXTURE_COLUMN,
    _MIXTURE_HINT,
    _MIXTURE_PHRASE,
    _NAMED_ONE,
    _NAMED_TWO,
    _NEGATION,
    _PERCENT,
    _PERCENT_OF_DATA,
    _PER_SOURCE_PHRASE,
    _PROCESSING,
    _RELEASED,
    _Region,
    _SELECTION,
    _SIZE,
    _SIZE_COLUMN,
    _SOURCE_COLUMN,
    _Signals,
    _TRAIN_WORD,
    _YEAR_RANGE,
    _fast,
)

_DIGIT = re.compile(r"\d")


def data_information(inp: VersionInput, *, repo_docs: Sequence[tuple[str, str, str]] = ()) -> DataInformationEvidence:
    """Score how completely the training data is described (see module docstring).

    Read from the model card, and from where the data is often written instead: the declared
    datasets' own cards (`inp.datasets`: id -> StoredDataset) and the linked code repositories' data
    documentation (`repo_docs`: (repo, path, text)). Each kind of detail scores once; the evidence
    says which document gave which points (extract/data_sources.py).
    """
    from .data_sources import combined_data_information  # it builds on this module's signals

    return combined_data_information(inp.card, inp.card_data, inp.tags, inp.datasets, repo_docs)


def document_signals(
    card: ParsedCard, card_data: Mapping[str, Any], tags: Sequence[str], *, whole: bool = False, model_card: bool = True
) -> tuple[_Signals, _Region]:
    """The details one document gives. `whole`: every section is about data (a dataset card, a data doc)."""
    card_data = card_data if isinstance(card_data, Mapping) else {}
    region = _data_region(card, whole=whole)
    signals = _Signals()
    _named_sources(card, region, signals)
    if model_card:
        _declared_datasets(card_data, tags, signals)
    _text_signals(card, region, signals)
    _table_signals(card, region, signals)
    _link_signals(card, region, signals, tags)
    return signals, region


def verdict(signals: _Signals, card: ParsedCard, region: _Region, documents: Sequence[str] = ("model card",)) -> DataInformationEvidence:
    """Score merged signals and state whether they suffice."""
    score, named = _score(signals)
    released = "data-released" in signals.points
    sufficient = score >= SUFFICIENT_SCORE and (named > 0 or released)
    names = tuple(_signal_label(k, signals) for k in POINTS if k in signals.points)
    if "data-not-released" in signals.points:
        names += ("data-not-released",)
    titles = tuple(dict.fromkeys(card.section_title(i) or "(top)" for i in region.section_ids))[:MAX_SECTIONS_REPORTED]
    summary = Finding(
        source="card",
        reason=f"data information score {score}/100 ({'sufficient' if sufficient else 'insufficient'}; "
        f"threshold {SUFFICIENT_SCORE} with named sources or released data)",
        confidence=0.7,
    )
    return DataInformationEvidence(
        score=score,
        sufficient=sufficient,
        sections=titles,
        signals=names,
        findings=(summary, *signals.findings[:40]),
        documents=tuple(documents),
    )


def _signal_label(name: str, signals: _Signals) -> str:
    if name == "named-sources":
        return f"named-sources:{len(signals.sources)}"
    return name


def _score(signals: _Signals) -> tuple[int, int]:
    named = len(signals.sources)
    if named:
        points = POINTS["named-sources"] if named >= 3 else _NAMED_TWO if named == 2 else _NAMED_ONE
        signals.points["named-sources"] = points
        shown = ", ".join(list(signals.sources.values())[:8])
        signals.findings.insert(0, Finding("card", f"{named} named data source(s): {shown}", 0.8))
    total = sum(v for k, v in signals.points.items() if k in POINTS)
    return min(100, total), named


# --- text, tables, links ------------------------------------------------------------------------


def _section_source(card: ParsedCard, index: int) -> str:
    title = card.section_title(index)
    return f"card:## {title}" if title else "card"


def _first(pattern: re.Pattern[str] | Guarded, region: _Region, card: ParsedCard, *, data_only: bool = False) -> tuple[str, str] | None:
    """First (matched text, source) of `pattern` in the region's blocks."""
    for k in region.text.candidates(pattern):
        block = region.blocks[k]
        if data_only and block.section_index not in region.data_section_ids and not _DATA_WORD.search(block.text):
            continue
        m = pattern.search(block.text[:10_000])
        if m:
            return m.group(0), _section_source(card, block.section_index)
    return None


def _sizes(region: _Region, card: ParsedCard) -> list[tuple[str, str]]:
    """The region's data sizes, block by block, up to 50 or so. Every size holds a digit: a block
    without one is passed over (`_SIZE` runs on each block's text, not once more on the region's;
    the region's scan, made for every pattern below, says first whether any block may hold one)."""
    found: list[tuple[str, str]] = []
    if not _SIZE.may_occur_in(region.text.text):  # no block holds a size (the region's one scan says so)
        return found
    for block in region.blocks:
        text = block.text
        if _DIGIT.search(text[:10_000]) is None:
            continue
        found.extend((size, _section_source(card, block.section_index)) for size in _data_sizes(text, flagged=True))
        if len(found) >= 50:
            break
    return found


def _text_signals(card: ParsedCard, region: _Region, signals: _Signals) -> None:
    sizes = _sizes(region, card)
    if sizes:
        signals.add("size", POINTS["size"], sizes[0][1], f"data size given: \"{sizes[0][0]}\"")
    distinct = list(dict.fromkeys(s for s, _ in sizes))
    if len(distinct) >= 3:
        signals.add("per-source-size", POINTS["per-source-size"], sizes[0][1], f"{len(distinct)} data sizes: {', '.join(distinct[:5])}")
    hit = _first(_PER_SOURCE_PHRASE, region, card)
    if hit:
        signals.add("per-source-size", POINTS["per-source-size"], hit[1], f"per-source counts referenced: \"{hit[0]}\"", 0.6)
    hit = _first(_MIXTURE_PHRASE, region, card)
    percents = _data_percentages(region)
    if hit:
        signals.add("mixture", POINTS["mixture"], hit[1], f"sampling/mixture weights: \"{hit[0]}\"")
    elif len(percents) >= 2:
        signals.add("mixture", POINTS["mixture"], "card", f"proportions given: {', '.join(percents[:5])}")
    else:
        hit = _first(_PERCENT_OF_DATA, region, card)
        if hit:  # one share ("10% of the data") is a hint, not a mixture
            signals.add("mixture", _MIXTURE_HINT, hit[1], f"one share of the data given: \"{hit[0]}\"", 0.5)
        else:
            hit = _first(_COMPOSITION_PHRASE, region, card, data_only=True)
            if hit:  # "see the paper for a breakdown of all data sources"
                signals.add("mixture", _MIXTURE_HINT, hit[1], f"composition documented elsewhere: \"{hit[0]}\"", 0.5)
    hit = _first(_COLLECTION, region, card) or _first(_YEAR_RANGE, region, card, data_only=True)
    if hit:
        signals.add("collection", POINTS["collection"], hit[1], f"collection described: \"{hit[0]}\"")
    else:
        hit = _first(_COLLECTION_WEAK, region, card)
        if hit:
            signals.add("collection", _COLLECTION_VAGUE, hit[1], f"only a vague provenance: \"{hit[0]}\"", 0.5)
    for name, pattern, why in (
        ("filtering", _FILTERING, "filtering described"),
        ("deduplication", _DEDUP, "deduplication described"),
        ("processing", _PROCESSING, "processing described"),
        ("selection", _SELECTION, "selection/curation described"),
        ("documentation", _DOC_PHRASE, "data documentation referenced"),
    ):
        hit = _first(pattern, region, card, data_only=name in ("filtering", "selection"))
        if hit:
            signals.add(name, POINTS[name], hit[1], f"{why}: \"{hit[0]}\"")
    for k in region.text.candidates(_RELEASED):  # a sentence that says so is in one of these blocks
        block = region.blocks[k]
        for sentence in block.sentences:
            m = _RELEASED.search(sentence)
            if not m:
                continue
            source = _section_source(card, block.section_index)
            if _NEGATION.search(sentence):
                signals.points.setdefault("data-not-released", 0)
                signals.findings.append(Finding(source, f"card says the data is not released: \"{sentence[:200]}\"", 0.8))
            elif _links_in(card, sentence):
                signals.add("data-released", POINTS["data-released"], source, f"card says the training data is published: \"{sentence[:200]}\"")


def _links_in(card: ParsedCard, sentence: str) -> list[Link]:
    return [link for link in card.links if link.context and (link.context in sentence or sentence in link.context)]


_NOT_A_SHARE = _fast(re.compile(r"\b(steps|masked|accuracy|score|pass@|improv\w*|increase\w*|dropout)\b", re.I))


def _data_percentages(region: _Region) -> list[str]:
    found: list[str] = []
    for block in region.blocks:
        if "%" not in block.text[:10_000]:
            continue  # no sentence of it holds a percentage (its sentences are of these characters)
        for sentence in block.sentences:
            if "%" not in sentence:
                continue
            if not _DATA_WORD.search(sentence) and block.kind != "table_row":
                continue
            if _NOT_A_SHARE.search(sentence):
                continue
            found.extend(_PERCENT.findall(sentence))
    return list(dict.fromkeys(found))


def _table_signals(card: ParsedCard, region: _Region, signals: _Signals) -> None:
    for table in region.tables:
        if len(table.rows) < 2:
            continue
        if _SOURCE_COLUMN.search(SEP.join(table.header)) is None:
            continue
        source = _section_source(card, table.section_index)
        header = " | ".join(table.header)
        size_cols = [i for i, h in enumerate(table.header) if _SIZE_COLUMN.search(h) and not _MIXTURE_COLUMN.search(h)]
        mix_cols = [i for i, h in enumerate(table.header) if _MIXTURE_COLUMN.search(h)]
        if any(_numeric_cells(table, i) >= 2 for i in size_cols):
            signals.add("size", POINTS["size"], source, f"table with a size column ({header[:120]})")
            signals.add("per-source-size", POINTS["per-source-size"], source, f"sizes per source in a table ({len(table.rows)} rows)")
        if any(_numeric_cells(table, i) >= 2 for i in mix_cols):
            signals.add("mixture", POINTS["mixture"], source, f"proportions per source in a table ({header[:120]})")
    if "per-source-size" in signals.points and "mixture" not in signals.points:
        signals.add("mixture", _MIXTURE_HINT, "card", "mixture implied by per-source sizes", 0.5)


_NOT_DATA_HOSTS = ("github.com", "gitlab.com", "arxiv.org", "huggingface.co", "hf.co", "wandb.ai", "twitter.com", "x.com")


def _names_data_source(link: Link) -> bool:
    """A link from the data description whose text names a source (BookCorpus, English Wikipedia)."""
    host = urlparse(link.url.lower()).netloc.removeprefix("www.")
    if any(host == h or host.endswith("." + h) for h in _NOT_DATA_HOSTS):
        return False  # code, papers and model pages; Hub dataset pages are handled before
    text = link.text.strip()
    return text != link.url.strip() and len(text.split()) <= 6 and _is_named(text) and bool(_DATA_WORD.search(link.context))


def _numeric_cells(table: Table, col: int) -> int:
    return sum(1 for row in table.rows if col < len(row) and _DIGIT.search(row[col]))


_DOC_LINK = _fast(re.compile(r"report|datasheet|data card|blog|paper", re.I))


def _link_signals(card: ParsedCard, region: _Region, signals: _Signals, tags: Sequence[str]) -> None:
    region_sections = set(region.section_ids)
    data_sections = region.data_section_ids
    anchored: bool | None = None  # asked when a link outside the region first needs it
    for link in card.links:
        url = link.url.lower()
        if not url.startswith(("http://", "https://")):
            continue
        context = link.context
        section = link.section_index
        in_region = section in region_sections and (section in data_sections or _DATA_WORD.search(context) is not None)
        is_dataset_page = "huggingface.co/datasets/" in url or "hf.co/datasets/" in url or "kaggle.com/datasets" in url
        if is_dataset_page and _DATA_LINK_TEXT.match(link.text.strip()) and _TRAIN_WORD.search(context) and not _NEGATION.search(context):
            signals.add("data-released", POINTS["data-released"], f"url:{link.url[:200]}", f"training data published: \"{context[:160]}\"")
        if not in_region:
            if anchored is None:
                # asked once of every link's context joined, not link by link: in most cards no
                # context can hold an anchor (`may_occur_in` answers for every piece of the joined text)
                anchored = _ANCHOR.may_occur_in(SEP.join([other.context for other in card.links]))
            if not anchored or _ANCHOR.search(context) is None:
                continue  # not about data
        source = f"url:{link.url[:200]}"
        if is_dataset_page:
            signals.add("documentation", POINTS["documentation"], source, f"dataset card linked for the training data ({link.text[:60]})")
            if _is_named(link.text):
                _add_source(signals, link.text)
        elif url.split("?")[0].endswith(".pdf") or _DOC_LINK.search(link.text + " " + context):
            if "arxiv.org" in urlparse(url).netloc:
                signals.add("paper", POINTS["paper"], source, "paper linked from the data description", 0.5)
            else:
                signals.add("documentation", POINTS["documentation"], source, f"data documentation linked ({link.text[:60]})")
        elif _names_data_source(link):
            _add_source(signals, link.text)
    papers = [t for t in tags if isinstance(t, str) and t.startswith("arxiv:")]
    if papers or any("arxiv.org" in link.url for link in card.links):
        signals.add("paper", POINTS["paper"], f"tag:{papers[0]}" if papers else "card", "paper referenced (not detail in itself)", 0.4)
