"""Issue #13: listing items are checked and coerced to the schema's types, every coercion reported.

Pure tests of crawler/validate.py, extract/bounds.py, extract/declarations.py and store/redact.py;
each bound is pinned on both sides so a moved threshold breaks a test.
"""

from __future__ import annotations

import pytest

from crawler.validate import MAX_COUNT, MAX_ID_CHARS, check_item, check_page
from extract.bounds import MAX_DEPTH, MAX_TAGS, scrub, shape
from extract.declarations import declaration_problems
from extract.datasets import MAX_DATASETS
from extract.lineage import MAX_BASES
from extract.version_input import VersionInput
from store.records import MAX_LINKED_DATASETS, linked_dataset_ids
from store.redact import redact, split_credentials, strip_credentials


def codes(problems) -> set[str]:
    return {p.code for p in problems}


def nested(levels: int) -> dict:
    root: dict = {}
    node = root
    for _ in range(levels - 1):
        node["x"] = {}
        node = node["x"]
    return root


def test_a_well_formed_item_passes_unchanged_and_in_order():
    item = {"_id": "6500", "id": "org/model", "author": "org", "sha": "a" * 40, "lastModified": "2026-01-02T03:04:05.000Z",
            "private": False, "gated": "auto", "downloads": 12, "likes": 3, "tags": ["mit", "dataset:org/ds"],
            "cardData": {"license": "mit"}, "siblings": [{"rfilename": "README.md"}]}
    checked, problems = check_item(item)
    assert problems == []
    assert checked == item and list(checked) == list(item)


@pytest.mark.parametrize("value, stored", [(MAX_COUNT, MAX_COUNT), (MAX_COUNT + 1, None), (0, 0), (-1, None), (10**30, None),
                                           ("lots", None), (True, None), (7.0, 7), (7.5, None)])
def test_counts_fit_a_32_bit_column_or_become_null(value, stored):
    checked, problems = check_item({"id": "org/m", "downloads": value})
    assert checked["downloads"] == stored
    assert ("bad-downloads" in codes(problems)) == (stored is None)
    assert all(p.volatile for p in problems if p.code == "bad-downloads")  # recorded in every run that sees it


def test_ids_that_no_key_holds_are_skipped_and_ids_the_client_refuses_are_kept():
    assert check_item({"id": "o/" + "x" * (MAX_ID_CHARS - 2)})[0] is not None
    for bad in ({"id": "o/" + "x" * (MAX_ID_CHARS - 1)}, {"id": 5}, {"id": ["a"]}, {"id": "  "}, {"id": "a/b\x00"}):
        item, problems = check_item(bad)
        assert item is None and codes(problems) == {"bad-id"}
    item, problems = check_item({"id": "org/bad..name"})
    assert item["id"] == "org/bad..name" and codes(problems) == {"bad-repo-id"}
    page = check_page([{"id": "a/b"}, "not an object", {"id": 3}], dropped=2)
    assert [i["id"] for i in page.items] == ["a/b"]
    assert sorted(p.code for p in page.problems) == ["bad-id", "bad-item", "bad-item"]


def test_card_data_is_bounded_in_depth_and_must_be_a_mapping():
    ok, problems = check_item({"id": "o/m", "cardData": nested(MAX_DEPTH)})
    assert "cardData" in ok and problems == []
    too_deep, problems = check_item({"id": "o/m", "cardData": nested(MAX_DEPTH + 1)})
    assert "cardData" not in too_deep and codes(problems) == {"carddata-oversize"}
    deep_500, problems = check_item({"id": "o/m", "cardData": nested(500)})
    assert "cardData" not in deep_500 and codes(problems) == {"carddata-oversize"}
    listed, problems = check_item({"id": "o/m", "cardData": ["license", "mit"]})
    assert "cardData" not in listed and codes(problems) == {"bad-carddata"}


def test_tags_are_capped_and_non_text_tags_dropped():
    kept, problems = check_item({"id": "o/m", "tags": [f"t{i}" for i in range(MAX_TAGS)]})
    assert len(kept["tags"]) == MAX_TAGS and problems == []
    cut, problems = check_item({"id": "o/m", "tags": [f"t{i}" for i in range(200_000)]})
    assert len(cut["tags"]) == MAX_TAGS and codes(problems) == {"tags-capped"}
    mixed, problems = check_item({"id": "o/m", "tags": [1, {"a": 1}, "ok"]})
    assert mixed["tags"] == ["ok"] and codes(problems) == {"bad-tags"}
    text, problems = check_item({"id": "o/m", "tags": "text-generation"})
    assert text["tags"] == [] and codes(problems) == {"bad-tags"}


def test_fields_of_the_wrong_type_are_dropped_or_read_safely():
    item, problems = check_item({
        "id": "o/m", "sha": "not-a-sha", "lastModified": "yesterday", "createdAt": 1234567, "pipeline_tag": {"t": 1},
        "private": "maybe", "disabled": "false", "gated": "yes", "siblings": "README.md",
    })
    assert codes(problems) == {"bad-sha", "bad-lastmodified", "bad-createdat", "bad-pipeline_tag", "bad-private", "bad-gated", "bad-siblings"}
    assert "sha" not in item and "lastModified" not in item and "pipeline_tag" not in item and "siblings" not in item
    assert item["private"] is True  # unreadable: kept out of every export
    assert item["disabled"] is False and item["gated"] == "manual"


def test_strings_are_made_storable_and_nan_is_not_json():
    item, _ = check_item({"id": "o/m", "library_name": "tf\udfff", "cardData": {"name": "a\ud800b", "score": float("nan")}})
    assert item["library_name"] == "tf?" and item["cardData"] == {"name": "a?b", "score": None}
    item["library_name"].encode("utf-8")


def test_shape_walks_without_recursion():
    deep = nested(50_000)
    measured = shape(deep)
    assert measured.over and measured.depth == MAX_DEPTH + 1
    assert scrub({"a": [1, {"b": "c\ud800"}]}) == {"a": [1, {"b": "c?"}]}


def test_linked_datasets_survive_any_shape_and_are_capped():
    assert linked_dataset_ids({"cardData": {"datasets": 7}, "tags": None}) == []
    assert linked_dataset_ids({"cardData": {"datasets": {"a": 1}}, "tags": "dataset:x"}) == []
    ids = linked_dataset_ids({"cardData": {"datasets": [f"o/d{i}" for i in range(500)]}, "tags": [f"dataset:t/{i}" for i in range(500)]})
    assert len(ids) == MAX_LINKED_DATASETS and ids[0] == "o/d0"


def test_malformed_and_capped_declarations_are_problems():
    assert codes(declaration_problems(VersionInput(card_data={"license": 7, "datasets": 7, "base_model": {"id": "x"}}))) == {"bad-licence", "bad-datasets", "bad-base-model"}
    assert codes(declaration_problems(VersionInput(card_data={"license": {"name": "mit"}}))) == {"bad-licence"}
    assert codes(declaration_problems(VersionInput(card_data={"license": [1, 2]}))) == {"bad-licence"}
    assert declaration_problems(VersionInput(card_data={"license": ["mit", "apache-2.0"], "datasets": "o/d", "base_model": ["a/b"]})) == []
    at_cap = {"datasets": [f"o/d{i}" for i in range(MAX_DATASETS)], "base_model": [f"b/m{i}" for i in range(MAX_BASES)]}
    assert declaration_problems(VersionInput(card_data=at_cap)) == []
    over = {"datasets": at_cap["datasets"], "base_model": at_cap["base_model"]}
    tags = ["dataset:extra/one", "base_model:finetune:extra/base"]
    assert codes(declaration_problems(VersionInput(card_data=over, tags=tags))) == {"datasets-capped", "bases-capped"}


def test_credentials_are_split_off_and_redacted():
    assert split_credentials("http://user:s3cret@mirror.example:8080/hub/?token=abc") == ("http://mirror.example:8080/hub", ("user", "s3cret"))
    assert split_credentials("https://huggingface.co") == ("https://huggingface.co", None)
    assert strip_credentials("http://u:p@h/api/models?cursor=xyz&token=abc") == "http://h/api/models?cursor=xyz"
    text = redact("404 for url: http://u:s3cret@h/x?access_token=hf_abcdefghijkl&a=1 using hf_abcdefghijklmnop")
    assert "s3cret" not in text and "hf_abcdefghijkl" not in text and "a=1" in text
