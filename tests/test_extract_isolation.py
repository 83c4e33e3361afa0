"""Issue #13: one version's card never takes a batch of extraction down, whichever way it fails.

Before: a card whose cardData nested 500 deep failed while being pickled for the process pool,
and 0 of 695 versions were labelled; `hubscan extract` printed a raw traceback.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import time

import pytest
from sqlalchemy import update

from extract import extract_model
from extract.types import StoredVersion
from hubscan import pipeline
from hubscan.cli import main
from hubscan.extract_guard import GuardedExtractor, bound_version
from replayhub.synthetic import synthetic_state
from store import schema as s
from store.db import open_engine

WEIGHTS = [{"rfilename": "model.safetensors"}, {"rfilename": "README.md"}]


def stored_version(repo_id: str, **meta) -> StoredVersion:
    readme = b"---\nlicense: apache-2.0\n---\n# Model\n\nTrained with the scripts in train.py.\n"
    return StoredVersion(repo_id, "a" * 40, {"siblings": WEIGHTS, "tags": ["transformers"], **meta}, readme, "ok")


def fails_on_broken(snap: StoredVersion):
    """A stand-in for an extractor bug that one card triggers (module level: workers import it)."""
    if "broken" in snap.repo_id:
        raise RuntimeError("parser bug")
    return extract_model(snap)


def dies_on_fatal(snap: StoredVersion):
    """A card that kills the process extracting it (a crash in compiled code)."""
    if "fatal" in snap.repo_id:
        os._exit(3)
    return extract_model(snap)


def deep(levels: int) -> dict:
    root: dict = {}
    node = root
    for _ in range(levels):
        node["x"] = {}
        node = node["x"]
    return root


def test_a_failing_version_gets_metadata_only_evidence_and_the_batch_goes_on():
    snaps = [stored_version("org/ok-1"), stored_version("org/broken"), stored_version("org/ok-2")]
    outcomes = GuardedExtractor(jobs=1, min_parallel=100, extract=fails_on_broken)(snaps)
    (ok1, _), (broken, problems), (ok2, _) = outcomes
    assert ok1 == extract_model(snaps[0]) and ok2 == extract_model(snaps[2])
    assert [p.code for p in problems] == ["extract-failed"] and "RuntimeError: parser bug" in problems[0].message
    assert broken.weights.present and broken.licence.family == "unknown"  # from the listing alone: the card was not read
    assert [p.code for p in broken.problems] == ["extract-failed"]


def test_a_version_that_kills_its_worker_is_found_and_the_others_keep_their_evidence():
    snaps = [stored_version(f"org/m{i}") for i in range(12)]
    snaps.insert(5, stored_version("org/fatal"))
    outcomes = GuardedExtractor(jobs=2, min_parallel=1, extract=dies_on_fatal)(snaps)
    for snap, (evidence, problems) in zip(snaps, outcomes):
        if snap.repo_id == "org/fatal":
            assert [p.code for p in problems] == ["extract-crashed"] and evidence.weights.present
        else:
            assert problems == () and evidence == extract_model(snap)


def with_a_slow_card(others: int, at: int) -> list[StoredVersion]:
    """`others` plain versions and, at `at`, one whose card takes markdown-it-py about 7 s: its
    blockquote rule works in proportion to the square of these lines' count (24 kB of them)."""
    slow = "apache-2.0 \r\n> ---\n[" * 2_000
    snaps = [stored_version(f"org/m{i}") for i in range(others)]
    snaps.insert(at, dataclasses.replace(stored_version("org/slow"), readme=slow.encode()))
    return snaps


def assert_only_the_slow_card_was_lost(snaps, outcomes, code: str) -> None:
    for snap, (evidence, problems) in zip(snaps, outcomes):
        if snap.repo_id == "org/slow":
            assert [p.code for p in problems] == [code] and "more than 1 s of CPU" in problems[0].message
            assert evidence.weights.present and evidence.licence.family == "unknown"  # the listing alone
        else:
            assert problems == () and evidence == extract_model(snap)


def test_on_the_pool_a_card_past_the_budget_loses_only_its_card_and_no_worker_is_ended(monkeypatch):
    isolated: list[list[int]] = []
    real_isolate = GuardedExtractor._isolate

    def spy(self, versions, extras, suspects, outcomes):
        isolated.append(list(suspects))
        return real_isolate(self, versions, extras, suspects, outcomes)

    monkeypatch.setattr(GuardedExtractor, "_isolate", spy)
    snaps = with_a_slow_card(6, at=3)  # far past the 1 s budget set here; the others take milliseconds
    outcomes = GuardedExtractor(jobs=2, min_parallel=1, cpu_budget=1.0)(snaps)
    assert_only_the_slow_card_was_lost(snaps, outcomes, "extract-over-budget")
    # the budget was kept inside the worker: no worker died, so nothing was re-run one by one
    assert isolated == []


def never_gives_up(snap: StoredVersion):
    """Swallows every `OverBudget` (as a bare `except BaseException` in a dependency would)."""
    from hubscan.cpu_budget import OverBudget

    if "stubborn" in snap.repo_id:
        # bounded, so that a missing backstop fails the test (clean evidence) instead of hanging it
        end = time.process_time() + 20.0
        while time.process_time() < end:
            try:
                spin(end - time.process_time())
            except OverBudget:
                pass
    return extract_model(snap)


def test_a_worker_that_never_gives_up_is_ended_at_the_backstop_and_only_its_card_is_lost():
    from hubscan.extract_guard import BACKSTOP_FACTOR

    snaps = [stored_version(f"org/m{i}") for i in range(6)]
    snaps.insert(2, stored_version("org/stubborn"))
    outcomes = GuardedExtractor(jobs=2, min_parallel=1, extract=never_gives_up, cpu_budget=0.5)(snaps)
    for snap, (evidence, problems) in zip(snaps, outcomes):
        if snap.repo_id == "org/stubborn":
            assert [p.code for p in problems] == ["extract-crashed"] and evidence.weights.present
            assert f"more than {0.5 * BACKSTOP_FACTOR:g} s of CPU" in problems[0].message
        else:
            assert problems == () and evidence == extract_model(snap)


def spins_a_little(snap: StoredVersion):
    spin(0.1)
    return extract_model(snap)


def test_the_worker_backstop_that_ends_a_process_is_never_armed_in_this_one():
    from hubscan.extract_guard import _extract_chunk

    # 0.1 s of CPU against a 1 ms budget: armed here, the backstop (2 ms, SIG_DFL) would end this
    # process, as it would end the crawl; the in-process budget raises instead
    (evidence, problems), = _extract_chunk([(stored_version("org/a"), ())], extract=spins_a_little, budget=0.001)
    assert [p.code for p in problems] == ["extract-over-budget"] and evidence.weights.present
    assert signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0) and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


@pytest.mark.parametrize("jobs, min_parallel", [(1, 1), (2, 100)], ids=["one-job", "batch-under-min-parallel"])
def test_in_process_a_card_past_the_budget_loses_only_its_card_and_the_crawl_goes_on(jobs, min_parallel):
    snaps = with_a_slow_card(3, at=1)
    handler = signal.getsignal(signal.SIGPROF)
    outcomes = GuardedExtractor(jobs=jobs, min_parallel=min_parallel, cpu_budget=1.0)(snaps)
    assert_only_the_slow_card_was_lost(snaps, outcomes, "extract-over-budget")
    assert signal.getsignal(signal.SIGPROF) is handler and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


HELD_THROUGH: list[bool] = []


def holds_the_pattern_set(snap: StoredVersion):
    """Spends the budget while holding the shared pattern set's lock, as a compile in progress would."""
    from extract.pattern_scan import SCAN

    with SCAN._lock:
        spin(0.6)
        HELD_THROUGH.append(True)  # not reached if the budget fired inside
    spin(30.0)


def spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_in_process_the_budget_waits_until_the_pattern_set_is_left_whole():
    HELD_THROUGH.clear()
    (evidence, problems), = GuardedExtractor(jobs=1, min_parallel=1, extract=holds_the_pattern_set, cpu_budget=0.2)([stored_version("org/a")])
    assert HELD_THROUGH == [True]
    assert [p.code for p in problems] == ["extract-over-budget"] and evidence.weights.present


def test_a_version_that_cannot_be_pickled_is_extracted_in_process():
    unpicklable = stored_version("org/c")
    object.__setattr__(unpicklable, "files", {"LICENSE": memoryview(b"MIT License")})  # pickle refuses a memoryview
    snaps = [stored_version("org/a"), unpicklable, stored_version("org/b")]
    outcomes = GuardedExtractor(jobs=2, min_parallel=1)(snaps)
    assert outcomes[0][0] == extract_model(snaps[0]) and outcomes[2][0] == extract_model(snaps[2])
    assert outcomes[1][0] is not None and outcomes[1][0].repo_id == "org/c"


def test_metadata_stored_before_the_listing_checks_is_bounded_before_extraction():
    bounded, problems = bound_version(stored_version("org/deep", cardData=deep(500), tags=[f"t{i}" for i in range(5000)]))
    assert "cardData" not in bounded.metadata and len(bounded.metadata["tags"]) == 1000
    assert sorted(p.code for p in problems) == ["carddata-oversize", "tags-capped"]


@pytest.mark.slow
def test_a_batch_with_one_deep_card_is_labelled_on_the_pool_and_extract_records_its_problems(tmp_path, replay_hub, monkeypatch, capsys):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("HUBSCAN_EXTRACT_JOBS", "2")
    hub = replay_hub(synthetic_state(230, seed=4))
    db = tmp_path / "hub.db"
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--no-analyse"]) == 0
    engine = open_engine(str(db))
    with engine.begin() as conn:  # as a crawl before the listing checks stored it
        (vid, meta), = conn.execute(s.model_versions.select().with_only_columns(s.model_versions.c.id, s.model_versions.c.metadata).limit(1)).all()
        conn.execute(update(s.model_versions).where(s.model_versions.c.id == vid).values(metadata={**meta, "cardData": deep(500)}))
    versions = sqlite3.connect(db).execute("SELECT COUNT(*) FROM model_versions WHERE readme_status != 'pending'").fetchone()[0]
    assert versions >= pipeline.MIN_PARALLEL  # a batch big enough for the pool

    capsys.readouterr()
    assert main(["extract", "--db", str(db)]) == 0
    assert f"evidence extracted for {versions} versions" in capsys.readouterr().out
    assert main(["classify", "--db", str(db)]) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == versions
        # a standalone extract records what it found, on the newest run, and the run's count follows
        problems = conn.execute("SELECT run_id, code FROM problems WHERE stage = 'extract'").fetchall()
        assert (1, "carddata-oversize") in problems
        assert conn.execute("SELECT problems FROM runs").fetchone()[0] == conn.execute("SELECT COUNT(*) FROM problems").fetchone()[0]
        data = json.loads(conn.execute("SELECT data FROM evidence WHERE version_id = ?", (vid,)).fetchone()[0])
    assert "carddata-oversize" in [p["code"] for p in data["problems"]]
