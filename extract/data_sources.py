"""Data information from where it is written: the model card, the declared datasets' cards, the code's docs.

Many models describe their training data once, in the card of the dataset they declare (how it was
collected, filtered and processed, how large it is) or in the data documentation of their code
repository, and only name it in the model card. So the details of extract/data_info.py are looked
for in each of these documents; every kind of detail scores once, with the points of the document
that gives it the most, and the evidence records which document supplied which points.

Only the model card can say the training data is released, declare datasets or cite a paper
(those points describe the model, not a document about data). A dataset card also gives its sizes
(`dataset_info` splits, `size_categories`) and named sources (`source_datasets`) from its metadata,
and counts as documentation of the data when it describes at least two kinds of detail.

Pure: the crawler stored the cards and documents; this module reads them. Bounded: at most
`MAX_DATASET_CARDS` dataset cards and `MAX_REPO_DOCS` repository documents, each cut to `MAX_DOC_BYTES`.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

from .card import ParsedCard, parse_card
from .data_info import document_signals, verdict
from .data_names import _add_source
from .data_patterns import POINTS, _Signals
from .types import DataPoint, StoredDataset, Finding

MAX_DATASET_CARDS = 8
MAX_REPO_DOCS = 6
MAX_DOC_BYTES = 200_000
MODEL_CARD = "model card"
# Points only the model card can give: they are about the model, not about a document on data.
MODEL_CARD_ONLY = frozenset({"data-released", "data-not-released", "declared-datasets", "paper", "source-categories"})
_DATA_DOC = re.compile(r"data|dataset|corpus|corpora", re.I)


@dataclass(frozen=True)
class _Doc:
    label: str
    points: dict[str, int]
    findings: tuple[Finding, ...]
    sources: dict[str, str]


def combined_data_information(
    card: ParsedCard,
    card_data: Mapping[str, Any],
    tags: Sequence[str],
    datasets: Mapping[str, StoredDataset],
    repo_docs: Sequence[tuple[str, str, str]],
):
    main, region = document_signals(card, card_data, tags)
    docs = [_Doc(MODEL_CARD, dict(main.points), tuple(main.findings), dict(main.sources))]
    notes: list[Finding] = []
    for dataset_id, snap in list(datasets.items())[:MAX_DATASET_CARDS]:
        label = f"dataset card {dataset_id}"
        if snap.readme is None:
            if snap.readme_status not in (None, "absent"):
                notes.append(Finding(f"dataset:{dataset_id}", f"{label} not read ({snap.readme_status})", 0.5))
            doc = _metadata_doc(label, snap)
        else:
            doc = _merge_docs(label, _cached_doc(bytes(snap.readme[:MAX_DOC_BYTES]), True, label), _metadata_doc(label, snap))
            substantive = [k for k in doc.points if k not in ("named-sources",)]
            if len(substantive) >= 2:
                doc.points.setdefault("documentation", POINTS["documentation"])
                why = f"the {label} documents the data ({', '.join(sorted(substantive)[:4])})"
                doc = _Doc(doc.label, doc.points, (*doc.findings, Finding(f"dataset:{dataset_id}", why, 0.8)), doc.sources)
        if doc.points or doc.sources:
            docs.append(doc)
    for repo, path, text in list(repo_docs)[:MAX_REPO_DOCS]:
        label = f"github {repo}:{path}"
        whole = bool(_DATA_DOC.search(path.rsplit("/", 1)[-1])) and not path.lower().startswith("readme")
        doc = _cached_doc(text.encode("utf-8", "replace")[:MAX_DOC_BYTES], whole, label)
        if doc.points or doc.sources:
            docs.append(doc)

    merged = _Signals()
    givers: dict[str, str] = {}
    for doc in docs:
        for name, points in doc.points.items():
            if doc.label != MODEL_CARD and name in MODEL_CARD_ONLY:
                continue
            if points > merged.points.get(name, -1):
                merged.points[name] = points
                givers[name] = doc.label
        merged.findings.extend(doc.findings)
    named_by: dict[str, list[str]] = {}
    for doc in docs:
        for key, name in doc.sources.items():
            before = len(merged.sources)
            _add_source(merged, name)
            if len(merged.sources) != before:  # a source is only ever added: a new one counts
                named_by.setdefault(doc.label, []).append(name)
    merged.findings.extend(notes)
    evidence = verdict(merged, card, region, documents=[d.label for d in docs])  # scores the named sources
    data_points = [DataPoint(name, merged.points[name], givers[name]) for name in POINTS if name in merged.points and name != "named-sources"]
    if "named-sources" in merged.points:
        if len(named_by) > 1:
            share = "; ".join(f"{label} ({len(names)})" for label, names in named_by.items())
        else:
            share = next(iter(named_by), MODEL_CARD)
        data_points.insert(0, DataPoint("named-sources", merged.points["named-sources"], share))
    return dataclasses.replace(evidence, points=tuple(data_points))


def _merge_docs(label: str, a: _Doc, b: _Doc) -> _Doc:
    points = dict(a.points)
    for name, value in b.points.items():
        points[name] = max(points.get(name, 0), value)
    sources = dict(a.sources)
    for key, name in b.sources.items():
        sources.setdefault(key, name)
    return _Doc(label, points, a.findings + b.findings, sources)


@lru_cache(maxsize=128)
def _cached_doc(data: bytes, whole: bool, label: str) -> _Doc:
    """One document's details (cached: a popular dataset card is declared by thousands of models)."""
    parsed = parse_card(data, max_bytes=MAX_DOC_BYTES)
    signals, _region = document_signals(parsed, parsed.front_matter, (), whole=whole, model_card=False)
    prefix = label.split(" ", 2)
    where = f"dataset:{prefix[2]}" if label.startswith("dataset card ") else label.replace("github ", "github:", 1)
    findings = tuple(Finding(_relabel(f.source, where), f.reason, f.confidence) for f in signals.findings[:20])
    return _Doc(label, dict(signals.points), findings, dict(signals.sources))


def _relabel(source: str, where: str) -> str:
    if source == "card":
        return where
    if source.startswith("card:"):
        return where + source[len("card") :]
    return source


def _metadata_doc(label: str, snap: StoredDataset) -> _Doc:
    """Sizes and named sources a dataset card gives in its metadata (the Hub's cardData)."""
    card = snap.card_data if isinstance(snap.card_data, Mapping) else {}
    where = f"dataset:{snap.id}"
    points: dict[str, int] = {}
    findings: list[Finding] = []
    sizes = _split_sizes(card.get("dataset_info"))
    if sizes:
        points["size"] = POINTS["size"]
        findings.append(Finding(f"{where}:dataset_info", f"split sizes in the dataset card: {', '.join(sizes[:4])}", 0.9))
        if len(sizes) >= 3:
            points["per-source-size"] = POINTS["per-source-size"]
    else:
        categories = card.get("size_categories")
        categories = [categories] if isinstance(categories, str) else categories
        if isinstance(categories, list) and categories and all(isinstance(c, str) for c in categories):
            points["size"] = POINTS["size"]
            findings.append(Finding(f"{where}:size_categories", f"size range in the dataset card: {', '.join(categories[:3])}", 0.5))
    signals = _Signals()
    raw = card.get("source_datasets")
    for value in ([raw] if isinstance(raw, str) else raw if isinstance(raw, list) else [])[:50]:
        if isinstance(value, str) and value.strip().lower() not in ("original", "extended", ""):
            name = value.split("|", 1)[-1].strip()  # "extended|wikipedia": the card names its source
            if name:
                _add_source(signals, name.rsplit("/", 1)[-1])
    if signals.sources:
        findings.append(Finding(f"{where}:source_datasets", f"sources named in the dataset card: {', '.join(list(signals.sources.values())[:5])}", 0.8))
    return _Doc(label, points, tuple(findings), dict(signals.sources))


def _split_sizes(info: Any) -> list[str]:
    infos = info if isinstance(info, list) else [info] if isinstance(info, Mapping) else []
    sizes: list[str] = []
    for item in infos[:20]:
        if not isinstance(item, Mapping):
            continue
        for split in (item.get("splits") or [])[:20] if isinstance(item.get("splits"), list) else []:
            if isinstance(split, Mapping) and isinstance(split.get("num_examples"), int) and split["num_examples"] > 0:
                sizes.append(f"{split.get('name') or 'split'}: {split['num_examples']:,} examples")
        if not sizes and isinstance(item.get("dataset_size"), int) and item["dataset_size"] > 0:
            sizes.append(f"{item['dataset_size']:,} bytes")
    return sizes

