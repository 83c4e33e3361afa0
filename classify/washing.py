"""Open-washing: a model that claims more openness than its label gives it.

Flagged, with a reason each, when
- the card, name or tags claim "open source" / "fully open" about the model itself, and its label is
  below Open Source (W-OS);
- it claims "open weights" / "open model" about itself and its label is Weights Available (W-OW);
- it declares an open licence while a base model's licence, or the lineage of that base, does not allow
  that (licence laundering, W-LAUNDER);
- its declared licence contradicts its own LICENSE file (W-CONFLICT).
"""

from __future__ import annotations

from typing import Sequence

from extract.types import ModelEvidence

from .rules import OPEN_FAMILIES, OPEN_SOURCE, RANK, WEIGHTS_AVAILABLE, BaseLabel

OPEN_SOURCE_CLAIMS = ("open-source", "fully-open")
OPEN_WEIGHTS_CLAIMS = ("open-weights", "open-model")


def washing_reasons(ev: ModelEvidence, label: str, bases: Sequence[BaseLabel] = ()) -> tuple[str, ...]:
    reasons: list[str] = []
    own = [c for c in ev.claims.claims if c.about_self]
    source_claims = [c for c in own if c.kind in OPEN_SOURCE_CLAIMS]
    if source_claims and label in RANK and RANK[label] < RANK[OPEN_SOURCE]:
        c = source_claims[0]
        reasons.append(f"W-OS: claims \"{c.phrase}\" ({c.source}) but is labelled {label}: \"{c.sentence}\"")
    weight_claims = [c for c in own if c.kind in OPEN_WEIGHTS_CLAIMS]
    if weight_claims and label == WEIGHTS_AVAILABLE:
        c = weight_claims[0]
        reasons.append(f"W-OW: claims \"{c.phrase}\" ({c.source}) but its licence is not open: \"{c.sentence}\"")
    if ev.licence.open_basis is not None:
        declared = ev.licence.name or ev.licence.hub_id
        named = {ref.id.lower(): ref for ref in ev.base_model.bases}
        for base in bases:
            if base.status != "ok":
                ref = named.get(base.repo_id.lower())
                if ref is not None and ref.family_licence is not None and ref.family_licence not in OPEN_FAMILIES:
                    reasons.append(f"W-LAUNDER: declares {declared}, but its base {base.repo_id} is named as {ref.family}, whose licence is not open ({ref.family_licence})")
                continue  # otherwise an unverifiable base proves nothing either way (rule B0 says so in the gates)
            if base.licence_family is not None and base.licence_family not in OPEN_FAMILIES:
                reasons.append(f"W-LAUNDER: declares {declared}, but its base {base.repo_id} is not under an open licence ({base.licence_family})")
            elif base.label == WEIGHTS_AVAILABLE:
                # the base declares an open licence itself, but its own lineage is restricted
                reasons.append(f"W-LAUNDER: declares {declared}, but its base {base.repo_id} derives from weights under a licence that is not open")
        inferred = ev.base_model.inferred_licence_family
        if inferred is not None and inferred not in OPEN_FAMILIES:
            reasons.append(f"W-LAUNDER: declares {declared}, but derives from {ev.base_model.inferred_family} ({inferred} licence)")
    if ev.licence.conflict:
        reasons.append(f"W-CONFLICT: {ev.licence.conflict}")
    return tuple(reasons)
