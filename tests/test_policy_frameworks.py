"""The training frameworks a card may name are policy data (`frameworks:` in policy/training_code.yaml):
the extractor reports what the file lists, in its order, with its case rule; a bad edit fails loudly."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import policy
from extract.card import parse_card
from extract.training_code import frameworks_mentioned
from extract.training_frameworks import _FRAMEWORKS

ROOT = Path(__file__).resolve().parents[1]


def _named(text: str) -> list[str]:
    return frameworks_mentioned(parse_card(text.encode()))[0]


def test_the_extractor_reads_every_framework_of_the_policy_in_its_order():
    listed = policy.load("training_code")["frameworks"]
    assert [name for _, name in _FRAMEWORKS] == [e["name"] for e in listed]
    assert len(listed) >= 40


def test_a_case_sensitive_entry_is_matched_as_written_and_the_others_in_any_case():
    assert [e["name"] for e in policy.load("training_code")["frameworks"] if e.get("case_sensitive")] == ["NeMo", "TRL"]
    assert _named("## Training\n\nWe trained the model with NeMo on 64 GPUs.\n") == ["NeMo"]
    assert _named("## Training\n\nWe trained the model with nemo on 64 GPUs.\n") == []
    assert _named("## Training\n\nWe trained the model with DEEPSPEED on 64 GPUs.\n") == ["DeepSpeed"]


def test_a_name_counts_only_standing_alone():
    assert _named("## Training\n\nWe fine-tuned Mistral-NeMo-Base with our own scripts.\n") == []
    assert _named("## Training\n\nTrained with Megatron-DeepSpeed.\n") == ["Megatron-DeepSpeed"]


def test_a_text_naming_several_reports_them_in_the_policy_order():
    assert _named("## Training\n\nWe trained with PyTorch and DeepSpeed.\n") == ["DeepSpeed", "PyTorch"]


RUN = (
    "import json\n"
    "from extract.card import parse_card\n"
    "from extract.training_code import frameworks_mentioned\n"
    "card = parse_card(b'## Training\\n\\nWe trained the model with Zorbatrain on 8 GPUs.\\n')\n"
    "print(json.dumps(frameworks_mentioned(card)[0]))\n"
)


def test_a_framework_added_to_a_copied_policy_is_reported(tmp_path):
    assert _named("## Training\n\nWe trained the model with Zorbatrain on 8 GPUs.\n") == []
    shutil.copytree(ROOT / "policy", tmp_path / "policy", ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "policy" / "training_code.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "frameworks:\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + "  - {name: Zorbatrain, pattern: 'zorba ?train'}\n", 1), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # cwd first on sys.path: the copy shadows the real policy package
    out = subprocess.run([sys.executable, "-c", RUN], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["Zorbatrain"]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda e: e.pop("pattern"), "'pattern' is a required property"),
        (lambda e: e.update(pattern="(unclosed"), "is not a 'regex'"),
        (lambda e: e.update(case_sensitive="yes"), "is not of type 'boolean'"),
    ],
)
def test_a_bad_framework_entry_fails_naming_it(edit, message):
    data = copy.deepcopy(policy.load("training_code"))
    edit(data["frameworks"][3])
    with pytest.raises(policy.PolicyError, match=r"policy/training_code.yaml: frameworks\[3\]"):
        policy.validate("training_code", data)
    with pytest.raises(policy.PolicyError) as err:
        policy.validate("training_code", data)
    assert message in str(err.value)
