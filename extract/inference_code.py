"""Can the released weights be run with published code?

Evidence, strongest first:

- the Hub's `library_name` (listing or card metadata) and library tags (`transformers`,
  `diffusers`, `gguf`, `vllm`, ...): the weights load in that open-source library;
- files that only a given library reads: `model_index.json` (diffusers), `modules.json` /
  `config_sentence_transformers.json` (sentence-transformers), `adapter_config.json` (peft),
  `*.gguf` (llama.cpp), `*.onnx`, `params.json` + `consolidated*.safetensors` (mistral-inference),
  ...; a top-level `config.json` and nothing more specific suggests transformers;
- modelling code in the repository (`modeling_*.py`, `configuration_*.py`, custom pipelines), i.e.
  the architecture is published with the weights (`trust_remote_code`);
- a code block in the card that loads or runs the model.

`present` is true when any of these is found. The licence of the named library is recorded in a
finding (all the libraries we recognise are under OSI-approved licences).
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Sequence

from extract.card import ParsedCard
from extract.memo import text_memo
from extract.types import CodeRepoRef, Finding, InferenceCodeEvidence, LicenceEvidence
from extract.version_input import VersionInput

MAX_SIBLINGS = 20_000
MAX_FILES_REPORTED = 20

# Hub library name -> licence of the library's code (for the explanation).
LIBRARY_LICENCES: dict[str, str] = {
    "transformers": "Apache-2.0",
    "diffusers": "Apache-2.0",
    "sentence-transformers": "Apache-2.0",
    "peft": "Apache-2.0",
    "timm": "Apache-2.0",
    "gguf": "MIT (llama.cpp)",
    "llama.cpp": "MIT",
    "vllm": "Apache-2.0",
    "onnx": "MIT (ONNX Runtime)",
    "mlx": "MIT",
    "open_clip": "MIT",
    "keras": "Apache-2.0",
    "tf-keras": "Apache-2.0",
    "mistral-inference": "Apache-2.0",
    "nemo": "Apache-2.0",
    "spacy": "MIT",
    "flair": "MIT",
    "fastai": "Apache-2.0",
    "setfit": "Apache-2.0",
    "transformers.js": "Apache-2.0",
    "span-marker": "Apache-2.0",
    "adapter-transformers": "Apache-2.0",
    "ctranslate2": "MIT",
    "coreml": "BSD-3-Clause (coremltools)",
    "speechbrain": "Apache-2.0",
    "espnet": "Apache-2.0",
    "pyannote-audio": "MIT",
    "stable-baselines3": "MIT",
    "ml-agents": "Apache-2.0",
    "paddlenlp": "Apache-2.0",
    "fairseq": "MIT",
    "allennlp": "Apache-2.0",
    "sklearn": "BSD-3-Clause",
    "scikit-learn": "BSD-3-Clause",
    "llamafile": "Apache-2.0",
    "exllamav2": "MIT",
    "openvino": "Apache-2.0",
    "mlc-llm": "Apache-2.0",
    "pytorch": "BSD-3-Clause",
    "tensorflow": "Apache-2.0",
    "jax": "Apache-2.0",
    "ultralytics": "AGPL-3.0",
    "lerobot": "Apache-2.0",
    "gliner": "Apache-2.0",
    "bertopic": "MIT",
}
_ALIASES = {
    "sentence_transformers": "sentence-transformers",
    "sentence-transformer": "sentence-transformers",
    "llama-cpp": "llama.cpp",
    "llamacpp": "llama.cpp",
    "open-clip": "open_clip",
    "openclip": "open_clip",
    "mistral_inference": "mistral-inference",
    "scikit_learn": "scikit-learn",
    "onnxruntime": "onnx",
    "transformersjs": "transformers.js",
}
_NOT_A_LIBRARY = frozenset({"", "other", "unknown", "custom", "none", "n/a"})

# File evidence: (regex on the path, library). The first match wins, in this order.
_FILE_LIBRARIES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), lib)
    for p, lib in (
        (r"(?:^|/)model_index\.json$", "diffusers"),
        (r"(?:^|/)(?:modules\.json|config_sentence_transformers\.json|sentence_bert_config\.json)$", "sentence-transformers"),
        (r"(?:^|/)adapter_config\.json$", "peft"),
        (r"\.gguf$", "gguf"),
        (r"\.llamafile$", "llamafile"),
        (r"(?:^|/)open_clip_config\.json$", "open_clip"),
        (r"\.nemo$", "nemo"),
        (r"\.onnx$", "onnx"),
        (r"\.(?:mlmodel|mlpackage)(?:/|$)", "coreml"),
        (r"(?:^|/)(?:keras_metadata\.pb|saved_model\.pb)$|\.keras$", "keras"),
        (r"(?:^|/)shared_vocabulary\.(?:json|txt)$", "ctranslate2"),
    )
)
_MODELLING_CODE = re.compile(
    r"^(?:modeling|modelling|configuration|tokenization|processing|image_processing|feature_extraction)_[\w\-]+\.py$"
    r"|^(?:pipeline|handler|model|inference|predict|generate|run_inference)\.py$",
    re.I,
)


# Per path, once: most repositories hold the same few file names (config.json, model.safetensors).
@text_memo(4096)
def _file_library(path: str) -> str | None:
    """The library a file marks (`_FILE_LIBRARIES`, the first that matches), or None."""
    return next((lib for pattern, lib in _FILE_LIBRARIES if pattern.search(path)), None)


@text_memo(4096)
def _is_modelling_code(path: str) -> bool:
    return _MODELLING_CODE.match(posixpath.basename(path)) is not None


_USAGE_LANGS = frozenset({"", "python", "py", "python3", "pycon", "ipython", "bash", "sh", "shell", "console", "zsh", "javascript", "js", "typescript", "ts", "text"})
_USAGE = re.compile(
    r"\bfrom_pretrained\s*\(|\bpipeline\s*\(|\bSentenceTransformer\s*\(|\bCrossEncoder\s*\(|\.generate\s*\(|\.encode\s*\("
    r"|^\s*(?:import|from)\s+(?:transformers|diffusers|sentence_transformers|vllm|llama_cpp|mlx_lm|peft|timm|open_clip|"
    r"onnxruntime|optimum|mistral_inference|ctranslate2|gliner|torch)\b"
    r"|\b(?:llama-cli|llama-server|llama-cpp|\./main|ollama run|vllm serve|python -m vllm|mistral-chat|mistral-demo|"
    r"mlx_lm\.generate|text-generation-launcher|docker run)\b"
    r"|\bpip install\s+(?:-U\s+|--upgrade\s+)?[\"']?(?:transformers|diffusers|sentence-transformers|vllm|"
    r"mistral[_-]inference|llama-cpp-python|mlx-lm|optimum|open_clip_torch|timm|peft)\b",
    re.I | re.M,
)


def inference_code(
    inp: VersionInput,
    refs: Sequence[CodeRepoRef] = (),
    model_licence: LicenceEvidence | None = None,
) -> InferenceCodeEvidence:
    card = inp.card
    findings: list[Finding] = []
    candidates: list[tuple[str, str, float]] = []  # (library, source, confidence)

    declared = inp.library_name
    card_data = inp.card_data if inp.listed_card_data else {}  # the listing's cardData, not the README's own
    for value, source in (
        (declared, "library_name"),
        (card_data.get("library_name"), "cardData.library_name"),
        (card.front_matter.get("library_name"), "card:library_name"),
    ):
        lib = _normalise(value)
        if lib is not None:
            candidates.append((lib, source, 0.9 if lib in LIBRARY_LICENCES else 0.5))

    tags = inp.tags
    for tag in tags[:500]:
        lib = _normalise(tag)
        if lib in LIBRARY_LICENCES and lib not in ("pytorch", "tensorflow", "jax"):  # frameworks are tags of format, not runners
            candidates.append((lib, f"tag:{tag}", 0.8))

    paths = [p for p in list(inp.siblings or ())[:MAX_SIBLINGS] if isinstance(p, str)]
    by_files: list[tuple[str, str, float]] = []
    for path in paths:
        lib = _file_library(path)
        if lib is not None:
            by_files.append((lib, f"file:{path}", 0.75))
    root = set(paths)
    if "params.json" in root and any(re.match(r"consolidated[\w.\-]*\.safetensors$", p) for p in root):
        by_files.append(("mistral-inference", "file:params.json", 0.7))  # Mistral's reference format
    if not by_files and "config.json" in root:
        by_files.append(("transformers", "file:config.json", 0.6))  # a bare config.json: most likely transformers
    candidates.extend(by_files)

    repo_files = [p for p in paths if _is_modelling_code(p)][:MAX_FILES_REPORTED]
    for path in repo_files:
        findings.append(Finding(f"file:{path}", "modelling/inference code published in the repository", 0.8))
    remote = inp.remote_code
    if remote:
        findings.append(Finding("config.auto_map", f"model code loaded from another repository: {', '.join(remote[:3])}", 0.6))

    usage = _usage_snippet(card)
    if usage:
        findings.append(Finding("card", f"usage code in the card: \"{usage}\"", 0.7))

    library = candidates[0][0] if candidates else None
    library_findings: list[Finding] = []
    seen: set[str] = set()
    for lib, source, confidence in candidates:
        if lib in seen:
            continue
        seen.add(lib)
        licence = LIBRARY_LICENCES.get(lib)
        reason = f"runs with {lib} ({licence})" if licence else f"declares library {lib} (not one we know)"
        library_findings.append(Finding(source, reason, confidence))
    findings = library_findings + findings
    linked = [r for r in refs if r.status in ("ok", "renamed") and r.inference_code and r.role in ("inference", "repository", "training")]
    present = bool(candidates or repo_files or usage or remote or linked)
    if not present:
        findings.append(Finding("card", "no inference library, modelling code or usage example found", 0.6))
    licence, licence_open, where = _code_licence(library, repo_files, linked, model_licence)
    if licence_open is False:
        findings.append(Finding(f"github:{where}", f"inference code licence {licence} is not an open source licence", 0.8))
    return InferenceCodeEvidence(
        present=present,
        library=library,
        repo_files=tuple(repo_files),
        usage_snippet=bool(usage),
        findings=tuple(findings[:40]),
        licence=licence,
        licence_open=licence_open,
        repo=where,
    )


def _code_licence(
    library: str | None, repo_files: Sequence[str], linked: Sequence[CodeRepoRef], model_licence: LicenceEvidence | None
) -> tuple[str | None, bool | None, str | None]:
    """Licence of the code that runs the model: its library's, the model repository's, or a linked repository's.

    The open one wins when there are several ways to run it (a model that loads in transformers
    can be run with open code whatever else it links).
    """
    if library in LIBRARY_LICENCES:
        return LIBRARY_LICENCES[library], True, library  # every library we recognise is OSI-licensed
    if repo_files and model_licence is not None:
        return model_licence.spdx_id or model_licence.hub_id or "none", model_licence.open_basis is not None, "model repository"
    if linked:
        best = sorted(linked, key=lambda r: {True: 0, None: 1, False: 2}[r.licence_open])[0]
        return best.licence, best.licence_open, best.full_name or best.name
    return None, None, library


def _normalise(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    lib = value.strip().lower()[:60]
    lib = _ALIASES.get(lib, lib)
    return None if lib in _NOT_A_LIBRARY else lib


def _usage_snippet(card: ParsedCard) -> str | None:
    for block in card.code_blocks[:200]:
        if block.lang not in _USAGE_LANGS:
            continue
        m = _USAGE.search(block.text[:20_000])
        if m:
            line_start = block.text.rfind("\n", 0, m.start()) + 1
            line_end = block.text.find("\n", m.end())
            line = block.text[line_start : line_end if line_end != -1 else len(block.text)].strip()
            return line[:160]
    return None
