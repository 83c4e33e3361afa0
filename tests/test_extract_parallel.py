"""Extraction on a process pool gives the same evidence, in the same order, as in-process extraction."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from hubscan import pipeline
from hubscan.cli import main
from replayhub.synthetic import synthetic_state
from store import schema as s
from store.db import open_engine


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

    class CountedPool(pipeline.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", CountedPool)
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
    with pytest.raises(ValueError, match="HUBSCAN_EXTRACT_JOBS"):
        pipeline.extract_jobs()


def test_job_count_from_the_environment_or_the_cpus(monkeypatch):
    monkeypatch.setenv("HUBSCAN_EXTRACT_JOBS", "3")
    assert pipeline.extract_jobs() == 3
    monkeypatch.delenv("HUBSCAN_EXTRACT_JOBS")
    assert 1 <= pipeline.extract_jobs() <= 4
