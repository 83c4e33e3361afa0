"""Label model versions from their evidence: pure functions, no I/O.

`label_version(evidence, bases)` returns the label, the deciding rule, every gate with its evidence,
the open-washing flag with its reasons, and the rule-set version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from extract.types import ModelEvidence, plain

from .confidence import Confidence, label_confidence
from .rules import LABELS, RULE_VERSION, BaseLabel, Decision, Gate, classify_model
from .washing import WashingReason, washing_reasons

__all__ = [
    "LABELS", "RULE_VERSION", "BaseLabel", "Confidence", "Decision", "Gate", "Labelled", "WashingReason", "classify_model", "label_version",
]


@dataclass(frozen=True)
class Labelled:
    decision: Decision
    open_washing: bool
    washing_reasons: tuple[WashingReason, ...]  # str(reason) is the "CODE: text" line
    confidence: Confidence = Confidence("high", 1.0)
    rule_version: str = RULE_VERSION

    @property
    def label(self) -> str:
        return self.decision.label

    def explanation(self) -> dict[str, Any]:
        d = self.decision
        return {
            "label": d.label,
            "rule": d.rule,
            "rule_version": self.rule_version,
            "gates": [plain(g) for g in d.gates],
            "capped_by": d.capped_by,
            "lineage": list(d.lineage),
            "notes": list(d.notes),
            "confidence": self.confidence.as_dict(),
        }


def label_version(evidence: ModelEvidence, bases: Sequence[BaseLabel] = ()) -> Labelled:
    decision = classify_model(evidence, bases)
    reasons = washing_reasons(evidence, decision.label, bases)
    confidence = label_confidence(evidence, decision, bases)
    return Labelled(decision=decision, open_washing=bool(reasons), washing_reasons=reasons, confidence=confidence)
