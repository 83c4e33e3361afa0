"""Every policy boundary pinned with real values: a rule deleted or a threshold moved fails a named test.

Each case is a small model version written as the Hub lists it (card, files, licence files), run through
the same pure functions as the pipeline: extract_model -> label_version. The numbers are written out
(49 and 50 points, weights 0.75 and 1.0), never read from the policy files, so moving a threshold in
policy/*.yaml breaks the test that names it. The last tests check that every gate rule of
policy/rules.yaml and every washing code of policy/washing.yaml has a case here that fires and one that
does not.
"""

from __future__ import annotations

import pytest

import policy
from classify import BaseLabel, label_version
from extract import extract_model
from extract.card import parse_card
from extract.code_repos import read_tree
from extract.data_info import data_information
from extract.types import StoredDataset, StoredVersion
from extract.version_input import VersionInput

# --- building blocks ---------------------------------------------------------------------

SOURCES = "The model was trained on 1.2 trillion tokens drawn from Common Crawl, Wikipedia and arXiv.\n"
FILTERED = "Low-quality pages were filtered out with a quality classifier.\n"
DEDUPED = "Near-duplicate documents were removed with MinHash deduplication.\n"
BREAKDOWN = "A breakdown of the sources is given in the paper's appendix.\n"
SELECTED = "The data was selected for quality.\n"
# data information: named sources 15 + size 10 + collection 10 + filtering 10 + selection 5
CARD_50 = "# M\n\n## Training data\n\n" + SOURCES + FILTERED + SELECTED
# named sources 15 + size 10 + collection 10 + deduplication 8 + a hinted mixture 6
CARD_49 = "# M\n\n## Training data\n\n" + SOURCES + DEDUPED + BREAKDOWN
TRAINING_CODE = "The training code is in this repository (train.py).\n"

OPEN_DATASET = StoredDataset(id="org/corpus", status="ok", card_data={"license": "cc-by-4.0"})
GATED_DATASET = StoredDataset(id="org/corpus", status="ok", gated="manual", card_data={"license": "cc-by-4.0"})

APACHE_TEXT = b"Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n\nTERMS AND CONDITIONS"
LLAMA2_TEXT = b"LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date: July 18, 2023\n"


def version(
    licence: str | None = "apache-2.0",
    card: str = "# M\n\nA model.\n",
    files: tuple[str, ...] = ("model.safetensors", "config.json"),
    *,
    tags: tuple[str, ...] = (),
    datasets: dict[str, StoredDataset] | None = None,
    licence_files: dict[str, bytes] | None = None,
    library: str | None = None,
    **card_data,
) -> StoredVersion:
    meta_card = dict(card_data)
    if licence is not None:
        meta_card["license"] = licence
    if datasets:
        meta_card["datasets"] = sorted(datasets)
    metadata = {
        "cardData": meta_card,
        "tags": list(tags) + ([f"license:{licence}"] if licence else []),
        "siblings": [{"rfilename": p} for p in ("README.md", *files, *(licence_files or {}))],
    }
    if library:
        metadata["library_name"] = library
    return StoredVersion(
        repo_id="acme/m", sha="0" * 40, metadata=metadata, readme=card.encode(), files=licence_files or {},
        datasets=datasets or {},
    )


def open_source(card: str = CARD_50, datasets: dict | None = None, **kw) -> StoredVersion:
    """Everything the code+data-information gate asks for: library, training script, data information."""
    datasets = {"org/corpus": OPEN_DATASET} if datasets is None else datasets
    return version(card=card + TRAINING_CODE, files=("model.safetensors", "config.json", "train.py"),
                   library="transformers", datasets=datasets, **kw)


def labelled(stored: StoredVersion, bases: tuple[BaseLabel, ...] = ()):
    return label_version(extract_model(stored), bases)


def codes(result) -> set[str]:
    return {r.code for r in result.washing_reasons}


# --- the data-information threshold: 49 is not enough, 50 is -------------------------------


def info(card: str, **kw):
    return data_information(VersionInput(card=parse_card(card.encode()), **kw))


def test_data_information_threshold_49_is_insufficient_and_50_sufficient() -> None:
    below = info(CARD_49)
    assert (below.score, below.sufficient) == (49, False)
    at = info(CARD_50)
    assert (at.score, at.sufficient) == (50, True)
    # a declared dataset adds its 5 points (and names a source)
    assert info("# M\n\n## Training data\n\n" + SOURCES + FILTERED, card_data={"datasets": ["org/corpus"]}).score == 50


def test_data_information_without_named_sources_is_never_sufficient() -> None:
    card = (
        "# M\n\n## Training data\n\nThe model was trained on 1.2 trillion tokens that we collected by crawling in 2023.\n"
        + FILTERED + DEDUPED + "Text was normalised and tokenised with a BPE tokenizer.\nWe upsampled high-quality sources.\n"
    )
    ev = info(card)
    assert ev.score == 63 and not ev.sufficient


def test_the_threshold_decides_the_label_s0_at_49_s1_at_50() -> None:
    # no dataset declared, so only data information can carry the gate
    at_49 = labelled(open_source(CARD_49, {}))
    assert (at_49.label, at_49.decision.rule) == ("Open Weights", "S0")
    assert "score 49/100" in at_49.decision.gates[-1].reason
    at_50 = labelled(open_source(CARD_50, {}))
    assert (at_50.label, at_50.decision.rule) == ("Open Source", "D0")
    assert "score 50/100" in at_50.decision.gates[-2].reason


# --- the training-code threshold: signals adding up to 0.75 are not enough, 1.0 is -----------


def test_training_code_threshold_in_a_file_tree() -> None:
    assert read_tree(iter(["src/trainer.py"]), False).training_code is False  # 0.5
    assert read_tree(iter(["scripts/launch_job.sh", "src/trainer.py"]), False).training_code is False  # 0.75
    assert read_tree(iter(["src/trainer.py", "train_config.yaml"]), False).training_code is True  # 1.0
    assert read_tree(iter(["scripts/launch_job.sh", "models/7b.yaml", "src/trainer.py"]), False).training_code is True  # 1.0
    assert read_tree(iter(["train.py"]), False).training_code is True  # an entry point alone
    assert read_tree(iter(["examples/train.py"]), False).training_code is False  # examples never count


# --- each licence family, through the licence gate -----------------------------------------


@pytest.mark.parametrize(
    "licence, family, label, rule",
    [
        ("apache-2.0", "osi-permissive", "Open Weights", "S0"),
        ("cc-by-4.0", "open-data", "Open Weights", "S0"),
        ("gpl-3.0", "osi-copyleft", "Open Weights", "S0"),
        ("openrail", "use-restricted", "Weights Available", "L1"),
        ("cc-by-nd-4.0", "use-restricted", "Weights Available", "L1"),
        ("llama3.1", "vendor-community", "Weights Available", "L1"),
        ("gemma", "vendor-community", "Weights Available", "L1"),
        ("cc-by-nc-4.0", "non-commercial", "Weights Available", "L1"),
        ("other", "unknown", "Weights Available", "L1"),
        (None, "unknown", "Weights Available", "L1"),
        ("wtfpl", "unknown", "Weights Available", "L1"),  # known by name, neither OSI nor open data
    ],
)
def test_each_licence_family_at_the_licence_gate(licence, family, label, rule) -> None:
    result = labelled(version(licence))
    ev = extract_model(version(licence))
    assert ev.licence.family == family
    assert (result.label, result.decision.rule) == (label, rule)
    assert result.decision.open_basis == {"osi-permissive": "osi", "osi-copyleft": "osi", "open-data": "open-data"}.get(family)


def test_a_custom_licence_named_in_license_name_gets_its_family() -> None:
    assert extract_model(version("other", license_name="deepseek-license")).licence.family == "vendor-community"
    assert extract_model(version("other", license_name="qwen-research")).licence.family == "non-commercial"


def test_an_acceptable_use_policy_file_makes_an_open_licence_use_restricted() -> None:
    ev = extract_model(version("apache-2.0", licence_files={"USE_POLICY.md": b"# Acceptable Use Policy\n\nYou agree not to use the model to harm people.\n"}))
    assert ev.licence.family == "use-restricted"


# --- the gates -------------------------------------------------------------------------------


def test_w1_no_weight_files_is_no_weights() -> None:
    assert labelled(version(files=("config.json", "tokenizer.json"))).decision.rule == "W1"
    assert labelled(version(files=("config.json", "tokenizer.json"))).label == "No Weights"
    assert labelled(version(files=("model.gguf",))).label == "Open Weights"


def test_l2_an_undeclared_restricted_family_tag_caps_an_open_licence() -> None:
    capped = labelled(version("mit", tags=("llama-2",)))
    assert (capped.label, capped.decision.rule) == ("Weights Available", "L2")
    scratch = labelled(version("mit", card="# M\n\nThe model was pretrained from scratch on our own data.\n", tags=("llama-2",)))
    assert scratch.label == "Open Weights"


def test_s1_needs_training_code_and_inference_code() -> None:
    assert labelled(open_source()).label == "Open Source and Open Data"
    no_training = version(card=CARD_50, library="transformers", datasets={"org/corpus": OPEN_DATASET})
    result = labelled(no_training)
    assert (result.label, result.decision.rule) == ("Open Weights", "S0")
    assert "released training code" in result.decision.gates[-1].reason


def test_d1_every_declared_dataset_open_and_d0_otherwise() -> None:
    assert labelled(open_source()).decision.rule == "D1"
    gated = labelled(open_source(datasets={"org/corpus": GATED_DATASET}))
    assert (gated.label, gated.decision.rule) == ("Open Source", "D0")
    nc = StoredDataset(id="org/corpus", status="ok", card_data={"license": "cc-by-nc-4.0"})
    assert labelled(open_source(datasets={"org/corpus": nc})).decision.rule == "D0"


def test_b1_a_base_with_a_lower_label_caps_the_model() -> None:
    base = BaseLabel("acme/base", "finetune", "Weights Available", "vendor-community")
    capped = labelled(open_source(base_model="acme/base"), (base,))
    assert (capped.label, capped.decision.rule, capped.decision.capped_by) == ("Weights Available", "B1", "acme/base")
    higher = BaseLabel("acme/base", "finetune", "Open Source and Open Data", "osi-permissive")
    assert labelled(open_source(base_model="acme/base"), (higher,)).label == "Open Source and Open Data"


def test_b2_a_quantised_re_upload_inherits_its_base_label_within_its_licence() -> None:
    base = BaseLabel("acme/base", "quantized", "Open Source and Open Data", "osi-permissive")
    quant = labelled(version(files=("model.Q4_K_M.gguf",), base_model="acme/base"), (base,))
    assert (quant.label, quant.decision.rule) == ("Open Source and Open Data", "B2")
    restricted = labelled(version("llama3.1", files=("model.Q4_K_M.gguf",), base_model="acme/base"), (base,))
    assert (restricted.label, restricted.decision.rule) == ("Weights Available", "L1")


def test_b0_an_unverifiable_base_caps_at_open_weights() -> None:
    gone = BaseLabel("acme/base", "finetune", None, status="missing")
    result = labelled(open_source(base_model="acme/base"), (gone,))
    assert (result.label, result.decision.rule) == ("Open Weights", "B0")
    # below the cap it changes nothing
    assert labelled(version(base_model="acme/base"), (gone,)).decision.rule == "S0"


# --- each washing code, firing and not firing ------------------------------------------------

OPEN_SOURCE_CLAIM = "# M\n\nM is a fully open-source language model.\n"
OPEN_WEIGHTS_CLAIM = "# M\n\nWe release M as an open-weights model.\n"


def test_w_os_fires_below_open_source_and_not_on_open_source() -> None:
    assert "W-OS" in codes(labelled(version(card=OPEN_SOURCE_CLAIM)))  # Open Weights
    assert "W-OS" in codes(labelled(version("llama3.1", card=OPEN_SOURCE_CLAIM)))  # Weights Available
    assert "W-OS" not in codes(labelled(open_source(card=CARD_50 + "M is a fully open-source language model.\n")))
    assert "W-OS" not in codes(labelled(version()))  # no claim


def test_w_ow_fires_on_weights_available_and_not_on_open_weights() -> None:
    assert "W-OW" in codes(labelled(version("llama3.1", card=OPEN_WEIGHTS_CLAIM)))
    assert "W-OW" not in codes(labelled(version("apache-2.0", card=OPEN_WEIGHTS_CLAIM)))


def test_w_launder_fires_for_an_open_licence_on_a_restricted_base_only() -> None:
    restricted = BaseLabel("acme/base", "finetune", "Weights Available", "non-commercial")
    assert "W-LAUNDER" in codes(labelled(version(base_model="acme/base"), (restricted,)))
    # the same base under the same restricted licence the derivative declares: nothing laundered
    assert "W-LAUNDER" not in codes(labelled(version("cc-by-nc-4.0", base_model="acme/base"), (restricted,)))
    open_base = BaseLabel("acme/base", "finetune", "Open Weights", "osi-permissive")
    assert "W-LAUNDER" not in codes(labelled(version(base_model="acme/base"), (open_base,)))
    # an undeclared restricted family named by a tag
    assert "W-LAUNDER" in codes(labelled(version("mit", tags=("llama-2",))))


def test_w_conflict_fires_when_the_licence_file_contradicts_the_declaration() -> None:
    conflict = labelled(version("apache-2.0", licence_files={"LICENSE": LLAMA2_TEXT}))
    assert "W-CONFLICT" in codes(conflict)
    assert conflict.label == "Weights Available"  # the least open of declaration and file governs
    assert "W-CONFLICT" not in codes(labelled(version("apache-2.0", licence_files={"LICENSE": APACHE_TEXT})))
    # a restricted declaration confirmed by its file (stored whatever the declaration says) is no conflict
    assert "W-CONFLICT" not in codes(labelled(version("llama2", licence_files={"LICENSE": LLAMA2_TEXT})))


# --- completeness: every rule and every washing code of the policy has its cases above -------

GATE_TESTS = {
    "W1": test_w1_no_weight_files_is_no_weights,
    "L1": test_each_licence_family_at_the_licence_gate,
    "L2": test_l2_an_undeclared_restricted_family_tag_caps_an_open_licence,
    "S1": test_s1_needs_training_code_and_inference_code,
    "S0": test_the_threshold_decides_the_label_s0_at_49_s1_at_50,
    "D1": test_d1_every_declared_dataset_open_and_d0_otherwise,
    "D0": test_d1_every_declared_dataset_open_and_d0_otherwise,
    "B1": test_b1_a_base_with_a_lower_label_caps_the_model,
    "B2": test_b2_a_quantised_re_upload_inherits_its_base_label_within_its_licence,
    "B0": test_b0_an_unverifiable_base_caps_at_open_weights,
}
WASHING_TESTS = {
    "W-OS": test_w_os_fires_below_open_source_and_not_on_open_source,
    "W-OW": test_w_ow_fires_on_weights_available_and_not_on_open_weights,
    "W-LAUNDER": test_w_launder_fires_for_an_open_licence_on_a_restricted_base_only,
    "W-CONFLICT": test_w_conflict_fires_when_the_licence_file_contradicts_the_declaration,
}


def test_every_rule_of_the_policy_has_a_boundary_test() -> None:
    rules = policy.load("rules")["rules"]
    declared = {r["code"] for r in rules} | {r["failed_code"] for r in rules if "failed_code" in r}
    assert declared == set(GATE_TESTS)


def test_every_washing_code_of_the_policy_has_a_firing_and_a_quiet_case() -> None:
    assert {c["code"] for c in policy.load("washing")["codes"]} == set(WASHING_TESTS)


def test_every_licence_family_has_a_case() -> None:
    from extract.licence_catalog import FAMILY_ORDER

    cases = test_each_licence_family_at_the_licence_gate.pytestmark[0].args[1]
    assert {family for _, family, _, _ in cases} == set(FAMILY_ORDER)
