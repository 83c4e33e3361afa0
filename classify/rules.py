"""The openness rules, in one place, readable by a policy person.

Labels (exact strings, used in the database, the export and the reports):

- **No Weights**: no downloadable weight files (card-only repos, "coming soon", removed or private repos).
- **Weights Available**: weights downloadable, licence not open (non-OSI, use-restricted such as
  OpenRAIL/BLOOM RAIL, non-commercial, vendor community licences such as Llama or Gemma, custom
  "other" terms, unknown or missing licence).
- **Open Weights**: weights under an open licence: OSI-approved, or an open data/content licence
  that conforms to the Open Source Definition for parameters (CC0, CC-BY, CC-BY-SA, ODC-BY,
  CDLA-Permissive ...). `open_basis` records which of the two ("osi" / "open-data") so strict users
  can filter.
- **Open Source**: Open Weights + inference code + released training code, all under open licences,
  + either all training data openly available or, where it is not, sufficiently detailed data
  information (how the data was collected, filtered and processed).
- **Open Source and Open Data**: Open Source, and all declared training data is published openly
  (every dataset downloadable under an open licence, ungated or auto-gated).

Gates run in the order OSI applied them in its validation:
1. weights gate (W1): no downloadable weights -> No Weights.
2. licence gate (L1, L2): a licence that is not open -> Weights Available, however open the rest is
   (BLOOM, StarCoder2, Falcon-180B). L2: an undeclared base family whose licence is not open
   (e.g. a `llama-2` tag) caps the model the same way.
3. code + data-information gate (S1): inference code, released training code, and (open data or
   sufficient data information) -> Open Source; otherwise Open Weights (S0).
4. data-openness gate (D1): all training data open -> Open Source and Open Data; otherwise Open Source (D0).
Lineage (B1, B2): a model is capped at its base model's label (a Llama fine-tune is Weights
Available whatever it declares; a Mistral fine-tune is at most Open Weights). A quantized re-upload
inherits its base's label, within its own licence gate (B2). An unknown base is reported, not guessed.

No rule looks at a repository id or a publisher's name: labels follow from evidence alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import policy
from extract.licence_catalog import OPEN_FAMILIES
from extract.types import ModelEvidence

_POLICY = policy.load("rules")
RULE_VERSION: str = _POLICY["version"]

NO_WEIGHTS = "No Weights"
WEIGHTS_AVAILABLE = "Weights Available"
OPEN_WEIGHTS = "Open Weights"
OPEN_SOURCE = "Open Source"
OPEN_SOURCE_OPEN_DATA = "Open Source and Open Data"
LABELS = (NO_WEIGHTS, WEIGHTS_AVAILABLE, OPEN_WEIGHTS, OPEN_SOURCE, OPEN_SOURCE_OPEN_DATA)
# The names above are the database's values; the policy file must list the same, least open first.
if tuple(item["name"] for item in _POLICY["labels"]) != LABELS:
    raise policy.PolicyError("policy/rules.yaml: labels must be, in order: " + ", ".join(LABELS))
RANK = {label: rank for rank, label in enumerate(LABELS)}


@dataclass(frozen=True)
class Gate:
    """One step of the decision: passed or not, which rule, why, and the evidence sources used."""

    name: str
    passed: bool
    rule: str
    reason: str
    evidence: tuple[str, ...] = ()


#: Why a base could not be verified (BaseLabel.status other than "ok"), in words for the explanation.
UNVERIFIED = {
    "pending": "has not been looked up on the Hub yet",
    "unlabelled": "is stored but not labelled yet (its card could not be read)",
    "missing": "does not exist on the Hub (deleted, renamed without a redirect, or private)",
    "private": "is private",
    "disabled": "is disabled on the Hub",
    "local-path": "is a local path on its author's machine, not a published model",
    "url": "is a URL outside the Hub",
    "invalid": "is not a valid Hub repository id",
    "error": "could not be looked up (the Hub did not answer)",
}


@dataclass(frozen=True)
class BaseLabel:
    """What the database knows about a base of a model version, for the lineage gate."""

    repo_id: str
    relation: str
    label: str | None  # None unless status is "ok"
    licence_family: str | None = None
    # ok: stored and labelled | cycle: lineage loops back through this model (not followed) |
    # any key of UNVERIFIED: the base could not be verified
    status: str = "ok"
    confidence: float = 1.0  # how sure the evidence naming this base is (policy/lineage.yaml)


@dataclass(frozen=True)
class Decision:
    label: str
    rule: str
    open_basis: str | None
    gates: tuple[Gate, ...]
    capped_by: str | None = None
    lineage: tuple[str, ...] = ()  # base ids followed (for cycle detection and the lineage view)
    notes: tuple[str, ...] = ()


def _sources(findings) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f.source for f in findings))[:8]


def own_label(ev: ModelEvidence) -> tuple[str, str, list[Gate]]:
    """The label from this version's own evidence, before lineage. Returns (label, rule, gates)."""
    gates: list[Gate] = []
    weights = ev.weights
    if not weights.present:
        why = "no downloadable weight files" if weights.access != "unavailable" else "repository unavailable: nothing can be downloaded"
        gates.append(Gate("weights", False, "W1", why, _sources(weights.findings)))
        return NO_WEIGHTS, "W1", gates
    gates.append(Gate("weights", True, "W1", f"{weights.file_count} weight file(s) ({', '.join(weights.formats)})", _sources(weights.findings)))

    lic = ev.licence
    if lic.open_basis is None or lic.family not in OPEN_FAMILIES:
        name = lic.name or lic.hub_id or "none declared"
        gates.append(Gate("licence", False, "L1", f"licence {name} ({lic.family}) is not an open licence", _sources(lic.findings)))
        return WEIGHTS_AVAILABLE, "L1", gates
    inferred = ev.base_model.inferred_licence_family
    if inferred is not None and inferred not in OPEN_FAMILIES:
        gates.append(
            Gate(
                "licence",
                False,
                "L2",
                f"declares {lic.name or lic.hub_id}, but derives from {ev.base_model.inferred_family}, whose licence ({inferred}) is not open",
                _sources(ev.base_model.findings),
            )
        )
        return WEIGHTS_AVAILABLE, "L2", gates
    basis = "OSI-approved" if lic.open_basis == "osi" else "open data/content licence"
    gates.append(Gate("licence", True, "L1", f"licence {lic.name or lic.hub_id} is open ({basis})", _sources(lic.findings)))

    missing = []
    if not ev.inference_code.present:
        missing.append("inference code")
    if not ev.training_code.released:
        missing.append("released training code")
    # G7/OSI: the code must be under open licences too (False = shown not open; None = not known, card-only)
    elif ev.training_code.licence_open is False:
        missing.append(f"training code under an open licence (its licence: {ev.training_code.licence}, {ev.training_code.repo})")
    if ev.inference_code.present and ev.inference_code.licence_open is False:
        missing.append(f"inference code under an open licence (its licence: {ev.inference_code.licence}, {ev.inference_code.repo})")
    data_ok = ev.datasets.all_open is True or ev.data_information.sufficient
    if not data_ok:
        missing.append(f"open training data or sufficient data information (score {ev.data_information.score}/100)")
    code_sources = _sources(ev.inference_code.findings + ev.training_code.findings + ev.data_information.findings)
    if missing:
        gates.append(Gate("code+data information", False, "S0", "missing: " + "; ".join(missing), code_sources))
        return OPEN_WEIGHTS, "S0", gates
    how = "all training data open" if ev.datasets.all_open else f"data information sufficient (score {ev.data_information.score}/100)"
    licences = f" (code licences: inference {ev.inference_code.licence or 'unknown'}, training {ev.training_code.licence or 'unknown'})"
    gates.append(Gate("code+data information", True, "S1", f"inference code, training code released, {how}{licences}", code_sources))

    if ev.datasets.all_open is True:
        ids = ", ".join(r.id for r in ev.datasets.refs)
        gates.append(Gate("open data", True, "D1", f"every declared dataset is openly published ({ids})", _sources(ev.datasets.findings)))
        return OPEN_SOURCE_OPEN_DATA, "D1", gates
    why = "no training dataset declared" if not ev.datasets.refs else "not every declared dataset is openly published"
    gates.append(Gate("open data", False, "D0", why, _sources(ev.datasets.findings)))
    return OPEN_SOURCE, "D0", gates


def classify_model(ev: ModelEvidence, bases: Sequence[BaseLabel] = ()) -> Decision:
    """Exactly one label for one model version, with every gate and the deciding rule."""
    label, rule, gates = own_label(ev)
    notes: list[str] = []
    capped_by = None
    lineage = tuple(b.repo_id for b in bases)
    if label != NO_WEIGHTS:
        licence_ceiling = WEIGHTS_AVAILABLE if rule in ("L1", "L2") else OPEN_SOURCE_OPEN_DATA
        named = {ref.id.lower(): ref for ref in ev.base_model.bases}
        for base in bases:
            if base.status == "cycle" or base.repo_id == ev.repo_id:
                notes.append(f"lineage cycle through {base.repo_id}: not followed")
                continue
            if base.status != "ok" or base.label is None:
                why = UNVERIFIED.get(base.status, "could not be verified")
                ref = named.get(base.repo_id.lower())
                if ref is not None and ref.family_licence is not None and ref.family_licence not in OPEN_FAMILIES:
                    # the base cannot be checked, but its name says which restricted release it is
                    if RANK[label] > RANK[WEIGHTS_AVAILABLE]:
                        gates.append(Gate("licence", False, "L2", f"its base {base.repo_id} {why}, and its name says it is {ref.family}, whose licence ({ref.family_licence}) is not open", (f"base:{base.repo_id}",)))
                        label, rule, capped_by = WEIGHTS_AVAILABLE, "L2", base.repo_id
                        licence_ceiling = WEIGHTS_AVAILABLE
                    continue
                # B0: weights derived from a model no one can inspect: neither its licence nor its
                # training code and data can be checked, so the system cannot be shown to be open source.
                if RANK[label] > RANK[OPEN_WEIGHTS]:
                    gates.append(Gate("lineage", False, "B0", f"capped at Open Weights: its base {base.repo_id} {why}", (f"base:{base.repo_id}",)))
                    label, rule, capped_by = OPEN_WEIGHTS, "B0", base.repo_id
                else:
                    gates.append(Gate("lineage", True, "B0", f"base {base.repo_id} {why}; the label is not raised by it", (f"base:{base.repo_id}",)))
                continue
            if base.relation == "quantized" and RANK[base.label] > RANK[label]:
                # A re-upload of the same weights is as open as the original, within its own licence.
                inherited = min(base.label, licence_ceiling, key=RANK.__getitem__)
                if inherited != label and base.label != NO_WEIGHTS:
                    gates.append(Gate("lineage", True, "B2", f"quantized re-upload of {base.repo_id} ({base.label}): inherits its label", (f"base:{base.repo_id}",)))
                    label, rule = inherited, "B2"
                continue
            if RANK[base.label] < RANK[label] and base.label != NO_WEIGHTS:
                gates.append(
                    Gate("lineage", False, "B1", f"capped at the label of its base {base.repo_id} ({base.label})", (f"base:{base.repo_id}",))
                )
                label, rule, capped_by = base.label, "B1", base.repo_id
        if bases and not any(g.name == "lineage" for g in gates):
            known = [b for b in bases if b.label is not None and b.status == "ok"]
            if known:
                gates.append(Gate("lineage", True, "B1", "no base model has a lower label: " + ", ".join(f"{b.repo_id} ({b.label})" for b in known), tuple(f"base:{b.repo_id}" for b in known)))
    open_basis = ev.licence.open_basis if RANK[label] >= RANK[OPEN_WEIGHTS] else None
    return Decision(label=label, rule=rule, open_basis=open_basis, gates=tuple(gates), capped_by=capped_by, lineage=lineage, notes=tuple(notes))
