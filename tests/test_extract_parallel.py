"""Extraction on a process pool gives the same evidence, in the same order, as in-process extraction."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from hubscan import extract_guard, pipeline
from hubscan.cli import main
from hubscan.errors import UsageError
from replayhub.synthetic import synthetic_state
from store import schema as s
from store.db import open_engine

ROOT = Path(__file__).resolve().parents[1]


def evidence(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(s.evidence).order_by(s.evidence.c.version_id))]


def test_pool_extraction_equals_in_process_extraction(tmp_path, replay_hub, monkeypatch):
    hub = replay_hub(synthetic_state(260, seed=5))
    db = tmp_path / "hub.db"
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--no-analyse"]) == 0
    engine = open_engine(str(db))

    assert pipeline.extract_all(engine, jobs=1) > pipeline.MIN_PARALLEL
    serial = evidence(engine)

    pools = []

    class CountedPool(extract_guard.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(extract_guard, "ProcessPoolExecutor", CountedPool)
    with engine.begin() as conn:
        conn.execute(delete(s.evidence))
    assert pipeline.extract_all(engine, jobs=2) == len(serial)
    assert len(pools) == 1  # one pool for the whole run, not one per batch
    parallel = evidence(engine)
    drop_time = lambda rows: [tuple(v for k, v in zip(s.evidence.c.keys(), r) if k != "extracted_at") for r in rows]  # noqa: E731
    assert drop_time(parallel) == drop_time(serial)


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_a_bad_job_count_is_refused_with_a_clear_message(monkeypatch, value):
    monkeypatch.setenv("HUBSCAN_EXTRACT_JOBS", value)
    with pytest.raises(UsageError, match="HUBSCAN_EXTRACT_JOBS"):
        pipeline.extract_jobs()


@pytest.mark.parametrize("command, variable, message", [
    ("extract", "HUBSCAN_EXTRACT_JOBS", "HUBSCAN_EXTRACT_JOBS must be a whole number >= 1, got 'many'"),
    ("crawl", "HUBSCAN_EXTRACT_JOBS", "HUBSCAN_EXTRACT_JOBS must be a whole number >= 1, got 'many'"),
    ("crawl", "HUBSCAN_INTERIM_ANALYSIS_SECONDS", "HUBSCAN_INTERIM_ANALYSIS_SECONDS must be a number of seconds, got 'many'"),
])
def test_a_bad_setting_ends_a_command_with_one_line_and_exit_2_before_any_work(tmp_path, monkeypatch, capsys, command, variable, message):
    monkeypatch.setenv(variable, "many")
    db = tmp_path / "hub.db"
    # the crawl's endpoint is never reached: the setting is checked before the database or the Hub
    args = ["crawl", "--endpoint", "http://127.0.0.1:9", "--db", str(db)] if command == "crawl" else ["extract", "--db", str(db)]
    if command == "extract":
        open_engine(str(db)).dispose()  # an empty database to extract from
    assert main(args) == 2
    assert capsys.readouterr().err == f"hubscan: {message}\n"
    if command == "crawl":
        assert not db.exists()


def test_job_count_from_the_environment_or_the_cpus(monkeypatch):
    monkeypatch.setenv("HUBSCAN_EXTRACT_JOBS", "3")
    assert pipeline.extract_jobs() == 3
    monkeypatch.delenv("HUBSCAN_EXTRACT_JOBS")
    assert 1 <= pipeline.extract_jobs() <= 4


OWNER = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from hubscan.pipeline import _exit_with
pool = ProcessPoolExecutor(2, mp_context=get_context("forkserver"), initializer=_exit_with, initargs=(os.getpid(),))
assert sorted(pool.map(abs, [-1, -2, -3])) == [1, 2, 3]  # the workers are up
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except (FileNotFoundError, ProcessLookupError):  # gone between the open and the read
        return False


def test_pool_workers_exit_when_the_crawl_that_owns_them_is_killed():
    owner = subprocess.Popen([sys.executable, "-c", OWNER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert len(workers) == 2 and all(_running(pid) for pid in workers)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 15
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_running(pid) for pid in workers), "pool workers outlived the killed process"
    finally:
        owner.kill()
