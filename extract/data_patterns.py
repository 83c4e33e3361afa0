"""What data information looks for: its points (policy/data_information.yaml), the patterns of each
kind of detail, and the region and signals one document collects (extract/data_info.py reads them).

Pure data and patterns; the patterns searched over a region's joined text are `prefilter`ed
(extract/card_scan.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import policy
from policy import patterns
from extract.card import Table, TextBlock
from extract.card_scan import Joined, join, joinable, prefilter
from extract.first_chars import with_first_chars
from extract.types import Finding

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

# --- patterns ---------------------------------------------------------------------------------
# The wording is policy: `card_patterns` in policy/data_information.yaml (each entry says what it
# recognises). Those searched over a region's joined text are `prefilter`ed (extract/card_scan.py).
_P = patterns.compiled("data_information")


def _fast(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` tried only where a match can start (extract/first_chars.py: the same matches, groups
    and splits): for the patterns searched on short texts (titles, header cells, sentences, link
    contexts), where a guard costs more than the search."""
    return with_first_chars(pattern)


def _joinable(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`_fast(pattern)`, after checking it may run on NUL-joined texts (extract/card_scan.py): several
    short texts (a table's header cells) are then searched at once."""
    why = joinable(pattern)
    if why is not None:
        raise ValueError(f"pattern {pattern.pattern[:80]!r} cannot run on joined text: {why}")
    return _fast(pattern)


_DATA_TITLE = _fast(_P["data-title"])
_TRAIN_TITLE = _fast(_P["train-title"])
_IGNORED_TITLE = _fast(_P["ignored-title"])
_ANCHOR = prefilter(_P["anchor"])
_DATA_WORD = _fast(_P["data-word"])
_INTRODUCER = prefilter(_P["introducer"])
_INTRODUCER_RE = _P["introducer"]  # the expression itself, for sentences a literal check has passed
_SIZE = prefilter(_P["size"])
_SIZE_FAST = with_first_chars(_P["size"])  # the same matches, without asking the scan
_NOT_DATA_SIZE = _joinable(_P["not-data-size"])  # searched over the words around a size, joined by NUL
_PER_SOURCE_PHRASE = prefilter(_P["per-source-phrase"])
_COMPOSITION_PHRASE = prefilter(_P["composition-phrase"])
_PROCESSING_STEP = _fast(_P["processing-step"])
_PERCENT = prefilter(_P["percent"])
_PERCENT_OF_DATA = prefilter(_P["percent-of-data"])
_MIXTURE_PHRASE = prefilter(_P["mixture-phrase"])
_MIXTURE_COLUMN = _fast(_P["mixture-column"])
_SIZE_COLUMN = _fast(_P["size-column"])
_SOURCE_COLUMN = _joinable(_P["source-column"])  # searched over a table's header cells joined by NUL
_AMOUNT_COLUMN = _joinable(_P["amount-column"])
_COLLECTION = prefilter(_P["collection"])
_YEAR_RANGE = prefilter(_P["year-range"])
_COLLECTION_WEAK = prefilter(_P["collection-weak"])
_FILTERING = prefilter(_P["filtering"])
_DEDUP = prefilter(_P["dedup"])
_PROCESSING = prefilter(_P["processing"])
_SELECTION = prefilter(_P["selection"])
_DOC_PHRASE = prefilter(_P["doc-phrase"])
_RELEASED = prefilter(_P["released"])
_NEGATION = _fast(_P["negation"])
_DATA_LINK_TEXT = _P["data-link-text"]
_TRAIN_WORD = _fast(_P["train-word"])
_COMPUTE = _fast(_P["compute"])
_HARDWARE = _P["hardware"]
_FRAGMENT_SPLIT = _fast(_P["fragment-split"])
_LAST_PREP = _P["last-prep"]
_DATA_LABEL_WORDS = prefilter(_P["data-label-words"])
# Shape only, not wording (so not policy): a "Label: value" or "Label - value" line.
_LABEL = re.compile(r"^\s*([^:]{1,60}?)\s*(?::|\s[-–—]\s)\s*\S")


def _may_label(text: str) -> bool:
    """Could `_LABEL` match `text`? Each of its matches holds a colon or a dash."""
    return ":" in text or "-" in text or "–" in text or "—" in text


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
