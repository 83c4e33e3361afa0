"""Which model(s) this one was built from: `base_model` in the card, `base_model:` tags.

When nothing is declared, a version-specific family tag (e.g. `llama-2`) is still evidence that
the weights derive from that family, whose licence then governs them; that reading is recorded
with a lower confidence so the explanation can say it was inferred.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .types import BaseModelEvidence, BaseRef, Finding, LicenceFamily

RELATIONS = ("finetune", "adapter", "quantized", "merge")
MAX_BASES = 16

# Tags that name a specific licensed model family (not an architecture: many Apache models use the
# Llama architecture and carry the tag "llama"; "llama-2" names Meta's Llama 2 release itself).
FAMILY_TAGS: dict[str, tuple[str, LicenceFamily]] = {
    "llama-2": ("Llama 2", "vendor-community"),
    "llama2": ("Llama 2", "vendor-community"),
    "llama-3": ("Llama 3", "vendor-community"),
    "llama3": ("Llama 3", "vendor-community"),
    "llama-3.1": ("Llama 3.1", "vendor-community"),
    "llama-3.2": ("Llama 3.2", "vendor-community"),
    "llama-3.3": ("Llama 3.3", "vendor-community"),
    "llama-4": ("Llama 4", "vendor-community"),
    "code-llama": ("Code Llama", "vendor-community"),
    "codellama": ("Code Llama", "vendor-community"),
}


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def base_model_evidence(card_data: Mapping[str, Any], tags: Sequence[str]) -> BaseModelEvidence:
    relations: dict[str, str] = {}
    sources: dict[str, str] = {}
    for tag in tags:
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        head, _, tail = rest.partition(":")
        if head in RELATIONS and tail:
            relations[tail] = head
            sources.setdefault(tail, f"tag:{tag}")
        elif rest:
            sources.setdefault(rest, f"tag:{tag}")
    for base in _as_list(card_data.get("base_model")):
        base = base.strip()
        if base:
            sources[base] = "cardData.base_model"
    declared_relation = card_data.get("base_model_relation")
    bases = []
    for base_id, source in list(sources.items())[:MAX_BASES]:
        relation = relations.get(base_id)
        if relation is None and isinstance(declared_relation, str) and declared_relation in RELATIONS:
            relation = declared_relation
        bases.append(BaseRef(id=base_id, relation=relation or "unspecified", source=source))  # type: ignore[arg-type]
    findings = [Finding(b.source, f"built on {b.id} ({b.relation})") for b in bases]

    inferred_family = inferred_licence = None
    if not bases:
        card_tags = _as_list(card_data.get("tags"))
        for tag in [*tags, *card_tags]:
            key = tag.lower() if isinstance(tag, str) else ""
            if key in FAMILY_TAGS:
                inferred_family, inferred_licence = FAMILY_TAGS[key]
                findings.append(
                    Finding(
                        f"tag:{tag}",
                        f"no base_model declared, but the tag '{tag}' says it derives from {inferred_family}, whose licence governs derivatives",
                        0.7,
                    )
                )
                break
    return BaseModelEvidence(
        bases=tuple(bases),
        inferred_family=inferred_family,
        inferred_licence_family=inferred_licence,
        findings=tuple(findings),
    )
