"""Openness claims a model makes about itself ("open source", "fully open", "open weights", ...).

Open-washing is judged against these, so a claim must be *about the model*: "OLMoE is 100%
open-source" and "Gemma is a family of ... open models" are; "It outperforms comparable open-source
models", "other open-source models" and "the open-source community" are not. For each phrase found
in the card body (plain text, code blocks excluded), the model name or the tags we record the kind,
the words as written, the sentence (bounded) and whether it is about the model itself:

- not about itself: the phrase is followed by an ecosystem noun (libraries, tools, community,
  datasets, alternatives, leaderboard ...), or preceded by a word that points elsewhere (other,
  comparable, existing, similar, many, most, closed-source and ...), or sits after a comparison
  (outperforms, than, compared to, versus, among, like, such as) in the same sentence;
- about itself: otherwise, when the sentence describes the model - a copula with the model as
  subject ("X is ...", "They are ..."), the model's name or "this model"/"our model"/"we release"
  before the phrase, a release verb ("open-sourced", "released under an open-source licence"), a
  heading or list item that starts with the phrase, or a name/heading apposition ("OLMo: Open
  Language Model");
- anything else (e.g. a comparison-table header) is recorded with about_self=False.

Licence names are not claims ("CreativeML Open RAIL-M", "Open Data Commons", "Open Source
Initiative").
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from extract.card import ParsedCard, sentence_spans
from extract.types import Claim, ClaimKind, ClaimsEvidence

MAX_CARD_CHARS = 300_000
MAX_CLAIMS = 50
MAX_SENTENCE_CHARS = 300

# Order matters: the first pattern that matches at a position wins (longest, most specific first).
_PATTERNS: tuple[tuple[ClaimKind, re.Pattern[str]], ...] = (
    (
        "fully-open",
        re.compile(
            r"\b(?:fully|truly|completely|totally|entirely|genuinely|wholly)[\s-]+open(?:[\s-]?sourced?)?\b"
            r"|(?<![\w.])100\s?%[\s-]*open(?:[\s-]?sourced?)?\b",
            re.I,
        ),
    ),
    # "released under an open licence" claims the weights are openly licensed
    ("open-weights", re.compile(r"\bopen[\s-]?weights?\b|\bopen[\s-]licen[cs]e[sd]?\b", re.I)),
    ("open-source", re.compile(r"\bopen[\s-]?sourc(?:e|ed|ing)\b", re.I)),
    ("open-science", re.compile(r"\bopen[\s-]science\b", re.I)),
    (
        "open-model",
        re.compile(
            r"\bopen[\s-](?:access|release)\b"
            r"|\bopenly\s+(?:available|released|licensed|accessible|shared)\b"
            r"|\bopen[\s-](?:(?!(?:the|a|an|this|that|your|our|it|its|their|in|on|with|up|to)\b)[a-z][\w-]*\s+){0,2}?"
            r"(?:models?|llms?|lms?|language models?|foundation models?|family)\b",
            re.I,
        ),
    ),
)
# Not claims: licence and organisation names that contain the words.
_NOT_A_CLAIM_AFTER = re.compile(r"^[\s-]*(?:initiative|software licen[cs]e|data commons|database licen[cs]e|government licen[cs]e|rail\b|llm leaderboard|leaderboard)", re.I)

_LICENCE_NAME_AFTER = re.compile(r"^[\s-]*licen[cs]e\b", re.I)
# After the phrase: it qualifies something other than the model.
_ECOSYSTEM_AFTER = re.compile(
    # "open-source community" qualifies the community; "open source for the research community" does not
    r"^[\s-]*(?!(?:for|to|with|by|in|from|under|and|or)\b)(?:[\w-]+\s+){0,2}?(?:libraries|library|tools?|toolkits?|tooling|frameworks?|community|communities|"
    r"ecosystem|projects?|software|alternatives?|counterparts?|baselines?|competitors?|leaderboards?|efforts?|"
    r"movement|initiatives?|developers|contributors|implementations?|packages?|datasets?|data|corpora|corpus|"
    r"contributions|world|space|landscape|peers|releases by others|research community)\b",
    re.I,
)
# Immediately before the phrase: a determiner that points elsewhere.
_OTHER_BEFORE = re.compile(
    r"\b(?:other|others'|comparable|existing|similar|competing|popular|many|most|several|various|prior|previous|"
    r"leading|available|all|these|those|both|some|larger|smaller|recent|current|closed(?:[\s-]source)?\s+(?:and|or|vs\.?)|"
    r"proprietary\s+(?:and|or|vs\.?))\s+(?:[\w-]+\s+){0,2}$",
    re.I,
)
_NEGATED_BEFORE = re.compile(r"(?:\b(?:not|no longer|never|isn't|aren't|wasn't|neither|nor)\s+(?:\w+\s+)?|\bnon[\s-]?)$", re.I)
_RELEASED_AS = re.compile(
    r"\b(?:released|licensed|available|distributed|published|shared)\s+(?:\w+\s+){0,2}?(?:as|under|with)\s+(?:an?\s+|the\s+)?$",
    re.I,
)
_ONE_OF_THE = re.compile(r"\bone of the\s+(?:[\w-]+\s+){0,3}$", re.I)
_COMPARISON = re.compile(
    r"\b(?:outperform\w*|beat(?:s|ing)?|surpass\w*|exceed\w*|rival\w*|compared?\s+(?:to|with|against)|comparison|"
    r"versus|vs\.?|than|relative to|against|on par with|competitive with|match(?:es|ing)?|among|like|such as|"
    r"e\.g\.|unlike|similar to)\b",
    re.I,
)
_COPULA = re.compile(r"\b(?:is|are|was|were|be|being|been|remains?|becomes?)\b|'s\b", re.I)
_SELF_WORDS = re.compile(
    r"\b(?:this|our|the present)\s+(?:model|models|release|checkpoint|repo(?:sitory)?|version|family|work|project|llm)\b"
    r"|\bwe\s+(?:\w+\s+){0,2}?(?:release(?:[sd]|ing)?|open[\s-]?source[sd]?|publish(?:ed)?|provided?|present(?:ed)?|"
    r"introduced?|shared?|make|made)\b"
    r"|^\s*(?:it|they|these models|this)\b",
    re.I,
)
_RELEASE_VERB_PHRASE = re.compile(r"\bopen[\s-]?sourc(?:ed|ing)\b|\bopenly\s+(?:released|licensed|shared)\b", re.I)
_NAME_SPLIT = re.compile(r"[-_.\s/]+")
_GENERIC_NAME_PARTS = frozenset(
    "model models base instruct chat it hf gguf gptq awq exl2 mlx onnx fp16 bf16 int4 int8 mini small medium large "
    "xl xxl tiny text embed embedding v1 v2 v3 uncased cased preview latest final the and of for".split()
)


def openness_claims(card: ParsedCard, repo_id: str, tags: Sequence[str]) -> ClaimsEvidence:
    names = _name_tokens(repo_id)
    claims: list[Claim] = []
    seen: set[tuple[str, str, str]] = set()

    def add(claim: Claim) -> None:
        key = (claim.kind, claim.phrase.lower(), claim.sentence)
        if key not in seen and len(claims) < MAX_CLAIMS:
            seen.add(key)
            claims.append(claim)

    model_name = repo_id.rsplit("/", 1)[-1]
    for kind, phrase, _ in _find(_NAME_SPLIT.sub(" ", model_name)):
        add(Claim(kind, phrase, model_name, "name", True))
    for tag in tags[:500]:
        if not isinstance(tag, str) or ":" in tag:
            continue  # license:..., dataset:..., base_model:... name things, they do not describe the model
        for kind, phrase, _ in _find(_NAME_SPLIT.sub(" ", tag)):
            add(Claim(kind, phrase, tag, f"tag:{tag}", True))

    budget = MAX_CARD_CHARS
    for block in card.blocks:
        if budget <= 0 or len(claims) >= MAX_CLAIMS:
            break
        text = block.text[:budget]
        budget -= len(text)
        if "open" not in text.lower():
            continue  # every claim phrase contains "open": nothing to find in this block
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            for kind, phrase, offset in _find(sentence):
                about_self = _about_self(sentence, offset, offset + len(phrase), names, block.kind)
                add(Claim(kind, phrase, _bounded(sentence, offset, offset + len(phrase)), "card", about_self))
    for claim in _table_claims(card, names):
        add(claim)
    return ClaimsEvidence(claims=tuple(claims))


def _table_claims(card: ParsedCard, names: Sequence[str]) -> Iterable[Claim]:
    """A comparison table whose column is headed by this model and says "Open Source" in a cell."""
    for table in card.tables[:50]:
        columns = [i for i, head in enumerate(table.header) if _mentions_name(head, names)]
        for row in table.rows[:200]:
            for i in columns:
                if i < len(row):
                    for kind, phrase, _ in _find(row[i][:200]):
                        yield Claim(kind, phrase, " | ".join(table.header)[:150] + " / " + row[i][:100], "card", True)


def _find(text: str) -> Iterable[tuple[ClaimKind, str, int]]:
    """(kind, phrase, offset) for each claim phrase; overlapping matches keep the earliest pattern."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, ClaimKind, str]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if _NOT_A_CLAIM_AFTER.match(text[m.end() : m.end() + 40]):
                continue
            if kind == "open-model" and _LICENCE_NAME_AFTER.match(text[m.end() : m.end() + 20]):
                continue  # "Databricks Open Model License" names a licence
            taken.append((m.start(), m.end()))
            found.append((m.start(), kind, m.group(0)))
    for start, kind, phrase in sorted(found):
        yield kind, phrase, start


def _about_self(sentence: str, start: int, end: int, names: Sequence[str], block_kind: str) -> bool:
    before = sentence[:start]
    after = sentence[end:]
    if _ECOSYSTEM_AFTER.match(after):
        return False  # "open-source libraries", "the open-source community", "open-source datasets"
    if _NEGATED_BEFORE.search(before[-40:]):
        return False  # "is not open source": a statement, not a claim
    if _RELEASED_AS.search(before[-80:]):
        return True  # "released as open source", "available under an open-source licence"
    if _OTHER_BEFORE.search(before[-60:]) and not _ONE_OF_THE.search(before[-80:]):
        return False  # "other open-source models", "comparable open-source models"
    if _COMPARISON.search(before):
        return False  # "outperforms ... open models", "better than open models", "like other ..."
    if block_kind in ("heading", "list_item") and not before.strip(" -*:•"):
        return True  # a heading or feature bullet that starts with the claim
    if _RELEASE_VERB_PHRASE.match(sentence[start:end]):
        return True  # "we open-sourced", "openly released"
    if _SELF_WORDS.search(before):
        return True  # "this model is ...", "we release ...", "They are ..."
    # "OLMoE is 100% open-source", "OLMo: Open Language Model"
    return _mentions_name(before, names) and bool(_COPULA.search(before) or re.search(r"[:\-–—(]\s*$", before))


def _mentions_name(text: str, names: Sequence[str]) -> bool:
    low = text.lower()
    return any(re.search(r"(?<![\w])" + re.escape(n) + r"(?![a-z])", low) for n in names)


def _name_tokens(repo_id: str) -> tuple[str, ...]:
    """Words of the model name that can stand for the model in its card ("gemma", "olmoe", "aya")."""
    parts = [p.lower() for p in _NAME_SPLIT.split(repo_id.rsplit("/", 1)[-1]) if p]
    tokens = [
        p for p in parts
        if len(p) >= 3 and p[0].isalpha() and p not in _GENERIC_NAME_PARTS and not re.fullmatch(r"v\d+|\d+[bmk]?", p)
    ]
    return tuple(dict.fromkeys(tokens))


def _bounded(sentence: str, start: int, end: int) -> str:
    flat = sentence
    if len(flat) > MAX_SENTENCE_CHARS:
        half = (MAX_SENTENCE_CHARS - (end - start)) // 2
        lo = max(0, start - max(half, 0))
        flat = flat[lo : lo + MAX_SENTENCE_CHARS]
    return " ".join(flat.split())
