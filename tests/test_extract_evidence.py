"""Issue #3: weights, datasets and lineage evidence, and the key facts of every dev-hub model."""

from __future__ import annotations

import pytest

from extract import extract_model
from extract.card import parse_card
from extract.datasets import datasets_evidence, hub_dataset_ids_in_text
from extract.lineage import base_model_evidence
from extract.types import StoredDataset, StoredVersion
from extract.weights import weight_format, weights_evidence
from extract.version_input import VersionInput


# --- weights -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, fmt",
    [
        ("model-00001-of-00003.safetensors", "safetensors"),
        ("unet/diffusion_pytorch_model.bin", "pytorch-bin"),
        ("original/consolidated.00.pth", "pytorch"),
        ("sd-v1-4.ckpt", "checkpoint"),
        ("mistral-7b-instruct-v0.2.Q4_K_M.gguf", "gguf"),
        ("onnx/model.onnx", "onnx"),
        ("tf_model.h5", "keras-h5"),
        ("flax_model.msgpack", "flax"),
        ("coreml/fill-mask/float32_model.mlpackage/Data/com.apple.CoreML/weights/weight.bin", "coreml"),
        ("ckpt-0/tensor00000_000", "checkpoint"),  # Grok-1's raw tensor shards
        ("model.safetensors.index.json", None),
        ("tokenizer.model", None),
        ("training_args.bin", None),
        ("checkpoints/README.md", None),
    ],
)
def test_weight_files_are_recognised_by_format(path, fmt):
    assert weight_format(path) == fmt


def test_card_only_repo_has_no_weights_and_a_removed_repo_has_none_to_download():
    card_only = weights_evidence(VersionInput(siblings=["README.md", ".gitattributes", "config.json"]))
    assert not card_only.present and card_only.file_count == 0
    removed = weights_evidence(VersionInput(siblings=["v1-5-pruned.safetensors"], access="unavailable"))
    assert not removed.present and removed.file_count == 1
    gated = weights_evidence(VersionInput(siblings=["model.safetensors"], access="gated-manual"))
    assert gated.present and any("manual review" in f.reason for f in gated.findings)


# --- datasets ----------------------------------------------------------------------------


def _ds(dataset_id, licence, gated=False, status="ok"):
    return StoredDataset(id=dataset_id, status=status, gated=gated, card_data={"license": licence} if licence else {})


def test_every_declared_dataset_must_be_open_for_open_data():
    stored = {
        "allenai/dolma": _ds("allenai/dolma", "odc-by"),
        "bigcode/the-stack": _ds("bigcode/the-stack", "other", gated="auto"),
        "tatsu-lab/alpaca": _ds("tatsu-lab/alpaca", "cc-by-nc-4.0"),
        "org/gated-manual": _ds("org/gated-manual", "apache-2.0", gated="manual"),
        "org/gone": _ds("org/gone", None, status="missing"),
    }
    open_only = datasets_evidence(VersionInput(card_data={"datasets": ["allenai/dolma"]}, tags=["dataset:allenai/dolma"], datasets=stored))
    assert open_only.all_open is True and [r.id for r in open_only.refs] == ["allenai/dolma"]

    for other in ("bigcode/the-stack", "tatsu-lab/alpaca", "org/gated-manual", "org/gone"):
        ev = datasets_evidence(VersionInput(card_data={"datasets": ["allenai/dolma", other]}, datasets=stored))
        assert ev.all_open is False, other
    non_commercial = datasets_evidence(VersionInput(card_data={"datasets": ["tatsu-lab/alpaca"]}, datasets=stored)).refs[0]
    assert non_commercial.licence_family == "non-commercial" and non_commercial.open is False
    manual = datasets_evidence(VersionInput(card_data={"datasets": ["org/gated-manual"]}, datasets=stored)).refs[0]
    assert manual.availability == "gated" and manual.open is False

    unknown = datasets_evidence(VersionInput(card_data={"datasets": ["allenai/dolma", "not/stored"]}, datasets=stored))
    assert unknown.all_open is None  # cannot tell, so the Open Data gate cannot pass
    assert datasets_evidence(VersionInput(datasets=stored)).all_open is None


def test_dataset_links_in_card_text_are_declarations_too():
    text = "Data: [Amber](https://huggingface.co/datasets/LLM360/AmberDatasets) and https://hf.co/datasets/org/x."
    assert hub_dataset_ids_in_text(text) == ["LLM360/AmberDatasets", "org/x"]
    ev = datasets_evidence(VersionInput(card=parse_card(text.encode())))
    assert [(r.id, r.source.split(":", 1)[0]) for r in ev.refs] == [("LLM360/AmberDatasets", "url"), ("org/x", "url")]


# --- lineage -----------------------------------------------------------------------------


def test_base_model_from_card_and_tags_with_relation():
    ev = base_model_evidence(VersionInput(card_data={"base_model": "mistralai/Mistral-7B-Instruct-v0.2"}, tags=["base_model:mistralai/Mistral-7B-Instruct-v0.2", "base_model:quantized:mistralai/Mistral-7B-Instruct-v0.2"]))
    assert [(b.id, b.relation) for b in ev.bases] == [("mistralai/Mistral-7B-Instruct-v0.2", "quantized")]
    merged = base_model_evidence(VersionInput(card_data={"base_model": ["a/one", "b/two"]}, tags=["base_model:merge:a/one", "base_model:merge:b/two"]))
    assert [(b.id, b.relation) for b in merged.bases] == [("a/one", "merge"), ("b/two", "merge")]


def test_undeclared_family_is_inferred_from_a_version_tag_only():
    hermes = base_model_evidence(VersionInput(card_data={"tags": ["llama-2", "distillation"]}, tags=["llama", "llama-2"]))
    assert hermes.bases == () and hermes.inferred_family == "Llama 2" and hermes.inferred_licence_family == "vendor-community"
    # the architecture tag alone ("llama": SmolLM, TinyLlama, ...) says nothing about the licence
    assert base_model_evidence(VersionInput(tags=["llama", "text-generation"])).inferred_family is None


# --- the dev hub: the facts each expected label rests on ---------------------------------

# (licence family, weights, inference code, training code, all data open, data information, base models)
FACTS = {
    "allenai/OLMoE-1B-7B-0924": ("osi-permissive", True, True, True, True, True, []),
    "HuggingFaceTB/SmolLM-135M": ("osi-permissive", True, True, True, True, True, []),
    "nomic-ai/nomic-embed-text-v1": ("osi-permissive", True, True, True, None, True, []),
    "microsoft/Phi-3.5-mini-instruct": ("osi-permissive", True, True, False, None, False, []),
    "Qwen/Qwen2.5-0.5B": ("osi-permissive", True, True, False, None, False, []),
    "mistralai/Mistral-Nemo-Base-2407": ("osi-permissive", True, True, False, None, False, []),
    "teknium/OpenHermes-2.5-Mistral-7B": ("osi-permissive", True, True, False, None, False, ["mistralai/Mistral-7B-v0.1"]),
    "TheBloke/Mistral-7B-Instruct-v0.2-GGUF": ("osi-permissive", True, True, False, None, False, ["mistralai/Mistral-7B-Instruct-v0.2"]),
    "tiiuae/falcon-7b": ("osi-permissive", True, True, False, None, True, []),
    "meta-llama/Llama-3.2-1B": ("vendor-community", True, True, False, None, False, []),
    "google/gemma-2-2b": ("vendor-community", True, True, False, None, False, []),
    "stabilityai/stable-diffusion-xl-base-1.0": ("use-restricted", True, True, False, None, False, []),
    "CompVis/stable-diffusion-v1-4": ("use-restricted", True, True, False, None, False, []),
    "CohereForAI/aya-23-8B": ("non-commercial", True, True, False, None, False, []),
    "bigscience/bloomz-560m": ("use-restricted", True, True, None, True, None, []),  # open xP3 data: the licence still decides
    "NousResearch/Nous-Hermes-Llama2-13b": ("osi-permissive", True, True, False, None, False, []),
    "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF": ("vendor-community", True, True, False, None, False, ["meta-llama/Meta-Llama-3.1-8B-Instruct"]),
}


def dev_version(model: dict, datasets: dict) -> StoredVersion:
    files = model["files"]
    meta = {k: v for k, v in model.items() if k not in ("files", "expected", "washing", "note")}
    meta["siblings"] = [{"rfilename": p} for p in files]
    readme = files.get("README.md")
    linked = list((model.get("cardData") or {}).get("datasets") or [])
    return StoredVersion(
        repo_id=model["id"],
        sha="0" * 40,
        metadata=meta,
        readme=readme.encode() if isinstance(readme, str) else None,
        files={p: c.encode() for p, c in files.items() if isinstance(c, str) and p.upper().startswith(("LICEN", "USE_POLICY"))},
        datasets={d: datasets[d] for d in linked if d in datasets},
        access="gated-" + model["gated"] if model.get("gated") else "public",
    )


def test_dev_hub_models_show_the_facts_their_labels_need(dev_hub_data):
    datasets = {
        d["id"]: StoredDataset(id=d["id"], status="ok", gated=d.get("gated") or False, card_data=d["cardData"], tags=tuple(d["tags"]))
        for d in dev_hub_data["datasets"]
    }
    models = {m["id"]: m for m in dev_hub_data["models"]}
    for repo_id, (family, weights, inference, training, data_open, data_info, bases) in FACTS.items():
        ev = extract_model(dev_version(models[repo_id], datasets))
        got = (ev.licence.family, ev.weights.present, ev.inference_code.present)
        assert got == (family, weights, inference), repo_id
        if training is not None:
            assert ev.training_code.released is training, repo_id
        assert ev.datasets.all_open is data_open or (data_open is None and ev.datasets.all_open is not True), repo_id
        if data_info is not None:
            assert ev.data_information.sufficient is data_info, repo_id
        assert [b.id for b in ev.base_model.bases] == bases, repo_id
    hermes = extract_model(dev_version(models["NousResearch/Nous-Hermes-Llama2-13b"], datasets))
    assert hermes.base_model.inferred_family == "Llama 2"
