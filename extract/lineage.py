"""Which model(s) this one was built from, and how sure we are of each.

Evidence, strongest first (confidences in policy/lineage.yaml):
1. declared: `base_model` in the card's metadata, `base_model:` / `base_model:<relation>:` tags;
2. files: a PEFT `adapter_config.json` (`base_model_name_or_path`), a mergekit config (the merged models);
3. the card's prose: "a fine-tuned version of <link or ORG/NAME>", "GGUF quants of ...", "built on
   CodeLlama-7B" (a restricted family named without an id);
4. `config.json` `_name_or_path`, when it names another Hub repository and nothing above named a base.

A base value that is not a Hub id (a local path, a URL elsewhere) is kept with its kind: the label then
says the base could not be verified. When no Hub id is found, a restricted family named by the card
or by a version-specific tag (`llama-2`) still governs the weights; a card saying the model was
pretrained from scratch stops a tag (which may only name the architecture) from capping it.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import policy

from .lineage_files import adapter_base, config_name_or_path, merge_models
from .lineage_ids import base_key, normalise_base
from .lineage_text import family_licence, family_of_name, says_from_scratch, statements
from .types import BaseModelEvidence, BaseRef, Finding, LicenceFamily
from .version_input import VersionInput

RELATIONS = ("finetune", "adapter", "quantized", "merge")
MAX_BASES = 16


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value[:MAX_BASES * 4] if isinstance(v, str)]
    return []


def _file(files: Mapping[str, bytes], names: Sequence[str]) -> tuple[str, bytes] | None:
    for name in names:
        if name in files:
            return name, files[name]
    return None


class _Bases:
    """Bases in the order found; the first source of an id (compared case-insensitively) wins."""

    def __init__(self, own_key: str) -> None:
        self.own_key = own_key
        self.refs: dict[str, BaseRef] = {}

    def add(self, raw: str, relation: str, source: str, confidence: float, *, only_hub_ids: bool = False) -> None:
        value, kind = normalise_base(raw)
        if not value or (only_hub_ids and kind != "hub-id") or len(self.refs) >= MAX_BASES:
            return
        key = base_key(value) if kind == "hub-id" else value
        if key == self.own_key or key in self.refs:
            return
        family = family_of_name(value)
        self.refs[key] = BaseRef(
            id=value, relation=relation, source=source, kind=kind, confidence=confidence,  # type: ignore[arg-type]
            raw=raw.strip()[:200] if raw.strip() != value else None,
            family=family, family_licence=family_licence(family) if family else None,
        )

    def has_hub_ids(self) -> bool:
        return any(b.kind == "hub-id" for b in self.refs.values())


def base_model_evidence(inp: VersionInput) -> BaseModelEvidence:
    card_data, tags, card, files, repo_id = inp.card_data, inp.tags, inp.card, inp.files, inp.repo_id
    conf = policy.load("lineage")["confidence"]
    names = policy.load("lineage")["files"]
    files = files or {}
    found = _Bases(base_key(repo_id))
    findings: list[Finding] = []

    # 1. declared
    relations: dict[str, str] = {}
    declared: list[tuple[str, str]] = [(value, "cardData.base_model") for value in _as_list(card_data.get("base_model"))]
    for tag in tags:
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:") :]
        head, _, tail = rest.partition(":")
        if head in RELATIONS and tail:
            relations[base_key(tail)] = head
            declared.append((tail, f"tag:{tag}"))
        elif rest:
            declared.append((rest, f"tag:{tag}"))
    stated_relation = card_data.get("base_model_relation")
    for value, source in declared:
        key = base_key(normalise_base(value)[0])
        relation = relations.get(key) or (stated_relation if stated_relation in RELATIONS else "unspecified")
        found.add(value, relation, source, conf["declared"])

    # 2. files
    adapter = _file(files, names["adapter_config"])
    if adapter is not None:
        adapter_value = adapter_base(adapter[1])
        if adapter_value:
            found.add(adapter_value, "adapter", f"file:{adapter[0]}", conf["adapter_config"])
    merge = _file(files, names["merge_config"])
    if merge is not None:
        for value in merge_models(merge[1]):
            for part in value.split("+"):  # mergekit writes "model+lora" for a model with an adapter applied
                found.add(part, "merge", f"file:{merge[0]}", conf["merge_config"])

    # 3. the card's prose
    families: list[tuple[str, str]] = []
    if card is not None:
        for st in statements(card):
            if st.via == "family":
                families.append((st.value, st.sentence))
            else:
                found.add(st.value, st.relation, "card", conf["card_link"] if st.via == "link" else conf["card_id"], only_hub_ids=True)
        scratch = says_from_scratch(card)
    else:
        scratch = None

    # 4. config.json, only when nothing else named a base (it is often stale or a local path)
    config = _file(files, names["model_config"])
    if config is not None and not found.refs and scratch is None:
        config_value = config_name_or_path(config[1])
        if config_value and "/" in config_value:
            found.add(config_value, "unspecified", f"file:{config[0]}", conf["config_name_or_path"], only_hub_ids=True)

    bases = tuple(found.refs.values())
    for b in bases:
        what = f"built on {b.id} ({b.relation})" if b.kind == "hub-id" else f"names its base as {b.raw or b.id}, a {b.kind} no one can check"
        findings.append(Finding(b.source, what, b.confidence))

    inferred_family = inferred_licence = None
    if not found.has_hub_ids():
        inferred_family, inferred_licence, finding = _inferred(families, tags, card_data, scratch is not None, conf)
        if finding is not None:
            findings.append(finding)
    if scratch is not None:
        findings.append(Finding("card", f"says it was trained from scratch: \"{scratch}\"", 0.8))
    return BaseModelEvidence(
        bases=bases,
        inferred_family=inferred_family,
        inferred_licence_family=inferred_licence,
        from_scratch=scratch is not None,
        findings=tuple(findings),
    )


def _inferred(
    families: list[tuple[str, str]], tags: Sequence[str], card_data: Mapping[str, Any], from_scratch: bool, conf: Mapping[str, float]
) -> tuple[str | None, LicenceFamily | None, Finding | None]:
    """A restricted family the card names, else one a version-specific tag names (not when from scratch)."""
    for family, sentence in families:
        licence = family_licence(family)
        if licence is not None:
            return family, licence, Finding("card", f"the card says it was built from {family}, whose licence governs derivatives: \"{sentence}\"", conf["card_family"])
    if from_scratch:
        return None, None, None
    by_tag = {t: f["family"] for f in policy.load("lineage")["families"] for t in f["tags"]}
    for tag in [*tags, *_as_list(card_data.get("tags"))]:
        key = tag.lower() if isinstance(tag, str) else ""
        if key in by_tag:
            family = by_tag[key]
            licence = family_licence(family)
            if licence is not None:
                return family, licence, Finding(
                    f"tag:{tag}",
                    f"no base_model declared, but the tag '{tag}' says it derives from {family}, whose licence governs derivatives",
                    conf["family_tag"],
                )
    return None, None, None
