"""Issue 12: the classes a person tells apart when reading a card, in seven languages, and the bounds."""

from __future__ import annotations

import pytest

from extract.card import parse_card
from extract.claims import openness_claims
from extract.version_input import VersionInput


def claims(markdown: str, repo_id: str = "org/model", tags=()):
    return openness_claims(VersionInput(card=parse_card(markdown.encode()), repo_id=repo_id, tags=list(tags))).claims


# --- issue 12: each class a person tells apart ------------------------------------------------------


def one(sentence: str, repo_id: str = "org/model", tags=()):
    """The first claim read in a one-sentence card."""
    found = [c for c in claims(sentence, repo_id, tags) if c.source == "card"]
    assert found, f"no phrase read in {sentence!r}"
    return found[0]


@pytest.mark.parametrize(
    "sentence,repo_id",
    [
        # names: the phrase is glued into a model or project name
        ("Lucie-7B was built by LINAGORA and OpenLLM-France.", "OpenLLM-France/Lucie-7B"),
        ("We merged it with Llama-3-Open-Source-8B for the chat variant.", "org/model"),
        ("The weights live at https://huggingface.co/org/open-source-llm for now.", "org/model"),
    ],
)
def test_names_are_not_claims(sentence, repo_id):
    claim = one(sentence, repo_id)
    assert (claim.target, claim.about_self) == ("name", False)


def test_a_name_without_a_phrase_is_no_claim_at_all():
    # beomi/Llama-3-Open-Ko-8B: v1 read "Open-Ko-8B model" as an "open model" claim and flagged W-OW.
    text = "Llama-3-Open-Ko-8B model is continued pretrained language model based on Llama-3-8B."
    assert claims(text, "beomi/Llama-3-Open-Ko-8B") == ()
    assert claims("OpenHermes 2.5 Mistral 7B is a state of the art Mistral fine-tune.", "teknium/OpenHermes-2.5-Mistral-7B") == ()


@pytest.mark.parametrize(
    "sentence,repo_id,target,rule",
    [
        ("We introduce OpenELM, a family of Open Efficient Language Models.", "apple/OpenELM", "name", "acronym"),
        ("BigScience Large Open-science Open-access Multilingual Language Model", "bigscience/bloom", "name", "acronym"),
        ('The model is described in the paper "OLMoE: Open Mixture-of-Experts Language Models".', "allenai/OLMoE-1B-7B-0924",
         "quotation", "quotation"),
        ("Aya 23 is described in Aya 23: Open Weight Releases to Further Multilingual Progress.", "CohereForAI/aya-23-8B",
         "name", "title-case"),
        ("The technique follows the paper titled Open Models for Everyone, published in 2024.", "org/model",
         "quotation", "quotation"),
    ],
)
def test_titles_and_quotations_are_not_claims(sentence, repo_id, target, rule):
    claim = one(sentence, repo_id)
    assert (claim.target, claim.rule, claim.about_self) == (target, rule, False)


def test_opt_spelt_out_is_no_claim():
    text = "OPT was first introduced in Open Pre-trained Transformer Language Models and first released in metaseq's repository."
    assert not any(c.about_self for c in claims(text, "facebook/opt-1.3b"))


@pytest.mark.parametrize(
    "sentence,target",
    [
        ("Only openly licensed or public-domain sources were kept in the training data.", "data"),  # issue 12
        ("The Pile is an open-source 825 GiB English text corpus assembled by EleutherAI.", "data"),
        ("We release all of our training data, which is fully open and available on the Hub.", "data"),
        ("Granite is finetuned using open source instruction datasets with permissive license.", "data"),
        ("We open-source our training and evaluation code.", "code"),
        ("Our data preparation scripts are open-sourced in the project repository.", "code"),
        ("We recommend using vLLM, an open source LLM serving toolkit, for deployment.", "tool"),
        ("DBRX was trained with our open-source libraries Composer and LLM Foundry.", "tool"),
        ("We thank the open-source community for their feedback.", "community"),
        ("Please review the open-source license terms before redistributing derivatives.", "licence"),
    ],
)
def test_statements_about_data_code_tools_and_communities_are_not_claims_about_the_model(sentence, target):
    claim = one(sentence)
    assert (claim.target, claim.about_self) == (target, False)


@pytest.mark.parametrize(
    "sentence,repo_id",
    [
        ("It outperforms comparable open-source models (e.g., MPT-7B, StableLM).", "tiiuae/falcon-7b"),
        ("Zephyr is competitive with the best open models on MT-Bench.", "HuggingFaceH4/zephyr-7b-beta"),
        ("This model was fine-tuned from Llama 2 13B, an open-weights model from Meta.", "org/hermes-13b"),
        ("Vicuna is fine-tuned from Llama 2, which Meta released as an open model.", "lmsys/vicuna-13b-v1.5"),
        ("The instruction data was generated with open-source models such as Mixtral.", "org/model"),
        ("Qwen2.5-Math outperforms both open-source and closed-source models on math benchmarks.", "Qwen/Qwen2.5-Math-7B"),
    ],
)
def test_comparisons_and_other_models_are_not_claims_about_the_model(sentence, repo_id):
    claim = one(sentence, repo_id)
    assert (claim.target, claim.about_self) == ("other-model", False)


def test_a_base_model_named_in_the_model_name_is_not_the_model():
    # A fine-tune's name repeats its base's; the base_model tag says which words are the base's.
    text = "Llama 3 is one of the best open models available."
    assert one(text, "beomi/Llama-3-Open-Ko-8B").about_self  # nothing says "Llama" is not this model
    tagged = one(text, "beomi/Llama-3-Open-Ko-8B", ["base_model:meta-llama/Meta-Llama-3-8B"])
    assert (tagged.target, tagged.about_self) == ("other-model", False)


@pytest.mark.parametrize(
    "sentence,modality,target",
    [
        ("This model is not open source.", "negated", "self"),
        ("Use of the model is governed by the Llama 3 Community License, which is not an open-source license.", "negated", "licence"),
        ("The model weights are not yet open-sourced.", "negated", "self"),
        ("We will open-source the training code and more checkpoints soon.", "future", "code"),
        ("Larger models will be released as open models in the coming weeks.", "future", "self"),
        ("The weights are completely open for academic research, and free commercial use is allowed after registration.",
         "conditional", "self"),
        ("If you register, the weights are openly available for commercial use as well.", "conditional", "self"),
        ("EXAONE 3.0 is open-sourced for research purposes only.", "conditional", "self"),
    ],
)
def test_negated_future_and_conditional_claims_are_recorded_but_not_asserted(sentence, modality, target):
    claim = one(sentence)
    assert (claim.modality, claim.target, claim.about_self) == (modality, target, False)


def test_not_only_is_no_negation():
    claim = one("We release not only open weights but also the training data.")
    assert claim.modality == "asserted"


@pytest.mark.parametrize(
    "sentence,repo_id,kind,rule",
    [
        # "other open-source models" presents the model as one of them (issue 12)
        ("Comprehensive evaluations reveal that DeepSeek-V3 outperforms other open-source models.", "deepseek-ai/DeepSeek-V3",
         "open-source", "implied-other"),
        ("Compared with other open models of its size, Nemotron Nano delivers better reasoning accuracy.",
         "nvidia/Llama-3.1-Nemotron-Nano-8B-v1", "open-model", "implied-other"),
        ("Yi-34B ranked first among all existing open-source models on various benchmarks.", "01-ai/Yi-34B",
         "open-source", "self-explicit"),
        ("State-of-the-art performance among open-source code models on HumanEval.", "org/coder",
         "open-source", "implied-among"),
        ("To support the research community, we have open-sourced DeepSeek-R1.", "deepseek-ai/DeepSeek-R1", "open-source",
         "release-verb"),
        ("We are releasing phi-1.5 as open source to help the research community.", "microsoft/phi-1_5", "open-source",
         "self-explicit"),
        ("Our open model outperforms Llama-1B on instruction following.", "HuggingFaceTB/SmolLM2-1.7B", "open-model",
         "self-explicit"),
        ("The model is released under the Apache 2.0 license, an OSI-approved open-source license.", "EleutherAI/pythia-12b",
         "open-source", "release-verb"),
    ],
)
def test_implied_and_release_claims_are_claims_about_the_model(sentence, repo_id, kind, rule):
    claim = one(sentence, repo_id)
    assert (claim.kind, claim.target, claim.modality, claim.rule, claim.about_self) == (kind, "self", "asserted", rule, True)
    assert 0.5 <= claim.confidence <= 1.0


def test_a_feature_heading_that_starts_with_the_phrase_is_a_claim():
    (claim,) = claims("## Fully open\n\n- Open source: weights, data and code are public.\n", "org/model")[:1]
    assert (claim.kind, claim.rule, claim.about_self) == ("fully-open", "heading", True)


def test_badges_and_banners_are_implied_claims_with_a_readable_quote():
    text = (
        "[![Open Source](https://img.shields.io/badge/open%20source-yes-green)](https://example.org) "
        "[![License](https://img.shields.io/badge/License-Apache_2.0-blue.svg)](https://opensource.org/licenses)\n\n"
        '<p align="center"><img alt="Zamba2: a truly open hybrid model" src="banner.png"></p>\n\n'
        "[![Open LLM Leaderboard](https://img.shields.io/badge/Open%20LLM%20Leaderboard-3rd-orange)](https://x.org)\n"
    )
    badges = [c for c in claims(text, "Zyphra/Zamba2-7B") if c.source == "badge"]
    assert [(c.kind, c.sentence, c.about_self, c.implied) for c in badges if c.about_self] == [
        ("open-source", "The card shows a badge “open source: yes”.", True, True),
        ("fully-open", "The card shows an image captioned “Zamba2: a truly open hybrid model”.", True, True),
    ]
    leaderboard = [c for c in badges if "Leaderboard" in c.sentence]
    assert leaderboard and not leaderboard[0].about_self


def test_a_badge_that_says_no_is_no_claim():
    text = "![open source](https://img.shields.io/badge/open_source-no-red)\n"
    assert not any(c.about_self for c in claims(text))


def test_a_comparison_table_is_quoted_as_a_sentence_never_as_a_fragment():
    # Kimi K2's card marks its own column "Open Source" (v1 quoted "Benchmark | Kimi K2 ... / Open Source").
    card = parse_card(
        b"## 3. Evaluation results\n\n| Benchmark | Kimi K2 Instruct | Claude Sonnet 4 |\n|---|---|---|\n"
        b"| | **Open Source** | **Proprietary** |\n| SWE-bench | 65.8 | 72.7 |\n"
    )
    (claim,) = [c for c in openness_claims(VersionInput(card=card, repo_id="moonshotai/Kimi-K2-Instruct")).claims if c.about_self]
    assert claim.source == "table" and claim.rule == "table-column" and claim.implied
    assert claim.sentence == "The table under “3. Evaluation results” marks Kimi K2 Instruct as “Open Source”."
    assert "|" not in claim.sentence


def test_a_comparison_table_row_marked_under_an_open_weights_column_is_a_claim():
    card = parse_card(
        b"## Results\n\n| Name | MTEB | Open Weights | Open Data |\n|---|---|---|---|\n"
        b"| nomic-embed-text-v1 | 62.39 | \xe2\x9c\x85 | \xe2\x9c\x85 |\n| text-embedding-3-small | 62.26 | | |\n"
    )
    found = [c for c in openness_claims(VersionInput(card=card, repo_id="nomic-ai/nomic-embed-text-v1")).claims if c.about_self]
    assert [(c.kind, c.sentence) for c in found] == [
        ("open-weights", "The table under “Results” marks nomic-embed-text-v1 “✅” under “Open Weights”.")
    ]


@pytest.mark.parametrize(
    "lang,sentence,repo_id,kind",
    [
        ("zh", "Baichuan 2是百川智能推出的新一代开源大语言模型，采用2.6万亿Tokens的高质量语料训练。", "baichuan-inc/Baichuan2-7B-Base", "open-source"),
        ("zh", "CPM-Bee是一个完全开源、允许商用的百亿参数中英文基座模型。", "openbmb/cpm-bee-10b", "fully-open"),
        ("ja", "Qwen-Chatをオープンソース化します。", "Qwen/Qwen-7B-Chat", "open-source"),
        ("ja", "Gemmaは、Googleが開発した軽量で最先端のオープンモデルのファミリーです。", "google/gemma-2-2b-jpn-it", "open-model"),
        ("ko", "SOLAR-10.7B는 업스테이지가 공개한 107억 파라미터 규모의 오픈소스 언어 모델입니다.", "upstage/SOLAR-10.7B-v1.0", "open-source"),
        ("ko", "Kanana Nano 2.1B 모델을 오픈 웨이트로 공개합니다.", "kakaocorp/kanana-nano-2.1b-instruct", "open-weights"),
        ("fr", "CroissantLLM est un modèle de langue bilingue français-anglais de 1,3 milliard de paramètres, entièrement ouvert.",
         "croissantllm/CroissantLLMBase", "fully-open"),
        ("fr", "Gemma est une famille de modèles ouverts, légers et de pointe, développés par Google.", "google/gemma-2-2b", "open-model"),
        ("de", "Teuken-7B ist ein Open-Source-Sprachmodell mit 7 Milliarden Parametern.", "openGPT-X/Teuken-7B-instruct-commercial-v0.4",
         "open-source"),
        ("de", "Mixtral 8x7B ist ein Modell mit offenen Gewichten, veröffentlicht unter der Apache-2.0-Lizenz.",
         "mistralai/Mixtral-8x7B-v0.1", "open-weights"),
        ("es", "Falcon-40B es el mejor modelo de código abierto disponible actualmente.", "tiiuae/falcon-40b", "open-source"),
        ("es", "Salamandra es una familia de modelos de lenguaje abiertos, entrenados desde cero en 35 idiomas europeos.",
         "BSC-LT/salamandra-7b", "open-model"),
    ],
)
def test_claims_in_six_more_languages(lang, sentence, repo_id, kind):
    claim = one(sentence, repo_id)
    assert (claim.language, claim.kind, claim.target, claim.about_self) == (lang, kind, "self", True)


@pytest.mark.parametrize(
    "lang,sentence,target,modality",
    [
        ("zh", "我们使用开源评测工具OpenCompass从五大能力维度对InternLM开展全面评测。", "tool", "asserted"),
        ("zh", "与Llama 2等开源模型相比，Baichuan 2在多项中文评测中表现更好。", "other-model", "asserted"),
        ("zh", "以上所有权重对学术研究完全开放，在填写问卷进行登记后亦允许免费商业使用。", "self", "conditional"),
        ("ja", "事前学習コーパスはオープンソースのデータセットから構築しています。", "data", "asserted"),
        ("ja", "このモデルは研究目的に限り利用でき、オープンソースではありません。", "self", "negated"),
        ("ko", "학습에는 오픈소스 데이터셋인 KoAlpaca와 KULLM 데이터를 사용했습니다.", "data", "asserted"),
        ("ko", "모델 가중치는 추후 오픈소스로 공개할 예정입니다.", "self", "future"),
        ("fr", "Le modèle a été entraîné avec la bibliothèque open source Hugging Face Transformers.", "tool", "asserted"),
        ("fr", "Ce modèle n'est pas open source : les poids sont soumis à la licence de Llama 2.", "self", "negated"),
        ("de", "Wir danken der Open-Source-Community für Datensätze und Werkzeuge.", "community", "asserted"),
        ("de", "Das Modell ist nicht Open Source, da es unter einer nicht-kommerziellen Lizenz steht.", "self", "negated"),
        ("es", "El conjunto de datos es de código abierto y está disponible en el Hub.", "data", "asserted"),
        ("es", "El código de entrenamiento se publicará como código abierto próximamente.", "code", "future"),
    ],
)
def test_the_same_distinctions_in_other_languages(lang, sentence, target, modality):
    claim = one(sentence)
    assert (claim.language, claim.target, claim.modality, claim.about_self) == (lang, target, modality, False)


def test_other_open_models_in_other_languages_are_implied_claims():
    for sentence, repo_id in [
        ("在大多数长上下文基准测试中，MiniCPM-SALA的表现高于所测试的其他同等规模开源模型。", "openbmb/MiniCPM-SALA"),
        ("他のオープンモデルと比べて、日本語タスクで高い性能を示します。", "tokyotech-llm/Llama-3-Swallow-8B-v0.1"),
        ("다른 오픈소스 모델 대비 한국어 성능이 뛰어납니다.", "yanolja/EEVE-Korean-Instruct-10.8B-v1.0"),
        ("DeepSeek-V3 supera a otros modelos de código abierto.", "deepseek-ai/DeepSeek-V3"),
    ]:
        claim = one(sentence, repo_id)
        assert (claim.target, claim.implied, claim.about_self) == ("self", True, True), sentence


# --- bounds ----------------------------------------------------------------------------------------


def test_a_one_megabyte_one_line_card_is_read_within_its_bounds():
    from extract.card import MAX_BLOCK_CHARS
    from extract.claims import MAX_JUDGED, MAX_PER_SENTENCE, read_claims

    phrases = parse_card(("open source " * 90_000).encode(), max_bytes=2_000_000)  # one 1 MB line, one "sentence"
    evidence, work = read_claims(phrases, "org/model", [])
    assert work.judged == MAX_PER_SENTENCE and work.chars <= MAX_BLOCK_CHARS
    sentences = parse_card(("Our model is open source. " * 40_000).encode(), max_bytes=2_000_000)  # 1 MB, one line
    evidence, work = read_claims(sentences, "org/model", [])
    assert work.judged == MAX_JUDGED  # every phrase beyond the cap is left unjudged
    assert work.chars <= MAX_BLOCK_CHARS and work.sentences <= MAX_JUDGED
    assert len(evidence.claims) <= 50
    empty = parse_card(("lorem ipsum " * 90_000).encode(), max_bytes=2_000_000)
    _, idle = read_claims(empty, "org/model", [])
    assert idle.judged == 0 and idle.sentences == 0  # no stem of a phrase: no sentence is even looked at


def test_work_grows_with_the_card_only_up_to_the_caps():
    from extract.claims import read_claims

    sentence = "Our model is open source and outperforms other open models. "
    counts = []
    for n in (1, 10, 100):
        _, work = read_claims(parse_card((sentence * n).encode()), "org/model", [])
        counts.append(work.judged)
    assert counts == [2, 20, 200]


def test_evidence_stored_by_extractor_v1_still_loads():
    from extract.types import Claim as StoredClaim

    v1 = {"kind": "open-source", "phrase": "open source", "sentence": "It is open source.", "source": "card", "about_self": True}
    claim = StoredClaim(**v1)
    assert (claim.target, claim.modality, claim.implied, claim.confidence, claim.language) == ("self", "asserted", False, 1.0, "en")
