"""Text helpers for the claim reader: sentences in any script, the sentence's language, model names,
and the shapes that make a phrase part of a name, a title or a quotation.

Pure functions on bounded strings; nothing here scans more than a fixed window around a phrase,
except `sentences`, which is one linear pass over a block.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

from extract.card import sentence_spans

from .claims_lexicon import Lexicon

MAX_SENTENCE_CHARS = 300  # a quoted sentence is cut to this many characters around its phrase
_LANG_SAMPLE = 400

# A sentence also ends after CJK full stops, and after ". " before a non-Latin letter (Korean, CJK):
# extract.card.sentence_spans only splits before a capital or digit.
_CJK_END = re.compile(r"[。！？]+[」』”）)]*\s*|(?<=[.!?])\s+(?=[^\x00-\u024f\s])")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_STOPWORD_TOKEN = re.compile(r"[^\W\d_]+['’]?")  # "d'autres" gives "d'" and "autres"
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NAME_SPLIT = re.compile(r"[-_.\s/]+")
_GENERIC_NAME_PARTS = frozenset(
    "model models base instruct chat it hf gguf gptq awq exl2 mlx onnx fp16 bf16 int4 int8 mini small medium large "
    "xl xxl tiny text embed embedding v1 v2 v3 uncased cased preview latest final the and of for open source".split()
)
#: Tokens that look like a model's name: a digit after letters ("Llama-3", "GPT-4"), two capitals
#: ("BERT", "LLaMA", "DeepSeek"), or CamelCase.
_MODEL_LIKE = re.compile(
    r"(?<![A-Za-z0-9_-])(?:[A-Z][A-Za-z]+(?:[ -]?[0-9][A-Za-z0-9_.]*(?:-[A-Za-z0-9_.]+)*)+"
    r"|[A-Z][a-z]+[A-Z][A-Za-z0-9_-]*|[A-Z]{2,}[a-z]+[A-Z][A-Za-z0-9_-]*|[A-Z]{3,}[A-Za-z0-9_-]*)(?![A-Za-z0-9_'’])"
)
#: Capitalised words that precede a number without naming a model ("In 2023", "Table 3").
_NOT_MODEL_WORDS = frozenset(
    "In On At By For From To The Table Figure Fig Section Step Stage Phase Version Top Since Until Before After During "
    "Over Under About Around Apache Page Chapter Appendix Level Tier Round Day Week Month Year Of And With As Up Only".split()
)
_NOT_MODELS = frozenset("AI LLM LLMs API APIs GPU GPUs TPU NLP MIT SOTA MoE RAG CoT ID URL HF README FAQ".split())
_LICENCE_PREFIXES = ("Apache", "CC-", "CC0", "GPL", "AGPL", "LGPL", "BSD", "MPL", "ODC", "CDLA", "OpenRAIL", "RAIL")
_QUOTE_PAIRS = {"“": "”", '"': '"', "«": "»", "„": "“", "「": "」", "『": "』", "《": "》", "‘": "’"}
_SMALL_WORDS = frozenset("a an the of and or for to in on with by de la le des du et für und der die das von el y del".split())
# compiled once: `re`'s own cache is shared with every extractor and looked up on each call
_VERSION_PART = re.compile(r"v\d+|\d+[bmk]?")
_DOMAIN_PATH = re.compile(r"\.[a-z]{2,}/")
_GLUED_AFTER = re.compile(r"[-_]([^\W_][\w]*)")
_TITLE_RUN_BEFORE = re.compile(r"(?:[A-Z][\w]*[\s-]+)+$")
_LATIN_WORD = re.compile(r"[A-Za-z][\w]*")
_CAPITALS_WORD = re.compile(r"\b(?:[A-Z]{2,}\w*|[A-Z][a-z]+[A-Z]\w*)")
_TITLE_WORDS_BEFORE = re.compile(r"(?:[A-Z][\w-]*\s+)*$")
_TITLE_WORDS_AFTER = re.compile(r"(?:\s+(?:(?:a|an|the|of|to|and|for|on|in|with|at|by)\s+)?[A-Z][\w-]*)*")
_LATIN_HYPHENED_WORD = re.compile(r"[A-Za-z][\w-]*")


def sentences(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each sentence of a block, in English and in CJK/Korean punctuation alike."""
    for start, end in sentence_spans(text):
        last = start
        for m in _CJK_END.finditer(text, start, end):
            if m.end() > last and text[last:m.end()].strip():
                yield last, m.end()
            last = m.end()
        if text[last:end].strip():
            yield last, end


def language_of(text: str, lex: Lexicon, phrase: str | None = None) -> str:
    """The language of a sentence: by script for Korean, Japanese and Chinese, by stopwords otherwise;
    a short sentence without stopwords takes the language of its phrase ("... de código abierto": es)."""
    sample = text[:_LANG_SAMPLE]
    if len(_HANGUL.findall(sample)) >= 2:
        return "ko"
    if _KANA.search(sample):
        return "ja"
    if len(_HAN.findall(sample)) >= 2:
        return "zh"
    # acronyms ("CC-BY-NC") are no stopwords
    words = [w.lower().replace("’", "'") for w in _STOPWORD_TOKEN.findall(sample)[:80] if not (len(w) > 1 and w.isupper())]
    scores = {
        code: sum(1 for w in words if w in language.stopwords)
        for code, language in lex.languages.items()
        if not language.cjk and language.stopwords
    }
    top = max(scores.values(), default=0)
    tied = [code for code, score in scores.items() if score == top]
    own = lex.phrase_language(phrase) if phrase else None
    if own in tied:
        return own  # a tie (or no stopword at all) goes to the language of the phrase
    return "en" if "en" in tied else tied[0]


def fold(text: str) -> str:
    """Lower case without accents ("Ǎguila" -> "aguila"), for comparing names."""
    if text.isascii():
        return text.lower()  # nothing to decompose
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch))


def name_tokens(repo_id: str) -> tuple[str, ...]:
    """Words of the model name that can stand for the model in its card ("gemma", "olmoe", "kimi")."""
    parts = [fold(p) for p in _NAME_SPLIT.split(repo_id.rsplit("/", 1)[-1]) if p]
    tokens = []
    for i, p in enumerate(parts):
        if not p[0].isalpha() or p in _GENERIC_NAME_PARTS or _VERSION_PART.fullmatch(p):
            continue
        if len(p) >= 3 or (i == 0 and len(p) == 2):  # "Yi-34B": a short name leads
            tokens.append(p)
            stem = p.rstrip("0123456789")
            if len(stem) >= 4 and stem != p:
                tokens.append(stem)  # "baichuan2" also answers to "Baichuan"
    return tuple(dict.fromkeys(tokens))


def without_gaps(low: str) -> str:
    r"""`low` without whitespace, '_', '.' and '-': what `re.sub(r"[\s_.-]+", "", low)` gives (str.split
    and `re`'s \s agree on every code point: tests/test_claims_text_squeeze.py), about 4x faster."""
    return "".join(low.split()).replace("_", "").replace(".", "").replace("-", "")


def _squeeze(text: str) -> str:
    return without_gaps(fold(text))


def mentions(text: str, names: Sequence[str]) -> bool:
    """Does `text` name the model (one of its name tokens as a word, or glued as in "Llama3")?"""
    low = fold(text)
    squeezed = _squeeze(text)  # "Baichuan 2" names "baichuan2"
    for name in names:
        for hay in (low, squeezed):
            at = hay.find(name)
            while at != -1:
                before = hay[at - 1] if at else " "
                after = hay[at + len(name) : at + len(name) + 1]
                if not before.isalpha() and not (len(name) <= 2 and after.isalpha()):
                    return True
                at = hay.find(name, at + 1)
    return False


def may_mention(text: str, names: Sequence[str]) -> bool:
    """False only when no part of `text` can name the model (`mentions`): a pre-check for a whole
    table, whose cells are parts of `text`."""
    low = fold(text)
    if any(name in low for name in names):
        return True
    glued = without_gaps(low)  # only when needed: a whole table's text
    return any(name in glued for name in names)


def foreign_model(text: str, names: Sequence[str]) -> str | None:
    """A model-like name in `text` that is not this model's ("Llama-3", "GPT-4", "LLaMA"), or None."""
    for m in _MODEL_LIKE.finditer(text[-200:]):
        token = m.group(0).strip(" -.")
        first = token.split(" ", 1)[0].split("-", 1)[0]
        if token in _NOT_MODELS or first in _NOT_MODEL_WORDS or token.startswith(_LICENCE_PREFIXES) or mentions(token, names):
            continue
        return token
    return None


def in_url(sentence: str, start: int, end: int) -> bool:
    """Is the phrase part of a URL or a repository path ("github.com/x/open-source-llm")?"""
    lo = sentence.rfind(" ", max(0, start - 100), start) + 1
    hi = sentence.find(" ", end, end + 100)
    token = sentence[lo : hi if hi != -1 else end + 100]
    return "://" in token or "www." in token or bool(_DOMAIN_PATH.search(token))


def glued_name(sentence: str, start: int, end: int, lex: Lexicon, lang: str) -> bool:
    """Is the phrase glued into a longer name ("Llama-3-Open-Source-8B", "OpenLLM-France", "Ko_open_llm")?

    Glued by a hyphen or underscore to a word with a digit or a capital (not a noun the phrase
    qualifies, as in the German "Open-Source-Modell"); "non-open-source" is not a name.
    """
    if start >= 2 and sentence[start - 1] in "-_." and sentence[start - 2].isalnum():
        lo = start - 1
        while lo > 0 and lo > start - 40 and not sentence[lo - 1].isspace():
            lo -= 1
        glued = sentence[lo : start - 1]
        if any(ch.isdigit() or ch.isupper() for ch in glued):
            return True
    m = _GLUED_AFTER.match(sentence[end : end + 40])
    if m is None:
        return False
    word = m.group(1)
    if any(ch.isdigit() for ch in word) or word[:1].isupper():
        return not _is_target_noun(word, lex, lang)
    return False


def _is_target_noun(word: str, lex: Lexicon, lang: str) -> bool:
    """Is `word` a noun the phrase qualifies? German compounds end in it ("Chatmodelle")."""
    language = lex.languages.get(lang) or lex.languages["en"]
    if lang == "de":
        return any(m.end() == len(word) for m in language.nouns.finditer(word))
    return language.noun_at(word, 0) is not None


def acronym_expansion(sentence: str, start: int, names: Sequence[str]) -> bool:
    """Does a Title Case run starting at the phrase spell out a name ("OPT", "OLMo", "OpenELM", "BLOOM")?

    The initials of the capitalised words (hyphenated parts count: "Pre-trained" gives P) must spell,
    in order, the start of this model's name or of an all-capitals/CamelCase word in the sentence.
    """
    run_start = start
    # the run may start a few Title Case words earlier ("BigScience Large Open-science ...")
    prefix = sentence[max(0, start - 60) : start]
    earlier = _TITLE_RUN_BEFORE.findall(prefix)
    if earlier:
        run_start = start - len(earlier[0])
    words = _LATIN_WORD.findall(sentence[run_start : run_start + 120])
    initials = ""
    for w in words[:8]:
        if w[0].isupper():
            initials += w[0].lower()
        elif w.lower() in _SMALL_WORDS:
            continue
        else:
            break
    if len(initials) < 3:
        return False
    candidates = [n for n in names if len(n) >= 3]
    candidates += [w.lower() for w in _CAPITALS_WORD.findall(sentence[:400])]
    return any(_spells(initials, c) for c in candidates)


def _spells(initials: str, name: str) -> bool:
    """The initials appear in order in the name, starting with its first letter (OELM in "openelm")."""
    if not name or name[0] != initials[0]:
        return False
    at = 0
    for ch in initials:
        at = name.find(ch, at)
        if at == -1:
            return False
        at += 1
    return True


def title_case(sentence: str, start: int, end: int) -> bool:
    """A run of four or more Title Case words around the phrase in a sentence-case sentence: a title.

    "introduced in Open Pre-trained Transformer Language Models" names a paper; small words may sit
    inside the run ("Open Weight Releases to Further Multilingual Progress"); two capitalised words
    ("We are Open Source") are only emphasis.
    """
    left = _TITLE_WORDS_BEFORE.findall(sentence[max(0, start - 80) : start])[0]
    after = _TITLE_WORDS_AFTER.match(sentence[end : end + 160])
    right = after.group(0) if after else ""  # (the pattern matches the empty string too)
    run = left + sentence[start:end] + right
    words = [w for w in _LATIN_HYPHENED_WORD.findall(run) if w not in _SMALL_WORDS]
    if len(words) < 4 or not all(w[0].isupper() for w in words):
        return False
    lead = _LATIN_WORD.findall(sentence[: start - len(left)])
    if not lead:
        return False  # the sentence starts with it: capitals say nothing
    lower = sum(1 for w in lead if w[0].islower())
    return lower >= max(1, len(lead) // 2)


def quoted(sentence: str, start: int, end: int) -> bool:
    """Is the phrase inside a short quotation ("...", “...”, «...», 「...」, 《...》)?"""
    before = sentence[max(0, start - 80) : start]
    after = sentence[end : end + 80]
    for open_, close in _QUOTE_PAIRS.items():
        at = before.rfind(open_)
        if at == -1:
            continue
        if open_ == close and before.count(open_) % 2 == 0:
            continue
        if close not in before[at + 1 :] and close in after:
            return True
    return False


def bounded(sentence: str, start: int, end: int) -> str:
    """The sentence on one line, cut to MAX_SENTENCE_CHARS around the phrase (with … where cut)."""
    flat = sentence
    if len(flat) > MAX_SENTENCE_CHARS:
        half = max(0, (MAX_SENTENCE_CHARS - (end - start)) // 2)
        lo = max(0, start - half)
        hi = min(len(flat), lo + MAX_SENTENCE_CHARS)
        flat = ("…" if lo else "") + flat[lo:hi] + ("…" if hi < len(sentence) else "")
    return " ".join(flat.split())
