"""openness_claims: what a card says about its own openness, and what it says about others."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from extract.card import parse_card
from extract.claims import MAX_SENTENCE_CHARS, openness_claims
from extract.version_input import VersionInput

FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "dev_hub.json"


def claims(markdown: str, repo_id: str = "org/model", tags=()):
    return openness_claims(VersionInput(card=parse_card(markdown.encode()), repo_id=repo_id, tags=list(tags))).claims


def own(markdown: str, repo_id: str = "org/model", tags=()):
    return [(c.kind, c.phrase) for c in claims(markdown, repo_id, tags) if c.about_self]


def test_fully_open_claim_about_itself():
    (claim,) = claims("# Model Summary\n\n> OLMoE is 100% open-source.\n", "allenai/OLMoE-1B-7B-0924")
    assert (claim.kind, claim.phrase, claim.about_self, claim.source) == ("fully-open", "100% open-source", True, "card")
    assert claim.sentence == "OLMoE is 100% open-source."


def test_comparison_with_open_source_models_is_not_about_itself():
    # Falcon-7B's card.
    (claim,) = claims(
        "## Why use Falcon-7B?\n\n* **It outperforms comparable open-source models** (e.g., MPT-7B, StableLM, "
        "RedPajama etc.), thanks to being trained on 1,500B tokens of RefinedWeb.\n",
        "tiiuae/falcon-7b",
    )
    assert claim.kind == "open-source" and not claim.about_self
    assert "outperforms comparable open-source models" in claim.sentence


def test_llama_outperforming_open_source_chat_models_is_not_a_claim_about_itself():
    text = ("Llama-2-Chat models outperform open-source chat models on most benchmarks we tested, and in our human "
            "evaluations for helpfulness and safety, are on par with some popular closed-source models.")
    assert own(text, "meta-llama/Llama-2-7b-chat-hf") == []
    text32 = "They outperform many of the available open source and closed chat models on common industry benchmarks."
    assert own(text32, "meta-llama/Llama-3.2-1B") == []
    assert [c.kind for c in claims(text32)] == ["open-source"]


def test_gemma_open_models_and_open_weights():
    text = (
        "### Description\n\nGemma is a family of lightweight, state-of-the-art open models from Google, built from "
        "the same research and technology used to create the Gemini models. They are text-to-text, decoder-only "
        "large language models, available in English, with open weights for both pre-trained variants and "
        "instruction-tuned variants.\n"
    )
    assert own(text, "google/gemma-2-2b") == [("open-model", "open models"), ("open-weights", "open weights")]


def test_aya_open_weights_research_release():
    text = "Aya 23 is an open weights research release of an instruction fine-tuned model with multilingual capabilities."
    assert own(text, "CohereForAI/aya-23-8B") == [("open-weights", "open weights")]


def test_comparison_after_a_self_description_is_not_a_claim():
    # "X is competitive with open models" says how X compares, not that X is open.
    assert own("Zephyr is competitive with the best open models on MT-Bench.", "HuggingFaceH4/zephyr-7b-beta") == []
    assert own("Zephyr is one of the best open models on MT-Bench.", "HuggingFaceH4/zephyr-7b-beta") == [
        ("open-model", "open models")
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "The model is compatible with open-source libraries like transformers and vLLM.",
        "We thank the open-source community for their contributions.",
        "It was fine-tuned on open-source datasets such as OpenHermes.",
        "This model is not open source.",
        "Better than any open model of its size.",
    ],
)
def test_references_to_other_things_are_not_about_itself(sentence):
    found = claims(sentence)
    assert found, "the phrase is still recorded"
    assert not any(c.about_self for c in found)


@pytest.mark.parametrize(
    "sentence,kind",
    [
        ("We release this model as open source under the Apache 2.0 license.", "open-source"),
        ("The weights are released under an open-source license.", "open-source"),
        ("This model is an open-weight model.", "open-weights"),
        ("Our models are fully open: data, code and weights are public.", "fully-open"),
        ("BLOOM is an open-science, open-access multilingual language model.", "open-science"),
    ],
)
def test_descriptions_of_the_release_are_about_itself(sentence, kind):
    found = [c for c in claims(sentence, "bigscience/bloom") if c.kind == kind]
    assert found and found[0].about_self


def test_a_heading_that_spells_out_the_name_is_a_name_not_a_claim():
    # "OLMo: Open Language Model" expands the acronym (issue 12: names are not claims); it was a claim in v1.
    (claim,) = claims("# OLMo: Open Language Model\n\nText.\n", "allenai/OLMo-7B")
    assert (claim.kind, claim.target, claim.rule, claim.about_self) == ("open-model", "name", "acronym", False)


def test_licence_organisation_and_leaderboard_names_are_not_claims():
    text = (
        "- **License:** [The CreativeML OpenRAIL M license](https://huggingface.co/spaces/CompVis/stable-diffusion-license) "
        "is an [Open RAIL M license](https://www.licenses.ai/blog/2022/8/18/naming-convention).\n"
        "- License: BigScience OpenRAIL-M. The Open Source Initiative approves licences; see the Open LLM Leaderboard.\n"
    )
    found = claims(text)
    assert [(c.phrase, c.target) for c in found] == [("Open Source", "community"), ("Open LLM", "tool")]
    assert not any(c.about_self for c in found)


def test_code_blocks_are_not_scanned():
    text = "# Citation\n\n```bibtex\n@misc{x, title={OLMoE: Open Mixture-of-Experts Language Models}}\n```\n"
    assert claims(text, "allenai/OLMoE-1B-7B-0924") == ()


def test_the_model_name_is_a_name_and_a_tag_is_an_implied_claim():
    # v1 took the name for a claim (issue 12: "Llama-3-Open-Ko-8B" was flagged W-OW); a tag is a claim.
    found = openness_claims(VersionInput(card=parse_card(b"# m\n"), repo_id="someone/fully-open-llm-7b", tags=["open-source", "license:apache-2.0", "dataset:open-source-data", "text-generation"])).claims
    assert [(c.kind, c.source, c.target, c.about_self, c.implied) for c in found] == [
        ("fully-open", "name", "name", False, False),
        ("open-source", "tag:open-source", "self", True, True),
    ]
    assert found[1].sentence == "The repository is tagged “open-source”."


def test_sentences_are_bounded():
    long = "word " * 400 + "Our model is open source. "
    (claim,) = claims(long.replace(". ", ", ") + "end")
    assert len(claim.sentence) <= MAX_SENTENCE_CHARS
    assert "open source" in claim.sentence


def test_random_cards_never_raise():
    rng = random.Random(5)
    words = ["open-source ", "open weights ", "fully open ", "is ", "It ", "outperforms ", "other ", "open models ",
             "community ", ". ", "\n", "# ", "- ", "100% ", "not ", "(e.g. ", ")", "OpenRAIL "]
    for _ in range(300):
        text = "".join(rng.choice(words) for _ in range(rng.randint(0, 100)))
        for claim in claims(text, "x/open-source-" + str(rng.randint(0, 9))):
            assert claim.kind in ("open-source", "fully-open", "open-weights", "open-model", "open-science")


# --- the shared dev fixture --------------------------------------------------------------------


def _models() -> dict[str, dict]:
    if not FIXTURE.exists():
        pytest.skip(f"shared fixture not found at {FIXTURE} (CI provides ../shared)")
    return {m["id"]: m for m in json.loads(FIXTURE.read_text())["models"]}


def _claims(model: dict):
    return openness_claims(VersionInput(card=parse_card(model["files"]["README.md"].encode()), repo_id=model["id"], tags=model["tags"])).claims


def test_fixture_washing_models_claim_open_weights_or_open_models_about_themselves():
    for repo_id in ("google/gemma-2-2b", "CohereForAI/aya-23-8B"):
        kinds = {c.kind for c in _claims(_models()[repo_id]) if c.about_self}
        assert kinds & {"open-weights", "open-model"}, repo_id


def test_fixture_falcon_makes_no_open_source_claim_about_itself():
    found = _claims(_models()["tiiuae/falcon-7b"])
    assert [c.kind for c in found] == ["open-source"]  # the comparison is seen ...
    assert not any(c.about_self for c in found)  # ... and not taken as a claim


def test_fixture_olmoe_claims_to_be_fully_open():
    assert ("fully-open", True) in {(c.kind, c.about_self) for c in _claims(_models()["allenai/OLMoE-1B-7B-0924"])}


def test_fixture_no_false_washing_claims():
    # A model below Open Source that is not flagged as washing must not claim open source about itself,
    # and a Weights Available model that is not washing must not claim open weights either.
    for model in _models().values():
        own_kinds = {c.kind for c in _claims(model) if c.about_self}
        below_open_source = all(label in ("No Weights", "Weights Available", "Open Weights") for label in model["expected"])
        if below_open_source and not model["washing"]:
            assert not own_kinds & {"open-source", "fully-open"}, model["id"]
        if model["expected"] == ["Weights Available"] and not model["washing"]:
            assert not own_kinds & {"open-weights", "open-model"}, model["id"]


def test_made_open_source_for_the_research_community_is_a_self_claim():
    # DeepSeek LLM card (2023): the release sentence names the models and "the research community" as audience.
    card = parse_card(
        b"# DeepSeek LLM\n\nTo foster research, we have made DeepSeek LLM 7B/67B Base and DeepSeek LLM 7B/67B "
        b"Chat open source for the research community.\n"
    )
    claims = openness_claims(VersionInput(card=card, repo_id="deepseek-ai/deepseek-llm-7b-base")).claims
    assert [(c.kind, c.about_self) for c in claims] == [("open-source", True)]


def test_open_source_column_of_a_comparison_table_headed_by_the_model_is_a_self_claim():
    # Kimi K2 card: the benchmark table labels its own column "Open Source", others "Proprietary".
    card = parse_card(
        b"## Evaluation\n\n| Benchmark | Kimi K2 Instruct | Claude Sonnet 4 |\n|---|---|---|\n"
        b"| | **Open Source** | **Proprietary** |\n| SWE-bench | 65.8 | 72.7 |\n"
    )
    claims = openness_claims(VersionInput(card=card, repo_id="moonshotai/Kimi-K2-Instruct")).claims
    assert any(c.about_self and c.kind == "open-source" for c in claims)
    other = openness_claims(VersionInput(card=card, repo_id="anthropic/some-other-model")).claims
    assert not any(c.about_self for c in other)


def test_released_under_an_open_license_claims_open_weights_but_a_licence_name_does_not():
    # DBRX card: "We are releasing ... under an open license" (the Databricks Open Model License).
    card = parse_card(
        b"# DBRX Base\n\n- We are releasing both DBRX Base and DBRX Instruct under "
        b"[an open license](https://www.databricks.com/legal/open-model-license).\n\n"
        b"Use of DBRX is governed by the Databricks Open Model License.\n"
    )
    claims = openness_claims(VersionInput(card=card, repo_id="databricks/dbrx-base")).claims
    assert [(c.kind, c.phrase.lower(), c.target, c.about_self) for c in claims] == [
        ("open-weights", "open license", "self", True),
        ("open-model", "open model", "licence", False),  # "Databricks Open Model License" names a licence
    ]



def test_a_phrase_with_a_gap_is_about_its_head_noun():
    # CodeGemma's card: "code" qualifies "models", so the claim is the models' own, not their data's.
    text = "CodeGemma is a collection of lightweight open code models built on top of Gemma."
    assert own(text, "google/codegemma-7b") == [("open-model", "open code models")]
    # the head is the last noun where qualifiers come first; another noun there keeps its target
    assert own("This model was trained on an open code dataset.") == []


@pytest.mark.parametrize("lang, phrase, head", [
    ("en", "open code models", "self"), ("en", "open model code", "code"), ("en", "open data LLMs", "self"),
    ("fr", "modèles code ouverts", "self"), ("fr", "données modèles ouvertes", "data"),  # the noun comes first
    ("zh", "开放代码模型", "self"),
])
def test_the_head_noun_of_a_phrase_is_its_last_noun_unless_the_noun_comes_first(lang, phrase, head):
    from extract.claims_judge import _head_noun
    from extract.claims_lexicon import lexicon

    assert _head_noun(phrase, lexicon().languages[lang]).lastgroup == head


def test_released_under_a_licence_whose_name_says_open_is_not_a_claim_but_an_open_licence_described_is():
    # held-out nvidia/Mistral-NeMo-Minitron-8B-Base: "released under the NVIDIA Open Model License Agreement"
    assert own("# M\n\nThis model is released under the NVIDIA Open Model License Agreement.\n", "nvidia/minitron") == []
    (named,) = claims("# M\n\nThis model is released under the NVIDIA Open Model License Agreement.\n", "nvidia/minitron")
    assert (named.target, named.rule) == ("licence", "title-case")
    # a licence described as open, even in capitals, is still the model's claim
    assert own("# M\n\nThe model is released under Apache 2.0, an Open Source License.\n") == [("open-source", "Open Source")]
    assert own("# M\n\nThe model is released under Apache 2.0, an open-source licence.\n") == [("open-source", "open-source")]
