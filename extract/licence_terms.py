"""Use restrictions a card writes in its own words, on top of the licence it declares.

"License: Apache-2.0 under the condition that the model is not used to compete with OpenAI" or
"developers may only use the model for research purposes; commercial use is not allowed" take away
freedoms an OSI licence grants, so the declared licence is not the whole story. The phrases live in
policy/licence_terms.yaml; a sentence counts only when it speaks about the model or its use, not only
about data. Pure; bounded (blocks, characters) and one combined expression per block.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass

import policy

from .card import ParsedCard, TextBlock, sentence_spans
from .first_chars import with_first_chars as fast
from .licence_catalog import restrictiveness
from .literals import Guarded, guarded
from .types import Finding, LicenceFamily

MAX_CHARS = 200_000
_TEXT = operator.attrgetter("text")
_PROSE = frozenset({"paragraph", "list_item", "heading", "quote"})


@dataclass(frozen=True)
class CardTerms:
    family: LicenceFamily
    what: str  # "restricted to research or non-commercial use"
    sentence: str


@dataclass(frozen=True)
class _Rules:
    any_phrase: Guarded
    families: tuple[tuple[re.Pattern[str], LicenceFamily, str], ...]
    about_model: re.Pattern[str]
    about_licence: re.Pattern[str]
    only_data: re.Pattern[str]


@functools.cache
def _rules() -> _Rules:
    data = policy.load("licence_terms")
    # each behind a lookahead for its first characters: the same matches, tried where one can start
    families = tuple((fast(re.compile("|".join(f"(?:{p})" for p in t["phrases"]), re.I)), t["family"], t["what"]) for t in data["terms"])
    return _Rules(
        # guarded: a block without any word every phrase needs ("research", "commercial ", ...) is passed over
        any_phrase=guarded(re.compile("|".join(f"(?:{p})" for t in data["terms"] for p in t["phrases"]), re.I)),
        families=families,
        about_model=fast(re.compile(r"\b(?:" + "|".join(data["about_model"]) + r")\b", re.I)),
        about_licence=fast(re.compile(r"\b(?:" + "|".join(data["about_licence"]) + r")\b", re.I)),
        only_data=fast(re.compile(r"\b(?:" + "|".join(data["only_data"]) + r")\b", re.I)),
    )


def card_terms(card: ParsedCard) -> CardTerms | None:
    """The first sentence that restricts the model's use (the most restrictive family if several)."""
    rules = _rules()
    if not _may_restrict(card, rules):
        return None
    budget = MAX_CHARS
    found: list[CardTerms] = []
    # the segments, not `card.blocks`: table rows are not read here, so a lazy table stays unread
    for block in card.segments:
        if budget <= 0 or len(found) >= 4:
            break
        if not isinstance(block, TextBlock) or block.kind not in _PROSE:
            continue
        text = block.text[:budget]
        budget -= len(text)
        if not rules.any_phrase.search(text):
            continue
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            if not rules.any_phrase.search(sentence):
                continue
            about_model = rules.about_model.search(sentence) is not None
            about_licence = rules.about_licence.search(sentence) is not None and not rules.only_data.search(sentence)
            if not (about_model or about_licence):
                continue  # not about the model (a dataset's own terms are judged on the dataset)
            for pattern, family, what in rules.families:
                if pattern.search(sentence):
                    found.append(CardTerms(family, what, " ".join(sentence.split())[:300]))
                    break
    if not found:
        return None
    return max(found, key=lambda t: restrictiveness(t.family))  # the stricter wins (policy/licences.yaml order)


def _may_restrict(card: ParsedCard, rules: _Rules) -> bool:
    """Could any prose block hold a phrase? Asked once of the card's prose (its non-row blocks
    joined, which the data extractor scans too), not block by block: most cards restrict nothing.
    `may_occur_in` answers for every piece of the joined text, so for every block it holds whole;
    when the join cut a long block short (it keeps a block's first characters), the blocks are
    asked one by one as before."""
    prose = card.prose
    blocks = card.prose_blocks
    whole = len(prose.text) == sum(map(len, map(_TEXT, blocks))) + max(len(blocks) - 1, 0)
    return not whole or rules.any_phrase.may_occur_in(prose.text)


def terms_finding(terms: CardTerms) -> Finding:
    return Finding("card:terms", f"the card restricts the model: {terms.what}: \"{terms.sentence}\"", 0.85)
