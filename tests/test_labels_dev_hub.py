"""Issue #4 on the shared dev hub: crawl -> extract -> classify -> export, through the real client.

The crawler runs with a token that has accepted the gated models' terms (as a production crawler
account would): gated cards are where Gemma and Aya make the claims that open-wash them.
The one removed repository is crawled once while public and again after its removal, as the
nightly crawl would have seen it.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from hubscan.cli import main
from replayhub.state import HubState

TOKEN = "hf_crawlerAccountToken0000000000"
EXPORT_KEYS = {
    "repo_id", "sha", "label", "rule_version", "licence", "licence_raw", "licence_family", "weights",
    "inference_code", "training_code", "datasets", "datasets_open", "data_information", "base_model",
    "open_washing", "washing_reasons", "claims",
}


@pytest.fixture
def crawled(tmp_path, dev_hub_data, replay_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    state = HubState.from_fixture(dev_hub_data)
    removed = [m["id"] for m in dev_hub_data["models"] if m.get("private")]
    for repo_id in removed:  # before its removal the repo was public
        state.update(repo_id, private=False)
    hub = replay_hub(state, tokens={TOKEN: {"user": "crawler", "gated": ["*"]}})
    db = tmp_path / "hub.db"
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db)]) == 0
    for repo_id in removed:
        state.update(repo_id, private=True)
    # the weekly full sweep is the walk that notices a repository is gone
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"]) == 0
    return db


def export(db, capsys, fmt="jsonl") -> str:
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--format", fmt]) == 0
    return capsys.readouterr().out


def test_every_model_gets_an_expected_label_and_every_washer_is_flagged(crawled, dev_hub_data, capsys):
    records = {r["repo_id"]: r for r in map(json.loads, export(crawled, capsys).splitlines())}
    assert set(records) == {m["id"] for m in dev_hub_data["models"]}
    wrong = {
        m["id"]: (records[m["id"]]["label"], m["expected"])
        for m in dev_hub_data["models"]
        if records[m["id"]]["label"] not in m["expected"]
    }
    assert wrong == {}
    washing = {m["id"] for m in dev_hub_data["models"] if m["washing"]}
    flagged = {repo for repo, r in records.items() if r["open_washing"]}
    assert flagged == washing
    for record in records.values():
        assert EXPORT_KEYS <= set(record)
        assert record["open_washing"] == bool(record["washing_reasons"])


def test_export_formats_agree(crawled, capsys):
    jsonl = [json.loads(line) for line in export(crawled, capsys).splitlines()]
    rows = list(csv.DictReader(io.StringIO(export(crawled, capsys, "csv"))))
    assert [r["repo_id"] for r in rows] == [r["repo_id"] for r in jsonl]
    assert [r["label"] for r in rows] == [r["label"] for r in jsonl]
    assert [json.loads(r["datasets"]) for r in rows] == [r["datasets"] for r in jsonl]


def test_reclassify_is_a_no_op_and_explain_shows_the_gates(crawled, capsys):
    capsys.readouterr()
    assert main(["classify", "--db", str(crawled)]) == 0
    assert capsys.readouterr().out.startswith("0 labels written")
    assert main(["extract", "--db", str(crawled)]) == 0
    assert "for 0 versions" in capsys.readouterr().out

    assert main(["explain", "NousResearch/Nous-Hermes-Llama2-13b", "--db", str(crawled)]) == 0
    out = capsys.readouterr().out
    assert "label: Weights Available" in out and "rule L2" in out
    assert "[FAIL] licence" in out and "llama-2" in out
    assert "OPEN-WASHING" in out and "W-LAUNDER" in out

    assert main(["explain", "allenai/OLMoE-1B-7B-0924", "--db", str(crawled)]) == 0
    out = capsys.readouterr().out
    assert "label: Open Source and Open Data" in out
    assert out.count("[PASS]") == 4 and "allenai/OLMoE-mix-0924" in out

    assert main(["explain", "no/such-model", "--db", str(crawled)]) == 2
    assert "no label" in capsys.readouterr().err


def test_removed_repo_is_kept_marked_and_labelled_no_weights(crawled):
    with sqlite3.connect(crawled) as conn:
        status, disappeared_run = conn.execute(
            "SELECT status, disappeared_run FROM models WHERE repo_id = 'runwayml/stable-diffusion-v1-5'"
        ).fetchone()
        label, rule = conn.execute(
            "SELECT l.label, l.rule FROM labels l JOIN models m ON m.current_version_id = l.version_id "
            "WHERE m.repo_id = 'runwayml/stable-diffusion-v1-5'"
        ).fetchone()
    assert (status, disappeared_run) == ("disappeared", 2)
    assert (label, rule) == ("No Weights", "W1")


def test_without_a_token_gated_cards_are_unread_but_licences_still_decide(tmp_path, dev_hub_data, replay_hub, capsys, monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    hub = replay_hub(HubState.from_fixture(dev_hub_data))
    db = tmp_path / "anon.db"
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db)]) == 0
    records = {r["repo_id"]: r for r in map(json.loads, export(db, capsys).splitlines())}
    for model in dev_hub_data["models"]:
        if model["gated"]:
            assert records[model["id"]]["label"] in model["expected"], model["id"]
