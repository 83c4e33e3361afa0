"""`hubscan demo`: four weekly crawls of the bundled snapshot, no network, no token.

The snapshot's models keep the labels demo_hub.json expects; the invented acme-ai models follow the
story of demo_history.json week by week (each week's `expect`), and the weekly report of the last
week shows every kind of change: a new flag, a cleared flag, a tightened licence and a label that
changed through a base model. The demo's loopback GitHub serves replayhub/data/demo_github.json (real
snapshots of the repositories the cards link as code), so the GitHub stage decides training code by
the repositories' trees and licences.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from backends import fresh_database, postgres_server  # noqa: F401 (fixture, looked up by fresh_database)
from hubscan.cli import main
from replayhub import github as replay_github
from replayhub.github_state import REPO_FIELDS, GitHubState
from replayhub.history import load_history

DATA = Path(__file__).resolve().parents[1] / "replayhub" / "data"
SNAPSHOT = json.loads((DATA / "demo_hub.json").read_text())
GITHUB_FILE = DATA / "demo_github.json"
GITHUB = json.loads(GITHUB_FILE.read_text())
WEEKS = load_history()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """(directory, printed output, the requests the demo's loopback GitHub answered)."""
    where = tmp_path_factory.mktemp("demo")
    started: list[replay_github.ReplayGitHub] = []

    class RecordedGitHub(replay_github.ReplayGitHub):  # the real loopback; only remembers itself
        def start(self):
            started.append(self)
            return super().start()

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(where)
        mp.setattr(replay_github, "ReplayGitHub", RecordedGitHub)
        import io
        from contextlib import redirect_stdout

        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["demo"]) == 0
    return where, out.getvalue(), [r for github in started for r in github.requests]


def latest_labels(db: Path) -> dict[str, tuple[str, bool]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT m.repo_id, l.label, l.open_washing FROM models m JOIN labels l ON l.version_id = m.current_version_id"
        ).fetchall()
    return {repo: (label, bool(flag)) for repo, label, flag in rows}


def test_history_has_what_the_weekly_report_needs():
    dates = [w.date for w in WEEKS]
    assert len(dates) >= 4 and dates == sorted(dates)
    assert len({w.iso_week for w in WEEKS}) == len(WEEKS)  # one crawl a week


def test_the_snapshot_models_keep_their_expected_labels(demo_run):
    where, out, _ = demo_run
    stored = latest_labels(where / "hubscan-demo.db")
    listed = [m for m in SNAPSHOT["models"] if not m.get("private")]
    assert len(listed) >= 30
    wrong = {
        m["id"]: stored.get(m["id"])
        for m in listed
        if stored.get(m["id"]) is None or stored[m["id"]][0] not in m["expected"] or stored[m["id"]][1] != m["washing"]
    }
    assert wrong == {}
    for model in listed:
        assert model["id"][:51] in out


def test_each_week_labels_the_story_as_written(demo_run):
    where, _, _ = demo_run
    with sqlite3.connect(where / "hubscan-demo.db") as conn:
        runs = conn.execute("SELECT id, substr(started_at, 1, 10), status FROM runs ORDER BY id").fetchall()
        assert [(day, status) for _, day, status in runs] == [(w.date.isoformat(), "ok") for w in WEEKS]
        for (run_id, _, _), week in zip(runs, WEEKS):
            seen = {
                repo: (label, bool(flag))
                for repo, label, flag in conn.execute("SELECT repo_id, label, open_washing FROM label_history WHERE run_id = ?", (run_id,))
            }
            for repo, expected in week.expect.items():
                assert seen.get(repo) == expected, (week.date, repo)


def test_the_last_weekly_report_shows_every_kind_of_change(demo_run):
    where, out, _ = demo_run
    reports = where / "hubscan-demo-reports"
    last = WEEKS[-1].iso_week
    html = reports / f"washing-{last}.html"
    assert str(html) in out and next(reports.glob("trends-*.html")).exists()
    with open(reports / f"washing-{last}-changes.csv", newline="") as f:
        import csv

        changes = list(csv.DictReader(f))
    kinds = {(row["kind"], row["repo_id"]) for row in changes}
    assert ("new flag", "acme-ai/Acme-7B-Chat") in kinds
    assert ("cleared flag", "acme-ai/Acme-1B") in kinds
    assert ("licence change", "acme-ai/Acme-7B") in kinds
    # the fine-tune's own repo did not change: its label moved through its base
    assert ("label change", "acme-ai/Acme-7B-Chat") in kinds
    tightened = [r for r in changes if r["kind"] == "licence change"]
    assert [r["direction"] for r in tightened] == ["tighter"]
    # the glossary of washing codes (policy/washing.yaml), and no table fragment quoted as a claim
    from classify.washing import glossary

    page = html.read_text()
    assert 'id="glossary"' in page and all(c["code"] in page and c["title"] in page for c in glossary())
    assert "Benchmark | Kimi" not in page


def test_demo_accepts_every_db_form_and_replaces_its_database(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--db", "sqlite:///x.db"]) == 0
    assert (tmp_path / "x.db").is_file() and not (tmp_path / "sqlite:").exists()
    assert main(["demo", "--db", "x.db"]) == 0  # the same file, replaced: not appended to
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == len(WEEKS)
    capsys.readouterr()


def test_the_demo_process_makes_no_request_beyond_loopback(tmp_path):
    """As a user runs it: no HF_ENDPOINT, no HF_HUB_DISABLE_TELEMETRY, a fresh HF_HOME (no cached files)."""
    import os
    import subprocess
    import sys

    import netguard

    env = {k: v for k, v in os.environ.items() if k not in ("HF_ENDPOINT", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_OFFLINE")}
    env["HF_HOME"] = str(tmp_path / "hf-home")
    before = netguard.blocked_in_subprocesses()
    done = subprocess.run(
        [sys.executable, "-m", "hubscan", "demo", "--db", str(tmp_path / "demo.db")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert netguard.blocked_in_subprocesses()[len(before):] == ""


def test_demo_writes_into_an_empty_server_database_and_never_into_a_used_one(tmp_path, monkeypatch, capsys, request):
    monkeypatch.chdir(tmp_path)
    with fresh_database("postgresql", tmp_path, request) as url:
        assert main(["demo", "--db", url]) == 0
        assert (tmp_path / "hubscan-demo-reports").is_dir()
        assert main(["query", "SELECT COUNT(*) AS runs FROM runs", "--db", url, "--format", "csv"]) == 0
        assert capsys.readouterr().out.endswith(f"runs\n{len(WEEKS)}\n")
        assert main(["demo", "--db", url]) == 2  # it holds crawls now: the demo never drops what it did not create
        assert "already has crawls" in capsys.readouterr().err


# --- the demo's loopback GitHub (replayhub/data/demo_github.json) ----------------------------------


def explain(db: Path, repo: str, capsys) -> str:
    capsys.readouterr()
    assert main(["explain", repo, "--db", str(db)]) == 0
    return capsys.readouterr().out


def test_the_bundled_github_snapshot_is_in_the_judged_format_and_small_enough_to_ship():
    assert GITHUB_FILE.stat().st_size < 700_000
    state = GitHubState.from_fixture(GITHUB)  # refuses unknown fields, bad trees or licences
    repos = GITHUB["repos"]
    assert len(state.names()) == len(repos) and len({r["id"] for r in repos}) == len(repos)
    for repo in repos:
        assert set(repo) <= REPO_FIELDS | {"_provenance"} and repo["_provenance"], repo["full_name"]
        assert 0 < len(repo["tree"]) <= 3000 and not repo["truncated"]
        assert "LICENSE" in repo["tree"] or any(p.startswith("LICENSE") for p in repo["tree"]) or repo["license"] is None
        assert set(repo["files"]) == {"README.md"} and len(repo["files"]["README.md"].encode()) < 8192


def test_the_github_snapshot_holds_every_repository_the_cards_link_as_code(demo_run):
    where, _, _ = demo_run
    with sqlite3.connect(where / "hubscan-demo.db") as conn:
        linked = {name for (name,) in conn.execute("SELECT DISTINCT repo_name FROM version_code_repos")}
    held = {r["full_name"].lower() for r in GITHUB["repos"]}
    assert len(linked) >= 15
    assert linked - held == set()  # none would be reported as missing (404) ...
    assert held - linked == set()  # ... and the file holds nothing the cards do not link as code


def test_the_github_stage_checks_the_linked_repositories_through_the_loopback(demo_run):
    where, out, requests = demo_run
    with sqlite3.connect(where / "hubscan-demo.db") as conn:
        checked = {row[0]: row[1:] for row in conn.execute(
            "SELECT name, status, full_name, licence_spdx, tree_entries, default_branch FROM code_repos")}
        calls = conn.execute("SELECT SUM(github_calls) FROM runs").fetchone()[0]
    by_name = {r["full_name"].lower(): r for r in GITHUB["repos"]}
    assert len(checked) >= 12
    for name, (status, full_name, spdx, entries, branch) in checked.items():
        repo = by_name[name]
        assert (status, full_name, spdx, entries, branch) == (
            "ok", repo["full_name"], repo["license"]["spdx_id"], len(repo["tree"]), repo["default_branch"])
    # each checked repository's metadata and recursive tree came from the loopback, with the demo's token
    asked = {(r.kind, "/".join(r.path.split("/")[2:4]).lower()) for r in requests if r.status == 200}
    assert all(("repo", name) in asked and ("tree", name) in asked for name in checked)
    assert requests and all(r.token_present for r in requests) and calls == len(requests)
    assert "GitHub: " in out and "linked repositories checked" in out
    # a repository linked only from models whose label cannot rise above Open Weights is not asked for
    assert "deepseek-ai/deepseek-llm" in by_name and "deepseek-ai/deepseek-llm" not in checked
    assert all("deepseek-llm" not in r.path.lower() for r in requests)


def test_explain_shows_the_training_code_licence_from_the_repository_tree(demo_run, capsys):
    where, _, _ = demo_run
    db = where / "hubscan-demo.db"
    k2 = explain(db, "LLM360/K2", capsys)
    assert "training Apache-2.0 (LLM360/k2-train, by its tree)" in k2
    assert "github llm360/k2-train (training): LLM360/k2-train; licence Apache-2.0; training code:" in k2
    assert "scripts/pretrain_65b.sh" in k2 and "GitHub not checked" not in k2
    olmo = explain(db, "allenai/OLMo-7B", capsys)
    assert "training Apache-2.0 (allenai/OLMo, by its tree)" in olmo and "card-only evidence" not in olmo
    deepseek = explain(db, "deepseek-ai/deepseek-llm-7b-base", capsys)
    assert "github deepseek-ai/deepseek-llm (repository): not checked: the label cannot rise above Open Weights" in deepseek
