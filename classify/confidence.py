"""How sure a label is: high when every gate it passed or failed rests on direct evidence, lower when a
gate rests on wording alone, an inferred or unverified base, or a file that could not be read.

The caps and levels are policy/confidence.yaml. Only the weaknesses of the gates that decided the
label count: a model stopped at the licence gate is not made less sure by its training code.
Pure: evidence and decision in, a `Confidence` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import policy
from extract.types import ModelEvidence

from .rules import RANK, WEIGHTS_AVAILABLE, BaseLabel, Decision

# A card not read at all; the extract-* codes are versions labelled from their listing metadata alone
# (hubscan/extract_guard.py), so neither the card nor its front matter was seen.
_UNREAD_CARD = frozenset({
    "readme-gated", "readme-error", "readme-unavailable", "readme-oversize", "binary", "not-utf8", "truncated",
    "extract-failed", "extract-crashed", "extract-over-budget",
})
# The card's body was read but its front matter was not (extract/front_matter.py): the declarations the
# licence, lineage and data gates rest on first are unseen.
_UNREAD_FRONT_MATTER = frozenset({"yaml-invalid", "yaml-unclosed", "yaml-oversize", "yaml-too-complex", "yaml-not-mapping"})


@dataclass(frozen=True)
class Confidence:
    level: str  # high | medium | low
    score: float  # 0..1
    why: tuple[str, ...] = ()  # the weaknesses that lowered it, weakest first

    def as_dict(self) -> dict:
        return {"level": self.level, "score": self.score, "why": list(self.why)}


def label_confidence(ev: ModelEvidence, decision: Decision, bases: Sequence[BaseLabel] = ()) -> Confidence:
    data = policy.load("confidence")
    caps = data["caps"]
    found: list[str] = []
    gates = {g.name for g in decision.gates}

    if any(p.code in _UNREAD_CARD for p in ev.problems):
        found.append("card-unread")
    if any(p.code in _UNREAD_FRONT_MATTER for p in ev.problems) and not ev.licence.raw:
        # only when no licence declaration reached us otherwise: a listing whose cardData or license
        # tags the Hub did read (its parser is not ours) leaves the front matter's declarations seen
        found.append("front-matter-unread")
    if "licence" in gates:
        if any(f.source.startswith("file:") and "not recognised" in f.reason for f in ev.licence.findings):
            found.append("licence-file-unread")
        if ev.licence.hub_id is None and ev.licence.spdx_id is None and ev.licence.name:
            found.append("licence-inferred")
        if any(f.source == "card:terms" for f in ev.licence.findings):
            found.append("terms-in-prose")
    if "code+data information" in gates:
        code = ev.training_code
        if code.released and getattr(code, "basis", None) == "card":
            found.append("code-card-only")
        if code.released and getattr(code, "licence_open", None) is None:
            found.append("code-licence-unknown")
        threshold = policy.load("data_information")["sufficient_score"]
        if ev.datasets.all_open is not True and abs(ev.data_information.score - threshold) < 10:
            found.append("data-near-threshold")
    if RANK.get(decision.label, 0) > RANK[WEIGHTS_AVAILABLE] or decision.rule in ("B0", "B1", "B2", "L2"):
        if any(b.status != "ok" for b in bases):
            found.append("base-unverified")
        if any(ref.source == "card" or ref.source.startswith("file:config") for ref in ev.base_model.bases) or (
            ev.base_model.inferred_family is not None and not ev.base_model.bases
        ):
            found.append("base-inferred")
    found = weakest_first(found, caps)
    score = min([1.0, *(caps[k]["value"] for k in found)])
    level = "high" if score >= data["levels"]["high"] else "medium" if score >= data["levels"]["medium"] else "low"
    return Confidence(level=level, score=round(score, 2), why=tuple(caps[k]["why"] for k in found))


def weakest_first(found: Sequence[str], caps: dict) -> list[str]:
    """The weaknesses found, once each, lowest cap first; equal caps stay in the order they were found
    (ordering a set instead would follow the process's hash seed, so explanations would differ run to run)."""
    return sorted(dict.fromkeys(found), key=lambda k: caps[k]["value"])
