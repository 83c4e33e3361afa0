"""Lineage evidence (extract/lineage*.py): every source of a base, its kind and confidence, and the
statements that must not count. Real wordings from Hub cards, shortened."""

from __future__ import annotations

import json

import pytest

from extract.card import parse_card
from extract.lineage import base_model_evidence
from extract.lineage_ids import base_key, normalise_base
from extract.lineage_text import family_of_name
from extract.version_input import VersionInput


def card(body: str):
    return parse_card(("# A model\n\n" + body + "\n").encode())


def bases(ev) -> list[tuple[str, str, str, str]]:
    return [(b.id, b.relation, b.source, b.kind) for b in ev.bases]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("meta-llama/Llama-2-7b-hf", ("meta-llama/Llama-2-7b-hf", "hub-id")),
        ("roberta-large", ("roberta-large", "hub-id")),  # a legacy id: the Hub redirects it
        ("https://huggingface.co/mistralai/Mistral-7B-v0.1/tree/main", ("mistralai/Mistral-7B-v0.1", "hub-id")),
        ("hf.co/org/name", ("org/name", "hub-id")),
        ("https://huggingface.co/datasets/org/data", ("https://huggingface.co/datasets/org/data", "url")),
        ("https://example.com/ckpt.bin", ("https://example.com/ckpt.bin", "url")),
        ("./llama-7b", ("./llama-7b", "local-path")),
        ("/home/me/ckpt", ("/home/me/ckpt", "local-path")),
        ("C:\\models\\x", ("C:\\models\\x", "local-path")),
        ("org/name/subfolder", ("org/name", "hub-id")),
        ("not an id!", ("not an id!", "invalid")),
        ("a--b/c", ("a--b/c", "invalid")),
        ("x" * 120 + "/y", ("x" * 120 + "/y", "invalid")),  # a name part longer than the Hub allows
    ],
)
def test_a_base_value_is_normalised_to_a_hub_id_or_kept_with_its_kind(raw, expected):
    assert normalise_base(raw) == expected


def test_base_keys_ignore_case_as_the_hub_does():
    assert base_key("Meta-Llama/Llama-2-7B-HF") == base_key("meta-llama/llama-2-7b-hf")


def test_declared_bases_come_first_and_keep_their_relation():
    ev = base_model_evidence(VersionInput(card_data={"base_model": ["a/one", "b/two"], "base_model_relation": "merge"}, tags=["base_model:quantized:c/three", "base_model:a/one"]))
    assert bases(ev) == [
        ("a/one", "merge", "cardData.base_model", "hub-id"),
        ("b/two", "merge", "cardData.base_model", "hub-id"),
        ("c/three", "quantized", "tag:base_model:quantized:c/three", "hub-id"),
    ]
    assert {b.confidence for b in ev.bases} == {1.0}


def test_an_adapter_names_its_base_in_adapter_config_json():
    files = {"adapter_config.json": json.dumps({"base_model_name_or_path": "huggyllama/llama-7b", "peft_type": "LORA"}).encode()}
    ev = base_model_evidence(VersionInput(card=card("A LoRA."), files=files, repo_id="me/adapter"))
    assert bases(ev) == [("huggyllama/llama-7b", "adapter", "file:adapter_config.json", "hub-id")]
    assert ev.bases[0].confidence == 0.95


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'{"base_model_name_or_path": 7}', b"\0" * 10, b"{" * 100_000])
def test_a_broken_adapter_config_names_nothing(raw):
    assert base_model_evidence(VersionInput(files={"adapter_config.json": raw}, repo_id="me/x")).bases == ()


def test_a_merge_names_its_parts_in_its_mergekit_config_including_applied_adapters():
    config = b"slices:\n  - sources:\n      - model: org/a\n        layer_range: [0, 32]\n      - model: org/b+org/lora\n        layer_range: [0, 32]\nmerge_method: slerp\nbase_model: org/a\n"
    ev = base_model_evidence(VersionInput(files={"mergekit_config.yml": config}, repo_id="me/merge"))
    assert bases(ev) == [(x, "merge", "file:mergekit_config.yml", "hub-id") for x in ("org/a", "org/b", "org/lora")]


def test_config_json_counts_only_when_nothing_else_names_a_base():
    config = {"config.json": b'{"_name_or_path": "lmsys/vicuna-7b-v1.5", "model_type": "llama"}'}
    ev = base_model_evidence(VersionInput(card=card("A layout planner."), files=config, repo_id="me/planner"))
    assert bases(ev) == [("lmsys/vicuna-7b-v1.5", "unspecified", "file:config.json", "hub-id")]
    assert ev.bases[0].confidence == 0.6
    declared = base_model_evidence(VersionInput(card_data={"base_model": "a/b"}, files=config, repo_id="me/planner"))
    assert bases(declared) == [("a/b", "unspecified", "cardData.base_model", "hub-id")]
    # a local path or the model's own id in config.json says nothing
    assert base_model_evidence(VersionInput(files={"config.json": b'{"_name_or_path": "/tmp/out"}'}, repo_id="me/x")).bases == ()
    assert base_model_evidence(VersionInput(files={"config.json": b'{"_name_or_path": "Me/X"}'}, repo_id="me/x")).bases == ()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("This model is a fine-tuned version of [Llama-2-70b](https://huggingface.co/meta-llama/Llama-2-70b-hf) on chat data.",
         [("meta-llama/Llama-2-70b-hf", "finetune")]),
        ("GGUF quants of mistralai/Mistral-7B-Instruct-v0.2, made with llama.cpp.", [("mistralai/Mistral-7B-Instruct-v0.2", "quantized")]),
        ("This repo contains AWQ model files for `org/Some-Model-7B`.", [("org/Some-Model-7B", "quantized")]),
        ("A LoRA adapter for org/base-model trained with PEFT.", [("org/base-model", "adapter")]),
        ("This is a merge of org/a and org/b.", [("org/a", "merge")]),
        ("Continued pretraining of org/base on code.", [("org/base", "finetune")]),
        # held-out jordiclive/Llama-2-70b-oasst-1-200: a Llama 2 70B fine-tune declaring apache-2.0 and no base_model
        ("This model is a fine-tuning of the [Llama2 70B](https://huggingface.co/meta-llama/Llama-2-70b-hf) LLM.",
         [("meta-llama/Llama-2-70b-hf", "finetune")]),
        ("- **Finetuned from:** [Llama2 70B](https://huggingface.co/meta-llama/Llama-2-70b-hf)", [("meta-llama/Llama-2-70b-hf", "finetune")]),
        # the Hub's model card template, filled in
        ("- **Finetuned from model [optional]:** meta-llama/Llama-2-7b-hf", [("meta-llama/Llama-2-7b-hf", "finetune")]),
        ("- **Finetuned from model :** unsloth/gemma-7b-bnb-4bit", [("unsloth/gemma-7b-bnb-4bit", "finetune")]),
    ],
)
def test_the_card_prose_names_a_base_by_link_or_id(body, expected):
    ev = base_model_evidence(VersionInput(card=card(body), repo_id="me/x"))
    assert [(b.id, b.relation) for b in ev.bases] == expected
    assert all(b.source == "card" for b in ev.bases)


@pytest.mark.parametrize(
    "body",
    [
        "We fine-tuned it on HuggingFaceH4/ultrachat_200k for three epochs.",  # "fine-tuned on": data, not a base
        "It is based on the org/arch architecture.",  # an architecture
        "The tokenizer is based on org/tok tokenizer settings.",
        "Training data was derived from org/dataset-name by filtering.",  # "derived from": data
        "The instructions are based on org/prompts-collection.",
        "- **Finetuned from model [optional]:** [More Information Needed]",  # the template left empty
        "The fine-tuning of the model took two days on org/cluster-notes.",  # "the fine-tuning of": a process, not "a fine-tuning of"
        "Fine-tuned from: 12:00 to 14:00 on org/schedule.",
    ],
)
def test_statements_about_data_architecture_or_tokenizers_are_not_bases(body):
    ev = base_model_evidence(VersionInput(card=card(body), repo_id="me/x"))
    assert ev.bases == ()


@pytest.mark.parametrize(
    ("body", "family"),
    [
        ("We fine-tuned from Llama-2-70B using QLoRA.", "Llama 2"),
        ("This model is built on CodeLlama-7B with extra code data.", "Code Llama"),
        ("This project is based on Llama-2, released by Meta.", "Llama 2"),
        ("BELLE is based on Bloomz-7b1-mt and finetuned with 2M Chinese samples.", "BLOOM"),
        ("Our model is instruction-tuned from Gemma-7B.", "Gemma"),
        ("8 bits quantization of Bloom using GPTQ.", "BLOOM"),
    ],
)
def test_a_restricted_family_named_in_prose_governs_an_undeclared_fine_tune(body, family):
    ev = base_model_evidence(VersionInput(card=card(body), repo_id="me/x"))
    assert ev.bases == () and ev.inferred_family == family
    assert ev.inferred_licence_family in ("vendor-community", "use-restricted")


@pytest.mark.parametrize("body", ["It is based on the Llama 2 architecture with a new tokenizer.", "Deduplication is based on bloom filters."])
def test_an_architecture_or_a_common_word_named_in_prose_is_not_a_family_of_weights(body):
    ev = base_model_evidence(VersionInput(card=card(body), repo_id="me/x"))
    assert ev.inferred_family is None


@pytest.mark.parametrize(
    "body",
    [
        "The model was pretrained from scratch on 1T tokens of open data.",
        "- train-from-scratch on one GPU :)",
        "We trained this model from scratch.",
        "It was trained entirely from scratch, with the Llama architecture.",
    ],
)
def test_from_scratch_stops_a_family_tag_from_capping(body):
    tagged = base_model_evidence(VersionInput(tags=["llama-3"], card=card("A small model."), repo_id="me/x"))
    assert tagged.inferred_family == "Llama 3"  # the boundary: without the statement, the tag counts
    ev = base_model_evidence(VersionInput(tags=["llama-3"], card=card(body), repo_id="me/x"))
    assert ev.from_scratch and ev.inferred_family is None


def test_a_declared_base_counts_even_when_the_card_says_from_scratch():
    ev = base_model_evidence(VersionInput(card_data={"base_model": "org/base"}, card=card("Pretrained from scratch, then tuned."), repo_id="me/x"))
    assert [b.id for b in ev.bases] == ["org/base"] and ev.from_scratch


def test_an_unverifiable_base_keeps_the_family_its_name_says():
    ev = base_model_evidence(VersionInput(card_data={"base_model": "./llama-7b"}, repo_id="me/x"))
    (ref,) = ev.bases
    assert (ref.kind, ref.family, ref.family_licence) == ("local-path", "LLaMA (first release, non-commercial research licence)", "non-commercial")
    assert family_of_name("decapoda-research/llama-7b-hf") == ref.family
    assert family_of_name("/Llama-2-7b-hf") == "Llama 2"
    assert family_of_name("mistralai/Mistral-7B-v0.1") is None


def test_a_model_never_is_its_own_base():
    ev = base_model_evidence(VersionInput(card_data={"base_model": "Me/X"}, tags=["base_model:me/x"], repo_id="me/x"))
    assert ev.bases == ()


def test_statements_are_read_in_linear_time_and_bounded():
    body = ("This is a fine-tuned version of org/m" + "x" * 50 + ". ") * 20_000  # ~1.8 MB of cues
    ev = base_model_evidence(VersionInput(card=card(body), repo_id="me/x"))
    assert len(ev.bases) <= 16
