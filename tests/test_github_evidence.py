"""Issue #11: linked GitHub repositories as evidence, end to end on the Hub and GitHub loopbacks.

`hubscan crawl` with the real huggingface_hub client (replay hub) and the real httpx GitHub client
(loopback GitHub): which repositories are asked about, what the labels become, what `explain` says,
what a second run costs, and that the token is never stored or logged.
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3

import pytest

from backends import db_url, postgres_server, sql_rows  # noqa: F401 (fixtures)
from github_fixtures import TOKEN, github_data
from hubscan.cli import main
from replayhub.github import ReplayGitHub
from replayhub.state import HubState

DATA_SECTION = """## Training data

The model was pre-trained on 1.5T tokens drawn from Common Crawl (70%), The Stack (20%) and Wikipedia (10%).
The web text was collected from twelve Common Crawl snapshots (2019-2023), filtered with a fastText quality
classifier, deduplicated with MinHash and tokenised with a byte-level BPE tokenizer.
"""


def card(licence: str, body: str) -> str:
    return f"---\nlicense: {licence}\nlibrary_name: transformers\n---\n\n# Model\n\nA decoder-only language model.\n\n{body}\n"


def model(repo_id: str, licence: str, body: str, datasets: list[str] | None = None) -> dict:
    card_data = {"license": licence, "library_name": "transformers"}
    tags = ["transformers", "safetensors", "text-generation", f"license:{licence}"]
    if datasets:
        card_data["datasets"] = datasets
        tags += [f"dataset:{d}" for d in datasets]
    readme = card(licence, body)
    if datasets:
        readme = readme.replace("library_name: transformers\n", "library_name: transformers\ndatasets:\n" + "".join(f"- {d}\n" for d in datasets))
    return {
        "id": repo_id, "author": repo_id.split("/")[0], "private": False, "disabled": False, "gated": False,
        "downloads": 100, "likes": 1, "tags": tags, "pipeline_tag": "text-generation", "library_name": "transformers",
        "cardData": card_data,
        "files": {"README.md": readme, "config.json": "{}\n", "model.safetensors": 500_000_000},
    }


WEB_CORPUS_CARD = """---
license: cc-by-nc-4.0
size_categories:
- 100M<n<1B
---

# Acme web corpus

## Dataset Creation

### Source data

The corpus was collected from Common Crawl snapshots (2021-2023), Reddit and Wikipedia, 200B tokens in total.

### Processing

Pages were filtered for language and quality with a fastText classifier, near-duplicates were removed with
MinHash, personal information was redacted, and the text was normalised and tokenised.
"""


def hub_data() -> dict:
    open_resources = "## Open resources\n\n- Code: {url}\n- Paper: https://arxiv.org/abs/2401.00001\n"
    return {
        "models": [
            model("acme/open-lm", "apache-2.0", DATA_SECTION + "\n" + open_resources.format(url="https://github.com/acme/forge")),
            model("acme/twin-lm", "apache-2.0", DATA_SECTION + "\n" + open_resources.format(url="https://github.com/acme/forge")),
            model("acme/custom-lm", "apache-2.0", DATA_SECTION + "\n" + open_resources.format(url="https://github.com/acme/odd-trainer")),
            model("acme/no-train-lm", "apache-2.0", DATA_SECTION + "\n" + open_resources.format(url="https://github.com/acme/inference-only")),
            model("acme/data-card-lm", "apache-2.0",
                  "## Training\n\nFine-tuned on [acme/web-corpus](https://huggingface.co/datasets/acme/web-corpus).\n"
                  "The training code is at https://github.com/acme/old-name.\n", datasets=["acme/web-corpus"]),
            model("acme/llama-ft", "llama3", DATA_SECTION + "\n" + open_resources.format(url="https://github.com/acme/attic")),
        ],
        "datasets": [{
            "id": "acme/web-corpus", "author": "acme", "private": False, "disabled": False, "gated": False,
            "tags": ["license:cc-by-nc-4.0", "size_categories:100M<n<1B"],
            "cardData": {"license": "cc-by-nc-4.0", "size_categories": ["100M<n<1B"]},
            "files": {"README.md": WEB_CORPUS_CARD, "data/part-0.parquet": 1_000_000},
        }],
    }


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("HUBSCAN_RETRY_ATTEMPTS", "3")


@pytest.fixture
def github(monkeypatch):
    with ReplayGitHub(github_data()) as server:
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("HUBSCAN_GITHUB_API", server.url)
        yield server


def crawl(hub, db, capsys) -> str:
    capsys.readouterr()
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"]) == 0
    return capsys.readouterr().out


def labels(db) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT m.repo_id, l.label, l.rule FROM models m JOIN labels l ON l.version_id = m.current_version_id")}


def explain(db, repo_id, capsys) -> str:
    capsys.readouterr()
    assert main(["explain", repo_id, "--db", str(db)]) == 0
    return capsys.readouterr().out


def repo_requests(server) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in server.requests:
        if r.kind == "repo":
            counts[r.path] = counts.get(r.path, 0) + 1
    return counts


def test_linked_training_repositories_decide_by_tree_and_licence(tmp_path, replay_hub, github, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    hub = replay_hub(HubState.from_fixture(hub_data()))
    db = tmp_path / "hub.db"
    out = crawl(hub, db, capsys)

    got = labels(db)
    assert got["acme/open-lm"] == ("Open Source", "D0")  # "Code:" under Open resources + a tree with training code
    assert got["acme/twin-lm"] == ("Open Source", "D0")
    assert got["acme/custom-lm"] == ("Open Weights", "S0")  # the training code's licence is NOASSERTION
    assert got["acme/no-train-lm"] == ("Open Weights", "S0")  # the linked tree holds no training code
    assert got["acme/data-card-lm"] == ("Open Source", "D0")  # the dataset card supplies the data information
    assert got["acme/llama-ft"][0] == "Weights Available"

    # each repository asked once per run, and only for versions that could rise above Open Weights
    assert repo_requests(github) == {"/repos/acme/forge": 1, "/repos/acme/odd-trainer": 1,
                                     "/repos/acme/inference-only": 1, "/repos/acme/old-name": 1, "/repositories/1002": 1}
    assert github.count(status=301) == 1
    assert "GitHub: 4 linked repositories checked" in out
    with sqlite3.connect(db) as conn:
        calls, not_modified = conn.execute("SELECT github_calls, github_not_modified FROM runs").fetchone()
        renamed = conn.execute("SELECT status, full_name FROM code_repos WHERE name = 'acme/old-name'").fetchone()
        dump = "\n".join(conn.iterdump())
    assert (calls, not_modified) == (len(github.requests), 0)
    assert renamed == ("renamed", "acme/new-name")
    # the token is used (every request carried one) but never stored or logged
    assert all(r.token_present for r in github.requests)
    assert TOKEN not in dump and TOKEN not in caplog.text and TOKEN not in out

    text = explain(db, "acme/open-lm", capsys)
    assert "code licences: inference Apache-2.0 (transformers); training Apache-2.0 (acme/forge, by its tree)" in text
    assert "github acme/forge (repository): acme/forge; licence Apache-2.0; training code: scripts/train.py" in text
    text = explain(db, "acme/custom-lm", capsys)
    assert "training code under an open licence (its licence: NOASSERTION, acme/odd-trainer)" in text
    assert "licence NOASSERTION (not open)" in text
    text = explain(db, "acme/no-train-lm", capsys)
    assert "missing: released training code" in text and "no training code in its tree" in text
    text = explain(db, "acme/data-card-lm", capsys)
    assert "github acme/old-name (training): acme/new-name (renamed)" in text
    data_lines = text[text.index("data information"):]
    assert "dataset card acme/web-corpus:" in data_lines and "collection 10" in data_lines.split("dataset card acme/web-corpus:")[1]
    text = explain(db, "acme/llama-ft", capsys)
    assert "not checked: the label cannot rise above Open Weights" in text

    records = {}
    capsys.readouterr()
    assert main(["export", "--db", str(db)]) == 0
    for line in capsys.readouterr().out.splitlines():
        record = json.loads(line)
        records[record["repo_id"]] = record
    assert records["acme/open-lm"]["training_code_licence"] == "Apache-2.0"
    assert records["acme/open-lm"]["inference_code_licence"] == "Apache-2.0"
    assert records["acme/open-lm"]["code_repos"] == ["acme/forge"]
    assert records["acme/custom-lm"]["training_code_licence"] == "NOASSERTION"
    assert records["acme/data-card-lm"]["code_repos"] == ["acme/new-name"]
    with sqlite3.connect(db) as conn:
        view = dict(conn.execute("SELECT repo_id, training_code_licence FROM latest_labels").fetchall())
    assert view["acme/open-lm"] == "Apache-2.0" and view["acme/custom-lm"] == "NOASSERTION"


def test_a_second_run_rechecks_only_when_due_and_a_304_costs_no_quota(tmp_path, replay_hub, github, capsys, monkeypatch):
    hub = replay_hub(HubState.from_fixture(hub_data()))
    db = tmp_path / "hub.db"
    crawl(hub, db, capsys)
    assert hub.count(kind="datasets.resolve") == 1  # the declared dataset's card: one resolver call
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT readme_status FROM dataset_versions").fetchall() == [("ok",)]
    github.reset_counts()
    hub.reset_counts()

    out = crawl(hub, db, capsys)  # nothing is due within the refresh period
    assert github.requests == [] and "GitHub: 0 linked repositories checked" in out
    assert hub.count(kind="datasets.resolve") == 0  # an unchanged dataset's card is not fetched again
    assert "evidence extracted for 0 versions" in out

    monkeypatch.setenv("HUBSCAN_GITHUB_REFRESH_DAYS", "0")  # everything is due: re-checked with the stored ETags
    out = crawl(hub, db, capsys)
    assert github.requests and all(r.status == 304 for r in github.requests)
    assert github.count(counted=True) == 0  # no quota spent
    assert sum(1 for r in github.requests if r.kind == "repo") == 4  # once each (the renamed one by its new name)
    assert "0 changed" in out and "evidence extracted for 0 versions" in out
    with sqlite3.connect(db) as conn:
        calls, not_modified = conn.execute("SELECT github_calls, github_not_modified FROM runs ORDER BY id DESC").fetchone()
        digests = dict(conn.execute("SELECT v.repo_id, e.inputs_digest FROM evidence e JOIN model_versions v ON v.id = e.version_id"))
    assert calls == not_modified == len(github.requests)

    # a repository that changes re-extracts exactly the versions that link it
    github.state.update("acme/odd-trainer", license={"key": "mit", "name": "MIT License", "spdx_id": "MIT"})
    github.reset_counts()
    out = crawl(hub, db, capsys)
    assert "1 changed" in out and "evidence extracted for 1 versions" in out
    with sqlite3.connect(db) as conn:
        after = dict(conn.execute("SELECT v.repo_id, e.inputs_digest FROM evidence e JOIN model_versions v ON v.id = e.version_id"))
    assert {repo for repo in after if after[repo] != digests[repo]} == {"acme/custom-lm"}
    assert labels(db)["acme/custom-lm"] == ("Open Source", "D0")


def test_without_network_the_crawl_degrades_to_card_only_evidence(tmp_path, replay_hub, capsys, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("HUBSCAN_GITHUB_API", f"http://127.0.0.1:{sock.getsockname()[1]}")
        hub = replay_hub(HubState.from_fixture(hub_data()))
        db = tmp_path / "hub.db"
        out = crawl(hub, db, capsys)
    assert "stopped: GitHub API unreachable" in out
    got = labels(db)
    # card-only: a bare "Code:" link is not training code by the card's wording
    assert got["acme/open-lm"] == ("Open Weights", "S0")
    text = explain(db, "acme/open-lm", capsys)
    assert "github acme/forge (repository): GitHub not checked (no network/token) - card-only evidence" in text
    with sqlite3.connect(db) as conn:
        problems = conn.execute("SELECT repo_type, stage, code FROM problems WHERE stage = 'github'").fetchall()
        rows = conn.execute("SELECT COUNT(*) FROM code_repos").fetchone()[0]
        dump = "\n".join(conn.iterdump())
    assert problems == [("github", "github", "github-unreachable")] and rows == 0
    assert TOKEN not in dump and TOKEN not in out


def test_without_a_token_github_is_not_asked(tmp_path, replay_hub, capsys, monkeypatch):
    with ReplayGitHub(github_data()) as server:
        monkeypatch.setenv("HUBSCAN_GITHUB_API", server.url)  # but no GITHUB_TOKEN
        hub = replay_hub(HubState.from_fixture(hub_data()))
        out = crawl(hub, tmp_path / "hub.db", capsys)
        assert server.requests == []
    assert "GitHub:" not in out
    assert labels(tmp_path / "hub.db")["acme/open-lm"] == ("Open Weights", "S0")


def test_a_spent_quota_stops_the_stage_and_records_it(tmp_path, replay_hub, github, capsys, monkeypatch):
    monkeypatch.setenv("HUBSCAN_GITHUB_MAX_WAIT_SECONDS", "1")
    github.set_quota(5, window_seconds=3600)  # enough for one repository and a bit
    hub = replay_hub(HubState.from_fixture(hub_data()))
    db = tmp_path / "hub.db"
    out = crawl(hub, db, capsys)
    assert "stopped:" in out and "quota spent" in out
    with sqlite3.connect(db) as conn:
        statuses = dict(conn.execute("SELECT name, status FROM code_repos").fetchall())
        problems = [r[0] for r in conn.execute("SELECT code FROM problems WHERE stage = 'github'")]
    assert "rate-limited" in statuses.values() and problems == ["github-rate-limited"]
    assert github.count(status=403) <= 1
    limited = next(name for name, status in statuses.items() if status == "rate-limited")
    linking = {"acme/odd-trainer": "acme/custom-lm", "acme/inference-only": "acme/no-train-lm", "acme/old-name": "acme/data-card-lm",
               "acme/forge": "acme/open-lm"}[limited]
    assert "GitHub check failed (rate-limited) - card-only evidence" in explain(db, linking, capsys)


def test_the_demo_checks_its_bundled_github_snapshot_when_there_is_one(tmp_path, monkeypatch, capsys):
    from hubscan import demo

    snapshot = tmp_path / "demo_github.json"
    olmo = {"full_name": "allenai/OLMo", "id": 7, "license": {"key": "apache-2.0", "name": "Apache License 2.0", "spdx_id": "Apache-2.0"},
            "tree": {"scripts/train.py": 9000, "configs/official/OLMo-7B.yaml": 3000, "olmo/model.py": 60000}}
    snapshot.write_text(json.dumps({"repos": [olmo]}))
    monkeypatch.setattr(demo, "DEMO_GITHUB", snapshot)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)  # a user's token is never sent to the demo's loopback
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    assert "GitHub:" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "hubscan-demo.db") as conn:
        olmo_row = conn.execute("SELECT status, licence_spdx FROM code_repos WHERE name = 'allenai/olmo'").fetchone()
        calls = conn.execute("SELECT SUM(github_calls) FROM runs").fetchone()[0]
        dump = "\n".join(conn.iterdump())
    assert olmo_row == ("ok", "Apache-2.0") and calls > 0 and TOKEN not in dump
    text = explain(tmp_path / "hubscan-demo.db", "allenai/OLMo-7B", capsys)
    assert "training Apache-2.0 (allenai/OLMo, by its tree)" in text


def test_status_shows_the_github_calls_of_each_run(tmp_path, replay_hub, github, capsys):
    hub = replay_hub(HubState.from_fixture(hub_data()))
    db = tmp_path / "hub.db"
    crawl(hub, db, capsys)
    assert main(["status", "--db", str(db)]) == 0
    header, row = capsys.readouterr().out.splitlines()[:2]
    assert header.split()[-2:] == ["github", "304s"]
    assert row.split()[-2:] == [str(len(github.requests)), "0"]


def test_the_github_stage_on_both_backends(db_url, replay_hub, github, capsys, monkeypatch):
    hub = replay_hub(HubState.from_fixture(hub_data()))
    capsys.readouterr()
    assert main(["crawl", "--endpoint", hub.url, "--db", db_url, "--mode", "full"]) == 0
    got = dict(sql_rows(db_url, "SELECT m.repo_id, l.label FROM models m JOIN labels l ON l.version_id = m.current_version_id"))
    assert (got["acme/open-lm"], got["acme/custom-lm"], got["acme/llama-ft"]) == (
        "Open Source", "Open Weights", "Weights Available")
    assert dict(sql_rows(db_url, "SELECT name, status FROM code_repos")) == {
        "acme/forge": "ok", "acme/odd-trainer": "ok", "acme/inference-only": "ok", "acme/old-name": "renamed"}
    monkeypatch.setenv("HUBSCAN_GITHUB_REFRESH_DAYS", "0")
    github.reset_counts()
    assert main(["crawl", "--endpoint", hub.url, "--db", db_url, "--mode", "full"]) == 0
    assert github.requests and github.count(counted=True) == 0
    calls, not_modified = sql_rows(db_url, "SELECT github_calls, github_not_modified FROM runs ORDER BY id DESC")[0]
    assert calls == not_modified == len(github.requests)


def test_a_bound_on_repositories_per_run_leaves_the_rest_for_the_next_run(tmp_path, replay_hub, github, capsys, monkeypatch):
    monkeypatch.setenv("HUBSCAN_GITHUB_MAX_REPOS", "2")
    hub = replay_hub(HubState.from_fixture(hub_data()))
    db = tmp_path / "hub.db"
    out = crawl(hub, db, capsys)
    assert "GitHub: 2 linked repositories checked" in out and "bound of 2 repositories per run reached" in out
    out = crawl(hub, db, capsys)
    assert "GitHub: 2 linked repositories checked" in out
    assert sum(1 for r in github.requests if r.kind == "repo" and r.status == 200) == 4  # each once over the two runs
    assert labels(db)["acme/open-lm"] == ("Open Source", "D0")
