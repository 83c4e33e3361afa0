"""Data information from where it is written: dataset cards and repository docs (extract/data_sources.py)."""

from __future__ import annotations

from extract.card import parse_card
from extract.data_info import SUFFICIENT_SCORE, data_information
from extract.types import StoredDataset
from extract.version_input import VersionInput

MODEL_CARD = """---
license: apache-2.0
datasets:
- acme/web-corpus
---
# Acme-1B

## Training

Fine-tuned on [acme/web-corpus](https://huggingface.co/datasets/acme/web-corpus).
"""

DATASET_CARD = """---
license: cc-by-4.0
---
# Acme web corpus

## Dataset Creation

### Source data

Collected from Common Crawl snapshots (2021-2023), Reddit and Wikipedia: 200B tokens in total.

### Processing

Pages were filtered for quality with a fastText classifier, near-duplicates were removed with MinHash,
and the text was normalised and tokenised. The dataset is released under CC-BY at https://example.org/data.

## Citation

Smith et al. 2024, filtered and deduplicated.
"""

TEMPLATE_CARD = """# Dataset Card for X

## Dataset Details

### Data Collection and Processing

[More Information Needed]

### Filtering

[More Information Needed]
"""


def info(card: str = MODEL_CARD, datasets=None, repo_docs=()):
    parsed = parse_card(card.encode())
    return data_information(VersionInput(card=parsed, card_data=parsed.front_matter, datasets=datasets or {}), repo_docs=repo_docs)


def dataset(readme: str | None, status: str | None = "ok", card_data=None) -> dict[str, StoredDataset]:
    return {"acme/web-corpus": StoredDataset(id="acme/web-corpus", status="ok", card_data=card_data or {},
                                               readme=readme.encode() if readme is not None else None, readme_status=status)}


def test_a_dataset_card_lifts_a_model_over_the_threshold_and_is_named_as_the_source():
    alone = info()
    assert alone.score < SUFFICIENT_SCORE and not alone.sufficient
    assert {p.source for p in alone.points} == {"model card"} and alone.documents == ("model card",)
    both = info(datasets=dataset(DATASET_CARD))
    assert both.score >= SUFFICIENT_SCORE and both.sufficient
    by_signal = {p.signal: p for p in both.points}
    for signal in ("collection", "filtering", "deduplication", "processing", "size"):
        assert by_signal[signal].source == "dataset card acme/web-corpus", signal
    assert by_signal["declared-datasets"].source == "model card"
    assert "dataset card acme/web-corpus (" in by_signal["named-sources"].source
    assert both.documents == ("model card", "dataset card acme/web-corpus")
    assert sum(p.points for p in both.points) == both.score
    assert any(f.source.startswith("dataset:acme/web-corpus:## ") for f in both.findings)


def test_only_the_model_card_can_say_the_data_is_released():
    both = info(datasets=dataset(DATASET_CARD))
    assert "data-released" not in {p.signal for p in both.points}  # "the dataset is released ..." in the dataset card
    assert "paper" not in {p.signal for p in both.points}


def test_sizes_and_sources_from_the_dataset_cards_metadata():
    meta = {"dataset_info": {"splits": [{"name": "train", "num_examples": 1_000_000}, {"name": "test", "num_examples": 5000}]},
            "source_datasets": ["original", "extended|wikipedia"]}
    got = info(datasets=dataset(None, status=None, card_data=meta))
    size = next(p for p in got.points if p.signal == "size")
    assert (size.points, size.source) == (10, "dataset card acme/web-corpus")
    assert any("train: 1,000,000 examples" in f.reason for f in got.findings)
    assert any("sources named in the dataset card: wikipedia" in f.reason for f in got.findings)


def test_an_unread_or_template_dataset_card_gives_nothing():
    gated = info(datasets=dataset(None, status="gated"))
    assert gated.score == info().score
    assert any(f.reason == "dataset card acme/web-corpus not read (gated)" for f in gated.findings)
    template = info(datasets=dataset(TEMPLATE_CARD))
    assert template.score == info().score and "dataset card acme/web-corpus" not in template.documents


def test_a_linked_repositorys_data_doc_is_a_source():
    doc = ("# Data\n\nWe crawled Common Crawl, StackExchange and Project Gutenberg, removed near-duplicates with MinHash, "
           "filtered toxic content and PII, and mixed the sources with sampling weights (70% web, 20% code, 10% books).\n")
    got = info(repo_docs=[("acme/code", "docs/data.md", doc)])
    sources = {p.signal: p.source for p in got.points}
    assert sources["deduplication"] == sources["filtering"] == sources["mixture"] == "github acme/code:docs/data.md"
    assert got.sufficient
    # a README is read for its data sections only: the same text under "Usage" gives nothing
    readme = "# Code\n\n## Usage\n\n" + doc.split("\n\n", 1)[1]
    assert info(repo_docs=[("acme/code", "README.md", readme)]).score == info().score


def test_the_best_source_of_each_kind_counts_once():
    got = info(MODEL_CARD.replace("Fine-tuned on", "Fine-tuned on 3B tokens of"), datasets=dataset(DATASET_CARD))
    size = [p for p in got.points if p.signal == "size"]
    assert len(size) == 1 and size[0].points == 10
