"""training_code and inference_code: what code is published with the weights."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest

from extract.card import Link, parse_card
from extract.data_info import data_information
from extract.inference_code import inference_code
from extract.training_code import CUSTOM_MARK, classify_link, training_code
from extract.types import StoredVersion
from extract.version_input import VersionInput, read_version

FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "dev_hub.json"


def code_input(card, metadata: dict, siblings) -> VersionInput:
    """A version input from a listing item, with this parsed card (and these files, when given)."""
    inp = read_version(StoredVersion("org/m", None, metadata))
    return dataclasses.replace(inp, card=card, siblings=tuple(siblings) if siblings else inp.siblings)


def train(markdown: str, siblings=(), files=None):
    return training_code(parse_card(markdown.encode()), list(siblings), files)


# --- training code: links ----------------------------------------------------------------------


def test_code_link_in_a_pretraining_list_item_is_released():
    # OLMoE's card lists its pretraining artefacts in one item.
    ev = train(
        "# Model Summary\n\n"
        "- Paper: https://arxiv.org/abs/2409.02060\n"
        "- Pretraining [Checkpoints](https://hf.co/allenai/OLMoE-1B-7B-0924), "
        "[Code](https://github.com/allenai/OLMo/tree/Muennighoff/MoE), "
        "[Data](https://huggingface.co/datasets/allenai/OLMoE-mix-0924) and [Logs](https://wandb.ai/ai2-llm/olmoe)\n"
    )
    assert ev.released
    assert ev.urls == ("https://github.com/allenai/OLMo/tree/Muennighoff/MoE",)  # not the checkpoints or data


def test_repository_described_as_holding_training_code_is_released():
    ev = train(
        "## Training Details\n\nTraining data is released in its entirety; see the "
        "[contrastors](https://github.com/nomic-ai/contrastors) repository, which also holds the training code.\n"
    )
    assert ev.released and ev.urls == ("https://github.com/nomic-ai/contrastors",)


def test_core_repo_for_training_is_released_but_evaluation_repo_is_not():
    # OLMo 7B's "Model Sources" list.
    ev = train(
        "### Model Sources\n\n"
        "- **Project Page:** https://allenai.org/olmo\n"
        "- **Repositories:**\n"
        "    - Core repo (training, inference, fine-tuning etc.): https://github.com/allenai/OLMo\n"
        "    - Evaluation code: https://github.com/allenai/OLMo-Eval\n"
    )
    assert ev.released
    assert ev.urls == ("https://github.com/allenai/OLMo",)


def test_training_configs_behind_a_bare_url_are_released_and_the_framework_is_recorded():
    # SmolLM's card.
    ev = train(
        "## Training\n\n- **Training Framework:** [Nanotron](https://github.com/huggingface/nanotron/tree/main); "
        "training configs in https://github.com/huggingface/smollm\n"
    )
    assert ev.released
    assert ev.urls == ("https://github.com/huggingface/smollm",)
    assert ev.frameworks_mentioned == ("Nanotron",)


def test_inference_only_links_are_not_training_code():
    # Phi-3.5's cookbook and Mistral's inference repo: how to run the model, not how it was made.
    ev = train(
        "## Model Summary\n\n"
        "📖 [Phi-3 Technical Report](https://arxiv.org/abs/2404.14219) · "
        "👩‍🍳 [Phi-3 Cookbook](https://github.com/microsoft/Phi-3CookBook)\n\n"
        "## Usage\n\nRun it with [mistral-inference](https://github.com/mistralai/mistral-inference) or serve it "
        "with the [vLLM](https://github.com/vllm-project/vllm) inference engine.\n"
    )
    assert not ev.released
    assert ev.urls == ()


def test_trained_with_megatron_is_a_framework_not_a_release():
    ev = train(
        "## Training\n\nThe model was trained with [Megatron-LM](https://github.com/NVIDIA/Megatron-LM) on 512 "
        "A100 GPUs using DeepSpeed ZeRO stage 1.\n"
    )
    assert not ev.released
    assert ev.urls == ()
    assert ev.frameworks_mentioned == ("Megatron-LM", "DeepSpeed")


def test_gpt_neox_framework_link_is_not_the_training_code():
    # polyglot-ko's card.
    ev = train(
        "## Training procedure\n\nTrained for 167 billion tokens over 301,000 steps on 256 A100 GPUs with the "
        "[GPT-NeoX framework](https://github.com/EleutherAI/gpt-neox).\n"
    )
    assert not ev.released
    assert ev.frameworks_mentioned == ("GPT-NeoX",)


def test_custom_codebase_is_named_but_not_released():
    # Falcon-7B's card.
    ev = train(
        "## Training Procedure\n\nFalcon-7B was trained on 384 A100 40GB GPUs, using a 2D parallelism strategy "
        "(PP=2, DP=192) combined with ZeRO, using Gigatron, TII's custom distributed training codebase.\n"
    )
    assert not ev.released
    assert ev.frameworks_mentioned == (f"Gigatron {CUSTOM_MARK}",)


def test_custom_training_libraries_are_not_a_release():
    ev = train("## Hardware and Software\n\nWe used custom training libraries and Meta's Research SuperCluster.\n")
    assert not ev.released
    assert ev.frameworks_mentioned == (f"training code {CUSTOM_MARK}",)


def test_promised_training_code_is_not_released():
    ev = train("## Training\n\nThe training code will be released soon at [GitHub](https://github.com/org/model).\n")
    assert not ev.released


def test_statement_about_pretraining_code_promotes_the_linked_repository():
    # BERT's card: the repository is linked in one paragraph, the pretraining code named in another.
    ev = train(
        "# BERT base model (uncased)\n\nIt was introduced in [this paper](https://arxiv.org/abs/1810.04805) and "
        "first released in [this repository](https://github.com/google-research/bert).\n\n"
        "## Training procedure\n\nThe TensorFlow pretraining code (`run_pretraining.py`, "
        "`create_pretraining_data.py`) is in the BERT repository.\n"
    )
    assert ev.released
    assert ev.urls == ("https://github.com/google-research/bert",)


def test_bare_repository_link_is_not_training_code():
    # SDXL's "Model Sources": a repository, not described as training code.
    ev = train("### Model Sources\n\n- **Repository:** https://github.com/Stability-AI/generative-models\n"
               "- **Demo:** https://clipdrop.co/stable-diffusion\n")
    assert not ev.released


# --- training code: repository files --------------------------------------------------------------


def test_sample_finetune_script_is_not_the_training_code():
    # Phi-3.5 ships sample_finetune.py and links to it from the card.
    ev = train(
        "### Fine-tuning\n\nA basic example of multi-GPU supervised fine-tuning (SFT) with TRL and Accelerate "
        "modules is provided [here](https://huggingface.co/microsoft/Phi-3.5-mini-instruct/resolve/main/sample_finetune.py).\n",
        siblings=["config.json", "modeling_phi3.py", "sample_finetune.py", "model-00001-of-00002.safetensors"],
    )
    assert not ev.released
    assert ev.repo_files == ()
    assert ev.frameworks_mentioned == ()  # TRL in an example says nothing about how Phi was trained
    reasons = {f.source: f.reason for f in ev.findings}
    assert "example" in reasons["file:sample_finetune.py"]
    assert "example" in reasons["url:https://huggingface.co/microsoft/Phi-3.5-mini-instruct/resolve/main/sample_finetune.py"]


def test_training_script_in_the_repo_is_the_fine_tune_code():
    # all-MiniLM-L6-v2 ships its train_script.py.
    ev = train(
        "### Fine-tuning\n\nThe full training script is in this repository: `train_script.py`.\n",
        siblings=["config.json", "train_script.py", "data_config.json", "modules.json"],
        files={"train_script.py": b"import optax\n# trains with in-batch negatives\n"},
    )
    assert ev.released
    assert ev.repo_files == ("train_script.py",)
    assert ev.urls == ()


@pytest.mark.parametrize(
    "path,is_training",
    [("train.py", True), ("scripts/finetune_lora.sh", True), ("run_clm.py", True), ("my_model_sft.py", True),
     ("examples/train.py", False), ("train_example.py", False), ("demo_train.py", False), ("modeling_x.py", False),
     ("constrain.py", False), ("tokenizer.py", False), ("latest/train.py", True), ("tests/test_train.py", False)],
)
def test_training_script_names(path, is_training):
    ev = train("# m\n", siblings=[path])
    assert ev.released is is_training
    assert (path in ev.repo_files) is is_training


def test_trainer_artefacts_are_not_code_and_configs_need_a_framework():
    only_artefacts = train("# m\n", siblings=["trainer_state.json", "training_args.bin", "all_results.json"])
    assert not only_artefacts.released and only_artefacts.repo_files == ()
    config_only = train("# m\n", siblings=["train_config.yaml"])
    assert not config_only.released and config_only.repo_files == ("train_config.yaml",)
    with_framework = train("## Training\n\nFine-tuned with Axolotl.\n", siblings=["configs/sft_recipe.yaml"])
    assert with_framework.released and with_framework.frameworks_mentioned == ("Axolotl",)


@pytest.mark.parametrize(
    "url,text,context,kind",
    [
        ("https://github.com/ggerganov/llama.cpp/", "llama.cpp", "Using llama.cpp release b3472 for quantization.", "inference"),
        ("https://huggingface.co/spaces/org/demo", "Space", "Try the model in our Space demo.", "example"),
        ("https://huggingface.co/org/model", "weights", "Download the weights.", "not-code"),
        ("https://github.com/org/repo/blob/main/LICENSE", "license", "License: Apache-2.0", "not-code"),
        ("https://gitlab.com/org/recipes", "recipes", "Our fine-tuning recipes are here.", "training"),
        ("https://github.com/bigscience-workshop/Megatron-DeepSpeed", "Megatron-DeepSpeed",
         "Orchestration: Megatron-DeepSpeed", "framework"),
        # a framework the developers wrote, where they say they trained with it (OpenLLaMA's card): checked as training code
        ("https://github.com/young-geng/EasyLM", "EasyLM",
         "We train the models on cloud TPU-v4s using EasyLM, a JAX based training pipeline we developed for training and "
         "fine-tuning large language models.", "training"),
        ("https://github.com/young-geng/EasyLM", "EasyLM",
         "Training ran on cloud TPU-v4s with EasyLM, a JAX-based pipeline we built for training and fine-tuning language models.",
         "training"),
        ("https://github.com/EleutherAI/gpt-neox", "GPT-NeoX", "The model was trained with our GPT-NeoX library.", "training"),
        # ... but not where the clause is not about training, nor a third party's framework, nor "we built on"
        ("https://github.com/young-geng/EasyLM", "EasyLM",
         "Weights come in two formats: an EasyLM format for our EasyLM framework and a PyTorch format.", "framework"),
        ("https://github.com/NVIDIA/Megatron-LM", "Megatron-LM", "We trained it with Megatron-LM, a framework NVIDIA developed.", "framework"),
        ("https://github.com/huggingface/transformers", "transformers", "We built our training on top of the transformers library.", "framework"),
    ],
)
def test_classify_link(url, text, context, kind):
    assert classify_link(Link(url, text, context, "")).kind == kind


def test_random_cards_never_raise_in_code_extractors():
    rng = random.Random(11)
    words = ["training code ", "[Code](https://github.com/a/b) ", "Pretraining ", "sample ", "trained with ",
             "Megatron ", "custom codebase ", "\n", "- ", "https://github.com/x/y ", ". ", "; ", "not ", "`train.py` "]
    for _ in range(200):
        text = "".join(rng.choice(words) for _ in range(rng.randint(0, 80)))
        card = parse_card(text.encode())
        siblings = rng.sample(["train.py", "sample_train.py", "config.json", "a.gguf", "modeling_x.py"], k=rng.randint(0, 5))
        assert isinstance(training_code(card, siblings, {"train.py": b"\xff\xfe"}).released, bool)
        assert isinstance(inference_code(code_input(card, {"tags": ["transformers", 3]}, siblings)).present, bool)


# --- inference code ------------------------------------------------------------------------------


def test_library_name_gives_inference_code_with_its_licence():
    ev = inference_code(code_input(parse_card(b"# m\n"), {"library_name": "transformers", "tags": ["transformers"]}, ["config.json"]))
    assert ev.present and ev.library == "transformers"
    assert "Apache-2.0" in ev.findings[0].reason


def test_library_from_files_when_undeclared():
    gguf = inference_code(code_input(parse_card(b"# m\n"), {}, ["model.Q4_K_M.gguf", "README.md"]))
    assert (gguf.present, gguf.library) == (True, "gguf")
    diffusers = inference_code(code_input(parse_card(b"# m\n"), {}, ["model_index.json", "unet/config.json"]))
    assert diffusers.library == "diffusers"
    st = inference_code(code_input(parse_card(b"# m\n"), {}, ["modules.json", "config.json", "1_Pooling/config.json"]))
    assert st.library == "sentence-transformers"
    mistral = inference_code(code_input(parse_card(b"# m\n"), {}, ["params.json", "consolidated.safetensors"]))
    assert mistral.library == "mistral-inference"
    meta_original = inference_code(code_input(parse_card(b"# m\n"), {}, ["original/params.json", "config.json"]))
    assert meta_original.library == "transformers"


def test_modelling_code_and_usage_snippet():
    card = parse_card(
        b"## Usage\n\n```python\nfrom transformers import AutoModelForCausalLM\n"
        b"model = AutoModelForCausalLM.from_pretrained('org/m', trust_remote_code=True)\n```\n"
    )
    ev = inference_code(code_input(card, {"library_name": "transformers"}, ["configuration_phi3.py", "modeling_phi3.py", "sample_finetune.py"]))
    assert ev.repo_files == ("configuration_phi3.py", "modeling_phi3.py")
    assert ev.usage_snippet


def test_prompt_templates_and_downloads_are_not_usage_code():
    card = parse_card(
        b"## Prompt template\n\n```\n<s>[INST] {prompt} [/INST]\n```\n\n"
        b"```\nhuggingface-cli download org/m --include 'm.Q4_K_M.gguf' --local-dir ./\n```\n"
    )
    assert not inference_code(code_input(card, {}, [])).usage_snippet


def test_nothing_to_run_it_with():
    ev = inference_code(code_input(parse_card(b"# Weights only\n"), {"library_name": "other"}, ["weights.bin"]))
    assert not ev.present and ev.library is None


def test_siblings_fall_back_to_listing_metadata():
    meta = {"siblings": [{"rfilename": "adapter_config.json"}, {"rfilename": "adapter_model.safetensors"}]}
    assert inference_code(code_input(parse_card(b""), meta, [])).library == "peft"


# --- the shared dev fixture --------------------------------------------------------------------


def _models() -> dict[str, dict]:
    if not FIXTURE.exists():
        pytest.skip(f"shared fixture not found at {FIXTURE} (CI provides ../shared)")
    return {m["id"]: m for m in json.loads(FIXTURE.read_text())["models"]}


def _evidence(model: dict):
    card = parse_card(model["files"]["README.md"].encode())
    siblings = list(model["files"])
    files = {k: v.encode() for k, v in model["files"].items() if isinstance(v, str)}
    return (
        training_code(card, siblings, files),
        inference_code(code_input(card, model, siblings)),
        data_information(VersionInput(card=card, card_data=model.get("cardData") or {}, tags=model.get("tags") or [])),
    )


@pytest.mark.parametrize(
    "repo_id", ["allenai/OLMoE-1B-7B-0924", "HuggingFaceTB/SmolLM-135M", "nomic-ai/nomic-embed-text-v1"]
)
def test_fixture_open_source_models_release_training_code(repo_id):
    train_ev, infer_ev, data_ev = _evidence(_models()[repo_id])
    assert train_ev.released and train_ev.urls
    assert infer_ev.present
    assert data_ev.sufficient


@pytest.mark.parametrize(
    "repo_id",
    ["microsoft/Phi-3.5-mini-instruct", "tiiuae/falcon-7b", "Qwen/Qwen2.5-0.5B", "mistralai/Mistral-Nemo-Base-2407",
     "EleutherAI/polyglot-ko-12.8b", "meta-llama/Llama-3.2-1B", "google/gemma-2-2b"],
)
def test_fixture_models_without_released_training_code(repo_id):
    train_ev, _, _ = _evidence(_models()[repo_id])
    assert not train_ev.released, train_ev.findings


def test_fixture_falcon_names_its_custom_codebase():
    train_ev, _, _ = _evidence(_models()["tiiuae/falcon-7b"])
    assert any(f.endswith(CUSTOM_MARK) for f in train_ev.frameworks_mentioned)


def test_fixture_minilm_ships_its_fine_tuning_script():
    train_ev, _, _ = _evidence(_models()["sentence-transformers/all-MiniLM-L6-v2"])
    assert "train_script.py" in train_ev.repo_files


def test_fixture_open_weights_only_models_miss_code_or_data_information():
    # Expected "Open Weights" and nothing more: the code + data-information gate must fail.
    for model in _models().values():
        if model["expected"] != ["Open Weights"]:
            continue
        train_ev, infer_ev, data_ev = _evidence(model)
        assert not (infer_ev.present and train_ev.released and data_ev.sufficient), model["id"]


def test_fixture_every_model_with_weights_has_inference_code():
    for model in _models().values():
        _, infer_ev, _ = _evidence(model)
        assert infer_ev.present and infer_ev.library, model["id"]
