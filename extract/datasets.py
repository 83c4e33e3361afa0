"""Which datasets a model was trained on, and whether each is openly published.

"Open" here means what the Open Data label needs: the developer's data is downloadable by anyone
(ungated, or gated with automatic approval) under an open licence (OSI or open data/content).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

from .licence import read_licence
from .types import DatasetRef, DatasetsEvidence, Finding, StoredDataset
from .version_input import VersionInput

MAX_DATASETS = 64
_HUB_DATASET_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/datasets/([\w.-]+(?:/[\w.-]+)?)/?(?:[?#].*)?$")


_HUB_DATASET_URL_IN_TEXT = re.compile(r"https?://(?:www\.)?(?:huggingface\.co|hf\.co)/datasets/([\w.-]+(?:/[\w.-]+)?)")
MAX_TEXT_SCAN = 512_000


def hub_dataset_ids_in_text(text: str) -> list[str]:
    """Hub dataset ids linked anywhere in a card's text (bounded scan), in order of appearance."""
    found: dict[str, None] = {}
    for match in _HUB_DATASET_URL_IN_TEXT.finditer(text[:MAX_TEXT_SCAN]):
        dataset_id = match.group(1).rstrip(".")
        if dataset_id not in ("viewer",) and len(found) < MAX_DATASETS:
            found.setdefault(dataset_id)
    return list(found)


def declared_dataset_ids(card_data: Mapping[str, Any], tags: Sequence[str], link_urls: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(dataset id, where it was declared), first declaration wins, bounded."""
    found: dict[str, str] = {}
    declared = card_data.get("datasets")
    if isinstance(declared, str):
        declared = [declared]
    for value in declared if isinstance(declared, list) else []:
        if isinstance(value, str) and value.strip():
            found.setdefault(value.strip(), "cardData.datasets")
    for tag in tags:
        if isinstance(tag, str) and tag.startswith("dataset:"):
            found.setdefault(tag.split(":", 1)[1], f"tag:{tag}")
    for url in link_urls:
        match = _HUB_DATASET_URL.match(url) if "/datasets/" in url else None  # each match holds it
        if match:
            found.setdefault(match.group(1), f"url:{url}")
    return list(found.items())[:MAX_DATASETS]


def _ref(dataset_id: str, source: str, stored: StoredDataset | None) -> DatasetRef:
    if stored is None:
        return DatasetRef(dataset_id, source, False, "unknown", None, None, None)
    if stored.status in ("missing", "private", "disabled"):
        gone = "missing" if stored.status == "missing" else stored.status
        return DatasetRef(dataset_id, source, True, gone, None, None, False)
    if stored.status == "error":
        return DatasetRef(dataset_id, source, True, "unknown", None, None, None)
    licence = read_licence(stored.card_data, stored.tags, {})
    gated = stored.gated or False
    availability = "gated" if gated == "manual" else "open"
    is_open = availability == "open" and licence.open_basis is not None
    return DatasetRef(dataset_id, source, True, availability, licence.hub_id, licence.family, is_open)  # type: ignore[arg-type]


def datasets_evidence(inp: VersionInput) -> DatasetsEvidence:
    """The training datasets the version declares (card metadata, tags, Hub links in its card), each open or not."""
    card_data, tags, stored, link_urls = inp.card_data, inp.tags, inp.datasets, inp.link_urls
    refs = tuple(_ref(ds, source, stored.get(ds)) for ds, source in declared_dataset_ids(card_data, tags, link_urls))
    findings = []
    for ref in refs:
        if ref.open:
            why = f"openly published under {ref.licence_id}"
        elif ref.open is None:
            why = "not found among stored datasets: availability unknown" if not ref.on_hub else "could not be read"
        elif ref.availability != "open":
            why = f"not openly downloadable ({ref.availability})"
        else:
            why = f"licence {ref.licence_id or 'missing'} ({ref.licence_family}) is not an open licence"
        findings.append(Finding(ref.source, f"dataset {ref.id}: {why}"))
    if not refs:
        all_open = None
        findings.append(Finding("cardData.datasets", "no training dataset declared"))
    elif any(r.open is False for r in refs):
        all_open = False
    elif all(r.open for r in refs):
        all_open = True
    else:
        all_open = None
    return DatasetsEvidence(refs=refs, all_open=all_open, findings=tuple(findings))
