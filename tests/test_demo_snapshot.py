"""Structure of replayhub/data/demo_hub.json, the snapshot `hubscan demo` serves.

These tests check that the snapshot is well formed and internally consistent (README front
matter vs cardData vs tags, lineage relations vs files, referenced datasets), and that it
covers the hard cases the demo is meant to show. They do not check the `expected` labels:
the classifier's own tests do that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO_ROOT / "replayhub" / "data" / "demo_hub.json"
DEV_FIXTURE = REPO_ROOT.parent / "shared" / "fixtures" / "dev_hub.json"

LABELS = {"Open Source and Open Data", "Open Source", "Open Weights", "Weights Available", "No Weights"}
RELATIONS = {"adapter", "merge", "quantized", "finetune"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$")
# Same shape the Hub accepts: a YAML block opening the file, closed by a line of three dashes.
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
HF_DATASET_LINK = re.compile(r"huggingface\.co/datasets/([\w.-]+/[\w.-]+)")

MODEL_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str, "author": str, "createdAt": str, "lastModified": str, "private": bool, "disabled": bool,
    "gated": (bool, str), "downloads": int, "likes": int, "tags": list, "files": dict,
    "expected": list, "washing": bool, "note": str,
}
# The Hub leaves these out when a repo has no value (e.g. a card-only repo has no library).
OPTIONAL_MODEL_FIELDS = {"pipeline_tag": str, "library_name": str, "cardData": dict}
DATASET_FIELDS = {k: v for k, v in MODEL_FIELDS.items() if k not in {"expected", "washing", "note"}}
DATASET_FIELDS["cardData"] = dict


def _load() -> dict[str, Any]:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))


DATA = _load()
MODELS: list[dict[str, Any]] = DATA["models"]
DATASETS: list[dict[str, Any]] = DATA["datasets"]
MODEL_IDS = [m["id"] for m in MODELS]
DATASET_IDS = [d["id"] for d in DATASETS]


def front_matter(readme: str) -> tuple[bool, Any]:
    """(has a YAML block, parsed value or None when it does not parse)."""
    match = FRONT_MATTER.match(readme)
    if not match:
        return False, None
    try:
        return True, yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return True, None


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def tag_values(tags: list[str], prefix: str) -> list[str]:
    return [t[len(prefix):] for t in tags if t.startswith(prefix)]


def base_model_relations(tags: list[str]) -> Iterator[tuple[str, str]]:
    """(relation, base id) for every `base_model:<relation>:<id>` tag."""
    for value in tag_values(tags, "base_model:"):
        relation, _, base = value.partition(":")
        if relation in RELATIONS and base:
            yield relation, base


def lfs_files(repo: dict[str, Any]) -> list[str]:
    return [p for p, c in repo["files"].items() if isinstance(c, int) and not isinstance(c, bool)]


# --- whole file --------------------------------------------------------------------------------


def test_snapshot_is_small_enough_to_ship():
    assert SNAPSHOT.stat().st_size < 400_000


def test_snapshot_has_models_and_datasets_only():
    assert set(DATA) == {"models", "datasets"}
    assert len(MODELS) >= 32
    assert len(DATASETS) >= 5


def test_repo_ids_are_unique_and_namespaced():
    for ids in (MODEL_IDS, DATASET_IDS):
        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(r"[\w.-]+/[\w.-]+", i) for i in ids), ids


def test_demo_models_are_not_the_dev_models():
    if not DEV_FIXTURE.exists():
        pytest.skip("shared dev fixture not available")
    dev_ids = {m["id"] for m in json.loads(DEV_FIXTURE.read_text(encoding="utf-8"))["models"]}
    assert not dev_ids & set(MODEL_IDS)


# --- per model ---------------------------------------------------------------------------------


@pytest.mark.parametrize("repo", MODELS, ids=MODEL_IDS)
def test_model_has_hub_fields_and_annotations(repo):
    for key, kind in MODEL_FIELDS.items():
        assert isinstance(repo.get(key), kind), f"{key} missing or of the wrong type"
    for key, kind in OPTIONAL_MODEL_FIELDS.items():
        assert key not in repo or isinstance(repo[key], kind), key
    unknown = set(repo) - set(MODEL_FIELDS) - set(OPTIONAL_MODEL_FIELDS)
    assert not unknown, f"unexpected keys {unknown}"
    assert repo["author"] == repo["id"].split("/")[0]
    assert repo["gated"] in (False, "auto", "manual")
    assert not repo["private"] and not repo["disabled"]
    assert repo["downloads"] >= 0 and repo["likes"] >= 0


@pytest.mark.parametrize("repo", MODELS + DATASETS, ids=MODEL_IDS + DATASET_IDS)
def test_timestamps_are_hub_formatted_and_ordered(repo):
    assert TIMESTAMP.match(repo["createdAt"]) and TIMESTAMP.match(repo["lastModified"])
    assert repo["createdAt"] <= repo["lastModified"]  # same format, so string order is time order


@pytest.mark.parametrize("repo", MODELS, ids=MODEL_IDS)
def test_annotations_are_usable(repo):
    assert repo["expected"] and set(repo["expected"]) <= LABELS
    assert len(repo["expected"]) == len(set(repo["expected"]))
    note = repo["note"].strip()
    assert note.endswith(".") and "\n" not in note and len(note) < 400


@pytest.mark.parametrize("repo", MODELS + DATASETS, ids=MODEL_IDS + DATASET_IDS)
def test_files_are_text_or_sizes(repo):
    files = repo["files"]
    assert ".gitattributes" in files and isinstance(files.get("README.md"), str)
    for path, content in files.items():
        assert not path.startswith("/") and ".." not in path.split("/")
        assert isinstance(content, str) or (type(content) is int and content > 0), path
    # Large binaries are sizes, small text is text: no text file over 64 kB.
    assert all(len(c.encode()) < 65_536 for c in files.values() if isinstance(c, str))


@pytest.mark.parametrize("repo", MODELS, ids=MODEL_IDS)
def test_tags_are_unique_strings_with_region(repo):
    tags = repo["tags"]
    assert all(isinstance(t, str) and t for t in tags)
    assert len(tags) == len(set(tags))
    assert any(t.startswith("region:") for t in tags)


@pytest.mark.parametrize("repo", [m for m in MODELS if "cardData" in m], ids=lambda m: m["id"])
def test_readme_front_matter_is_the_card_data(repo):
    has_block, parsed = front_matter(repo["files"]["README.md"])
    assert has_block and isinstance(parsed, dict)
    assert json.loads(json.dumps(parsed)) == repo["cardData"]


@pytest.mark.parametrize("repo", [m for m in MODELS if "cardData" in m], ids=lambda m: m["id"])
def test_tags_agree_with_card_data(repo):
    card, tags = repo["cardData"], repo["tags"]
    assert tag_values(tags, "license:") == as_list(card.get("license"))
    assert tag_values(tags, "dataset:") == as_list(card.get("datasets"))
    bases = as_list(card.get("base_model"))
    plain = [v for v in tag_values(tags, "base_model:") if v.split(":", 1)[0] not in RELATIONS]
    assert plain == bases
    assert sorted(b for _, b in base_model_relations(tags)) == sorted(bases)


def test_exactly_one_readme_has_unparseable_front_matter_and_no_card_data():
    broken = [m for m in MODELS if front_matter(m["files"]["README.md"]) == (True, None)]
    assert len(broken) == 1
    repo = broken[0]
    assert "cardData" not in repo
    # Without cardData the Hub computes no license/dataset tags.
    assert not tag_values(repo["tags"], "license:") and not tag_values(repo["tags"], "dataset:")
    assert all("cardData" in m for m in MODELS if m is not repo)


@pytest.mark.parametrize("repo", MODELS, ids=MODEL_IDS)
def test_lineage_relation_matches_files(repo):
    for relation, _base in base_model_relations(repo["tags"]):
        if relation == "adapter":
            assert "adapter_config.json" in repo["files"]
        if relation == "quantized":
            assert any(p.endswith(".gguf") for p in repo["files"])


def test_adapter_and_quantisation_bases_are_in_the_snapshot():
    relations = [(r, b) for m in MODELS for r, b in base_model_relations(m["tags"])]
    for relation, base in relations:
        if relation in {"adapter", "quantized"}:
            assert base in MODEL_IDS, base
    # A fine-tune chain the demo can walk: fine-tune -> base, both present.
    assert any(r == "finetune" and b in MODEL_IDS for r, b in relations)


# --- datasets ----------------------------------------------------------------------------------


@pytest.mark.parametrize("repo", DATASETS, ids=DATASET_IDS)
def test_dataset_has_hub_fields(repo):
    for key, kind in DATASET_FIELDS.items():
        assert isinstance(repo.get(key), kind), key
    assert set(repo) == set(DATASET_FIELDS)
    assert repo["gated"] in (False, "auto", "manual")
    has_block, parsed = front_matter(repo["files"]["README.md"])
    assert has_block and json.loads(json.dumps(parsed)) == repo["cardData"]
    assert tag_values(repo["tags"], "license:") == as_list(repo["cardData"].get("license"))


def test_every_dataset_is_named_by_a_model():
    named: set[str] = set()
    for m in MODELS:
        named.update(as_list(m.get("cardData", {}).get("datasets")))
        named.update(HF_DATASET_LINK.findall(m["files"]["README.md"]))
    assert set(DATASET_IDS) <= named


def test_some_referenced_datasets_are_left_out_on_purpose():
    referenced = {d for m in MODELS for d in as_list(m.get("cardData", {}).get("datasets"))}
    assert referenced - set(DATASET_IDS), "the demo needs a dataset of unknown availability"
    assert referenced & set(DATASET_IDS)


def test_dataset_licences_cover_open_non_commercial_missing_and_gated():
    licences = {lic for d in DATASETS for lic in as_list(d["cardData"].get("license"))}
    assert licences & {"odc-by", "cc-by-4.0", "apache-2.0", "mit"}
    assert any(lic.startswith("cc-by-nc") for lic in licences)
    assert any(not as_list(d["cardData"].get("license")) for d in DATASETS)
    assert any(d["gated"] for d in DATASETS)


# --- coverage of the cases the demo exists to show ----------------------------------------------


def test_every_label_and_washing_both_ways_are_represented():
    assert {label for m in MODELS for label in m["expected"]} == LABELS
    assert {m["washing"] for m in MODELS} == {True, False}


def test_hard_cases_are_present():
    assert any(m["gated"] == "manual" for m in MODELS)
    assert any(m["gated"] == "auto" for m in MODELS)
    assert sum(1 for m in MODELS if not lfs_files(m)) >= 2  # card-only repos
    relations = {r for m in MODELS for r, _ in base_model_relations(m["tags"])}
    assert {"adapter", "quantized", "finetune"} <= relations
    licences = {lic for m in MODELS for lic in as_list(m.get("cardData", {}).get("license"))}
    assert "other" in licences and "unknown" in licences
    assert any(m.get("cardData", {}).get("license_name") for m in MODELS)
    assert any(any(p.upper().startswith("LICENSE") for p in m["files"]) for m in MODELS)
