"""data_information: how completely a card describes its training data."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from extract.card import parse_card
from extract.data_info import SUFFICIENT_SCORE, data_information
from extract.version_input import VersionInput

FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "dev_hub.json"


def evidence(markdown: str, card_data: dict | None = None, tags: list[str] | None = None):
    return data_information(VersionInput(card=parse_card(markdown.encode()), card_data=card_data or {}, tags=tags or []))


def has(ev, signal: str) -> bool:
    return any(s == signal or s.startswith(signal + ":") for s in ev.signals)


# Written from the OLMo 7B card and the Dolma paper: sources with token counts, shares,
# collection, filtering, deduplication and tokenisation.
OLMO_GRADE = """
# OLMo 7B

## Training Data

OLMo 7B was pretrained on Dolma, an open corpus of 3 trillion tokens, published as
[allenai/dolma](https://huggingface.co/datasets/allenai/dolma). The mixture:

| Source | Doc type | Tokens (B) | Share |
|---|---|---|---|
| Common Crawl | web pages | 2,281 | 74.6% |
| The Stack | code | 411 | 13.4% |
| C4 | web pages | 198 | 6.5% |
| Reddit | social media | 89 | 2.9% |
| peS2o | STEM papers | 70 | 2.3% |
| Project Gutenberg | books | 6.0 | 0.2% |
| Wikipedia, Wikibooks | encyclopedic | 4.3 | 0.1% |

Web pages come from 24 Common Crawl snapshots (2020-05 to 2023-06). Documents were filtered with
fastText language identification (English only), Gopher and C4 quality rules, and toxicity and PII
filters; URLs, paragraphs and documents were deduplicated with Bloom filters. Text was tokenized with
a modified GPT-NeoX tokenizer. A datasheet documents every step.

## Evaluation

| Dataset | Accuracy |
|---|---|
| ARC-Challenge | 48.5 |
| HellaSwag | 76.4 |
"""


def test_olmo_grade_detail_scores_high():
    ev = evidence(OLMO_GRADE, {"datasets": ["allenai/dolma"]})
    assert ev.sufficient
    assert ev.score >= 80
    for signal in ("named-sources", "size", "per-source-size", "mixture", "collection", "filtering",
                   "deduplication", "processing", "documentation"):
        assert has(ev, signal), signal
    assert "Training Data" in ev.sections
    assert "Evaluation" not in ev.sections  # benchmark tables are not training data


def test_training_data_heading_with_one_vague_sentence_scores_low():
    # Llama 2's card: the whole description of the pretraining data.
    ev = evidence("# Llama 2\n\n## Training Data\n\nLlama 2 was pretrained on 2 trillion tokens of data "
                  "from publicly available sources.\n")
    assert not ev.sufficient
    assert ev.score <= 20
    assert not has(ev, "named-sources")
    assert ev.sections == ("Training Data",)
    assert evidence("## Training Data\n\nThe model was trained on a large amount of text.\n").score <= 5


def test_high_level_description_with_filters_and_a_report_is_insufficient():
    # Phi-3's card: categories of data, a token count, "filtered for quality", a technical report.
    phi = """
## Training

### Training Datasets
Our training data includes a wide variety of sources, totaling 3.3 trillion tokens, and is a combination of
1) publicly available documents filtered rigorously for quality, selected high-quality educational data, and code;
2) newly created synthetic, "textbook-like" data for the purpose of teaching math, coding, common sense reasoning;
3) high quality chat format supervised data covering various topics to reflect human preferences.
More details about data can be found in the [Phi-3 Technical Report](https://aka.ms/phi3-tech-report).
"""
    ev = evidence(phi, tags=["arxiv:2404.14219"])
    assert not ev.sufficient
    assert ev.score < SUFFICIENT_SCORE
    assert not has(ev, "named-sources")
    assert has(ev, "filtering") and has(ev, "size")


def test_categories_and_safety_filters_are_not_named_sources():
    # Gemma's card: "Web Documents", "Code", "Mathematics" are kinds of data, not sources.
    gemma = """
## Model Data

### Training Dataset
These models were trained on a dataset of text data that includes a wide variety of sources. The 2B model
was trained with 2 trillion tokens. Here are the key components:

* Web Documents: A diverse collection of web text, primarily English-language content.
* Code: Exposing the model to code helps it to learn the syntax and patterns of programming languages.
* Mathematics: Training on mathematical text helps the model learn logical reasoning.

### Data Preprocessing

* CSAM Filtering: Rigorous CSAM filtering was applied at multiple stages in the data preparation process.
* Sensitive Data Filtering: automated techniques were used to filter out personal information.
"""
    ev = evidence(gemma)
    assert not has(ev, "named-sources")
    assert has(ev, "source-categories")  # kinds of data are worth a little
    assert has(ev, "filtering")
    assert not ev.sufficient
    assert set(ev.sections) >= {"Model Data", "Training Dataset", "Data Preprocessing"}


def test_source_table_with_fractions_is_decent_information():
    # Falcon-7B's card: a table of sources, fractions and token counts.
    falcon = """
## Training Data

Falcon-7B was trained on 1,500B tokens of [RefinedWeb](https://huggingface.co/datasets/tiiuae/falcon-refinedweb),
a high-quality filtered and deduplicated web dataset which we enhanced with curated corpora.

| **Data source** | **Fraction** | **Tokens** | **Sources** |
|---|---|---|---|
| RefinedWeb-English | 79% | 1,185B | massive web crawl |
| Books | 7% | 110B | |
| Conversations | 6% | 85B | Reddit, StackOverflow, HackerNews |
| Code | 3% | 45B | |
| RefinedWeb-French | 3% | 45B | massive web crawl |
| Technical | 2% | 30B | arXiv, PubMed, USPTO, etc. |
"""
    ev = evidence(falcon, {"datasets": ["tiiuae/falcon-refinedweb"]})
    assert ev.sufficient
    assert has(ev, "mixture") and has(ev, "per-source-size") and has(ev, "collection")
    named = next(s for s in ev.signals if s.startswith("named-sources:"))
    assert int(named.split(":")[1]) >= 5  # RefinedWeb-English/-French, Reddit, StackOverflow, arXiv, ...


def test_pile_with_datasheet_and_dedup():
    # Pythia-deduped's card on the Pile.
    pythia = """
## Training

### Training data

[The Pile](https://pile.eleuther.ai/) is a 825GiB general-purpose dataset in English. It was created by
EleutherAI specifically for training large language models. It contains texts from 22 diverse sources,
roughly broken down into five categories: academic writing (e.g. arXiv), internet (e.g. CommonCrawl), prose
(e.g. Project Gutenberg), dialogue (e.g. YouTube subtitles), and miscellaneous (e.g. GitHub, Enron Emails).
See [the Pile paper](https://arxiv.org/abs/2101.00027) for a breakdown of all data sources, methodology, and a
discussion of ethical implications. Consult [the datasheet](https://arxiv.org/abs/2201.07311) for more
detailed documentation about the Pile and its component datasets. The Pile was deduplicated before being
used to train Pythia-deduped.
"""
    ev = evidence(pythia, {"datasets": ["EleutherAI/the_pile_deduplicated"]})
    assert has(ev, "size") and has(ev, "deduplication") and has(ev, "documentation")
    assert ev.sufficient


def test_context_window_and_batch_size_are_not_data_sizes():
    ev = evidence("## Training Data\n\nThe model has a 128K-token context window and used a global batch size "
                  "of 4M tokens.\n")
    assert not has(ev, "size")


def test_released_data_counts_and_unreleased_data_is_recorded():
    released = evidence(
        "## Training Details\n\nThe first stage trains on weakly related text pairs from StackExchange, Quora, "
        "Amazon reviews and news. Training data to train the models is released in its entirety; see the "
        "[contrastors](https://github.com/nomic-ai/contrastors) repository.\n"
    )
    assert has(released, "data-released")
    assert has(released, "named-sources")
    withheld = evidence(
        "## Training data\n\nThe model was trained on 863 GB of Korean language data curated by "
        "[TUNiB](https://tunib.ai/). The dataset was collected for training these models and will not be "
        "released for public use.\n"
    )
    assert "data-not-released" in withheld.signals
    assert not has(withheld, "data-released")


def test_a_paper_alone_counts_only_a_little():
    ev = evidence("# Model\n\nA language model.\n", tags=["arxiv:2401.00001"])
    assert ev.signals == ("paper",)
    assert 0 < ev.score <= 5
    assert not ev.sufficient


def test_empty_card_and_missing_readme():
    ev = data_information(VersionInput(card=parse_card(None)))
    assert (ev.score, ev.sufficient, ev.signals, ev.sections) == (0, False, (), ())


def test_random_cards_never_raise():
    rng = random.Random(3)
    words = ["## Training Data\n", "| Source | Tokens |\n|---|---|\n", "| C4 | 10B |\n", "trained on ", "Reddit, ",
             "2T tokens ", "filtered ", "deduplicated ", "50% ", "[x](https://huggingface.co/datasets/a/b) ", "\n",
             "released ", "not ", "- Name: 3B tokens\n", "e.g. ", "(", ")", ": "]
    for _ in range(200):
        text = "".join(rng.choice(words) for _ in range(rng.randint(0, 120)))
        ev = data_information(VersionInput(card=parse_card(text.encode()), card_data={"datasets": "x/y"}, tags=["dataset:a/b", "arxiv:1"]))
        assert 0 <= ev.score <= 100


# --- the shared dev fixture --------------------------------------------------------------------


def _models() -> dict[str, dict]:
    if not FIXTURE.exists():
        pytest.skip(f"shared fixture not found at {FIXTURE} (CI provides ../shared)")
    return {m["id"]: m for m in json.loads(FIXTURE.read_text())["models"]}


def _fixture_evidence(model: dict):
    card = parse_card(model["files"]["README.md"].encode())
    return data_information(VersionInput(card=card, card_data=model.get("cardData") or {}, tags=model.get("tags") or []))


@pytest.mark.parametrize(
    "repo_id",
    ["allenai/OLMoE-1B-7B-0924", "HuggingFaceTB/SmolLM-135M", "nomic-ai/nomic-embed-text-v1", "tiiuae/falcon-7b"],
)
def test_fixture_cards_with_detailed_or_released_data_are_sufficient(repo_id):
    ev = _fixture_evidence(_models()[repo_id])
    assert ev.sufficient, (ev.score, ev.signals)


@pytest.mark.parametrize(
    "repo_id",
    ["microsoft/Phi-3.5-mini-instruct", "google/gemma-2-2b", "meta-llama/Llama-3.2-1B",
     "mistralai/Mistral-Nemo-Base-2407", "Qwen/Qwen2.5-0.5B", "teknium/OpenHermes-2.5-Mistral-7B"],
)
def test_fixture_cards_with_high_level_data_descriptions_are_insufficient(repo_id):
    ev = _fixture_evidence(_models()[repo_id])
    assert not ev.sufficient, (ev.score, ev.signals)


def test_fixture_falcon_table_is_read_as_sources_fractions_and_tokens():
    ev = _fixture_evidence(_models()["tiiuae/falcon-7b"])
    assert "Training Data" in ev.sections
    assert has(ev, "mixture") and has(ev, "per-source-size") and has(ev, "named-sources")


def test_fixture_olmoe_points_to_per_source_counts_and_published_mix():
    ev = _fixture_evidence(_models()["allenai/OLMoE-1B-7B-0924"])
    assert has(ev, "data-released") and has(ev, "per-source-size") and has(ev, "declared-datasets")


def test_a_link_whose_sentence_says_what_the_model_was_trained_on_counts_among_many_links():
    # the contexts of all links are asked once whether any can say what the model was trained on
    # (extract/data_info.py `_link_signals`); the one that does must still be read, wherever it sits
    others = "\n\n".join(f"See [demo {i}](https://example.org/demo{i}) for a quick look." for i in range(12))
    card = f"# Model\n\n## Usage\n\n{others}\n\n## Notes\n\nThe model was trained on [the collection](https://example.org/collection.pdf).\n"
    assert has(evidence(card), "documentation")
    assert not has(evidence(card.replace("was trained on", "was inspired by")), "documentation")
