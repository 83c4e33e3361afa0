"""Problems with what a card declares: malformed `license`/`datasets`/`base_model`, and caps applied.

The extractors read these fields leniently (a licence given as a mapping or a number is ignored
with a finding, a `datasets: 7` names no dataset); this module says so as problems, with codes, so
the crawl records them and a reader of `problems` sees which cards could not be read as written.
Pure: data in, problems out.
"""

from __future__ import annotations

from typing import Any

from .datasets import _HUB_DATASET_URL, MAX_DATASETS
from .lineage import MAX_BASES
from .types import ParseProblem
from .version_input import VersionInput


def _kind(value: Any) -> str:
    return "a list holding non-text values" if isinstance(value, list) else f"a {type(value).__name__}"


def _is_text_or_texts(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return []


def declaration_problems(inp: VersionInput) -> list[ParseProblem]:
    card_data, tags, link_urls = inp.card_data, inp.tags, inp.link_urls
    problems: list[ParseProblem] = []
    for key, code, what in (
        ("license", "bad-licence", "the licence"),
        ("datasets", "bad-datasets", "the training datasets"),
        ("base_model", "bad-base-model", "the base model"),
    ):
        value = card_data.get(key)
        if value is not None and not _is_text_or_texts(value):
            problems.append(ParseProblem(code, f"cardData.{key} is {_kind(value)}, not text or a list of text: {what} it gives is not read"))

    datasets = set(_texts(card_data.get("datasets")))
    datasets.update(t.split(":", 1)[1] for t in tags if isinstance(t, str) and t.startswith("dataset:"))
    datasets.update(m.group(1) for m in (_HUB_DATASET_URL.match(u) for u in link_urls) if m)
    if len(datasets) > MAX_DATASETS:
        problems.append(ParseProblem("datasets-capped", f"{len(datasets):,} datasets declared; the first {MAX_DATASETS} are read"))

    bases = set(_texts(card_data.get("base_model")))
    for tag in tags:
        if isinstance(tag, str) and tag.startswith("base_model:"):
            rest = tag[len("base_model:") :]
            head, _, tail = rest.partition(":")
            bases.add(tail if head in ("finetune", "adapter", "quantized", "merge") and tail else rest)
    bases.discard("")
    if len(bases) > MAX_BASES:
        problems.append(ParseProblem("bases-capped", f"{len(bases):,} base models declared; the first {MAX_BASES} are followed"))
    return problems
