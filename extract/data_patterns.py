"""What data information looks for: its points (policy/data_information.yaml), the patterns of each
kind of detail, and the region and signals one document collects (extract/data_info.py reads them).

Pure data and patterns; the patterns searched over a region's joined text are `prefilter`ed
(extract/card_scan.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import policy
from extract.card import Table, TextBlock
from extract.card_scan import Joined, join, prefilter
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
