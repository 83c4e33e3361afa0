"""Bases a card names in its prose: "a fine-tuned version of [Llama-2-70b](https://huggingface.co/...)",
"GGUF quants of org/name", "built on CodeLlama-7B"; and statements that a model was trained from scratch.

The cues, the words that turn a sentence into a statement about architecture instead of weights, the
from-scratch phrases and the restricted families live in policy/lineage.yaml. One pass per block with
one combined expression; blocks and characters are bounded, so the work is linear in the card.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterable

import policy

from .card import ParsedCard, Table
from .first_chars import with_first_chars as fast
from .licence_catalog import hub_entry
from .literals import Guarded, guarded
from .lineage_ids import normalise_base
from .types import BaseRelation, LicenceFamily

MAX_CHARS = 200_000  # card text read for statements
MAX_FOUND = 16
_WINDOW = 90  # characters after a cue in which the base must start
_AFTER_NAME = 28  # characters after the named base that may still turn it into an architecture
_DATA_BEFORE = re.compile(
    r"\b(?:data|datasets?|corpus|corpora|samples|examples|instructions|annotations|prompts|texts?|tokenizer|vocabulary)\b[^.;]{0,40}\Z", re.I
)
_STOP = re.compile(r"[.;!?](?:\s|$)")
# A cue that ends a label: "Finetuned from: X", the card template's "Finetuned from model [optional]: X".
_LABEL_END = re.compile(r"\A[\s*_]*(?:model\s*)?(?:\[optional\]\s*)?[*_]*\s*:(?=[\s*_\[(\"'`]|[A-Za-z0-9])")
_PROSE = frozenset({"paragraph", "list_item", "heading", "quote"})


@dataclass(frozen=True)
class Statement:
    """A base named by a sentence: a Hub id (from a link or an ORG/NAME token) or a family."""

    relation: BaseRelation
    value: str  # the Hub id, or the family name
    via: str  # "link" | "id" | "family"
    sentence: str


@dataclass(frozen=True)
class _Rules:
    cue: Guarded
    relation_of: tuple[tuple[re.Pattern[str], BaseRelation], ...]
    not_weights: re.Pattern[str]
    from_scratch: Guarded
    families: tuple[tuple[re.Pattern[str], str], ...]  # (name after a cue, family)
    names: tuple[tuple[re.Pattern[str], str], ...]  # (a repository name that starts with it, family)


@functools.cache
def rules() -> _Rules:
    data = policy.load("lineage")
    relation_of = tuple(
        (re.compile(r"(?:" + cue + r")\Z", re.I), entry["relation"]) for entry in data["statements"] for cue in entry["cues"]
    )
    cues = "|".join(f"(?:{cue})" for entry in data["statements"] for cue in entry["cues"])
    families = tuple(
        (re.compile(r"[*_`\"'\[(]*(?:the\s+|an?\s+)?(?:" + "|".join(f["names"]) + r")(?![\w.])", re.I), f["family"])
        for f in data["families"]
        if f["names"]
    )
    names = tuple((re.compile(r"(?:" + "|".join(f["names"]) + r")(?![\w.])", re.I), f["family"]) for f in data["families"] if f["names"])
    # the searched ones behind a lookahead for their first characters (extract/first_chars.py); the
    # two run over every prose block also behind the shared scan (extract/literals.py): most blocks
    # hold no cue, and the scan of a block, made once for all guarded patterns, says so
    return _Rules(
        cue=guarded(re.compile(r"\b(?:" + cues + r")\b", re.I)),
        relation_of=relation_of,
        not_weights=fast(re.compile(r"\b(?:" + "|".join(data["not_weights_words"]) + r")\b", re.I)),
        from_scratch=guarded(re.compile(r"\b(?:" + "|".join(data["from_scratch"]) + r")\b", re.I)),
        families=families,
        names=names,
    )


# An ORG/NAME token right after the cue (optionally "the", "model", quotes or markdown emphasis).
_ID_AFTER = re.compile(
    r"\A[\s*_`\"'\[(]*(?:the\s+|an?\s+)?(?:(?:base|original|pretrained|pre-trained)\s+)?(?:model\s+)?[*_`\"'\[(]*"
    r"(?P<id>[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95})"
)


def _relation(cue_text: str) -> BaseRelation:
    for pattern, relation in rules().relation_of:
        if pattern.search(cue_text):
            return relation
    return "finetune"


def _prose(card: ParsedCard) -> Iterable[str]:
    budget = MAX_CHARS
    for block in card.segments:
        if budget <= 0:
            return
        if isinstance(block, Table) or block.kind not in _PROSE:
            continue  # table rows and code are not statements about lineage
        text = block.text[:budget]
        budget -= len(text)
        yield text


def _clause_end(text: str, start: int) -> int:
    """Where the clause that starts at `start` ends (a sentence stop or a semicolon), bounded."""
    m = _STOP.search(text, start, min(len(text), start + 240))
    return m.start() if m else min(len(text), start + 240)


def statements(card: ParsedCard) -> list[Statement]:
    """Bases named in the card's prose, in order of appearance (at most MAX_FOUND)."""
    r = rules()
    found: list[Statement] = []
    seen: set[tuple[str, str]] = set()

    def add(st: Statement) -> None:
        key = (st.via if st.via == "family" else "id", st.value.lower())
        if key not in seen and len(found) < MAX_FOUND:
            seen.add(key)
            found.append(st)

    linked = _hub_links(card)
    for text in _prose(card):
        for m in r.cue.finditer(text):
            if len(found) >= MAX_FOUND:
                return found
            if _DATA_BEFORE.search(text, max(0, m.start() - 60), m.start()):
                continue  # "the training data was derived from ...": a statement about data
            after = text[m.end() : m.end() + _WINDOW]
            label = _LABEL_END.match(after)
            if label is not None:
                after = after[label.end() :]
            hit = _base_after(after, linked)
            if hit is None:
                continue
            value, via, end = hit
            # "based on the Llama-2-7B architecture", "uses the GPT-2 tokenizer": not the weights it started from
            if r.not_weights.search(after[: end + _AFTER_NAME]):
                continue
            sentence = " ".join(text[m.start() : _clause_end(text, m.end())].split())[:300]
            add(Statement(_relation(m.group(0)), value, via, sentence))
    return found


def _base_after(after: str, linked: dict[str, str]) -> tuple[str, str, int] | None:
    """(value, via, where the name ends in `after`) for the base named right after a cue."""
    link = _linked_base(after, linked)
    if link is not None:
        return link
    ident = _ID_AFTER.match(after)
    if ident is not None:
        value, kind = normalise_base(ident.group("id").rstrip(".,;:)"))
        if kind == "hub-id":
            return value, "id", ident.end()
    stripped = len(after) - len(after.lstrip())
    for pattern, family in rules().families:
        fm = pattern.match(after, stripped)
        if fm is not None:
            return family, "family", fm.end()
    return None


def _hub_links(card: ParsedCard) -> dict[str, str]:
    """Link text (lower-cased) -> Hub model id, for links to huggingface.co model pages."""
    out: dict[str, str] = {}
    for link in card.links:
        value, kind = normalise_base(link.url)
        if kind == "hub-id" and "/" in value and ("huggingface.co" in link.url or "hf.co" in link.url):
            out.setdefault(" ".join(link.text.split()).lower(), value)
    return out


def _linked_base(after: str, linked: dict[str, str]) -> tuple[str, str, int] | None:
    """The Hub id of a link whose text starts the words after a cue ("... of [Llama 2 7B](url)")."""
    if not linked:
        return None
    low = after.lower()
    start = len(low) - len(low.lstrip(" *_`\"'[("))
    for prefix in ("the ", "a ", "an "):
        if low.startswith(prefix, start):
            start += len(prefix)
    for text, repo_id in linked.items():
        if text and low.startswith(text, start):
            return repo_id, "link", start + len(text)
    return None


def family_licence(family: str) -> LicenceFamily | None:
    """The licence family of a restricted model family named in policy/lineage.yaml."""
    for entry in policy.load("lineage")["families"]:
        if entry["family"] == family:
            if "licence_family" in entry:
                return entry["licence_family"]
            licence = hub_entry(entry["licence"])
            return licence.family if licence is not None else None
    return None


def family_of_name(repo_name: str) -> str | None:
    """The restricted family a repository or path name starts with ("Llama-2-7b-hf", "llama-7b-hf")."""
    last = repo_name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1][:200]
    for pattern, family in rules().names:
        if pattern.match(last):
            return family
    return None


def says_from_scratch(card: ParsedCard) -> str | None:
    """The sentence saying the model was pretrained from scratch, if the card has one."""
    r = rules()
    for text in _prose(card):
        m = r.from_scratch.search(text)
        if m is not None:
            start = max(0, text.rfind(".", 0, m.start()) + 1)
            return " ".join(text[start : _clause_end(text, m.end())].split())[:300]
    return None
