"""The training frameworks a card may say a model was trained with: each name's pattern and the
name it is reported under (extract/training_code.py's `frameworks_mentioned`).

A framework is necessary to train a model but is not its recipe, so naming one never counts as
releasing the training code.
"""

from __future__ import annotations

import re

from extract.card_scan import prefilter

# Known training frameworks: (pattern, canonical name). A name must stand alone: "Mistral-Nemo-Base"
# is a model, not NeMo, and "Megatron-DeepSpeed" is one framework.
_LOOKBEHIND = r"(?<![\w-])"
_LOOKAHEAD = r"(?![\w-])"


def _named(pattern: str, flags: int = re.I) -> re.Pattern[str]:
    return re.compile(_LOOKBEHIND + "(?:" + pattern + ")" + _LOOKAHEAD, flags)


_FRAMEWORKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_named(r"megatron[- ]deepspeed"), "Megatron-DeepSpeed"),
    (_named(r"megatron[- ]lm"), "Megatron-LM"),
    (_named(r"megatron[- ]core"), "Megatron-Core"),
    (_named(r"megatron"), "Megatron"),
    (_named(r"deepspeed"), "DeepSpeed"),
    (_named(r"gpt[- ]?neox"), "GPT-NeoX"),
    (_named(r"nanotron"), "Nanotron"),
    (_named(r"NeMo", 0), "NeMo"),
    (_named(r"levanter"), "Levanter"),
    (_named(r"maxtext"), "MaxText"),
    (_named(r"t5x"), "T5X"),
    (_named(r"paxml"), "PaxML"),
    (_named(r"jax"), "JAX"),
    (_named(r"flax"), "Flax"),
    (_named(r"pathways"), "Pathways"),
    (_named(r"fairseq"), "fairseq"),
    (_named(r"mesh[- ]tensorflow"), "Mesh TensorFlow"),
    (_named(r"lingvo"), "Lingvo"),
    (_named(r"llm[- ]foundry"), "LLM Foundry"),
    (_named(r"mosaicml composer|composer library"), "Composer"),
    (_named(r"torchtitan"), "torchtitan"),
    (_named(r"axolotl"), "Axolotl"),
    (_named(r"TRL", 0), "TRL"),
    (_named(r"peft"), "PEFT"),
    (_named(r"hugging ?face accelerate|accelerate library"), "Accelerate"),
    (_named(r"unsloth"), "Unsloth"),
    (_named(r"llama[- ]factory"), "LLaMA-Factory"),
    (_named(r"openrlhf"), "OpenRLHF"),
    (_named(r"colossal[- ]?ai"), "Colossal-AI"),
    (_named(r"fsdp"), "FSDP"),
    (_named(r"pytorch"), "PyTorch"),
    (_named(r"tensorflow"), "TensorFlow"),
    (_named(r"keras"), "Keras"),
    (_named(r"sentence[- ]transformers"), "sentence-transformers"),
    (_named(r"(?:hugging ?face )?transformers (?:trainer|library)|hf trainer|hugging ?face trainer"), "Transformers Trainer"),
    (_named(r"open[_-]lm"), "OpenLM"),
    (_named(r"lit-?gpt"), "LitGPT"),
    (_named(r"easylm"), "EasyLM"),
    (_named(r"xtuner"), "XTuner"),
    (_named(r"ms-swift"), "ms-swift"),
    (_named(r"alignment[- ]handbook"), "Alignment Handbook"),
    (_named(r"sd-scripts|kohya"), "kohya sd-scripts"),
    (_named(r"diffusers"), "Diffusers"),
    (_named(r"open[- ]instruct"), "open-instruct"),
    (_named(r"contrastors"), "contrastors"),
)
# The framework names without their lookarounds, lower-case: a cheap test that a sentence may name
# one (`_may_name_framework`) before trying each pattern.
_FRAMEWORK_CORES = prefilter(re.compile(
    "|".join(p.pattern.removeprefix(_LOOKBEHIND).removesuffix(_LOOKAHEAD).lower() for p, _ in _FRAMEWORKS)
))
