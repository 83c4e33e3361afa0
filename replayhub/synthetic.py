"""A large, lazily generated hub for benchmarks: realistic models and datasets from their index.

Nothing is stored per repo: model *i* is rebuilt from `(seed, i)` whenever it is asked for (a small
LRU keeps recent ones), so a 1,000,000-model hub costs a few MB. Mutators work as on `HubState`:
a changed or added repo is stored as an override, a deleted one as a tombstone.

What the generated hub looks like (roughly the real Hub's shape):
- licences: about a third with none at all, then apache-2.0 and mit, then per-family licences
  (llama*, gemma, openrail family, bloom RAIL, cc-by-nc-4.0, agpl-3.0, `other` + `license_name`),
  a few odd spellings (`Apache-2.0`, lists);
- cards from a few dozen bytes to ~20 kB, most with YAML front matter, some without, a few with a
  non-mapping YAML block, some repos with no README at all;
- weights: single or sharded safetensors, pytorch .bin, gguf quantisations, adapters, diffusers
  folders, and card-only repos with no weights;
- a layer of foundation models (the first `len(FAMILIES) * 4` indexes) that later fine-tunes,
  quantisations, adapters and merges name as `base_model`;
- links to generated datasets (`n_models // 25` of them) and a few to datasets that do not exist;
- ~4 % gated (mostly llama/gemma-like families), ~1 % private, ~0.2 % disabled.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
from array import array
from dataclasses import dataclass
from typing import Any, Callable

from .state import HubState, RepoSnapshot, build_snapshot, format_iso_ms, parse_iso_ms, sort_key

_MODEL_EPOCH_MS = parse_iso_ms("2022-03-03T00:00:00.000Z")
_MODEL_STEP_MS = 60_000  # one model a minute: createdAt grows with the index
_DATASET_STEP_MS = 1_500_000
_FOUNDATIONS_PER_FAMILY = 4


@dataclass(frozen=True)
class Family:
    key: str
    stem: str
    pipeline: str
    library: str
    model_type: str
    licences: tuple[tuple[str | None, int], ...]  # (licence id or None, weight)
    sizes: tuple[str, ...]
    weight: int  # how common the family is
    gated_rate: float = 0.0
    other_names: tuple[str, ...] = ()


FAMILIES: tuple[Family, ...] = (
    Family("llama", "Llama-3.1", "text-generation", "transformers", "llama",
           (("llama3.1", 6), ("llama3", 2), ("llama2", 2), ("llama3.2", 2), ("mit", 1), ("apache-2.0", 1),
            ("other", 1)), ("1B", "3B", "8B", "70B"), 14, 0.3, ("llama-community",)),
    Family("mistral", "Mistral", "text-generation", "transformers", "mistral",
           (("apache-2.0", 8), ("mit", 1), ("cc-by-nc-4.0", 1)), ("7B", "12B", "22B"), 10, 0.05),
    Family("qwen", "Qwen2.5", "text-generation", "transformers", "qwen2",
           (("apache-2.0", 6), ("other", 3)), ("0.5B", "1.5B", "7B", "32B", "72B"), 10, 0.0,
           ("qwen", "qwen-research")),
    Family("gemma", "gemma-2", "text-generation", "transformers", "gemma2",
           (("gemma", 9), ("apache-2.0", 1)), ("2b", "9b", "27b"), 6, 0.4),
    Family("phi", "Phi-3.5", "text-generation", "transformers", "phi3", (("mit", 9), ("apache-2.0", 1)),
           ("mini", "medium"), 4),
    Family("olmo", "OLMo-2", "text-generation", "transformers", "olmo2", (("apache-2.0", 9),), ("1B", "7B", "13B"), 2),
    Family("falcon", "falcon", "text-generation", "transformers", "falcon",
           (("apache-2.0", 6), ("other", 2)), ("7b", "40b"), 2, 0.05, ("falcon-llm-license",)),
    Family("bloom", "bloomz", "text-generation", "transformers", "bloom",
           (("bigscience-bloom-rail-1.0", 8), ("bigscience-openrail-m", 2)), ("560m", "1b7", "7b1"), 2),
    Family("aya", "aya-expanse", "text-generation", "transformers", "cohere",
           (("cc-by-nc-4.0", 8), ("other", 1)), ("8b", "32b"), 2, 0.5, ("cohere-acceptable-use",)),
    Family("bert", "bert-base", "fill-mask", "transformers", "bert",
           (("apache-2.0", 6), ("mit", 2), ("cc-by-4.0", 1), ("unknown", 1)), ("uncased", "cased"), 9),
    Family("roberta", "roberta", "text-classification", "transformers", "roberta",
           (("mit", 5), ("apache-2.0", 4), ("cc-by-sa-4.0", 1)), ("base", "large"), 6),
    Family("t5", "flan-t5", "text2text-generation", "transformers", "t5",
           (("apache-2.0", 9), ("cc-by-4.0", 1)), ("small", "base", "large"), 3),
    Family("whisper", "whisper", "automatic-speech-recognition", "transformers", "whisper",
           (("apache-2.0", 6), ("mit", 3)), ("tiny", "small", "large-v3"), 4),
    Family("vit", "vit", "image-classification", "timm", "vit",
           (("apache-2.0", 6), ("cc-by-nc-4.0", 1), ("bsd-3-clause", 1)), ("base-patch16", "large-patch14"), 4),
    Family("minilm", "all-MiniLM", "sentence-similarity", "sentence-transformers", "bert",
           (("apache-2.0", 7), ("mit", 2), ("cc0-1.0", 1)), ("L6", "L12"), 5),
    Family("sd", "stable-diffusion", "text-to-image", "diffusers", "stable-diffusion",
           (("creativeml-openrail-m", 6), ("openrail++", 3), ("openrail", 2), ("other", 1)),
           ("v1-5", "xl-base", "2-1"), 6, 0.05, ("sai-community",)),
    Family("flux", "FLUX.1", "text-to-image", "diffusers", "flux",
           (("other", 6), ("apache-2.0", 2)), ("dev", "schnell"), 3, 0.5, ("flux-1-dev-non-commercial-license",)),
    Family("yolo", "yolov8", "object-detection", "ultralytics", "yolo", (("agpl-3.0", 8), ("gpl-3.0", 1)),
           ("n", "s", "m"), 2),
    Family("rl", "ppo-agent", "reinforcement-learning", "stable-baselines3", "ppo",
           (("mit", 3), ("apache-2.0", 2)), ("LunarLander", "CartPole"), 4),
)
_FAMILY_WEIGHTS = [f.weight for f in FAMILIES]
_N_FOUNDATIONS = len(FAMILIES) * _FOUNDATIONS_PER_FAMILY

#: Derived-model kinds and how often they occur (foundation models are always "base").
_KINDS = (("base", 12), ("finetune", 44), ("quantized", 12), ("adapter", 10), ("merge", 4), ("card-only", 8),
          ("misc", 10))
_RELATION = {"finetune": "finetune", "quantized": "quantized", "adapter": "adapter", "merge": "merge"}
_NO_LICENCE_RATE = 0.33  # a third of the Hub's models declare no licence at all

_SYLLABLES = ("ka", "lo", "mi", "ra", "zen", "tor", "vex", "qua", "nim", "bel", "dar", "fi", "gu", "hal", "jo",
              "ly", "mor", "no", "pe", "sil", "tu", "vo", "wen", "xi", "yu", "zo")
_ORG_SUFFIXES = ("", "-ai", "-lab", "-labs", "research", "-nlp", "-ml", "-hf", "bot", "")
_VARIANTS = {"base": ("",), "finetune": ("-Instruct", "-chat", "-sft", "-dpo", "-ft", "-v2", "-ORPO"),
             "quantized": ("-GGUF", "-Q4_K_M-GGUF", "-AWQ", "-GPTQ"), "adapter": ("-lora", "-qlora", "-peft"),
             "merge": ("-merge", "-slerp", "-ties"), "card-only": ("-placeholder", "-coming-soon", ""),
             "misc": ("-exp", "-test", "-custom", "")}
_LANGS = ("en", "zh", "fr", "de", "es", "ja", "ko", "ru", "ar", "hi", "multilingual")
_DATASET_TOPICS = ("web-text", "chat", "code", "math", "instructions", "speech", "images", "wiki", "news", "qa",
                   "preference", "captions")
_DATASET_KINDS = ("corpus", "mix", "sft", "pairs", "v1", "v2", "clean", "dedup")
_DATASET_LICENCES = (("cc-by-4.0", 5), ("odc-by", 3), ("apache-2.0", 4), ("mit", 3), ("cc-by-nc-4.0", 2),
                     ("cc0-1.0", 1), ("cc-by-sa-4.0", 1), ("other", 1), (None, 6))
_GGUF_QUANTS = (("Q2_K", 2.6), ("Q4_K_M", 4.8), ("Q5_K_M", 5.7), ("Q6_K", 6.6), ("Q8_0", 8.5), ("f16", 16.0))
_PARAMS = {"mini": 3.8e9, "medium": 14e9, "uncased": 110e6, "cased": 110e6, "base": 220e6, "large": 770e6,
           "small": 60e6, "tiny": 39e6, "large-v3": 1.55e9, "base-patch16": 86e6, "large-patch14": 304e6,
           "L6": 22e6, "L12": 33e6, "v1-5": 1.07e9, "xl-base": 3.5e9, "2-1": 1.3e9, "dev": 12e9, "schnell": 12e9,
           "n": 3.2e6, "s": 11e6, "m": 26e6, "LunarLander": 1e5, "CartPole": 5e4, "560m": 560e6, "1b7": 1.7e9,
           "7b1": 7.1e9}

_GITATTRIBUTES = ("*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n"
                  "*.gguf filter=lfs diff=lfs merge=lfs -text\n*.pt filter=lfs diff=lfs merge=lfs -text\n")


def _params(size: str) -> float:
    if size in _PARAMS:
        return _PARAMS[size]
    number = size.rstrip("BbMm")
    try:
        value = float(number.replace("b", "."))
    except ValueError:
        return 1e9
    return value * (1e9 if size[-1] in "Bb" else 1e6)


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _digest_int(*parts: Any) -> int:
    return int.from_bytes(hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


# --- card text -----------------------------------------------------------------------------------

_INTROS = (
    "# {title}\n\n{title} is a {size} {pipeline} model{base_phrase}.",
    "# Model Card for {title}\n\n<!-- Provide a quick summary of what the model is/does. -->\n\nThis modelcard "
    "aims to be a base template for new models.{base_phrase_sentence}",
    "# {title}\n\nWe release {title}, a {pipeline} model trained by {org}{base_phrase}.",
    "## {title}\n\nQuantized and converted files of {title}{base_phrase}. Made with llama.cpp.",
)
_OPENNESS_CLAIMS = (
    "{title} is a fully open-source model: weights, code and data are released.",
    "We believe in open science. {title} is an open model with open weights.",
    "This is an open-weights research release; see the licence for the terms of use.",
    "The model is released under a permissive licence that allows commercial use.",
    "Use of this model is subject to the acceptable use policy in USE_POLICY.md.",
    "The weights are available for research purposes only and may not be used commercially.",
)
_DATA_SECTIONS = (
    "## Training Data\n\nThe model was trained on {dataset_list}. Documents were deduplicated with MinHash "
    "(5-grams, 0.8 Jaccard), filtered for quality with a fastText classifier trained on reference pages, and "
    "language-identified; the exact filtering code and token counts per source are published in the repository.",
    "## Training Data\n\nTrained on a mix of publicly available data.",
    "## Training data\n\nWe used {dataset_list} for fine-tuning. No further preprocessing was applied.",
    "## Data\n\nThe training data is proprietary and will not be released.",
    "## Training Details\n\n### Training Data\n\n[More Information Needed]\n\n### Training Procedure\n\n"
    "[More Information Needed]",
)
_CODE_SECTIONS = (
    "## Training code\n\nThe full training and evaluation code is available at "
    "https://github.com/{org}/{repo_slug} under the Apache-2.0 licence.",
    "## Reproduction\n\nSee `train.py` in this repository for the exact fine-tuning script and hyper-parameters.",
    "## How to use\n\n```python\nfrom transformers import AutoModel, AutoTokenizer\n"
    "model = AutoModel.from_pretrained(\"{repo_id}\")\ntokenizer = AutoTokenizer.from_pretrained(\"{repo_id}\")\n```",
)
_FILLER = (
    "## Limitations\n\nThe model may produce inaccurate or biased outputs. It has not been evaluated for "
    "safety-critical uses. Users should evaluate it on their own data before deployment.",
    "## Environmental impact\n\n- Hardware: 8x A100 80GB\n- Hours used: 312\n- Cloud provider: private\n"
    "- Carbon emitted: 41 kg CO2eq",
    "## Citation\n\n```bibtex\n@misc{{{cite_key},\n  title={{{title}}},\n  author={{{org} team}},\n"
    "  year={{2024}},\n  eprint={{2401.00001}},\n  archivePrefix={{arXiv}}\n}}\n```",
    "## Training hyperparameters\n\n- learning_rate: 2e-05\n- train_batch_size: 16\n- eval_batch_size: 16\n"
    "- seed: 42\n- optimizer: AdamW with betas=(0.9,0.999) and epsilon=1e-08\n- lr_scheduler_type: cosine\n"
    "- num_epochs: 3",
)
_EVAL_ROW = "| {task} | {metric} | {value:.2f} |\n"
_EVAL_TASKS = ("arc_challenge", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k", "humaneval", "mbpp")
_LICENCE_TEXTS = {
    "apache-2.0": "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n\nTERMS AND "
                  "CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n",
    "mit": "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this "
           "software and associated documentation files (the \"Software\"), to deal in the Software without "
           "restriction...\n",
    "other": "{name}\n\nThis licence grants you a non-exclusive, worldwide, non-transferable, royalty-free "
             "limited licence to use the Materials for non-commercial research purposes only. Redistribution "
             "requires this notice. Use for training other models is prohibited.\n",
}


@dataclass(frozen=True)
class _ModelIdentity:
    index: int
    family: Family
    kind: str
    org: str
    size: str
    repo_id: str
    base_index: int | None


class _Generator:
    def __init__(self, seed: int, n_models: int, n_datasets: int) -> None:
        self.seed = seed
        self.n_models = n_models
        self.n_datasets = n_datasets
        rng = random.Random(f"replayhub-synthetic:{seed}:orgs")
        orgs: list[str] = []
        while len(orgs) < 400:
            name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))) + rng.choice(_ORG_SUFFIXES)
            if name not in orgs:
                orgs.append(name)
        self.orgs = orgs
        self.family_orgs = [orgs[i] for i in range(len(FAMILIES))]  # the foundation publishers
        # Evaluation tables are the bulk of long cards; a fixed pool keeps generation fast.
        self.eval_tables = [
            "## Evaluation\n\n| Task | Metric | Value |\n|---|---|---|\n" + "".join(
                _EVAL_ROW.format(task=rng.choice(_EVAL_TASKS), metric="acc", value=rng.uniform(20, 90))
                for _ in range(rng.randint(4, 60)))
            for _ in range(64)]
        self.snapshot = functools.lru_cache(maxsize=2048)(self._snapshot)
        self.model_identity = functools.lru_cache(maxsize=8192)(self._model_identity)

    # identities (cheap: ids and sort keys come from here) -----------------------------------------

    def _pick_org(self, rng: random.Random) -> str:
        # Zipf-like: a few publishers own many repos, most own a handful.
        return self.orgs[min(int(rng.paretovariate(1.1)) - 1, len(self.orgs) - 1) if rng.random() < 0.5
                         else rng.randrange(len(self.orgs))]

    def _model_identity(self, index: int) -> _ModelIdentity:
        rng = random.Random(f"{self.seed}:model:{index}:id")
        if index < _N_FOUNDATIONS:
            family_no = index % len(FAMILIES)
            family, kind, org, base = FAMILIES[family_no], "base", self.family_orgs[family_no], None
        else:
            family = rng.choices(FAMILIES, weights=_FAMILY_WEIGHTS)[0]
            family_no = FAMILIES.index(family)
            kind = _weighted(rng, _KINDS)
            org = self._pick_org(rng)
            base = (family_no + len(FAMILIES) * rng.randrange(_FOUNDATIONS_PER_FAMILY)
                    if kind in _RELATION else None)
            if base is not None and base >= self.n_models:
                kind, base = "base", None
        size = rng.choice(family.sizes)
        variant = rng.choice(_VARIANTS[kind])
        return _ModelIdentity(index, family, kind, org, size, f"{org}/{family.stem}-{size}{variant}-{index:x}", base)

    def dataset_id(self, index: int) -> str:
        rng = random.Random(f"{self.seed}:dataset:{index}:id")
        org = self._pick_org(rng)
        return f"{org}/{rng.choice(_DATASET_TOPICS)}-{rng.choice(_DATASET_KINDS)}-{index:x}"

    def repo_id(self, repo_type: str, index: int) -> str:
        return self.model_identity(index).repo_id if repo_type == "model" else self.dataset_id(index)

    @staticmethod
    def parse_index(repo_id: str) -> int | None:
        suffix = repo_id.rsplit("-", 1)[-1]
        try:
            return int(suffix, 16)
        except ValueError:
            return None

    def created_ms(self, repo_type: str, index: int) -> int:
        jitter = _digest_int(self.seed, repo_type, index, "created")
        if repo_type == "model":
            return _MODEL_EPOCH_MS + index * _MODEL_STEP_MS + jitter % _MODEL_STEP_MS
        return _MODEL_EPOCH_MS + index * _DATASET_STEP_MS + jitter % _DATASET_STEP_MS

    def modified_ms(self, repo_type: str, index: int) -> int:
        return self.created_ms(repo_type, index) + _digest_int(self.seed, repo_type, index, "mod") % (300 * 86_400_000)

    def popularity(self, repo_type: str, index: int) -> tuple[int, int, int]:
        """(downloads, likes, trendingScore): heavy-tailed, foundations far ahead."""
        h = _digest_int(self.seed, repo_type, index, "pop")
        exponent = (h % 10_000) / 10_000
        downloads = int(10 ** (exponent ** 2.5 * 6.5))
        if repo_type == "model" and index < _N_FOUNDATIONS:
            downloads = downloads * 100 + 100_000
        likes = downloads // (30 + (h >> 16) % 400)
        return downloads, likes, likes // 12

    def sort_value(self, repo_type: str, index: int, sort: str) -> int:
        """First element of the keyset key for a numeric sort (negated: listings sort descending)."""
        if sort == "createdAt":
            return -self.created_ms(repo_type, index)
        if sort == "lastModified":
            return -self.modified_ms(repo_type, index)
        downloads, likes, trending = self.popularity(repo_type, index)
        return -{"downloads": downloads, "downloadsAllTime": downloads * 7, "likes": likes, "likes30d": likes,
                 "trendingScore": trending}[sort]

    def sort_key(self, repo_type: str, index: int, sort: str) -> tuple:
        if sort == "id":
            return (self.repo_id(repo_type, index).lower(), index)
        return (self.sort_value(repo_type, index, sort), index)

    # full repos ----------------------------------------------------------------------------------

    def _snapshot(self, repo_type: str, index: int) -> RepoSnapshot:
        data = self.model_data(index) if repo_type == "model" else self.dataset_data(index)
        return build_snapshot(data, repo_type, index, copy_fields=False)

    def _common(self, repo_type: str, index: int, rng: random.Random) -> dict[str, Any]:
        downloads, likes, trending = self.popularity(repo_type, index)
        return {"createdAt": format_iso_ms(self.created_ms(repo_type, index)),
                "lastModified": format_iso_ms(self.modified_ms(repo_type, index)),
                "private": rng.random() < 0.01, "disabled": rng.random() < 0.002,
                "downloads": downloads, "downloadsAllTime": downloads * 7, "likes": likes, "trendingScore": trending}

    def model_data(self, index: int) -> dict[str, Any]:
        ident = self.model_identity(index)
        fam, kind = ident.family, ident.kind
        rng = random.Random(f"{self.seed}:model:{index}:body")
        data = {"id": ident.repo_id, "author": ident.org, **self._common("model", index, rng)}
        if ident.index < _N_FOUNDATIONS:
            data["private"] = data["disabled"] = False  # bases must stay reachable
        licence = self._licence(rng, fam)
        gated = rng.random() < (fam.gated_rate if kind in ("base", "finetune") else fam.gated_rate / 4)
        if gated:
            data["gated"] = rng.choice(("auto", "manual"))
        base_id = self.model_identity(ident.base_index).repo_id if ident.base_index is not None else None
        datasets = self._dataset_links(rng)
        languages = rng.sample(_LANGS, k=rng.choice((1, 1, 1, 2, 3)))
        library = "gguf" if kind == "quantized" and rng.random() < 0.8 else (
            "peft" if kind == "adapter" else fam.library)

        card: dict[str, Any] = {}
        if licence is not None:
            card["license"] = licence
            if licence == "other":
                card["license_name"] = rng.choice(fam.other_names or ("custom-research-license",))
                card["license_link"] = rng.choice(("LICENSE", "LICENSE.md", f"https://{ident.org}.example/license"))
        if base_id:
            card["base_model"] = [base_id] if rng.random() < 0.1 else base_id
            if kind in ("adapter", "quantized", "merge") and rng.random() < 0.7:
                card["base_model_relation"] = _RELATION[kind]
        if datasets:
            card["datasets"] = datasets
        card["language"] = languages
        card["pipeline_tag"] = fam.pipeline
        card["library_name"] = library
        if rng.random() < 0.5:
            card["tags"] = rng.sample(("text-generation-inference", "conversational", "trl", "unsloth", "mergekit",
                                       "lora", "art", "medical", "finance", "not-for-all-audiences"), k=2)
        if gated:
            card["extra_gated_prompt"] = "You agree to the licence and acceptable use policy of this model."
            card["extra_gated_fields"] = {"Country": "country", "I agree": "checkbox"}

        files: dict[str, Any] = {".gitattributes": _GITATTRIBUTES}
        readme_style = rng.random()
        if kind == "card-only" or readme_style >= 0.06:
            files["README.md"] = self._model_readme(rng, ident, card, base_id, datasets, readme_style)
        self._model_files(rng, ident, library, licence, files)

        yaml_card = "README.md" in files and files["README.md"].startswith("---\n") and readme_style >= 0.16
        if yaml_card:
            data["cardData"] = card
        tags = [library, fam.model_type] if library not in ("gguf", "peft") else [library]
        if any(p.endswith(".safetensors") for p in files):
            tags.append("safetensors")
        if any(p.endswith(".bin") for p in files):
            tags.append("pytorch")
        tags += [fam.pipeline] + languages + [f"dataset:{d}" for d in datasets]
        if base_id:
            tags += [f"base_model:{base_id}", f"base_model:{_RELATION[kind]}:{base_id}"]
        if licence is not None and yaml_card:
            tags += [f"license:{lic.lower()}" for lic in (licence if isinstance(licence, list) else [licence])]
        tags += ["endpoints_compatible", "region:us"] if rng.random() < 0.9 else ["region:eu"]
        data["tags"] = list(dict.fromkeys(tags))
        data["pipeline_tag"] = fam.pipeline
        data["library_name"] = library
        if any(p.endswith(".safetensors") for p in files):
            params = int(_params(ident.size))
            data["safetensors"] = {"parameters": {"BF16": params}, "total": params}
        data["files"] = files
        return data

    def _licence(self, rng: random.Random, fam: Family) -> str | list[str] | None:
        if rng.random() < _NO_LICENCE_RATE:
            return None
        licence = _weighted(rng, fam.licences)
        oddity = rng.random()
        if licence and oddity < 0.02:
            return licence.upper() if "-" not in licence else licence.title()
        if licence and oddity < 0.03:
            return [licence, "mit" if licence != "mit" else "apache-2.0"]
        return licence

    def _dataset_links(self, rng: random.Random) -> list[str]:
        if rng.random() >= 0.25 or self.n_datasets == 0:
            return []
        links = [self.dataset_id(rng.randrange(self.n_datasets)) for _ in range(rng.choice((1, 1, 2, 3)))]
        if rng.random() < 0.1:
            links.append(f"{self._pick_org(rng)}/unreleased-internal-data")  # a link to nothing
        return list(dict.fromkeys(links))

    def _model_readme(self, rng: random.Random, ident: _ModelIdentity, card: dict, base_id: str | None,
                      datasets: list[str], style: float) -> str:
        title = ident.repo_id.split("/", 1)[1]
        values = {"title": title, "org": ident.org, "size": ident.size, "pipeline": ident.family.pipeline,
                  "repo_id": ident.repo_id, "repo_slug": title.lower(), "cite_key": title.replace("-", "")[:20],
                  "base_phrase": f", fine-tuned from {base_id}" if base_id else "",
                  "base_phrase_sentence": f" It is based on {base_id}." if base_id else "",
                  "dataset_list": ", ".join(datasets) if datasets else "a curated web corpus"}
        target = int(10 ** rng.uniform(1.7, 4.3))  # ~50 B .. ~20 kB
        parts = [rng.choice(_INTROS).format(**values)]
        if rng.random() < 0.35:
            parts.append(rng.choice(_OPENNESS_CLAIMS).format(**values))
        if rng.random() < 0.6:
            parts.append(rng.choice(_DATA_SECTIONS).format(**values))
        if rng.random() < 0.5:
            parts.append(rng.choice(_CODE_SECTIONS).format(**values))
        size = sum(len(p) for p in parts)
        while size < target:
            if rng.random() < 0.4:
                part = rng.choice(self.eval_tables)
            else:
                part = rng.choice(_FILLER).format(**values)
            parts.append(part)
            size += len(part)
        body = "\n\n".join(parts) + "\n"
        if style < 0.16:  # no YAML block, or (rarely) one that is not a mapping
            if style < 0.065:
                return "---\n- just\n- a list\n---\n\n" + body
            return body[: max(target, 40)]
        return "---\n" + _yaml(card) + "---\n\n" + body

    def _model_files(self, rng: random.Random, ident: _ModelIdentity, library: str,
                     licence: str | list | None, files: dict[str, Any]) -> None:
        fam, kind, size = ident.family, ident.kind, ident.size
        params = _params(size)
        stem = f"{fam.stem}-{size}"
        if kind == "card-only":
            return
        if isinstance(licence, str) and licence.lower() in ("other", "apache-2.0", "mit"):
            if licence.lower() == "other" or rng.random() < 0.15:
                text = _LICENCE_TEXTS[licence.lower()].format(name=f"{fam.stem} licence")
                files["LICENSE" if rng.random() < 0.7 else "LICENSE.md"] = text
        if fam.key == "llama" and rng.random() < 0.5:
            files["USE_POLICY.md"] = "# Acceptable Use Policy\n\nYou agree not to use the model to ...\n"
        if rng.random() < 0.05:
            files["train.py"] = "import torch\nfrom transformers import Trainer\n# fine-tuning script\n"
        if kind == "quantized" and library == "gguf":
            for quant, bits in rng.sample(_GGUF_QUANTS, k=rng.randint(1, 5)):
                files[f"{stem}.{quant}.gguf"] = int(params * bits / 8) + rng.randrange(1 << 20)
            return
        if kind == "adapter":
            files["adapter_config.json"] = json.dumps({"peft_type": "LORA", "r": 16, "lora_alpha": 32})
            files["adapter_model.safetensors"] = int(params * 0.004) + rng.randrange(1 << 20)
            return
        if library == "diffusers":
            files["model_index.json"] = json.dumps({"_class_name": "StableDiffusionPipeline"})
            files["scheduler/scheduler_config.json"] = json.dumps({"_class_name": "PNDMScheduler"})
            files["unet/diffusion_pytorch_model.safetensors"] = int(params * 2)
            files["vae/diffusion_pytorch_model.safetensors"] = 334_643_268
            files["text_encoder/model.safetensors"] = 492_265_168
            return
        if library == "ultralytics":
            files[f"yolov8{size}.pt"] = int(params * 4)
            return
        if library == "stable-baselines3":
            files[f"ppo-{size}.zip"] = 150_000 + rng.randrange(100_000)
            return
        files["config.json"] = json.dumps({"architectures": [f"{fam.model_type.title()}Model"],
                                           "model_type": fam.model_type})
        files["tokenizer_config.json"] = json.dumps({"model_max_length": 4096})
        files["tokenizer.json"] = 2_000_000 + rng.randrange(8_000_000)
        total = int(params * 2)
        if library == "sentence-transformers":
            files["modules.json"] = "[]"
            files["1_Pooling/config.json"] = json.dumps({"pooling_mode_mean_tokens": True})
        if rng.random() < 0.2:
            files["pytorch_model.bin"] = total + 4096
            if rng.random() < 0.5:
                return
        shards = max(1, -(-total // 5_000_000_000))
        if shards == 1:
            files["model.safetensors"] = total
        else:
            for k in range(1, shards + 1):
                files[f"model-{k:05d}-of-{shards:05d}.safetensors"] = total // shards
            files["model.safetensors.index.json"] = json.dumps({"metadata": {"total_size": total}})

    def dataset_data(self, index: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:dataset:{index}:body")
        repo_id = self.dataset_id(index)
        data = {"id": repo_id, "author": repo_id.split("/")[0], **self._common("dataset", index, rng)}
        data["private"] = rng.random() < 0.01
        if rng.random() < 0.05:
            data["gated"] = "auto"
        licence = _weighted(rng, _DATASET_LICENCES)
        lang = rng.choice(_LANGS)
        task = rng.choice(("text-generation", "question-answering", "text-classification",
                           "automatic-speech-recognition", "image-to-text"))
        card: dict[str, Any] = {"language": [lang], "task_categories": [task],
                                "size_categories": [rng.choice(("1K<n<10K", "100K<n<1M", "1M<n<10M", "1B<n<10B"))]}
        if licence:
            card["license"] = licence
        if licence == "other":
            card["license_name"] = "research-only-data-license"
        name = repo_id.split("/", 1)[1]
        collection = rng.choice(("crawled from Common Crawl snapshots 2023-14..2024-10, deduplicated and "
                                 "filtered with a quality classifier",
                                 "collected from public forums",
                                 "generated with a large language model from seed prompts",
                                 "[More Information Needed]"))
        readme = (f"---\n{_yaml(card)}---\n\n# {name}\n\n## Dataset Description\n\nThis dataset was {collection}."
                  f"\n\n## Licensing\n\n{'Released under ' + licence if licence else 'No licence specified.'}\n")
        shards = rng.randint(1, 6)
        files: dict[str, Any] = {".gitattributes": "*.parquet filter=lfs diff=lfs merge=lfs -text\n",
                                 "README.md": readme}
        for k in range(shards):
            files[f"data/train-{k:05d}-of-{shards:05d}.parquet"] = 50_000_000 + rng.randrange(400_000_000)
        data["cardData"] = card
        tags = [f"task_categories:{task}", f"language:{lang}", f"size_categories:{card['size_categories'][0]}",
                "format:parquet", "library:datasets"]
        if licence:
            tags.append(f"license:{licence}")
        data["tags"] = tags + ["region:us"]
        data["description"] = f"This dataset was {collection}."
        data["files"] = files
        return data


def _yaml(card: dict[str, Any]) -> str:
    """Tiny YAML emitter for flat card data (faster than yaml.dump, and the output is what cards look like)."""
    lines = []
    for key, value in card.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines += [f"- {v}" for v in value]
        elif isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {v}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {json.dumps(value) if ':' in str(value) or str(value)[:1] in '*&!' else value}")
    return "\n".join(lines) + "\n"


class SyntheticState(HubState):
    """A `HubState` whose repos are generated on demand from `(seed, index)`."""

    def __init__(self, n_models: int, seed: int = 0, n_datasets: int | None = None) -> None:
        super().__init__()
        if n_models < 0:
            raise ValueError("n_models must be >= 0")
        self.n_models = n_models
        self.n_datasets = max(3, n_models // 25) if n_datasets is None else n_datasets
        self.seed = seed
        self._gen = _Generator(seed, n_models, self.n_datasets)
        self._generated = {"model": n_models, "dataset": self.n_datasets}
        self._next_index = dict(self._generated)  # repos added later go after the generated ones

    def repo_id_at(self, index: int, repo_type: str = "model") -> str:
        """Id of generated repo `index` (0 <= index < n), without building the repo."""
        if not 0 <= index < self._generated[repo_type]:
            raise IndexError(index)
        return self._gen.repo_id(repo_type, index)

    @property
    def materialised(self) -> int:
        """How many repos are held in memory (mutated, added or deleted ones); generated ones are not."""
        return sum(len(stored) for stored in self._stored.values())

    def generated_data(self, index: int, repo_type: str = "model") -> dict[str, Any]:
        """The input dict of generated repo `index` (before any mutation), e.g. to build expectations."""
        return self._gen.model_data(index) if repo_type == "model" else self._gen.dataset_data(index)

    def _snapshot_at(self, repo_type: str, index: int) -> RepoSnapshot | None:
        stored = self._stored[repo_type]
        if index in stored:
            return stored[index]
        if 0 <= index < self._generated[repo_type]:
            return self._gen.snapshot(repo_type, index)
        return None

    def _index_of(self, repo_type: str, repo_id: str) -> int | None:
        if repo_id in self._ids[repo_type]:
            return self._ids[repo_type][repo_id]
        index = self._gen.parse_index(repo_id)
        if index is None or not 0 <= index < self._generated[repo_type]:
            return None
        return index if self._gen.repo_id(repo_type, index) == repo_id else None

    def _build_order(self, repo_type: str, sort: str) -> tuple[list[int], Callable[[int], tuple]]:
        """Numeric sorts over generated repos use a flat array: ~10 MB and a few seconds for 1M repos."""
        if sort == "id":
            return super()._build_order(repo_type, sort)
        generated = self._generated[repo_type]
        values = array("q", (self._gen.sort_value(repo_type, i, sort) for i in range(generated)))
        extra: dict[int, int] = {}
        dead: set[int] = set()
        for index, snap in self._stored[repo_type].items():
            if snap is None:
                dead.add(index)
                continue
            value = sort_key(snap, sort)[0]
            if index < generated:
                values[index] = value
            else:
                extra[index] = value

        def value_of(index: int) -> int:
            return values[index] if index < generated else extra[index]

        live = (i for i in range(self._total(repo_type)) if i not in dead and (i < generated or i in extra))
        order = sorted(live, key=value_of)  # stable: ties stay in index order, as the keyset key requires
        return order, lambda index: (value_of(index), index)

    def _sort_key_at(self, repo_type: str, index: int, sort: str) -> tuple | None:
        if index in self._stored[repo_type]:
            snap = self._stored[repo_type][index]
            return sort_key(snap, sort) if snap is not None else None
        if index < self._generated[repo_type]:
            return self._gen.sort_key(repo_type, index, sort)
        return None


def synthetic_state(n: int, seed: int = 0, n_datasets: int | None = None) -> SyntheticState:
    """A lazily generated hub of `n` models (and `n // 25` datasets unless given), deterministic in `seed`."""
    return SyntheticState(n, seed=seed, n_datasets=n_datasets)


__all__ = ["FAMILIES", "SyntheticState", "synthetic_state"]
