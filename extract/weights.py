"""Are there downloadable weights? Read from the repo's file list and access state."""

from __future__ import annotations

import re

from .memo import text_memo
from .types import Finding, WeightsEvidence
from .version_input import VersionInput

# Extension -> format name. Index files (model.safetensors.index.json) are not weights.
WEIGHT_FORMATS = {
    ".safetensors": "safetensors",
    ".bin": "pytorch-bin",
    ".pt": "pytorch",
    ".pth": "pytorch",
    ".ckpt": "checkpoint",
    ".gguf": "gguf",
    ".ggml": "ggml",
    ".onnx": "onnx",
    ".h5": "keras-h5",
    ".keras": "keras",
    ".msgpack": "flax",
    ".mlmodel": "coreml",
    ".tflite": "tflite",
    ".nemo": "nemo",
    ".ot": "rust-tch",
    ".npz": "numpy",
    ".joblib": "sklearn",
    ".pkl": "pickle",
    ".pb": "tensorflow",
    ".llamafile": "llamafile",
    ".mlx": "mlx",
}
# Folders that are weights as a whole (Core ML packages, TF SavedModel variables), and raw tensor
# shards in a checkpoint folder (e.g. "ckpt-0/tensor00000_000", "model.ckpt.data-00000-of-00001").
_WEIGHT_DIRS = re.compile(
    r"(\.mlpackage/|/variables/variables\.data|(^|/)weights/weight\.bin$|\.ckpt\.data-\d+"
    r"|(^|/)(ckpt|checkpoints?)[-_]?\d*/[^/.]+$)"
)
# .bin files that are not weights: tokenizer/vocab/optimizer state, training args.
_NOT_WEIGHTS = re.compile(r"(training_args|optimizer|scheduler|rng_state|tokenizer|vocab|spiece)[^/]*$", re.IGNORECASE)

MAX_LISTED = 20
_EXTENSIONS = tuple(WEIGHT_FORMATS)


_TEXT_NAMES = re.compile(r"(^|/)(readme|licen[cs]e|notice|changelog|copying|makefile|dockerfile)[^/]*$")


# Every match of _WEIGHT_DIRS holds one of these: a path without them and without a weight
# extension is not weights, and is answered without trying the patterns.
_WEIGHT_DIR_WORDS = ("ckpt", "checkpoint", ".mlpackage/", "variables.data")


@text_memo(4096)  # most repositories hold the same few file names (config.json, model.safetensors)
def weight_format(path: str) -> str | None:
    lower = path.lower()
    if not lower.endswith(_EXTENSIONS) and not any(word in lower for word in _WEIGHT_DIR_WORDS):
        return None
    if _TEXT_NAMES.search(lower):
        return None
    if _WEIGHT_DIRS.search(lower):
        if ".mlpackage/" in lower:
            return "coreml"
        return "tensorflow" if "variables" in lower or ".ckpt." in lower else "checkpoint"
    if _NOT_WEIGHTS.search(lower):
        return None
    for ext, name in WEIGHT_FORMATS.items():
        if lower.endswith(ext):
            return name
    return None


def weights_evidence(inp: VersionInput) -> WeightsEvidence:
    siblings, access = inp.siblings, inp.access
    files = [p for p in siblings or () if weight_format(p)]
    formats = tuple(sorted({fmt for fmt in map(weight_format, files) if fmt}))  # (each file has one)
    findings: list[Finding] = []
    if siblings is None:
        findings.append(Finding("siblings", "the listing gave no file list", 0.5))
    elif files:
        findings.append(Finding("siblings", f"{len(files)} weight file(s): {', '.join(files[:3])}{' ...' if len(files) > 3 else ''}"))
    else:
        findings.append(Finding("siblings", "no weight files in the repository (card-only or code-only repo)"))
    present = bool(files) and access != "unavailable"
    if files and access == "unavailable":
        findings.append(Finding("access", "the repository is no longer reachable (private, removed or disabled): nothing can be downloaded"))
    elif access in ("gated-auto", "gated-manual"):
        kind = "automatic approval" if access == "gated-auto" else "manual review"
        findings.append(Finding("gated", f"downloads are gated ({kind}); weights are still downloadable once access is granted", 0.9))
    return WeightsEvidence(
        present=present,
        files=tuple(files[:MAX_LISTED]),
        file_count=len(files),
        formats=formats,
        access=access,
        findings=tuple(findings),
    )
