"""Card-wording patterns are policy data (`card_patterns:` in policy/training_code.yaml and
policy/data_information.yaml): the extractors compile what the files say, and a bad edit fails
loudly, naming the file and the entry."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import policy
from extract import data_patterns, training_code
from extract.card import parse_card
from policy import PolicyError, patterns

ROOT = Path(__file__).resolve().parents[1]

# "coming soon" is what makes this link not (yet) released training code.
CARD = "## Training\n\nTraining code [here](https://github.com/acme-lab/trainer), coming soon.\n"
RUN = (
    "import json, policy\n"
    "from extract.card import parse_card\n"
    "from extract.training_code import training_code\n"
    f"ev = training_code(parse_card({CARD!r}.encode()), [])\n"
    "print(json.dumps({'policy': policy.__file__, 'released': ev.released}))\n"
)


def _with_policy_copy(tmp_path: Path, edit) -> dict:
    """Run the extractor in a fresh interpreter whose `policy` package is an edited copy."""
    shutil.copytree(ROOT / "policy", tmp_path / "policy", ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "policy" / "training_code.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # cwd first on sys.path: the copy shadows the real policy package
    out = subprocess.run([sys.executable, "-c", RUN], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_extractors_compile_the_policy_patterns():
    tc, di = patterns.compiled("training_code"), patterns.compiled("data_information")
    assert training_code._NEGATED._pattern is tc["negated"]  # guarded (one scan reads a link clause), same pattern
    assert training_code._TRAINING_EXPLICIT._pattern is tc["training-explicit"]  # prefiltered, same pattern
    assert data_patterns._SIZE._pattern is di["size"]
    assert data_patterns._LAST_PREP.flags & (2 | 16) == 2 | 16  # ignore_case and dot_all from the file


def test_editing_a_pattern_in_a_copied_policy_changes_the_finding(tmp_path):
    assert training_code.training_code(parse_card(CARD.encode()), []).released is False
    marker = "|coming soon|"
    assert policy.load("training_code") and marker in (ROOT / "policy" / "training_code.yaml").read_text()
    seen = _with_policy_copy(tmp_path, lambda text: text.replace(marker, "|", 1))
    assert seen["policy"].startswith(str(tmp_path))  # the copy was read, not the real file
    assert seen["released"] is True  # without "coming soon" in `negated`, the link is training code


def test_a_fragment_fills_its_placeholder():
    data = copy.deepcopy(policy.load("data_information"))
    assert patterns.compiled("data_information")["size"].search("trained on 1.2M pairs")
    data["fragments"]["unit"] = data["fragments"]["unit"].replace("|pairs|", "|")
    size, flags = patterns.expand(data, "copy")["size"]
    assert not re.compile(size, flags).search("trained on 1.2M pairs")


def _entry(data: dict, name: str) -> tuple[int, dict]:
    return next((i, e) for i, e in enumerate(data["card_patterns"]) if e["name"] == name)


def test_a_malformed_regex_fails_naming_file_and_entry():
    data = copy.deepcopy(policy.load("training_code"))
    i, entry = _entry(data, "negated")
    entry["pattern"] = [r"\b(?:not|never", r"|no\b"]  # unbalanced parenthesis
    with pytest.raises(PolicyError, match=rf"^policy/training_code\.yaml: card_patterns\[{i}\] \(negated\): pattern does not compile"):
        patterns.expand(data, "policy/training_code.yaml")


def test_an_unknown_fragment_fails_naming_the_entry():
    data = copy.deepcopy(policy.load("data_information"))
    i, entry = _entry(data, "size")
    entry["pattern"] = ["{nums}", "{unit}"]
    with pytest.raises(PolicyError, match=rf"card_patterns\[{i}\] \(size\): pattern: unknown fragment \{{nums\}}"):
        patterns.expand(data, "policy/data_information.yaml")


def test_schema_needs_a_meaning_and_known_flags():
    data = copy.deepcopy(policy.load("training_code"))
    del data["card_patterns"][2]["means"]
    with pytest.raises(PolicyError, match=r"^policy/training_code\.yaml: card_patterns\[2\]: 'means' is a required property"):
        policy.validate("training_code", data)
    data = copy.deepcopy(policy.load("data_information"))
    data["card_patterns"][0]["case_insensitive"] = True  # a misspelt flag must not be ignored silently
    with pytest.raises(PolicyError, match=r"card_patterns\[0\]: Additional properties"):
        policy.validate("data_information", data)


def test_a_broken_pattern_in_the_file_fails_at_load(tmp_path):
    shutil.copytree(ROOT / "policy", tmp_path / "policy", ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "policy" / "training_code.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("pattern: 'licen[cs]e|", "pattern: 'licen[cs e|", 1), encoding="utf-8")
    code = "import policy\ntry:\n    policy.load('training_code')\nexcept policy.PolicyError as e:\n    print(e)\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("policy/training_code.yaml: card_patterns[") and "(licence): pattern does not compile" in out.stdout
