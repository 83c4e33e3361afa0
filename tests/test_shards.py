"""Issue #7: `hubscan crawl --shard K/N` workers sharing one database do the work of one, once."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backends import BACKENDS, db_url, fresh_database, postgres_server, sql_rows  # noqa: F401 (fixtures)
from crawler.shard import Shard
from hubscan.cli import main
from replayhub.state import HubState

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "hf_shardWorkerToken000000000000"


def content(url: str) -> dict[str, list[tuple]]:
    q = lambda sql: sql_rows(url, sql)  # noqa: E731
    return {
        "models": q("SELECT repo_id, sha, status, gated FROM models ORDER BY 1"),
        "versions": q("SELECT repo_id, sha, readme_status, readme FROM model_versions ORDER BY 1, 2"),
        "files": q(
            "SELECT v.repo_id, f.path, f.status, f.content FROM version_files f JOIN model_versions v ON v.id = f.version_id ORDER BY 1, 2"
        ),
        "datasets": q("SELECT dataset_id, sha, status FROM datasets ORDER BY 1"),
        "labels": q(
            "SELECT v.repo_id, l.label, l.rule, l.open_washing FROM labels l JOIN model_versions v ON v.id = l.version_id ORDER BY 1"
        ),
    }


TOKENS = {TOKEN: {"user": "crawler", "gated": ["*"]}}


def one_worker(backend, tmp_path, request, replay_hub, dev_hub_data):
    """What a single unsharded crawl of the dev hub stores, and the hub it crawled."""
    (tmp_path / "single").mkdir()
    with fresh_database(backend, tmp_path / "single", request) as single:
        hub = replay_hub(HubState.from_fixture(dev_hub_data), tokens=TOKENS)
        assert main(["crawl", "--endpoint", hub.url, "--db", single]) == 0
        return content(single), hub


def test_shard_spec_and_ownership_partition_the_ids():
    ids = [f"org{i % 7}/model-{i}" for i in range(1000)]
    shards = [Shard.parse(f"{k}/3") for k in range(3)]
    owners = [[s for s in shards if s.owns(i)] for i in ids]
    assert all(len(o) == 1 for o in owners)
    assert min(collections.Counter(o[0].index for o in owners).values()) > 250  # roughly even
    for bad in ("3/3", "-1/2", "1", "a/b", "1/0"):
        with pytest.raises(ValueError):
            Shard.parse(bad)


def test_two_shard_workers_store_what_one_worker_stores_fetching_each_readme_once(
    db_url, request, tmp_path, dev_hub_data, replay_hub, monkeypatch
):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    expected, single_hub = one_worker(request.node.callspec.params["db_url"], tmp_path, request, replay_hub, dev_hub_data)

    hub = replay_hub(HubState.from_fixture(dev_hub_data), tokens=TOKENS)
    from store.db import open_engine

    open_engine(db_url).dispose()  # migrate once before the workers race
    env = {**os.environ, "HF_TOKEN": TOKEN, "HUBSCAN_RETRY_BASE_SECONDS": "0.01"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "hubscan", "crawl", "--endpoint", hub.url, "--db", db_url, "--shard", f"{k}/2"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for k in range(2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err

    assert content(db_url) == expected
    readme_gets = collections.Counter(r.path for r in hub.requests if r.kind == "models.resolve" and r.path.endswith("/README.md"))
    assert readme_gets and max(readme_gets.values()) == 1
    assert sum(readme_gets.values()) == sum(
        1 for r in single_hub.requests if r.kind == "models.resolve" and r.path.endswith("/README.md")
    )
    runs = sql_rows(db_url, "SELECT status, mode FROM runs ORDER BY id")
    assert runs == [("ok", "full"), ("ok", "full")]


def test_a_worker_starting_after_another_shard_finished_still_sweeps_its_own_share_in_full(
    db_url, request, tmp_path, dev_hub_data, replay_hub, monkeypatch
):
    # Regression (CI, PostgreSQL): the second worker took the first worker's finished full sweep and its
    # high-water mark for its own, walked incrementally, stopped at once and stored almost nothing.
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    expected, _ = one_worker(request.node.callspec.params["db_url"], tmp_path, request, replay_hub, dev_hub_data)

    hub = replay_hub(HubState.from_fixture(dev_hub_data), tokens=TOKENS)
    for k in range(2):  # one after the other: the worst case of the race
        assert main(["crawl", "--endpoint", hub.url, "--db", db_url, "--shard", f"{k}/2"]) == 0
    assert sql_rows(db_url, "SELECT status, mode, full_sweep FROM runs ORDER BY id") == [("ok", "full", True)] * 2
    assert content(db_url) == expected

    # the next night each worker goes incremental on its own mark and finds nothing new
    for k in range(2):
        assert main(["crawl", "--endpoint", hub.url, "--db", db_url, "--shard", f"{k}/2"]) == 0
    assert [m for (m,) in sql_rows(db_url, "SELECT mode FROM runs ORDER BY id")] == ["full", "full", "incremental", "incremental"]
    assert content(db_url) == expected
