"""policy/licences.yaml and policy/licence_phrases.yaml: one catalogue, one family order, loud bad edits."""

from __future__ import annotations

import copy
import typing

import pytest
import yaml

import policy
from extract import licence_catalog as cat
from extract import licence_text
from extract.types import LicenceFamily


def data(name: str) -> dict:
    return yaml.safe_load((policy.POLICY_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def test_one_family_order_and_one_set_of_open_families() -> None:
    assert cat.FAMILY_ORDER == tuple(typing.get_args(LicenceFamily))
    assert cat.OPEN_FAMILIES == {"osi-permissive", "open-data", "osi-copyleft"}
    assert cat.least_open(["osi-permissive", "vendor-community", "use-restricted"]) == "vendor-community"
    assert cat.least_open([]) == "unknown"
    # the comparison ranks group equally open families and never rise down the order
    ranks = [cat.OPENNESS_RANK[f] for f in cat.FAMILY_ORDER]
    assert ranks == sorted(ranks, reverse=True)
    assert cat.OPENNESS_RANK["use-restricted"] == cat.OPENNESS_RANK["vendor-community"] > cat.OPENNESS_RANK["non-commercial"]


def test_every_custom_licence_is_defined_once_and_referenced_by_id() -> None:
    # the LICENSE-file phrases name licences of the catalogue, never a second definition of them
    for _, entry, _ in licence_text._PHRASES:
        assert entry == cat.CATALOGUE[entry.key]
    custom = [e for e in cat.CATALOGUE.values() if e.osi_approved is None and e.key not in ("unknown", "other")]
    for e in custom:
        assert e.rationale, e.key  # a hand-chosen family says why
        # a named licence says where its text is; only the generic wordings have no single text
        assert e.url or e.key in ("non-commercial", "community-license"), e.key


def test_osi_flags_come_from_the_spdx_list_never_from_the_file() -> None:
    for item in data("licences")["licences"]:
        assert "osi" not in item and "osi_approved" not in item
    assert cat.HUB_LICENCES["apache-2.0"].osi_approved is True
    assert cat.HUB_LICENCES["cc-by-4.0"].osi_approved is False and cat.HUB_LICENCES["cc-by-4.0"].family == "open-data"
    assert cat.HUB_LICENCES["llama3.1"].osi_approved is None  # no SPDX licence applies


def test_a_pattern_naming_an_unknown_licence_fails_naming_the_entry() -> None:
    bad = data("licences")
    bad["name_patterns"][3]["licence"] = "lama2"
    with pytest.raises(policy.PolicyError, match=r"policy/licences.yaml: name_patterns\[3\].licence: 'lama2' is not a licence id"):
        cat.check_references(bad)
    bad = data("licences")
    bad["links"][0]["licence"] = "apache"
    with pytest.raises(policy.PolicyError, match=r"links\[0\].licence"):
        cat.check_references(bad)


def test_a_family_order_edit_that_contradicts_itself_fails() -> None:
    bad = data("licences")
    bad["families"][5]["rank"] = 9  # non-commercial above the families before it
    with pytest.raises(policy.PolicyError, match=r"families\[5\].rank"):
        cat.check_references(bad)
    bad = data("licences")
    bad["families"].append(copy.deepcopy(bad["families"][0]))
    with pytest.raises(policy.PolicyError):
        policy.validate("licences", bad)  # eight families: the schema allows exactly seven
    bad = data("licences")
    bad["licences"].append(dict(bad["licences"][0]))
    with pytest.raises(policy.PolicyError, match=r"licences\[\d+\].id: 'apache-2.0' is listed twice"):
        cat.check_references(bad)


def test_a_hand_chosen_family_needs_a_rationale_and_a_url() -> None:
    bad = data("licences")
    index = next(i for i, item in enumerate(bad["licences"]) if item["id"] == "llama3.1")
    del bad["licences"][index]["rationale"]
    with pytest.raises(policy.PolicyError, match=rf"policy/licences.yaml: licences\[{index}\]"):
        policy.validate("licences", bad)


def test_a_phrase_that_could_never_match_a_normalised_text_fails() -> None:
    bad = data("licence_phrases")
    bad["phrases"][0]["phrases"] = ["Llama 4 Community License"]  # capitals never occur in a normalised text
    with pytest.raises(policy.PolicyError, match=r"policy/licence_phrases.yaml: phrases\[0\].phrases\[0\]"):
        policy.validate("licence_phrases", bad)
    bad = data("licence_phrases")
    bad["phrases"][2]["licence"] = "llama-3"
    with pytest.raises(policy.PolicyError, match=r"policy/licence_phrases.yaml: phrases\[2\].licence: 'llama-3' is not a licence id"):
        licence_text.check_references(bad)


def test_a_broken_regular_expression_fails_at_load_time() -> None:
    bad = data("licences")
    bad["name_patterns"][0]["pattern"] = "llama-?(4"
    with pytest.raises(policy.PolicyError, match=r"name_patterns\[0\].pattern"):
        policy.validate("licences", bad)


def test_no_product_module_types_a_list_of_licence_families_again() -> None:
    """The families and their order live in policy/licences.yaml; code reads them from extract.licence_catalog."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    families = set(cat.FAMILY_ORDER)
    found = []
    for package in ("crawler", "extract", "classify", "store", "reports", "hubscan", "benchmarks"):
        for path in (root / package).rglob("*.py"):
            if path.name == "types.py" and package == "extract":
                continue  # the LicenceFamily Literal, kept equal to the policy by the test above
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
                    items = node.keys if isinstance(node, ast.Dict) else node.elts
                    names = {i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)}
                    if len(names & families) >= 2:
                        found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
