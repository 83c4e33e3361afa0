"""Training and inference code from linked repositories' trees and licences (extract/linked_code.py), pure.

Pins the policy boundaries of policy/training_code.yaml: the threshold, the weights that reach it or
not, what is excluded, which licences count as open for code, and how the card's wording only moves
the confidence.
"""

from __future__ import annotations

import json

import pytest

from classify.rules import own_label
from extract import extract_model
from extract.code_repos import code_licence, github_repo_name, read_tree
from extract.types import StoredCodeRepo, ModelEvidence, StoredVersion

APACHE = ("Apache-2.0", "apache-2.0", "Apache License 2.0")

DATA = """## Training data

Pre-trained on 1.5T tokens drawn from Common Crawl (70%), The Stack (20%) and Wikipedia (10%), collected from
Common Crawl snapshots (2019-2023), filtered with a quality classifier, deduplicated with MinHash and tokenised.
"""


def repo(name: str, paths: list[str], licence=APACHE, status="ok", truncated=False, full_name=None, docs=None) -> StoredCodeRepo:
    spdx, key, lname = licence if licence else (None, None, None)
    return StoredCodeRepo(name=name, status=status, full_name=full_name or name, default_branch="main",
                            licence_spdx=spdx, licence_key=key, licence_name=lname,
                            tree=tuple((p, 100) for p in paths), truncated=truncated, docs=docs or {})


def stored_version(links: str, repos: dict[str, StoredCodeRepo], licence="apache-2.0", files=("model.safetensors", "config.json"),
             library="transformers") -> StoredVersion:
    readme = f"---\nlicense: {licence}\n---\n# M\n\n{DATA}\n## Open resources\n\n{links}\n"
    meta = {"cardData": {"license": licence}, "tags": [f"license:{licence}"], "siblings": [{"rfilename": f} for f in files]}
    if library:
        meta["library_name"] = library
    return StoredVersion(repo_id="acme/m", sha="1" * 40, metadata=meta, readme=readme.encode(), code_repos=repos)


def label(snap: StoredVersion) -> tuple[str, str, ModelEvidence]:
    ev = extract_model(snap)
    name, rule, gates = own_label(ev)
    return name, gates[-1].reason if rule == "S0" else rule, ev


# --- trees -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paths, holds",
    [
        (["train.py"], True),  # an entry point alone: weight 1.0 = threshold
        (["scripts/pretrain_gpt.py"], True),
        (["src/run_clm.py"], True),
        (["training/loop.py"], True),  # a training folder
        (["configs/base.yaml", "data_prep/tokenize.py"], True),  # 0.5 + 0.5 = threshold
        (["trainer.py", "configs/run.yaml"], True),
        (["configs/base.yaml", "slurm/launch_job.sh"], False),  # 0.5 + 0.25 < 1.0
        (["configs/base.yaml"], False),
        (["configs/base.yaml", "llm/tokenizer.py", "download.sh", "prepare_changelog.py"], False),  # not data preparation
        (["configs/base.yaml", "tools/prepare_memmap_dataset.py"], True),
        (["model.py", "generate.py", "README.md"], False),
        (["examples/train.py", "tests/test_train.py", "third_party/foo/train.py"], False),  # examples, tests, vendored
    ],
)
def test_training_code_by_tree_against_the_threshold(paths, holds):
    assert read_tree(paths).training_code is holds


@pytest.mark.parametrize(
    "paths, configs",
    [
        (["models/160M/suite-160m.yml"], True),
        (["t5/models/gin/models/t5.1.1.base.gin"], True),
        (["configs/train/base.yaml"], True),
        (["eval/configs/task.yaml", "evals/models/x.yml", "examples/configs/a.yaml"], False),
        (["model.py", "config.json"], False),
    ],
)
def test_run_configurations_in_a_tree(paths, configs):
    verdict = read_tree(paths)
    assert verdict.run_configs is configs and verdict.training_code is False


def test_a_truncated_tree_without_signals_is_unknown_but_with_signals_holds():
    assert read_tree(["src/a.py"], truncated=True).training_code is None
    assert read_tree(["train.py"], truncated=True).training_code is True


@pytest.mark.parametrize(
    "url, name",
    [
        ("https://github.com/allenai/OLMo", "allenai/olmo"),
        ("https://github.com/allenai/OLMo.git", "allenai/olmo"),
        ("https://www.github.com/allenai/OLMo/tree/main/scripts", "allenai/olmo"),
        ("http://github.com/a/b.", "a/b"),
        ("https://github.com/orgs/allenai/repositories", None),
        ("https://github.com/allenai", None),
        ("https://gist.github.com/a/b", None),
        ("https://gitlab.com/a/b", None),
    ],
)
def test_github_repository_names_from_links(url, name):
    assert github_repo_name(url) == name


@pytest.mark.parametrize(
    "licence, label, is_open",
    [
        (APACHE, "Apache-2.0", True),
        (("GPL-3.0", "gpl-3.0", "GNU General Public License v3.0"), "GPL-3.0", True),
        (("NOASSERTION", "other", "Other"), "NOASSERTION", False),
        (None, "none", False),
        (("CC-BY-4.0", "cc-by-4.0", "Creative Commons Attribution 4.0"), "CC-BY-4.0", False),  # open data, not OSI code
        (("CC-BY-NC-4.0", "cc-by-nc-4.0", "CC BY-NC 4.0"), "CC-BY-NC-4.0", False),
    ],
)
def test_code_licences_are_open_only_when_osi_approved(licence, label, is_open):
    lic = code_licence(repo("a/b", ["train.py"], licence=licence))
    assert (lic.label, lic.open) == (label, is_open)


# --- labels ------------------------------------------------------------------------------------


def test_a_bare_code_link_becomes_open_source_when_the_tree_holds_open_training_code():
    links = "- Code: https://github.com/acme/lm"
    assert label(stored_version(links, {}))[:2] == ("Open Weights", "missing: released training code")  # card only
    name, rule, ev = label(stored_version(links, {"acme/lm": repo("acme/lm", ["scripts/train.py", "lm/model.py"])}))
    assert (name, rule) == ("Open Source", "D0")
    tc = ev.training_code
    assert (tc.released, tc.licence, tc.licence_open, tc.repo, tc.basis) == (True, "Apache-2.0", True, "acme/lm", "repo-tree")
    finding = next(f for f in tc.findings if f.source == "github:acme/lm")
    assert finding.confidence == 0.8  # a bare link: the tree decides, less sure than a link the card calls training code


def test_the_cards_wording_raises_confidence_but_the_tree_decides():
    tree = {"acme/lm": repo("acme/lm", ["train.py"])}
    _, _, ev = label(stored_version("The training code is at https://github.com/acme/lm.", tree))
    assert next(f for f in ev.training_code.findings if f.source == "github:acme/lm").confidence == 0.95
    empty = {"acme/lm": repo("acme/lm", ["lm/model.py", "generate.py"])}
    name, rule, ev = label(stored_version("The training code is at https://github.com/acme/lm.", empty))
    assert (name, rule) == ("Open Weights", "missing: released training code")
    assert any("its tree holds none" in f.reason for f in ev.training_code.findings)


def test_a_non_open_code_licence_keeps_the_model_below_open_source():
    for licence, shown in ((("NOASSERTION", "other", "Other"), "NOASSERTION"), (None, "none")):
        tree = {"acme/lm": repo("acme/lm", ["train.py"], licence=licence)}
        name, reason, ev = label(stored_version("- Code: https://github.com/acme/lm", tree))
        assert name == "Open Weights"
        assert reason == f"missing: training code under an open licence (its licence: {shown}, acme/lm)"
        assert ev.training_code.released and ev.training_code.licence_open is False


def test_open_code_anywhere_wins_over_a_non_open_repository():
    tree = {"acme/lm": repo("acme/lm", ["train.py"], licence=("NOASSERTION", "other", "Other"))}
    snap = stored_version("- Code: https://github.com/acme/lm", tree, files=("model.safetensors", "config.json", "train.py"))
    name, rule, ev = label(snap)
    assert (name, rule) == ("Open Source", "D0")
    assert (ev.training_code.repo, ev.training_code.licence, ev.training_code.basis) == ("model repository", "Apache-2.0", "model-repo")


def test_framework_and_example_links_are_not_this_models_training_code():
    links = ("- Trained with the [GPT-NeoX library](https://github.com/eleuther/gpt-neox)\n"
             "- [Fine-tuning example notebooks](https://github.com/acme/examples)")
    repos = {"eleuther/gpt-neox": repo("eleuther/gpt-neox", ["train.py"]), "acme/examples": repo("acme/examples", ["train.py"])}
    name, _, ev = label(stored_version(links, repos))
    assert name == "Open Weights"
    assert {r.name: r.role for r in ev.code_repos} == {"eleuther/gpt-neox": "framework", "acme/examples": "example"}


def test_missing_and_blocked_repositories_do_not_count():
    for status in ("missing", "blocked"):
        tree = {"acme/lm": StoredCodeRepo(name="acme/lm", status=status)}
        name, _, ev = label(stored_version("The training code is at https://github.com/acme/lm.", tree))
        assert name == "Open Weights" and not ev.training_code.released
        assert any("the training code the card links is not there" in f.reason for f in ev.training_code.findings)


def test_without_a_check_the_card_decides_and_says_so():
    name, rule, ev = label(stored_version("The training code is at https://github.com/acme/lm.", {}))
    assert (name, rule) == ("Open Source", "D0")
    tc = ev.training_code
    assert (tc.basis, tc.licence, tc.licence_open) == ("card", None, None)
    assert any(f.reason.startswith("GitHub not checked (no network/token) - card-only evidence") for f in tc.findings)
    assert [(r.name, r.status) for r in ev.code_repos] == [("acme/lm", "unchecked")]
    failed = {"acme/lm": StoredCodeRepo(name="acme/lm", status="rate-limited")}
    _, _, ev = label(stored_version("The training code is at https://github.com/acme/lm.", failed))
    assert any("GitHub check of acme/lm failed (rate-limited) - card-only evidence" in f.reason for f in ev.training_code.findings)


def test_a_restricted_model_says_its_repositories_were_not_needed():
    _, _, ev = label(stored_version("- Code: https://github.com/acme/lm", {}, licence="llama3"))
    assert [(r.name, r.status) for r in ev.code_repos] == [("acme/lm", "not-needed")]


def test_a_renamed_repository_reports_its_new_name():
    tree = {"acme/old": repo("acme/old", ["train.py"], status="renamed", full_name="acme/new")}
    _, _, ev = label(stored_version("- Code: https://github.com/acme/old", tree))
    assert ev.training_code.repo == "acme/new" and ev.code_repos[0].full_name == "acme/new"


def test_inference_code_licence_from_library_model_repo_or_linked_repository():
    _, _, ev = label(stored_version("", {}))
    assert (ev.inference_code.licence, ev.inference_code.licence_open) == ("Apache-2.0", True)
    _, _, ev = label(stored_version("", {}, files=("model.safetensors", "modeling_m.py"), library=None))
    assert (ev.inference_code.licence, ev.inference_code.repo) == ("Apache-2.0", "model repository")
    inference = {"acme/run": repo("acme/run", ["generate.py"], licence=("NOASSERTION", "other", "Other"))}
    name, reason, ev = label(stored_version("- Inference code: https://github.com/acme/run\n- The training code is at https://github.com/acme/lm.",
                                      inference, files=("model.safetensors",), library=None))
    assert (ev.inference_code.licence, ev.inference_code.licence_open) == ("NOASSERTION", False)
    assert "inference code under an open licence (its licence: NOASSERTION, acme/run)" in reason


def test_evidence_stored_before_code_licences_still_loads():
    ev = extract_model(stored_version("- Code: https://github.com/acme/lm", {"acme/lm": repo("acme/lm", ["train.py"])}))
    old = json.loads(json.dumps(ev.to_dict()))  # as stored: JSON
    old.pop("code_repos")
    for part in ("training_code", "inference_code"):
        for key in ("licence", "licence_open", "repo", "basis"):
            old[part].pop(key, None)
    old["data_information"].pop("points")
    old["data_information"].pop("documents")
    back = ModelEvidence.from_dict(old)
    assert back.code_repos == () and back.training_code.licence_open is None and back.data_information.points == ()
    assert own_label(back)[0] == "Open Source"  # an unknown licence does not block: older evidence keeps its label
    assert ModelEvidence.from_dict(json.loads(json.dumps(ev.to_dict()))) == ev


def test_run_configurations_count_with_the_open_framework_the_card_names():
    suite = {"eleuther/suite": repo("eleuther/suite", ["models/160M/suite-160m.yml", "models/1B/suite-1b.yml", "evals/x.json"])}
    text = "The training code and configs are at https://github.com/eleuther/suite."
    name, _, ev = label(stored_version(text, suite))
    assert name == "Open Weights"  # configurations alone are not the code that trains
    name, rule, ev = label(stored_version(text + " The model was trained with GPT-NeoX.", suite))
    assert (name, rule) == ("Open Source", "D0")
    assert (ev.training_code.repo, ev.training_code.basis) == ("eleuther/suite", "repo-tree")
    assert any("run configurations in the repository tree" in f.reason and "GPT-NeoX" in f.reason for f in ev.training_code.findings)
    # a bare repository link counts too, with less confidence; without the framework it does not
    name, _, ev = label(stored_version("- Code: https://github.com/eleuther/suite\n\nThe model was trained with GPT-NeoX.", suite))
    assert name == "Open Source"
    assert next(f for f in ev.training_code.findings if f.source == "github:eleuther/suite").confidence == 0.6
    assert label(stored_version("- Code: https://github.com/eleuther/suite", suite))[0] == "Open Weights"
    # evaluation configurations are not run configurations
    evals = {"eleuther/suite": repo("eleuther/suite", ["eval/configs/task.yaml", "evals/models/x.yml"])}
    assert label(stored_version(text + " The model was trained with GPT-NeoX.", evals))[0] == "Open Weights"
