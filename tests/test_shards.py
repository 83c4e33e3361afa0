"""Issue #7: `hubscan crawl --shard K/N` workers sharing one database do the work of one, once."""

from __future__ import annotations

import collections
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.shard import Shard
from hubscan.cli import main
from replayhub.state import HubState

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_shardWorkerToken000000000000"


def content(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        q = conn.execute
        return {
            "models": q("SELECT repo_id, sha, status, gated FROM models ORDER BY 1").fetchall(),
            "versions": q("SELECT repo_id, sha, metadata, readme_status, readme FROM model_versions ORDER BY 1, 2").fetchall(),
            "files": q(
                "SELECT v.repo_id, f.path, f.status, f.content FROM version_files f JOIN model_versions v ON v.id = f.version_id ORDER BY 1, 2"
            ).fetchall(),
            "datasets": q("SELECT dataset_id, sha, status FROM datasets ORDER BY 1").fetchall(),
            "labels": q(
                "SELECT v.repo_id, l.label, l.rule, l.open_washing FROM labels l JOIN model_versions v ON v.id = l.version_id ORDER BY 1"
            ).fetchall(),
        }


def test_shard_spec_and_ownership_partition_the_ids():
    ids = [f"org{i % 7}/model-{i}" for i in range(1000)]
    shards = [Shard.parse(f"{k}/3") for k in range(3)]
    owners = [[s for s in shards if s.owns(i)] for i in ids]
    assert all(len(o) == 1 for o in owners)
    assert min(collections.Counter(o[0].index for o in owners).values()) > 250  # roughly even
    for bad in ("3/3", "-1/2", "1", "a/b", "1/0"):
        with pytest.raises(ValueError):
            Shard.parse(bad)


def test_two_shard_workers_store_what_one_worker_stores_fetching_each_readme_once(tmp_path, dev_hub_data, replay_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    tokens = {TOKEN: {"user": "crawler", "gated": ["*"]}}
    single_hub = replay_hub(HubState.from_fixture(dev_hub_data), tokens=tokens)
    single = tmp_path / "single.db"
    assert main(["crawl", "--endpoint", single_hub.url, "--db", str(single)]) == 0

    hub = replay_hub(HubState.from_fixture(dev_hub_data), tokens=tokens)
    shared = tmp_path / "shared.db"
    assert main(["status", "--db", str(shared)]) == 0  # migrate once before the workers race
    env = {**os.environ, "HF_TOKEN": TOKEN, "HUBSCAN_RETRY_BASE_SECONDS": "0.01"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "hubscan", "crawl", "--endpoint", hub.url, "--db", str(shared), "--shard", f"{k}/2"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for k in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err

    assert content(shared) == content(single)
    readme_gets = collections.Counter(r.path for r in hub.requests if r.kind == "models.resolve" and r.path.endswith("/README.md"))
    assert readme_gets and max(readme_gets.values()) == 1
    assert sum(readme_gets.values()) == sum(
        1 for r in single_hub.requests if r.kind == "models.resolve" and r.path.endswith("/README.md")
    )
    with sqlite3.connect(shared) as conn:
        runs = conn.execute("SELECT status, params FROM runs ORDER BY id").fetchall()
    assert [r[0] for r in runs] == ["ok", "ok"] and all('"shard"' in r[1] for r in runs)
