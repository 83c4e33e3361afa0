"""The training frameworks a card may say a model was trained with: each name's pattern and the
name it is reported under (extract/training_code.py's `frameworks_mentioned`), as
policy/training_code.yaml's `frameworks` lists them.

A framework is necessary to train a model but is not its recipe, so naming one never counts as
releasing the training code.
"""

from __future__ import annotations

import re

import policy
from extract.card_scan import prefilter

# The frameworks and their names are policy (policy/training_code.yaml, `frameworks`); the lookarounds
# are shape: a name must stand alone, so "Mistral-Nemo-Base" is a model, not NeMo, and
# "Megatron-DeepSpeed" is one framework.
_LOOKBEHIND = r"(?<![\w-])"
_LOOKAHEAD = r"(?![\w-])"


def _named(pattern: str, flags: int = re.I) -> re.Pattern[str]:
    return re.compile(_LOOKBEHIND + "(?:" + pattern + ")" + _LOOKAHEAD, flags)


def frameworks_from(entries: list[dict]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, reported name) of each `frameworks` entry, in the policy's order."""
    return tuple((_named(e["pattern"], 0 if e.get("case_sensitive") else re.I), e["name"]) for e in entries)


_FRAMEWORKS = frameworks_from(policy.load("training_code")["frameworks"])
# The framework names without their lookarounds, lower-case: a cheap test that a sentence may name
# one (`_may_name_framework`) before trying each pattern.
_FRAMEWORK_CORES = prefilter(re.compile(
    "|".join(p.pattern.removeprefix(_LOOKBEHIND).removesuffix(_LOOKAHEAD).lower() for p, _ in _FRAMEWORKS)
))
