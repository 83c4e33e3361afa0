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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence
from urllib.parse import urlparse

import policy
from extract.card import Link, ParsedCard, Table, TextBlock, flatten, split_sentences
from extract.card_scan import Joined, join, prefilter
from extract.types import DataInformationEvidence, Finding
from extract.version_input import VersionInput

# Points and threshold are policy (policy/data_information.yaml); the table above shows their values.
_POLICY = policy.load("data_information")
SUFFICIENT_SCORE: int = _POLICY["sufficient_score"]
MAX_REGION_CHARS = 100_000
MAX_SECTIONS_REPORTED = 20

# signal name -> points (named-sources and mixture/collection have graded values, see _score)
POINTS: dict[str, int] = dict(_POLICY["points"])
_NAMED_ONE: int = _POLICY["named_sources"]["one"]
_NAMED_TWO: int = _POLICY["named_sources"]["two"]
_MIXTURE_HINT: int = _POLICY["partial"]["mixture-hint"]
_COLLECTION_VAGUE: int = _POLICY["partial"]["collection-vague"]

# --- where data is described --------------------------------------------------------------

_DATA_TITLE = re.compile(
    r"\b(data|dataset|datasets|datasheet|corpus|corpora|data\s*mix(ture)?|pre-?training\s+mix)\b", re.I
)
_TRAIN_TITLE = re.compile(r"\b(train|training|pre-?training|pretrained|fine-?tuning|finetuning)\b", re.I)
_IGNORED_TITLE = re.compile(
    r"\b(eval\w*|benchmark\w*|results?|leaderboard|citation|cite|bibtex|licen[cs]\w*|terms|"
    r"prompt\w*|quantiz\w*|quants?|download\w*|contact|acknowledg\w*|limitations?|bias|"
    r"risks?|ethic\w*|usage|how to|inference|environmental|carbon|hardware|authors?|team)\b",
    re.I,
)
# A sentence that says what the model was trained on.
_ANCHOR = prefilter(re.compile(
    r"\b(?:trained|pre-?trained|fine-?tuned|finetuned|trains|training)\s+(?:\w+\s+){0,3}?on\b"
    r"|\b(?:training|pre-?training|fine-?tuning)\s+(?:data|dataset|datasets|corpus|corpora|set|mix|mixture)\b"
    r"|\bdata\s+(?:mix|mixture|curation|collection|sources?)\b",
    re.I,
))
_DATA_WORD = re.compile(
    r"\b(data|dataset|datasets|corpus|corpora|tokens|documents|pairs|examples|samples|instructions|"
    r"conversations|sources|texts?|training set|mix|mixture)\b",
    re.I,
)
# What introduces a list of sources: "text pairs from A, B and C", "trained on A and B", "sources (A, B)".
_INTRODUCER = prefilter(re.compile(
    r"\b(?:data|dataset|datasets|corpus|corpora|sources?|tokens|documents|pairs|examples|samples|instructions|"
    r"texts?|collection|mix|mixture)\b[^.;,()]{0,25}?(?:\bfrom\b|\bof\b|\bincluding\b|\bsuch as\b|\blike\b|:|\()"
    r"|\b(?:trained|pre-?trained|fine-?tuned|finetuned|trains)\s+(?:\w+\s+){0,2}?on\b"
    r"|\b(?:sourced|collected|gathered|scraped|crawled|drawn|compiled)\s+from\b|\bincludes?:?",
    re.I,
))

# --- signals ------------------------------------------------------------------------------

_NUM = r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_LOOSE_NUM = r"~?\s*\d[\d,.]*(?:\s?(?:[KMBT]|k|bn|thousand|million|billion|trillion)\b)?"
_SCALE = r"(?:\s?(?:[KMBT]|k|bn|thousand|million|billion|trillion)\b)?"
_UNIT = (
    r"(?:tokens?|words?|documents?|docs|examples?|samples?|pairs|sentences|images|hours|books|articles|"
    r"files|instructions|conversations|dialogues|entries|pages|utterances|videos|clips|records|rows|"
    r"questions|prompts|GB|TB|PB|GiB|TiB|PiB)"
)
_SIZE = prefilter(re.compile(
    _NUM + _SCALE + r"\+?\s?(?:-\s?)?(?:of\s+)?(?:[A-Za-z][\w\-]{0,30}\s+){0,2}?" + _UNIT + r"\b"
    r"|\b(?:tokens|examples|samples|documents|pairs|dataset size)\s*[:=]\s*" + _LOOSE_NUM,
))
# Amounts that are not data sizes: context windows, sequence lengths, batch sizes.
_NOT_DATA_SIZE = re.compile(r"context|window|sequence|seq\.? len|batch|max(imum)?\b|length|vocab", re.I)
_PER_SOURCE_PHRASE = prefilter(re.compile(r"\b(token|document|example|sample|word)\s+counts?\b", re.I))
_COMPOSITION_PHRASE = prefilter(re.compile(r"\b(?:breakdown|composition)\s+of\b", re.I))
_PROCESSING_STEP = re.compile(
    r"filter|dedup|duplicat|process|clean|tokeni[sz]|removal|quality|safety|identification|classification|"
    r"mixing|sampling|decontamina",
    re.I,
)
_PERCENT = prefilter(re.compile(r"\d+(?:\.\d+)?\s?%"))
_PERCENT_OF_DATA = prefilter(re.compile(
    r"\d+(?:\.\d+)?\s?%\s+of\s+(?:the\s+)?(?:total\s+|training\s+|pretraining\s+)?"
    r"(?:data|dataset|datasets|mix|mixture|corpus|tokens)\b",
    re.I,
))
_MIXTURE_PHRASE = prefilter(re.compile(
    r"\bsampl\w+\s+(?:with|using|by|according to)\s+(?:\w+\s+)?weights?\b"
    r"|\bsampling\s+(?:weights?|ratios?|proportions?|probabilit\w+|rates?)\b"
    r"|\b(?:mixture|mixing|mix)\s+(?:weights?|proportions?|ratios?)\b"
    r"|\bup-?sampl\w+|\bdown-?sampl\w+"
    r"|\bepochs?\s+(?:over|on)\s+(?:each|every)\b",
    re.I,
))
_MIXTURE_COLUMN = re.compile(r"\b(?:fraction|proportion|percent(?:age)?|share|(?:sampling |mixture )?weight|ratio|sampling|mix)\b|%", re.I)
_SIZE_COLUMN = re.compile(
    r"tokens?|size|#|count|docs|documents|\bGB\b|\bTB\b|examples|samples|hours|lines|rows|pairs|words", re.I
)
_SOURCE_COLUMN = re.compile(r"\b(?:sources?|datasets?|data\s+sources?|corpus|corpora|subsets?|components?|domains?)\b", re.I)
_AMOUNT_COLUMN = re.compile(
    r"\b(?:tokens?|size|documents|docs|examples|samples|hours|fraction|proportion|percent(?:age)?|share|"
    r"sampling|mixture|epochs?)\b|%|#",
    re.I,
)
_COLLECTION = prefilter(re.compile(
    r"\bcrawl\w*|\bscrap(?:ed|ing)\b|\bcollected\b|\bcollection (?:process|method|pipeline|was|is)\b|"
    r"\bgathered\b|\bharvest\w*|\bsnapshots?\b|\bdumps?\b|\bcommon ?crawl\b|\bsourced from\b|"
    r"\bobtained from\b|\bdownloaded from\b|\bcurated by\b|\bcompiled from\b|\bextracted from\b|"
    r"\b(?:knowledge|data|training data) cut-?off\b|\bcut-?off date\b",
    re.I,
))
_YEAR_RANGE = prefilter(re.compile(r"\b(?:19|20)\d\d\s?[-–]\s?(?:19|20)?\d\d\b"))
_COLLECTION_WEAK = prefilter(re.compile(r"\bpublicly available\b|\bpublic (?:web|internet|sources|data)\b|\bonline data\b", re.I))
_FILTERING = prefilter(re.compile(
    r"\bfilter\w*|\bquality classifier|\bclassifier-based\b|\btoxic\w*|\bnsfw\b|\bcsam\b|\bpii\b|"
    r"\bpersonal(?:ly identifiable)? (?:information|data)\b|\blanguage (?:id|identification|detection|classifier)\b|"
    r"\bfasttext\b|\bperplexity\b|\bheuristic\w*|\bblock-?list\w*|\bdecontaminat\w*|\bmasked (?:out|with)\b|"
    r"\banonymi[sz]\w*|\bredact\w*|\bopt-?outs?\b|\brobots\.txt\b",
    re.I,
))
_DEDUP = prefilter(re.compile(
    r"\bde-?duplicat\w*|\bdedup\w*|\bnear[- ]duplicates?\b|\bminhash\b|"
    r"\bduplicates? (?:were |was |are |is )?removed\b|\bremov\w+ (?:of )?duplicates?\b",
    re.I,
))
_PROCESSING = prefilter(re.compile(
    r"\btokeni[sz](?:ed|ation)\b|\bpre-?process\w*|\bpost-?process\w*|\bnormali[sz]\w*|\blower-?cas\w*|"
    r"\bclean(?:ed|ing)\b|\bformat conversion\b|\bconver(?:ted|sion) (?:to|into)\b|\bchunk\w*|"
    r"\b(?:sequence )?packing\b|\b(?:before|after) processing\b|\bocr\b|\btranscri\w*|"
    r"\btext extraction\b|\bnegative mining\b|\bmined\b|\bdeidentif\w*",
    re.I,
))
_SELECTION = prefilter(re.compile(
    r"\bselect(?:ed|ion)\b|\bcurat\w+|\bchosen\b|\bhand-?picked\b|\bexclud\w+|\binclusion criteria\b|"
    r"\bhigh(?:er)?[- ]quality\b",
    re.I,
))
_DOC_PHRASE = prefilter(re.compile(
    r"\bdataset cards?\b|\bdata cards?\b|\bdatasheets?\b|\btechnical report\b|\bdata statement\b", re.I
))
_RELEASED = prefilter(re.compile(
    r"\b(?:data|dataset|datasets|corpus|corpora|mix|mixture|training set)\b[^.;]{0,80}?"
    r"\b(?:is|are|was|were|be|has been|have been)\s+(?:\w+\s+)?(?:released|published|open[- ]sourced|"
    r"made (?:publicly |openly |freely )?available|(?:publicly |openly |freely )?available)\b"
    r"|\bwe\s+(?:\w+\s+)?(?:release|publish|open[- ]source)\b[^.;]{0,80}?\b(?:data|dataset|datasets|corpus|corpora|mix|mixture)\b"
    r"|\b(?:data|dataset|datasets|corpus|corpora|mix|mixture|training set)\b[^.;]{0,80}?\bthat we (?:release|publish|open[- ]source)",
    re.I,
))
_NEGATION = re.compile(
    r"\b(?:not|never|no longer|won't|cannot|can't|isn't|aren't|unpublished|proprietary|internal|private)\b", re.I
)
_DATA_LINK_TEXT = re.compile(r"^(?:the\s+)?(?:training\s+|pretraining\s+)?(?:data|dataset|datasets|corpus|mix|mixture)$", re.I)
_TRAIN_WORD = re.compile(r"\b(?:pre-?train\w*|train\w*|fine-?tun\w*|sft)\b", re.I)

# Words that describe kinds of data rather than name a source ("Web documents", "Books", "Code").
_GENERIC = frozenset(
    """
    a an the and or of from on in with for to by as at via plus other others misc miscellaneous various
    web documents document data dataset datasets text texts code codes books book news articles article
    conversations conversation dialogue dialogues technical scientific science papers paper academic math
    mathematics synthetic instructions instruction chat general social media forums forum blogs blog posts
    post comments comment reviews review encyclopedic encyclopedia reference legal patents patent medical
    multilingual public publicly available high quality high-quality filtered curated educational total mix
    corpus corpora source sources pretraining pre-training training fine-tuning finetuning tokens token
    examples steps precision tokenizer architecture gpus gpu tpus tpu cpus hardware subset subsets sample
    samples dialog question questions answers answer pairs pair sentences images image captions caption
    speech audio video videos transcripts websites website pages page crawl crawled english korean french
    german spanish chinese japanese arabic hindi russian portuguese italian dutch languages language
    online content content domain domains collection collections dictionary dictionaries wiki fiction
    non-fiction novels stories textbooks textbook exercises problems solutions proofs tables table lists
    model models these this that it its our we they their new newly created original several many most
    some all each including includes include such e.g etc approx approximately about over under up
    gb tb pb mb gib tib k m b bn
    """.split()
)
# Names that show up next to training data but are hardware, frameworks, companies or acronyms.
_NOT_SOURCE = frozenset(
    """
    jax flax pytorch tensorflow deepspeed megatron megatron-lm nemo pathways cuda nvidia google microsoft
    ai ml nlp llm llms cv api gpt bf16 fp16 bfloat16 float16 sft rlhf dpo ppo mlm clm nsp moe
    """.split()
)
# A fragment mentioning compute is about hardware ("trained on 4 cloud TPUs in Pod configuration").
_COMPUTE = re.compile(r"\b(?:[AHV]\d{2,3}\w*|TPU\w*|GPU\w*|CPU\w*|clusters?|nodes|chips|pods?|supercomputer)\b", re.I)
_HARDWARE = re.compile(r"^(?:[AHVLT]\d{2,3}\w*|TPU\w*|GPU\w*|CPU\w*)$", re.I)
_FRAGMENT_SPLIT = re.compile(r"[,;:()\[\]]|\band\b|\bor\b|\bplus\b|\bas well as\b|\s[-–—]\s", re.I)
_LAST_PREP = re.compile(r".*\b(?:from|on|of|including|like|as|in|with)\s+", re.I | re.S)
_DATA_LABEL_WORDS = prefilter(re.compile(r"\b(training|pre-?training|fine-?tuning)\s+(data|datasets?|corpus)\b", re.I))
_LABEL = re.compile(r"^\s*([^:]{1,60}?)\s*(?::|\s[-–—]\s)\s*\S")


@dataclass
class _Region:
    """The parts of the card that describe data."""

    blocks: list[TextBlock] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    section_ids: list[int] = field(default_factory=list)
    data_section_ids: set[int] = field(default_factory=set)
    text: Joined = field(default_factory=lambda: join([]))  # the blocks' texts (10,000 characters each), joined
    _seen: set[int] = field(default_factory=set)  # section_ids as a set: a list lookup is quadratic over 10,000 sections

    def add_section(self, index: int) -> None:
        if index not in self._seen:
            self._seen.add(index)
            self.section_ids.append(index)


@dataclass
class _Signals:
    points: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # normalised -> as written

    def add(self, name: str, points: int, source: str, reason: str, confidence: float = 0.8) -> None:
        if points > self.points.get(name, -1):
            self.points[name] = points
        self.findings.append(Finding(source=source, reason=reason, confidence=confidence))


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


# --- region ---------------------------------------------------------------------------------


def _data_region(card: ParsedCard, whole: bool = False) -> _Region:
    region = _Region()
    kinds: list[str] = []
    for i, section in enumerate(card.sections):
        titles = [card.sections[j].title for j in card.ancestors(i)] + [section.title]
        kind = _section_kind(titles)
        kinds.append("data" if whole and kind == "other" else kind)
    # a cheap pre-check: can any block outside the data sections join the region?
    anchored = _ANCHOR.search(card.prose.text) is not None or _DATA_LABEL_WORDS.search(card.prose.text) is not None
    by_section: dict[int, list[TextBlock | Table]] = {}
    for segment in card.segments:
        by_section.setdefault(segment.section_index, []).append(segment)
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


def _section_kind(titles: list[str]) -> str:
    own = titles[-1] if titles else ""
    if own and _IGNORED_TITLE.search(own) and not _DATA_TITLE.search(own):
        return "ignored"
    for title in reversed(titles):
        if _IGNORED_TITLE.search(title) and not (_DATA_TITLE.search(title) or _TRAIN_TITLE.search(title)):
            return "ignored"
        if _DATA_TITLE.search(title):
            return "data"
        if _TRAIN_TITLE.search(title):
            return "training"
    return "other"


def _is_data_label(text: str) -> bool:
    label = _LABEL.match(text)
    return bool(label and _DATA_LABEL_WORDS.search(label.group(1)))


def _is_source_table(table: Table) -> bool:
    if table.row_count < 2 or not table.header:
        return False
    return any(_SOURCE_COLUMN.search(h) for h in table.header) and any(_AMOUNT_COLUMN.search(h) for h in table.header)


# --- named sources ----------------------------------------------------------------------------


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


# --- text, tables, links ------------------------------------------------------------------------


def _section_source(card: ParsedCard, index: int) -> str:
    title = card.section_title(index)
    return f"card:## {title}" if title else "card"


def _first(pattern: re.Pattern[str], region: _Region, card: ParsedCard, *, data_only: bool = False) -> tuple[str, str] | None:
    """First (matched text, source) of `pattern` in the region's blocks."""
    for k in region.text.candidates(pattern):
        block = region.blocks[k]
        if data_only and block.section_index not in region.data_section_ids and not _DATA_WORD.search(block.text):
            continue
        m = pattern.search(block.text[:10_000])
        if m:
            return m.group(0), _section_source(card, block.section_index)
    return None


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


def _sizes(region: _Region, card: ParsedCard) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if _SIZE.search(region.text.text) is None:
        return found
    for block in region.blocks:
        found.extend((size, _section_source(card, block.section_index)) for size in _data_sizes(block.text))
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
    for block in region.blocks if _RELEASED.search(region.text.text) else ():
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


def _data_percentages(region: _Region) -> list[str]:
    found: list[str] = []
    if _PERCENT.search(region.text.text) is None:
        return []
    for block in region.blocks:
        for sentence in block.sentences:
            if not _DATA_WORD.search(sentence) and block.kind != "table_row":
                continue
            if re.search(r"\b(steps|masked|accuracy|score|pass@|improv\w*|increase\w*|dropout)\b", sentence, re.I):
                continue
            found.extend(_PERCENT.findall(sentence))
    return list(dict.fromkeys(found))


def _table_signals(card: ParsedCard, region: _Region, signals: _Signals) -> None:
    for table in region.tables:
        if len(table.rows) < 2:
            continue
        source = _section_source(card, table.section_index)
        header = " | ".join(table.header)
        size_cols = [i for i, h in enumerate(table.header) if _SIZE_COLUMN.search(h) and not _MIXTURE_COLUMN.search(h)]
        mix_cols = [i for i, h in enumerate(table.header) if _MIXTURE_COLUMN.search(h)]
        if not any(_SOURCE_COLUMN.search(h) for h in table.header):
            continue
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
    return sum(1 for row in table.rows if col < len(row) and re.search(r"\d", row[col]))


_DATA_HOSTS = ("huggingface.co/datasets/", "hf.co/datasets/", "kaggle.com/datasets", "zenodo.org", "data.")


def _link_signals(card: ParsedCard, region: _Region, signals: _Signals, tags: Sequence[str]) -> None:
    region_sections = set(region.section_ids)
    for link in card.links:
        url = link.url.lower()
        if not url.startswith(("http://", "https://")):
            continue
        context = link.context
        in_region = link.section_index in region_sections and (
            link.section_index in region.data_section_ids or _DATA_WORD.search(context) is not None
        )
        about_data = in_region or _ANCHOR.search(context) is not None
        source = f"url:{link.url[:200]}"
        is_dataset_page = any(h in url for h in _DATA_HOSTS[:3])
        if is_dataset_page and _DATA_LINK_TEXT.match(link.text.strip()) and _TRAIN_WORD.search(context) and not _NEGATION.search(context):
            signals.add("data-released", POINTS["data-released"], source, f"training data published: \"{context[:160]}\"")
        if not about_data:
            continue
        if is_dataset_page:
            signals.add("documentation", POINTS["documentation"], source, f"dataset card linked for the training data ({link.text[:60]})")
            if _is_named(link.text):
                _add_source(signals, link.text)
        elif url.split("?")[0].endswith(".pdf") or re.search(r"report|datasheet|data card|blog|paper", link.text + " " + context, re.I):
            if "arxiv.org" in urlparse(url).netloc:
                signals.add("paper", POINTS["paper"], source, "paper linked from the data description", 0.5)
            else:
                signals.add("documentation", POINTS["documentation"], source, f"data documentation linked ({link.text[:60]})")
        elif _names_data_source(link):
            _add_source(signals, link.text)
    papers = [t for t in tags if isinstance(t, str) and t.startswith("arxiv:")]
    if papers or any("arxiv.org" in link.url for link in card.links):
        signals.add("paper", POINTS["paper"], f"tag:{papers[0]}" if papers else "card", "paper referenced (not detail in itself)", 0.4)
