"""Issue #2: `hubscan crawl` end to end, with the real huggingface_hub client over loopback HTTP."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hubscan.cli import main
from replayhub import FaultPlan
from replayhub.state import HubState
from store.blobs import unpack

ROOT = Path(__file__).resolve().parents[1]


def crawl(hub, db: Path, *extra: str) -> int:
    """A full sweep unless the test asks otherwise (auto mode would make the second crawl incremental)."""
    mode = [] if "--mode" in extra else ["--mode", "full"]
    return main(["crawl", "--endpoint", hub.url, "--db", str(db), *mode, *extra])


def rows(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def dump(db: Path, table: str) -> list[tuple]:
    return rows(db, f"SELECT * FROM {table} ORDER BY 1, 2")


def public_models(data: dict) -> list[dict]:
    return [m for m in data["models"] if not m.get("private")]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("HUBSCAN_RETRY_ATTEMPTS", "3")


def test_crawl_stores_every_model_with_its_card_files_and_datasets(tmp_path, dev_hub_data, replay_hub, capsys):
    state = HubState.from_fixture(dev_hub_data)
    hub = replay_hub(state)
    db = tmp_path / "hub.db"

    assert crawl(hub, db) == 0
    out = capsys.readouterr().out
    assert "problems" in out

    stored = {r[0]: r for r in rows(db, "SELECT m.repo_id, m.sha, m.gated, v.metadata, v.readme_status, v.readme FROM models m JOIN model_versions v ON v.id = m.current_version_id")}
    for model in public_models(dev_hub_data):
        repo_id = model["id"]
        assert repo_id in stored, repo_id
        _, sha, gated, metadata, readme_status, readme = stored[repo_id]
        assert sha == state.get(repo_id).sha
        meta = json.loads(metadata)
        assert meta.get("cardData", {}).get("license") == model["cardData"].get("license")
        assert sorted(s["rfilename"] for s in meta["siblings"]) == sorted(model["files"])
        assert [t for t in meta["tags"] if t.startswith("license:")] == [t for t in model["tags"] if t.startswith("license:")]
        if model["gated"]:
            # metadata is public, the files are not: recorded, not fatal
            assert gated == model["gated"] and readme_status == "gated" and readme is None
        else:
            assert readme_status == "ok"
            assert unpack(readme).decode() == model["files"]["README.md"]
    # the private (removed) repo is not listed anonymously, so it was never stored
    private = [m["id"] for m in dev_hub_data["models"] if m.get("private")]
    assert private and not set(private) & set(stored)

    licence_files = dict(rows(db, "SELECT v.repo_id || ':' || f.path, f.status FROM version_files f JOIN model_versions v ON v.id = f.version_id"))
    assert licence_files["microsoft/Phi-3.5-mini-instruct:LICENSE"] == "ok"
    assert licence_files["Qwen/Qwen2.5-0.5B:LICENSE"] == "ok"
    # the crawler stores what the Hub offers whatever the declared licence: a RAIL model's LICENSE too,
    # so a later rule (or W-CONFLICT) can read it
    assert licence_files["stabilityai/stable-diffusion-xl-base-1.0:LICENSE.md"] == "ok"
    # a gated model's files are not readable without access: recorded as gated, not asked for again
    # once its README was refused
    assert {k: v for k, v in licence_files.items() if k.startswith("meta-llama/Llama-3.2-1B:")} == {
        "meta-llama/Llama-3.2-1B:LICENSE.txt": "gated", "meta-llama/Llama-3.2-1B:USE_POLICY.md": "gated"}
    resolved = [r.path for r in hub.requests if r.kind == "models.resolve" and "/meta-llama/Llama-3.2-1B/" in r.path]
    assert resolved and all(p.endswith("/README.md") for p in resolved)

    datasets = {r[0]: r[1:] for r in rows(db, "SELECT d.dataset_id, d.status, v.metadata FROM datasets d LEFT JOIN dataset_versions v ON v.id = d.current_version_id")}
    for dataset in dev_hub_data["datasets"]:
        status, metadata = datasets[dataset["id"]]
        assert status == "ok"
        assert json.loads(metadata)["cardData"]["license"] == dataset["cardData"]["license"]
    assert datasets["bookcorpus"][0] == "missing"  # named by a card, not on this hub
    assert datasets["embedding-data/altlex"][0] == "missing"
    # datasets came from the dataset listing; dataset_info was asked only about ids the complete listing
    # did not show (renamed datasets redirect), each once
    asked = [r.path.split("/api/datasets/", 1)[1] for r in hub.requests if r.kind == "datasets.info"]
    listed = {d["id"] for d in dev_hub_data["datasets"]}
    assert asked and not listed & set(asked) and len(asked) == len(set(asked))
    assert hub.count("datasets.list") == 1
    # once the Hub said they are missing, a second full sweep asks nothing about them again
    hub.reset_counts()
    assert crawl(hub, db) == 0
    assert hub.count("datasets.info") == 0


def test_a_renamed_dataset_is_followed_once_before_it_is_called_missing(tmp_path, dev_hub_data, replay_hub):
    state = HubState.from_fixture(dev_hub_data)
    old_id = "old-owner/Renamed-Set"
    state.add_repo({"id": "new-owner/renamed-set", "cardData": {"license": "cc-by-4.0"}, "aliases": [old_id],
                    "files": {"README.md": "---\nlicense: cc-by-4.0\n---\n# data\n"}}, repo_type="dataset")
    state.add_repo({"id": "me/uses-old-name", "cardData": {"license": "mit", "datasets": [old_id]},
                    "files": {"README.md": f"---\nlicense: mit\ndatasets:\n- {old_id}\n---\n# m\n", "model.safetensors": 10}})
    hub = replay_hub(state)
    db = tmp_path / "hub.db"
    assert crawl(hub, db) == 0
    (status, licence), = rows(db, "SELECT d.status, json_extract(v.metadata, '$.cardData.license') FROM datasets d "
                                  "JOIN dataset_versions v ON v.id = d.current_version_id WHERE d.dataset_id = ?", old_id)
    assert (status, licence) == ("ok", "cc-by-4.0")


def test_second_crawl_of_unchanged_hub_downloads_nothing_and_changes_no_row(tmp_path, dev_hub_data, replay_hub):
    state = HubState.from_fixture(dev_hub_data)
    hub = replay_hub(state)
    db = tmp_path / "hub.db"
    assert crawl(hub, db) == 0
    before = {t: dump(db, t) for t in ("models", "model_versions", "version_files", "evidence", "labels")}
    hub.reset_counts()

    assert crawl(hub, db) == 0
    assert hub.count("models.resolve") == 0
    assert hub.count("models.info") == 0
    assert hub.count("models.list") == 1
    for table, content in before.items():
        # evidence/labels include timestamps: unchanged rows prove the re-run was a no-op
        assert dump(db, table) == content, table
    assert rows(db, "SELECT COUNT(*) FROM runs")[0][0] == 2
    assert rows(db, "SELECT COUNT(*) FROM observations")[0][0] == 2 * len(public_models(dev_hub_data))

    # one model's card changes: exactly that README is fetched again, and both versions stay readable
    repo_id = "teknium/OpenHermes-2.5-Mistral-7B"
    old_sha = state.get(repo_id).sha
    old_text = next(m for m in dev_hub_data["models"] if m["id"] == repo_id)["files"]["README.md"]
    new_text = old_text + "\n## Update\n\nNew evaluation results.\n"
    state.set_file(repo_id, "README.md", new_text)
    assert state.get(repo_id).sha != old_sha
    hub.reset_counts()

    assert crawl(hub, db) == 0
    fetched = [r.path for r in hub.requests if r.kind == "models.resolve"]
    assert fetched == [f"/{repo_id}/resolve/{state.get(repo_id).sha}/README.md"]
    versions = rows(db, "SELECT sha, readme FROM model_versions WHERE repo_id = ? ORDER BY id", repo_id)
    assert [v[0] for v in versions] == [old_sha, state.get(repo_id).sha]
    assert [unpack(v[1]).decode() for v in versions] == [old_text, new_text]
    assert rows(db, "SELECT sha FROM models WHERE repo_id = ?", repo_id) == [(state.get(repo_id).sha,)]


def test_sweep_costs_one_listing_call_per_thousand_models(tmp_path, replay_hub):
    from replayhub.synthetic import synthetic_state

    state = synthetic_state(2100, seed=7)
    listed = sum(1 for repo_id in state.repo_ids("model") if not state.get(repo_id).private)
    assert 2000 < listed <= 2100
    hub = replay_hub(state)
    db = tmp_path / "hub.db"
    assert crawl(hub, db, "--no-analyse", "--workers", "8") == 0
    assert rows(db, "SELECT COUNT(*) FROM models")[0][0] == listed
    # the first sweep walks twice: most downloaded first, then a completion walk in the default order
    # (crawler/sweep_order.py), each ceil(listed / 1000) pages
    assert hub.count("models.list") == 2 * 3
    assert hub.count("models.info") == 0
    # at most one README per model plus its licence files; never a HEAD
    assert hub.count("models.resolve", method="HEAD") == 0
    readmes = [r.path for r in hub.requests if r.kind == "models.resolve" and r.path.endswith("/README.md")]
    assert len(readmes) <= listed and len(set(readmes)) == len(readmes)
    # every later full sweep: one walk, one listing call per 1,000 models
    hub.reset_counts()
    assert crawl(hub, db, "--no-analyse", "--workers", "8") == 0
    assert hub.count("models.list") == 3  # ceil(listed / 1000)
    assert hub.count("models.resolve") == 0


def test_limit_author_and_search_restrict_the_sweep(tmp_path, dev_hub_data, replay_hub):
    hub = replay_hub(HubState.from_fixture(dev_hub_data))
    db = tmp_path / "hub.db"
    assert crawl(hub, db, "--limit", "3", "--no-analyse") == 0
    assert rows(db, "SELECT COUNT(*) FROM models")[0][0] == 3
    assert crawl(hub, db, "--author", "google", "--no-analyse") == 0
    assert crawl(hub, db, "--search", "Mistral", "--no-analyse") == 0
    seen = [r[0] for r in rows(db, "SELECT repo_id FROM observations WHERE run_id = 2")]
    assert seen and all(r.startswith("google/") for r in seen)
    seen = [r[0] for r in rows(db, "SELECT repo_id FROM observations WHERE run_id = 3")]
    assert seen and all("mistral" in r.lower() for r in seen)
    # partial sweeps never mark the unseen models as disappeared
    assert rows(db, "SELECT COUNT(*) FROM models WHERE status = 'disappeared'")[0][0] == 0


def test_bad_input_is_recorded_on_the_model_and_the_crawl_completes(tmp_path, dev_hub_data, replay_hub, capsys):
    state = HubState.from_fixture(dev_hub_data)
    state.set_file("tiiuae/falcon-7b", "README.md", "---\nlicense: apache-2.0\n  bad: [yaml\n---\n# Falcon\n")
    # the Hub cannot parse that front matter either: its listing has no cardData and no licence tag
    falcon_tags = [t for t in state.get("tiiuae/falcon-7b").fields["tags"] if not t.startswith("license:")]
    state.update("tiiuae/falcon-7b", cardData=None, tags=falcon_tags)
    state.set_file("Qwen/Qwen2.5-0.5B", "README.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    faults = (
        FaultPlan()
        .fail(r"^/microsoft/Phi-3\.5-mini-instruct/resolve/[0-9a-f]+/LICENSE$", 404, error_code="EntryNotFound")
        .fail(r"^/CompVis/stable-diffusion-v1-4/resolve/[0-9a-f]+/README\.md$", 503)
    )
    hub = replay_hub(state, faults=faults)
    db = tmp_path / "hub.db"

    assert crawl(hub, db) == 0
    problems = {(r[0], r[1]) for r in rows(db, "SELECT repo_id, code FROM problems WHERE run_id = 1")}
    assert ("tiiuae/falcon-7b", "yaml-invalid") in problems
    assert ("Qwen/Qwen2.5-0.5B", "binary") in problems
    assert ("microsoft/Phi-3.5-mini-instruct", "http-404") in problems
    assert ("CompVis/stable-diffusion-v1-4", "http-503") in problems
    total = rows(db, "SELECT problems FROM runs WHERE id = 1")[0][0]
    assert total == len(rows(db, "SELECT * FROM problems WHERE run_id = 1")) >= 4
    assert f"{total} problems" in capsys.readouterr().out
    # the explanation names what could not be read, and the label is no longer sure of itself
    assert main(["explain", "tiiuae/falcon-7b", "--db", str(db)]) == 0
    explained = capsys.readouterr().out
    assert "confidence: medium (0.70)" in explained and "front matter could not be read" in explained
    assert "  reading problems:\n    - yaml-invalid: " in explained
    # every model is still stored and labelled
    assert rows(db, "SELECT COUNT(*) FROM labels")[0][0] == len(public_models(dev_hub_data))
    # the failed README is retried by the next crawl, and succeeds once the server recovers
    faults.clear()
    hub.reset_counts()
    assert crawl(hub, db) == 0
    assert [r.path.rsplit("/", 1)[-1] for r in hub.requests if r.kind == "models.resolve"] == ["README.md"]
    assert rows(db, "SELECT readme_status FROM model_versions WHERE repo_id = 'CompVis/stable-diffusion-v1-4'") == [("ok",)]


def test_token_is_never_stored_or_logged(tmp_path, dev_hub_data, replay_hub):
    token = "hf_SECRETtoken1234567890abcdef"
    hub = replay_hub(HubState.from_fixture(dev_hub_data), tokens={token: {"user": "alice", "gated": ["meta-llama/Llama-3.2-1B"]}})
    db = tmp_path / "hub.db"
    env = {**os.environ, "HF_TOKEN": token, "HF_ENDPOINT": hub.url, "HUBSCAN_RETRY_BASE_SECONDS": "0.01"}
    proc = subprocess.run(
        [sys.executable, "-m", "hubscan", "-v", "crawl", "--db", str(db)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the token was used (the approved gated README came through) ...
    assert rows(db, "SELECT readme_status FROM model_versions WHERE repo_id = 'meta-llama/Llama-3.2-1B'") == [("ok",)]
    assert any(r.token_present and r.user == "alice" for r in hub.requests)
    # ... and appears nowhere we write
    assert token not in proc.stdout and token not in proc.stderr
    for path in tmp_path.iterdir():
        assert token.encode() not in path.read_bytes(), path
    assert token not in json.dumps([str(r) for r in hub.requests])


def test_every_help_is_clean(capsys):
    commands = ("crawl", "demo", "status", "extract", "classify", "explain", "export", "query", "report")
    for argv in (["--help"], ["report", "washing", "--help"], ["report", "trends", "--help"], *([c, "--help"] for c in commands)):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: hubscan")
        assert "Traceback" not in out


def test_crawl_failure_exits_non_zero_with_a_clear_message(tmp_path, capsys):
    db = tmp_path / "hub.db"
    code = main(["crawl", "--endpoint", "http://127.0.0.1:9", "--db", str(db)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("hubscan: crawl 1 failed") and "Traceback" not in err
    assert rows(db, "SELECT status FROM runs") == [("failed",)]
