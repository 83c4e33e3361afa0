"""Bases named by files in the repository: PEFT adapter configs, mergekit configs, config.json.

Files are untrusted bytes: each is bounded, decoded leniently, parsed with `json` or PyYAML's safe
loader (its nesting bounded: extract/front_matter.py `safe_load`) and walked with bounded loops;
whatever cannot be read yields nothing (and a finding says why).
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

import yaml

from extract.front_matter import safe_load

MAX_FILE_BYTES = 256_000
MAX_MODELS = 32  # merged models read from one config


def _text(raw: bytes | None) -> str | None:
    if not raw or len(raw) > MAX_FILE_BYTES or b"\0" in raw[:4096]:
        return None
    return raw.decode("utf-8", "replace")


def _json(raw: bytes | None) -> Mapping[str, Any] | None:
    text = _text(raw)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, Mapping) else None


def adapter_base(raw: bytes | None) -> str | None:
    """`base_model_name_or_path` of a PEFT adapter_config.json."""
    data = _json(raw)
    value = data.get("base_model_name_or_path") if data is not None else None
    return value if isinstance(value, str) and value.strip() else None


def config_name_or_path(raw: bytes | None) -> str | None:
    """`_name_or_path` of a transformers config.json (often a local path or the model itself)."""
    data = _json(raw)
    value = data.get("_name_or_path") if data is not None else None
    return value if isinstance(value, str) and value.strip() else None


def merge_models(raw: bytes | None) -> list[str]:
    """The models a mergekit config merges (`models[].model`, `slices[].sources[].model`, `base_model`)."""
    text = _text(raw)
    if text is None:
        return []
    try:
        data = safe_load(text)  # FlowTooDeep is a YAMLError
    except (yaml.YAMLError, RecursionError, ValueError):
        return []
    if not isinstance(data, Mapping):
        return []
    found: dict[str, None] = {}
    for value in _merge_values(data):
        if len(found) >= MAX_MODELS:
            break
        found.setdefault(value.strip())
    return [v for v in found if v]


def _merge_values(data: Mapping[str, Any]) -> Iterator[str]:
    base = data.get("base_model")
    if isinstance(base, str):
        yield base
    for entry in _items(data.get("models")):
        yield from _model_of(entry)
    for piece in _items(data.get("slices")):
        if isinstance(piece, Mapping):
            for source in _items(piece.get("sources")):
                yield from _model_of(source)


def _items(value: Any) -> list[Any]:
    return list(value[:MAX_MODELS]) if isinstance(value, list) else []


def _model_of(entry: Any) -> Iterator[str]:
    if isinstance(entry, str):
        yield entry
    elif isinstance(entry, Mapping) and isinstance(entry.get("model"), str):
        yield entry["model"]
