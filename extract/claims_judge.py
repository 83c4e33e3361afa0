"""Judge one openness phrase in its sentence, as a person reading the card would.

`judge` answers three questions, in this order, each from a bounded window around the phrase:

1. Is it part of a name, a title or a quotation? ("OpenLLM-France", "OPT: Open Pre-trained
   Transformers", "introduced in ...", a phrase in quotes): then it is not a claim.
2. Is it asserted now? Negated ("not open source"), future ("will be open-sourced") or conditional
   ("open for academic research", "if you register, ...") statements are recorded as such.
3. What is it about? The noun it qualifies ("open-source datasets": data; the head of a compound,
   "open source LLM serving toolkit": a tool), else the subject of its clause ("the training code is
   open source": code), else pointers: "other open-source models" presents the model as one of them
   (implied self), "one of the best open models" places it among them (implied self), "outperforms
   comparable open models", "open models like Llama", "fine-tuned from an open model" and "Llama 2,
   an open model" point at other models; otherwise the model itself, more surely when the card names
   it, says "we"/"this model", uses a release verb ("open-sourced", "released under"), or a heading
   starts with the phrase.

Every cue word comes from policy/claims.yaml; the rule that decided is named in `Judgement.rule` and
its confidence is in that file too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .claims_lexicon import CJK_ALLOWED_NEG_GAP, WINDOW, Language, Lexicon
from .claims_text import acronym_expansion, foreign_model, glued_name, in_url, mentions, quoted, title_case

#: Where a clause ends: a cue before this point belongs to another clause.
_CLAUSE_BREAK_LATIN = re.compile(r"[;:!?]|,(?!\d)|\s[-–—]\s|\(|\)")
_CLAUSE_BREAK_CJK = re.compile(r"[，。；：！？,;:!?（）()、]")
_PUNCT_LATIN = re.compile(r"[;:!?,()\[\]|\"“”<>={}`/]|\.(?!\w)")  # "1.5B" is no full stop
_PUNCT_CJK = "，。；：！？,;:!?（）()「」『』\"“”"
_WORD = re.compile(r"[^\W_][\w'’.%-]*")
_ARTICLES = frozenset(
    "the a an le la les un une des der die das dem den des ein eine einem einen einer eines el los las una lo".split()
)
_LATIN_NOUN_WORDS = 6  # the noun a phrase qualifies sits within this many words of it
_CJK_NOUN_CHARS = 24
_HEADING_LEAD = re.compile(r"^[\s\-*:•>#|\d.)]*$")


@dataclass(frozen=True)
class Judgement:
    target: str  # self | data | code | tool | other-model | community | licence | name | quotation
    modality: str  # asserted | negated | future | conditional
    implied: bool
    confidence: float
    rule: str


def judge(
    sentence: str,
    start: int,
    end: int,
    lang: str,
    lex: Lexicon,
    names: Sequence[str],
    block_kind: str = "paragraph",
    kind: str = "",
) -> Judgement:
    """What the phrase at sentence[start:end] says, and about what."""
    language = lex.languages.get(lang) or lex.languages["en"]
    cjk = language.cjk
    conf = lex.confidence
    before = sentence[max(0, start - WINDOW) : start]
    after = sentence[end : end + WINDOW]
    phrase = sentence[start:end]

    def verdict(target: str, rule: str, modality: str = "asserted", implied: bool = False) -> Judgement:
        confidence = conf[rule]
        if modality != "asserted":
            confidence = min(confidence, conf[modality])
        return Judgement(target, modality, implied, round(confidence, 3), rule)

    # 1. names, titles and quotations
    if in_url(sentence, start, end) or glued_name(sentence, start, end, lex, lang):
        return verdict("name", "name")
    if not _is_cjk_text(phrase) and acronym_expansion(sentence, start, names):
        return verdict("name", "acronym")
    if quoted(sentence, start, end) or language.cue("quotation_before").at_end(before, 2, cjk):
        return verdict("quotation", "quotation")

    # 3. what it is about (first the noun it qualifies: a licence or a tool may carry a Title Case name)
    clause = _clause(before, cjk)
    in_phrase = _head_noun(phrase, language)
    named = in_phrase is not None and in_phrase.lastgroup == "self"  # "open models", "open code models", "オープンな言語モデル"
    noun, noun_end = _qualified_noun(before, after, language, named)
    if noun is None and named:
        noun = "self"
    if noun in (None, "self") and not cjk and block_kind != "heading" and title_case(sentence, start, end):
        return verdict("name", "title-case")

    # 2. asserted now? (cues may follow the noun: "オープンソースライセンスではありません")
    modality = _modality(sentence, before, after, after[noun_end:], language)

    if noun == "licence" and not cjk and title_case(sentence, start, end):
        # "released under the NVIDIA Open Model License Agreement": the licence's name, not the model
        # described as open (Title Case runs of four or more words; "an Open Source License" is three)
        return verdict("licence", "title-case", modality)
    if noun == "licence" and (
        language.cue("release_verbs").at_end(before, 4, cjk)
        or (len(clause.split()) <= 3 and language.cue("release_verbs").inside(before[-100:]))
    ):
        return verdict("self", "release-verb", modality)  # "released under Apache 2.0, an open-source licence"
    if noun is not None and noun != "self":
        return verdict(noun, "target-noun", modality)
    if noun is None:
        subject = _subject(clause, before, language, names)
        if subject is not None and subject != "self":
            return verdict(subject, "target-noun", modality)

    owner = _owner(before, clause, language, names)  # "Llama 2, an open model ...": the phrase is Llama 2's
    in_clause = foreign_model(clause, names)
    if _generic_subject(before, clause, language):
        return verdict("other-model", "other-model", modality)  # "Dolly shows that a two-year-old open source model can"
    self_named = bool(language.cue("self_before").inside(clause)) or mentions(clause, names) or (
        mentions(before, names) and in_clause is None  # "OLMo 2は、...完全にオープンな": named earlier in the sentence
    )
    foreign = owner or (None if self_named else in_clause)
    rest = after[noun_end:]
    implied_gap = 6 if cjk else (3 if language.noun_before else 1)  # "d'autres modèles open source"
    if language.cue("implied_before").at_end(before, implied_gap, cjk):
        if foreign:
            return verdict("other-model", "other-model", modality)
        return verdict("self", "implied-other", modality, implied=True)
    if language.cue("comparison").inside(clause) or language.cue("comparison_after").at_start(rest, 2 if not cjk else 4, cjk):
        return verdict("other-model", "other-model", modality)  # "competitive with the best open models", "open models like X"
    if (noun in ("self", None) or kind == "open-model") and (
        language.cue("source_before").at_end(before, 2 if not cjk else 4, cjk)
        or language.cue("source_after").at_start(rest, 2 if not cjk else 16, cjk)
    ):
        return verdict("other-model", "other-model", modality)  # "fine-tuned from an open model", "基于开源的LLaMA模型"
    if _among(before, after, language):
        if foreign:
            return verdict("other-model", "other-model", modality)
        return verdict("self", "self-explicit" if self_named else "implied-among", modality, implied=not self_named)
    if language.cue("other_before").at_end(before, 1 if not cjk else 4, cjk):
        return verdict("other-model", "other-model", modality)

    if _verb_form(phrase, before, after, language) or language.cue("release_verbs").at_end(before, 2, cjk):
        return verdict("other-model", "other-model", modality) if owner else verdict("self", "release-verb", modality)
    if self_named and not owner:
        return verdict("self", "self-explicit", modality)
    if block_kind in ("heading", "list_item") and _HEADING_LEAD.match(before):
        return verdict("self", "heading", modality)
    if foreign:
        return verdict("other-model", "other-model", modality)
    return verdict("self", "default-self", modality)


def _head_noun(phrase: str, language: Language) -> re.Match[str] | None:
    """The noun a phrase with a gap is about: its last noun where qualifiers come before the noun
    ("open code models" are models), its first where they follow ("modèles de code ouverts")."""
    if language.noun_before:
        return language.nouns.search(phrase)
    last = None
    for last in language.nouns.finditer(phrase):
        pass
    return last


def _is_cjk_text(text: str) -> bool:
    return any(ord(ch) > 0x2E80 for ch in text)


def _clause(before: str, cjk: bool) -> str:
    """The part of `before` in the phrase's own clause."""
    pattern = _CLAUSE_BREAK_CJK if cjk else _CLAUSE_BREAK_LATIN
    last = None
    for last in pattern.finditer(before):
        pass
    return before[last.end() :] if last else before


def _modality(sentence: str, before: str, after: str, rest: str, language: Language) -> str:
    cjk = language.cjk
    gap = 2 if cjk or not language.noun_before else 4  # "no es un modelo de código abierto"
    neg = language.cue("negation_before").at_end(before, gap, cjk, CJK_ALLOWED_NEG_GAP if cjk else None)
    if neg and language.cue("negation_exceptions").inside(before[neg.start() :]):
        neg = None  # "not only open weights but also ..."
    negation_after = language.cue("negation_after")
    if neg or negation_after.at_start(after, 1 if not cjk else 4, cjk) or (cjk and negation_after.at_start(rest, 4, cjk)):
        return "negated"
    future_after = language.cue("future_after")
    if (
        language.cue("future_before").at_end(before, 3 if not cjk else 4, cjk)
        or future_after.at_start(after, 2 if not cjk else 6, cjk)
        or (cjk and future_after.at_start(rest, 6, cjk))
    ):
        return "future"
    conditional_before = (
        language.cue("conditional_before").inside(before[-20:]) if cjk else language.cue("conditional_before").at_end(before, 4, False)
    )
    if (
        conditional_before
        or language.cue("conditional_after").at_start(after, 3 if not cjk else 8, cjk)
        or language.cue("conditional_start").at_start(sentence[:40], 0, cjk)
    ):
        return "conditional"
    return "asserted"


def _qualified_noun(before: str, after: str, language: Language, named: bool = False) -> tuple[str | None, int]:
    """The category of the noun the phrase qualifies, and where that noun ends in `after` (0 if none).
    `named`: the phrase holds its own noun ("open models"), so only a compound head may follow it."""
    if language.noun_before and not named:
        found = _noun_just_before(before, language)
        if found:
            return found, 0
    if language.cjk:
        return _cjk_noun_after(after, language, named)
    return _latin_noun_after(after, language, named)


def _latin_noun_after(after: str, language: Language, named: bool = False) -> tuple[str | None, int]:
    """The head of the noun compound after the phrase: its last noun ("open source LLM serving toolkit")."""
    text = after[:160]
    if text.startswith("-"):
        text = " " + text[1:]  # a German compound: "Open-Source-Bibliothek"
    head: tuple[str | None, int] = ("self", 0) if named else (None, 0)
    words = 0
    since_noun = 0  # words read since the last noun: a compound allows one modifier between nouns
    for m in _WORD.finditer(text):
        pos = m.start()
        if words >= _LATIN_NOUN_WORDS or _PUNCT_LATIN.search(text, head[1] if head[0] else 0, pos):
            break
        word = m.group(0).lower()
        if language.cue("prepositions").at_start(text[pos:], 0, False):
            break
        if language.cue("conjunctions").at_start(text[pos:], 0, False):
            following = _WORD.search(text, m.end())
            if head[0] is not None or (following and following.group(0).lower() in _ARTICLES):
                break  # "open models and datasets", "open source and the data is ..."
            words += 1
            continue
        found = language.nouns.match(text, pos)
        if found:
            head = (found.lastgroup, found.end())
            since_noun = 0
        elif head[0] is not None and (word in _ARTICLES or since_noun >= 1 or not _modifier(m.group(0))):
            break  # "Open LLM Leaderboard place ce modèle", "Initiative approves licences": the compound ended
        elif head[0] is not None:
            since_noun += 1  # "open source LLM serving toolkit": one modifier between nouns
        if not language.skip_after.at_start(text[pos:], 0, False):
            words += 1
    return head


def _modifier(word: str) -> bool:
    """A word that can sit between two nouns of a compound: a gerund, a name, a number ("serving", "Llama", "7B")."""
    return word.lower().endswith("ing") or word[:1].isupper() or word[:1].isdigit()


def _cjk_noun_after(after: str, language: Language, named: bool = False) -> tuple[str | None, int]:
    """The last noun of the compound after the phrase ("开源大模型能力评测框架": a framework)."""
    if language.cue("prepositions").at_start(after, 0, True):
        return ("self", 0) if named else (None, 0)
    head: tuple[str | None, int] = ("self", 0) if named else (None, 0)
    pos = 0
    limit = min(len(after), _CJK_NOUN_CHARS)
    while pos < limit:
        ch = after[pos]
        if ch in _PUNCT_CJK:
            break
        if head[0] is not None and (
            ch in "的の" or ch.isascii() and ch.isalnum()  # "评测框架UltraEval": a name follows the noun
            or language.cue("conjunctions").at_start(after[pos:], 0, True)
            or language.cue("prepositions").at_start(after[pos:], 0, True)
        ):
            break  # "开源数据集上测试模型", "오픈소스 모델은 ...": the compound ended
        found = language.nouns.match(after, pos)
        if found:
            head = (found.lastgroup, found.end())
            pos = found.end()
            continue
        pos += 1
    return head


def _noun_just_before(before: str, language: Language) -> str | None:
    """French and Spanish put the noun first: "la bibliothèque open source", "corpus de acceso abierto"."""
    text = before[-80:]
    words = list(_WORD.finditer(text))[-6:]
    others = 0
    for m in reversed(words):
        if _PUNCT_LATIN.search(text, m.end()):
            return None
        found = language.nouns.match(text, m.start())
        if found:
            return found.lastgroup
        if language.cue("copula").at_start(text[m.start():], 0, False):
            return None  # "las versiones ... serán de código abierto": the noun is the subject, not qualified
        if not language.skip_after.at_start(text[m.start():], 0, False) and not language.cue("prepositions").at_start(
            text[m.start():], 0, False
        ):
            others += 1
            if others > 2:
                return None  # more than two modifiers in between: not the noun qualified
    return None


def _subject(clause: str, before: str, language: Language, names: Sequence[str]) -> str | None:
    """The category of the noun the clause is about: its first noun (head-initial languages) or its
    last one (Chinese, Japanese, Korean); a licence noun there names the manner, not the subject. A
    self noun joined to it ("the code and the weights") makes it the model's claim. A relative clause
    ("..., which is fully open") is about the noun before the comma."""
    if not language.cjk and language.cue("conjunctions").at_start(clause, 0, False):
        previous = before[: len(before) - len(clause)].rstrip(" ,")
        nouns_before = [m for m in language.nouns.finditer(previous[-60:]) if m.lastgroup != "licence"]
        return nouns_before[-1].lastgroup if nouns_before else None
    hits = [(m.start(), m.end(), m.lastgroup) for m in language.nouns.finditer(clause) if m.lastgroup != "licence"]
    if (
        not hits and language.cjk and len(clause) < len(before) and not language.cue("self_before").inside(clause)
        and not mentions(clause, names) and not foreign_model(clause, names)
    ):
        # "…ベンチマークを作成し、オープンソース化しました": the object sits in the clause before
        previous = before[: len(before) - len(clause) - 1][-40:]
        earlier = [m for m in language.nouns.finditer(previous) if m.lastgroup != "licence"]
        return earlier[-1].lastgroup if earlier else None
    if not hits:
        return None
    if language.cjk:
        head = hits[-1]
    else:  # the head of the first compound: "our data preparation scripts" are scripts
        head = hits[0]
        for nxt in hits[1:]:
            gap = clause[head[1] : nxt[0]]
            if len(gap) > 15 or _PUNCT_LATIN.search(gap) or language.cue("prepositions").inside(gap) or language.cue(
                "conjunctions"
            ).inside(gap) or len(gap.split()) > 1:
                break
            head = nxt
    if head[2] == "self":
        return "self"
    for other in hits:
        if other[2] == "self":
            lo, hi = (other[1], head[0]) if other[0] < head[0] else (head[1], other[0])
            between = clause[lo:hi]
            if len(between) <= 30 and language.cue("conjunctions").inside(between):
                return "self"
    return head[2]


def _generic_subject(before: str, clause: str, language: Language) -> bool:
    """The phrase sits in a "that"-clause whose subject is "a/an ...": some model, not this one."""
    if language.cjk:
        return False
    m = language.cue("complementizers").inside(clause)
    if m is None:
        return False
    rest = clause[m.end() :]
    words = rest.split()
    return 1 <= len(words) <= 4 and bool(language.cue("indefinite_articles").at_start(rest, 0, False)) and not language.cue(
        "copula"
    ).inside(rest)


def _owner(before: str, clause: str, language: Language, names: Sequence[str]) -> str | None:
    """Another model the phrase belongs to: "Llama 2 13B, an open-weights model", "Llama 2, which Meta
    released as an open model", "Falcon-40B, un modèle open source": the name just before the comma."""
    if language.cjk or len(before) == len(clause):
        return None
    words = clause.split()
    relative = bool(words) and language.cue("conjunctions").at_start(clause, 0, False)
    if len(words) > 3 and not relative:
        return None
    if words and not relative and words[0].lower() not in _ARTICLES:
        return None
    previous = before[: len(before) - len(clause)].rstrip(" ,")
    tail = previous[-40:]
    token = foreign_model(tail, names)
    if token and tail.rstrip().endswith(token):
        return token
    return None


def _among(before: str, after: str, language: Language) -> bool:
    """Superlatives and "among": "one of the best open models", "同尺寸开源模型中领先"."""
    cjk = language.cjk
    if language.cue("among_before").at_end(before, 2 if not cjk else 1, cjk):
        return True
    # after the phrase and the noun it qualifies ("open-source models of its size", "开源模型中的领先")
    return bool(language.cue("among_after").at_start(after, 3 if not cjk else 10, cjk))


def _verb_form(phrase: str, before: str, after: str, language: Language) -> bool:
    """The phrase is used as a release verb: "open-sourced", "openly released", "开源了", "オープンソース化"."""
    cjk = language.cjk
    return bool(
        language.cue("verb_forms").at_start(phrase, 0, cjk)
        or language.cue("verb_after").at_start(after, 0, cjk)
        or language.cue("verb_before").at_end(before, 0, cjk)
    )
