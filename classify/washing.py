"""Open-washing: a model that claims more openness than its label gives it.

Every code, its rule and what a reader should do are in policy/washing.yaml (the glossary shown in
the weekly report and docs/washing-codes.md). A model is flagged, with a typed `WashingReason` each,
when
- the card, a badge, a comparison table or a tag claims "open source" / "fully open" about the model
  itself, now, and its label is below Open Source (W-OS);
- it claims "open weights" / "open model" / "open licence" about itself and its label is Weights
  Available (W-OW);
- it declares an open licence while a base model's licence, or the lineage of that base, does not allow
  that (licence laundering, W-LAUNDER);
- its declared licence contradicts its own LICENSE file (W-CONFLICT).

A W-OS/W-OW reason quotes one readable sentence (a card sentence, or a sentence written from a badge,
a table or a tag; never a table fragment) and names the kind of claim and the rule it breaks.
Reasons are stored as JSON objects; `str(reason)` is the "CODE: text" line shown to people, and
`WashingReason.from_stored` also reads the plain strings older databases hold.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import policy
from extract.licence_catalog import OPEN_FAMILIES
from extract.types import Claim, ModelEvidence, plain

from .rules import WEIGHTS_AVAILABLE, BaseLabel

_SOURCE_RANK = {"card": 0, "table": 1, "badge": 2}
_SOURCE_WORDS = {"card": "card sentence", "table": "comparison table", "badge": "badge", "name": "model name"}


@dataclass(frozen=True)
class WashingReason:
    code: str  # W-OS, W-OW, W-LAUNDER, W-CONFLICT (policy/washing.yaml)
    detail: str  # what is wrong, in words (the text after "CODE: ")
    claim_kind: str | None = None  # open-source, fully-open, open-weights, open-model (W-OS/W-OW)
    quote: str | None = None  # one readable sentence with the claim
    source: str | None = None  # card, table, badge, tag:...
    confidence: float | None = None  # the claim reader's confidence in the quoted claim

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        """The stored form (a JSON object in labels.washing_reasons); `text` is str(self)."""
        return {**plain(self), "text": str(self)}

    @classmethod
    def from_stored(cls, value: Any) -> "WashingReason":
        """A reason as stored: a JSON object (typed), or a "CODE: text" string (databases before typed reasons)."""
        # a plain dict first: the abstract Mapping check costs several µs a reason in a long report
        if type(value) is dict or isinstance(value, Mapping):
            detail = value.get("detail")
            if detail is None:
                detail = str(value.get("text") or "").split(":", 1)[-1].strip()
            return cls(
                code=str(value.get("code") or "W-?"),
                detail=str(detail),
                claim_kind=value.get("claim_kind"),
                quote=value.get("quote"),
                source=value.get("source"),
                confidence=value.get("confidence"),
            )
        text = str(value)
        code, sep, rest = text.partition(":")
        return cls(code.strip(), rest.strip()) if sep else cls("W-?", text)


def reason_text(value: Any) -> str:
    """The "CODE: text" line of a stored reason, typed or not."""
    return str(WashingReason.from_stored(value))


@functools.cache
def glossary() -> tuple[dict[str, Any], ...]:
    """Every washing code of policy/washing.yaml, in order (code, title, claim_kinds, labels, rule, reader_should)."""
    return tuple(policy.load("washing")["codes"])


def _code(code: str) -> dict[str, Any]:
    return next(c for c in glossary() if c["code"] == code)


OPEN_SOURCE_CLAIMS = tuple(_code("W-OS")["claim_kinds"])
OPEN_WEIGHTS_CLAIMS = tuple(_code("W-OW")["claim_kinds"])


def washing_reasons(ev: ModelEvidence, label: str, bases: Sequence[BaseLabel] = ()) -> tuple[WashingReason, ...]:
    reasons: list[WashingReason] = []
    own = [c for c in ev.claims.claims if c.about_self]
    for code in ("W-OS", "W-OW"):
        spec = _code(code)
        claims = [c for c in own if c.kind in spec["claim_kinds"]]
        if claims and label in spec["labels"]:
            reasons.append(_claim_reason(code, _best(claims), label))
    if ev.licence.open_basis is not None:
        declared = ev.licence.name or ev.licence.hub_id
        named = {ref.id.lower(): ref for ref in ev.base_model.bases}
        for base in bases:
            if base.status != "ok":
                ref = named.get(base.repo_id.lower())
                if ref is not None and ref.family_licence is not None and ref.family_licence not in OPEN_FAMILIES:
                    reasons.append(WashingReason(
                        "W-LAUNDER", f"declares {declared}, but its base {base.repo_id} is named as {ref.family}, whose licence is not open ({ref.family_licence})"
                    ))
                continue  # otherwise an unverifiable base proves nothing either way (rule B0 says so in the gates)
            if base.licence_family is not None and base.licence_family not in OPEN_FAMILIES:
                reasons.append(WashingReason(
                    "W-LAUNDER", f"declares {declared}, but its base {base.repo_id} is not under an open licence ({base.licence_family})"
                ))
            elif base.label == WEIGHTS_AVAILABLE:
                # the base declares an open licence itself, but its own lineage is restricted
                reasons.append(WashingReason(
                    "W-LAUNDER", f"declares {declared}, but its base {base.repo_id} derives from weights under a licence that is not open"
                ))
        inferred = ev.base_model.inferred_licence_family
        if inferred is not None and inferred not in OPEN_FAMILIES:
            reasons.append(WashingReason(
                "W-LAUNDER", f"declares {declared}, but derives from {ev.base_model.inferred_family} ({inferred} licence)"
            ))
    if ev.licence.conflict:
        reasons.append(WashingReason("W-CONFLICT", ev.licence.conflict))
    return tuple(reasons)


def _best(claims: Sequence[Claim]) -> Claim:
    """The claim to quote: a card sentence before a table, a badge or a tag; then the surest; then the first."""
    ranked = sorted(
        enumerate(claims),
        key=lambda ic: (_SOURCE_RANK.get(ic[1].source, 3), -getattr(ic[1], "confidence", 1.0), ic[0]),
    )
    return ranked[0][1]


def _claim_reason(code: str, claim: Claim, label: str) -> WashingReason:
    where = "tag" if claim.source.startswith("tag:") else _SOURCE_WORDS.get(claim.source, claim.source)
    if code == "W-OS":
        broken = f"on a model labelled {label}, below Open Source"
    else:
        broken = f"on a model labelled {label}: its licence is not open"
    implied = ", implied" if getattr(claim, "implied", False) else ""
    detail = f"{claim.kind} claim ({where}{implied}) {broken}: \"{claim.sentence}\""
    return WashingReason(
        code,
        detail,
        claim_kind=claim.kind,
        quote=claim.sentence,
        source=claim.source,
        confidence=getattr(claim, "confidence", None),
    )
