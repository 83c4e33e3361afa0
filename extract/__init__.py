"""Turn one stored model version into typed evidence of openness. Pure: data in, evidence out.

`extract_model(snapshot)` is the only entry point the pipeline needs; each kind of evidence has its
own module (licence, weights, inference_code, training_code, datasets, data_info, lineage, claims).
"""

from __future__ import annotations

from typing import Any, Mapping

from .card import parse_card
from .claims import openness_claims
from .data_info import data_information
from .datasets import datasets_evidence
from .declarations import declaration_problems
from .inference_code import inference_code
from .licence import licence_evidence
from .lineage import base_model_evidence
from .linked_code import linked_code_repos, training_code_evidence
from .types import CodeRepoRef, StoredCodeRepo, ModelEvidence, StoredVersion, ParseProblem
from .weights import weights_evidence

#: Bump when extraction changes what it concludes: every stored version is then re-extracted.
#: 2: claims read per sentence with target, modality, language (issue 12); lineage from files, prose and names (issue 10).
#: 3: linked GitHub repositories (trees, licences), dataset cards and repository docs as evidence (issue 11).
EXTRACTOR_VERSION = 3

__all__ = ["EXTRACTOR_VERSION", "ModelEvidence", "StoredVersion", "extract_model", "siblings_of"]


def siblings_of(metadata: Mapping[str, Any]) -> tuple[str, ...] | None:
    raw = metadata.get("siblings")
    if not isinstance(raw, list):
        return None
    return tuple(s["rfilename"] for s in raw if isinstance(s, Mapping) and isinstance(s.get("rfilename"), str))


def _tags(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    raw = metadata.get("tags")
    return tuple(t for t in raw if isinstance(t, str)) if isinstance(raw, list) else ()


def extract_model(snapshot: StoredVersion) -> ModelEvidence:
    meta = snapshot.metadata
    card = parse_card(snapshot.readme)
    listed_card = meta.get("cardData")
    # The Hub's parsed cardData is authoritative (and public even when the README is gated);
    # the README's own front matter stands in when the listing had none.
    card_data: Mapping[str, Any] = listed_card if isinstance(listed_card, Mapping) else card.front_matter
    tags = _tags(meta)
    siblings = siblings_of(meta)
    problems = list(card.problems)
    if snapshot.readme is None and snapshot.readme_status != "absent":
        problems = [p for p in problems if p.code != "readme-missing"]
        problems.append(ParseProblem(f"readme-{snapshot.readme_status}", f"README.md not read: {snapshot.readme_status}"))
    licence = licence_evidence(card_data, tags, snapshot.files)
    weights = weights_evidence(siblings, snapshot.access)
    # Only a version whose label could rise above Open Weights has its linked repositories checked.
    candidate = weights.present and licence.open_basis is not None
    refs = linked_code_repos(card, snapshot.code_repos, candidate)
    problems += declaration_problems(card_data, tags, (link.url for link in card.links))
    return ModelEvidence(
        repo_id=snapshot.repo_id,
        sha=snapshot.sha,
        extractor_version=EXTRACTOR_VERSION,
        licence=licence,
        weights=weights,
        inference_code=inference_code(card, meta, siblings or (), refs, licence),
        training_code=training_code_evidence(card, siblings or (), snapshot.files, refs, snapshot.code_repos, licence, candidate),
        datasets=datasets_evidence(card_data, tags, snapshot.datasets, (link.url for link in card.links)),
        data_information=data_information(card, card_data, tags, datasets=snapshot.datasets, repo_docs=_repo_docs(refs, snapshot.code_repos)),
        base_model=base_model_evidence(card_data, tags, card, snapshot.files, snapshot.repo_id),
        claims=openness_claims(card, snapshot.repo_id, tags),
        problems=tuple(problems),
        code_repos=refs,
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
