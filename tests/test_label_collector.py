"""Labelling pauses the cyclic garbage collector for one batch at a time (hubscan/pipeline.py), and
labels the same with it: paused while a batch is read, labelled and saved, running between batches
(what a batch leaves is collected before the next), and as it was after labelling, error or not.
"""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path

import pytest

from hubscan import pipeline
from hubscan.cli import main
from replayhub.state import HubState
from store import analysis_io
from store.db import open_engine

LABEL_COLUMNS = "version_id, rule_version, extractor_version, inputs_digest, label, rule, open_basis, capped_by, open_washing, washing_reasons, explanation, confidence"


def labels(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT {LABEL_COLUMNS} FROM labels ORDER BY version_id").fetchall()


def forget_labels(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM labels")


@pytest.fixture
def crawled(tmp_path, dev_hub_data, replay_hub) -> Path:
    hub = replay_hub(HubState.from_fixture(dev_hub_data))
    db = tmp_path / "hub.db"
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"]) == 0
    return db


@pytest.fixture
def small_batches(monkeypatch):
    real = analysis_io.label_batches
    monkeypatch.setattr(analysis_io, "label_batches", lambda *args, **kwargs: real(*args, **kwargs, batch=4))


@pytest.fixture
def collector_state():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_per_batch_and_the_labels_are_the_same(crawled, small_batches, collector_state, monkeypatch):
    before = labels(crawled)
    assert len(before) > 8  # several batches of 4
    forget_labels(crawled)
    seen: list[tuple[str, bool]] = []
    real_label = pipeline.label_version

    def spy(evidence, bases=()):
        seen.append(("label", gc.isenabled()))
        return real_label(evidence, bases)

    monkeypatch.setattr(pipeline, "label_version", spy)
    gc.enable()
    engine = open_engine(str(crawled))
    try:
        written, _ = pipeline.classify_all(engine, progress=lambda stage, n: seen.append(("between", gc.isenabled())))
    finally:
        engine.dispose()
    assert written == len(before)
    assert {s for s in seen if s[0] == "label"} == {("label", False)}
    assert {s for s in seen if s[0] == "between"} == {("between", True)}
    assert sum(1 for s in seen if s[0] == "between") >= len(before) // 4
    assert gc.isenabled()
    assert labels(crawled) == before


def test_an_error_in_a_batch_resumes_the_collector(crawled, collector_state, monkeypatch):
    forget_labels(crawled)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(analysis_io, "save_labels", broken)
    gc.enable()
    engine = open_engine(str(crawled))
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            pipeline.classify_all(engine)
    finally:
        engine.dispose()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(crawled, collector_state):
    forget_labels(crawled)
    gc.disable()
    engine = open_engine(str(crawled))
    try:
        written, _ = pipeline.classify_all(engine)
    finally:
        engine.dispose()
    assert written > 0 and not gc.isenabled()
