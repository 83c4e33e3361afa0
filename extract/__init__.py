"""Turn one stored model version into typed evidence of openness. Pure: data in, evidence out.

`extract_model(stored)` is the only entry point the pipeline needs. It reads the stored version once
into a `VersionInput` (extract/version_input.py) and hands that to every extractor; each kind of
evidence has its own module (licence, weights, inference_code, linked_code, datasets, data_info,
lineage, claims, declarations), and each entry function takes the `VersionInput` first (those that
build on another conclusion, such as the licence, take it as a further argument).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from .claims import openness_claims
from .data_info import data_information
from .datasets import datasets_evidence
from .declarations import declaration_problems
from .inference_code import inference_code
from .licence import licence_evidence
from .licence_terms import CardTerms, card_terms, terms_finding
from .lineage import base_model_evidence
from .linked_code import linked_code_repos, training_code_evidence
from .types import CodeRepoRef, LicenceEvidence, ModelEvidence, ParseProblem, StoredCodeRepo, StoredVersion
from .version_input import VersionInput, read_version, siblings_of
from .weights import weights_evidence

#: Bump when extraction changes what it concludes: every stored version is then re-extracted.
#: 2: claims read per sentence with target, modality, language (issue 12); lineage from files, prose and names (issue 10).
#: 3: linked GitHub repositories (trees, licences), dataset cards and repository docs as evidence (issue 11).
#: 4: use restrictions a card writes in prose (licence terms).
#: 5: a claim phrase with a gap is about its head noun ("open code models" are models, not code).
#: 6: a base named after a label ("Finetuned from: X", the card template's "Finetuned from model: X") or
#:    "a fine-tuning of X"; a framework the developers say they wrote, linked where they trained with it,
#:    is checked as their training code.
#: 7: a licence whose Title Case name says "open" ("released under the NVIDIA Open Model License
#:    Agreement") is the licence's name, not a claim that the model is open.
EXTRACTOR_VERSION = 7

__all__ = ["EXTRACTOR_VERSION", "ModelEvidence", "StoredVersion", "VersionInput", "extract_model", "read_version", "siblings_of"]


def extract_model(stored: StoredVersion) -> ModelEvidence:
    """Read the stored version once (`read_version`), then hand that one typed input to every extractor."""
    inp = read_version(stored)
    problems = list(inp.card.problems)
    if stored.readme is None and stored.readme_status != "absent":
        problems = [p for p in problems if p.code != "readme-missing"]
        problems.append(ParseProblem(f"readme-{stored.readme_status}", f"README.md not read: {stored.readme_status}"))
    licence = with_card_terms(licence_evidence(inp), card_terms(inp.card))
    weights = weights_evidence(inp)
    # Only a version whose label could rise above Open Weights has its linked repositories checked.
    candidate = weights.present and licence.open_basis is not None
    refs = linked_code_repos(inp, candidate)
    problems += declaration_problems(inp)
    return ModelEvidence(
        repo_id=inp.repo_id,
        sha=inp.sha,
        extractor_version=EXTRACTOR_VERSION,
        licence=licence,
        weights=weights,
        inference_code=inference_code(inp, refs, licence),
        training_code=training_code_evidence(inp, refs, licence, candidate),
        datasets=datasets_evidence(inp),
        data_information=data_information(inp, repo_docs=_repo_docs(refs, inp.code_repos)),
        base_model=base_model_evidence(inp),
        claims=openness_claims(inp),
        problems=tuple(problems),
        code_repos=refs,
    )


def with_card_terms(licence: LicenceEvidence, terms: CardTerms | None) -> LicenceEvidence:
    """An open licence whose card adds a use restriction is that restriction's family (the stricter wins),
    and the contradiction is recorded (W-CONFLICT)."""
    if terms is None or licence.open_basis is None:
        return licence
    declared = licence.name or licence.hub_id or "an open licence"
    return dataclasses.replace(
        licence,
        family=terms.family,
        osi_approved=False,
        open_basis=None,
        conflict=licence.conflict or f"declares {declared}, but its card adds terms no open licence has: {terms.what} (\"{terms.sentence[:200]}\")",
        findings=(*licence.findings, terms_finding(terms)),
    )


def _repo_docs(refs: tuple[CodeRepoRef, ...], repos: Mapping[str, StoredCodeRepo]) -> list[tuple[str, str, str]]:
    """Documents of the model's own code repositories (not frameworks or examples), for data information."""
    docs: list[tuple[str, str, str]] = []
    for ref in refs:
        snap = repos.get(ref.name)
        if snap is None or ref.status not in ("ok", "renamed") or ref.role not in ("training", "repository"):
            continue
        docs.extend((snap.full_name or ref.name, path, text) for path, text in list(snap.docs.items())[:4])
    return docs
