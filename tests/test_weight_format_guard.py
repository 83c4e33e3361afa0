"""`weight_format` answers most paths before trying its patterns (no weight extension and none of the
words every weight-folder match holds) and remembers its answers: both must leave every answer as the
patterns alone give it."""

from __future__ import annotations

import itertools
import random

from extract import weights as w


def _by_patterns(path: str) -> str | None:
    """The rule as the patterns state it, with no shortcut."""
    lower = path.lower()
    if w._TEXT_NAMES.search(lower):
        return None
    if w._WEIGHT_DIRS.search(lower):
        if ".mlpackage/" in lower:
            return "coreml"
        return "tensorflow" if "variables" in lower or ".ckpt." in lower else "checkpoint"
    if w._NOT_WEIGHTS.search(lower):
        return None
    return next((name for ext, name in w.WEIGHT_FORMATS.items() if lower.endswith(ext)), None)


_DIRS = ("", "ckpt/", "CKPT-12/", "checkpoints_3/", "checkpoint/", "model.mlpackage/Data/", "saved/variables/",
         "weights/", "onnx/", "İ/", "a/b/")
_NAMES = ("model.safetensors", "pytorch_model.bin", "optimizer.pt", "weight.bin", "variables.data-00000-of-00001",
          "tensor00000_000", "model.ckpt.data-00000-of-00001", "README.md", "LICENSE.bin", "config.json",
          "tokenizer.bin", "model.GGUF", "x.pkl", "notes", "Model.MLPACKAGE/manifest", "data", "checkpoint")


def test_the_shortcut_and_the_memo_answer_as_the_patterns_do():
    paths = ["".join(parts) for parts in itertools.product(_DIRS, _NAMES)]
    rng = random.Random(7)
    alphabet = "abcKPT./-_0123456789İı"
    paths += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    for path in paths + paths:  # the second time from the memo
        assert w.weight_format(path) == _by_patterns(path), path
    assert {w.weight_format(p) for p in paths} >= {None, "coreml", "tensorflow", "checkpoint", "safetensors", "gguf"}


def test_a_path_the_shortcut_lets_through_is_still_judged_by_the_patterns():
    assert w.weight_format("ckpt-0/tensor00000_000") == "checkpoint"  # no extension: the folder words let it in
    assert w.weight_format("ckpt-0/README") is None  # let in, then a text file
    assert w.weight_format("results/optimizer.bin") is None  # an extension, then not weights
