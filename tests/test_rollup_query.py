"""A run's aggregates (store/rollups.py `compute_run_rollup`) equal a plain recount in Python of the
rows they are made from, on SQLite and PostgreSQL; and on SQLite the query reads each model's
evidence facts from the covering index ix_evidence_facts (migration 0014) rather than the evidence row.

The recount reads whole tables and applies the rules as written: the label as of a run is the newest
label event recorded at or before it, else the version's first event, else its current label; facts
are the version's evidence (no row, no licence or `unknown` counts as no licence) and whether it names
a dataset or a base; tiers are all models, more than DOWNLOADS_TIER downloads, and the TOP_TIER most
downloaded (ties by id) of the scope.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server  # noqa: E402,F401 (fixtures)
from store import rollups
from store.driver_cursor import DriverCursor  # noqa: E402
from store import schema as s  # noqa: E402
from store.db import open_engine  # noqa: E402
from test_weekly_fast_path import build_history  # noqa: E402

RUNS = (1, 2, 3, 4, 5)
TOP = 7  # a top tier smaller than the run, so membership is really decided


def vary_the_facts(url: str) -> None:
    """Give build_history's versions every kind of fact: training code and data information set,
    unset and unknown; licences missing and `unknown`; versions without evidence; dataset links;
    versions with neither label events nor a label; unique downloads (ties at the top tier's edge would be settled by the database's collation) and
    one model whose downloads are not known."""
    rng = random.Random(6)
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            versions = [v for (v,) in conn.execute(select(s.evidence.c.version_id).order_by(s.evidence.c.version_id))]
            for v in versions:
                conn.execute(update(s.evidence).where(s.evidence.c.version_id == v).values(
                    training_code=rng.choice((True, False, None)), data_information=rng.choice((True, False, None)),
                    licence=rng.choice((None, "unknown", "apache-2.0", "llama3.1"))))
            conn.execute(delete(s.evidence).where(s.evidence.c.version_id.in_(versions[::9])))
            # of the versions without label events (labelled before events were kept), half not labelled at all
            unlogged = sorted(set(versions) - {v for (v,) in conn.execute(select(s.label_events.c.version_id))})
            assert len(unlogged) > 3
            conn.execute(delete(s.labels).where(s.labels.c.version_id.in_(unlogged[::2])))
            conn.execute(s.version_datasets.insert(), [{"version_id": v, "dataset_id": f"org/data-{i}"} for i, v in enumerate(versions[::4])])
            observed = conn.execute(select(s.observations.c.run_id, s.observations.c.repo_id).order_by(s.observations.c.run_id, s.observations.c.repo_id)).all()
            values = rng.sample(range(1, 4000), len(observed))
            for (run_id, repo_id), downloads in zip(observed, values):
                conn.execute(update(s.observations).where(s.observations.c.run_id == run_id, s.observations.c.repo_id == repo_id).values(
                    downloads=None if repo_id == observed[0].repo_id else downloads))
    finally:
        engine.dispose()


def recount(conn, run_id: int) -> list[rollups.RollupRow]:
    """The run's aggregates from whole tables, in Python."""
    events: dict[int, list] = {}
    for e in conn.execute(select(s.label_events).order_by(s.label_events.c.id)):
        events.setdefault(e.version_id, []).append(e)
    current = {r.version_id: r for r in conn.execute(select(s.labels))}
    evidence = {r.version_id: r for r in conn.execute(select(s.evidence.c.version_id, s.evidence.c.licence, s.evidence.c.training_code, s.evidence.c.data_information))}
    with_datasets = {v for (v,) in conn.execute(select(s.version_datasets.c.version_id))}
    with_bases = {v for (v,) in conn.execute(select(s.version_bases.c.version_id))}
    private = {r for (r,) in conn.execute(select(s.models.c.repo_id).where(s.models.c.private))}
    seen = conn.execute(select(s.observations).where(s.observations.c.run_id == run_id)).all()

    def as_of(version: int):
        mine = events.get(version, [])
        before = [e for e in mine if e.run_id is not None and e.run_id <= run_id]
        return (before or mine or [None])[-1 if before else 0]

    def top(rows) -> set[str]:
        return {r.repo_id for r in sorted(rows, key=lambda r: (-(r.downloads or 0), r.repo_id))[:TOP]}

    tops = {"all": top(seen), "public": top([r for r in seen if r.repo_id not in private])}
    totals: dict[tuple, list[int]] = {}
    for o in seen:
        event = as_of(o.version_id)
        label_row = event if event is not None else current.get(o.version_id)
        label = label_row.label if label_row is not None else ""
        ev = evidence.get(o.version_id)
        downloads = o.downloads or 0
        counts = [1, downloads, int(bool(label_row is not None and label_row.open_washing)),
                  int(ev is None or ev.licence in (None, "unknown")), int(o.version_id in with_datasets),
                  int(ev is not None and ev.training_code is True), int(ev is not None and ev.data_information is True),
                  int(o.version_id in with_bases)]
        for scope in rollups.SCOPES:
            if scope == "public" and o.repo_id in private:
                continue
            for tier, member in zip(rollups.TIERS, (True, downloads > rollups.DOWNLOADS_TIER, o.repo_id in tops[scope])):
                if member:
                    into = totals.setdefault((scope, tier, label), [0] * len(counts))
                    into[:] = [a + b for a, b in zip(into, counts)]
    return [
        rollups.RollupRow(run_id, scope, tier, label or None, v[0], v[1], v[2], dict(zip(rollups.FACTS, v[3:])))
        for (scope, tier, label), v in sorted(totals.items())
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_aggregates_equal_a_recount_of_their_rows(backend, request, tmp_path, monkeypatch):
    monkeypatch.setattr(rollups, "TOP_TIER", TOP)
    with fresh_database(backend, tmp_path, request) as url:
        build_history(url)
        vary_the_facts(url)
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                for run_id in RUNS:
                    expected = recount(conn, run_id)
                    assert rollups.compute_run_rollup(conn, run_id) == expected, run_id
                every = [r for run_id in RUNS for r in recount(conn, run_id)]
        finally:
            engine.dispose()
    # what the comparison rests on is there: every fact both ways, unlabelled versions, a top tier
    # that is not the whole run, and labels taken from events and from `labels` alone
    for fact in rollups.FACTS:
        assert 0 < sum(r.facts[fact] for r in every if r.tier == "all") < sum(r.models for r in every if r.tier == "all"), fact
    assert any(r.label is None for r in every)  # versions with neither label events nor a label
    assert all(sum(r.models for r in every if (r.run_id, r.scope, r.tier) == (run, scope, rollups.TIERS[2])) == TOP
               for run in RUNS for scope in rollups.SCOPES)
    assert sum(r.models for r in every if r.scope == "public") < sum(r.models for r in every if r.scope == "all")
    assert sum(r.flagged for r in every) > 0


def test_sqlite_reads_the_facts_from_the_covering_index_in_version_order(tmp_path):
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    build_history(url)
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            query = rollups._grouped_query("sqlite", ["alpha/model-000"], ["alpha/model-000"]).bindparams(run=3)
            sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            plan = [r[3] for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]
    finally:
        engine.dispose()
    assert "SEARCH ev USING COVERING INDEX ix_evidence_facts (version_id=?) LEFT-JOIN" in plan, plan
    assert not any(line.startswith("SEARCH ev USING INTEGER PRIMARY KEY") for line in plan), plan
    # the current label is no join for every model: only a lookup for versions without events
    assert not any(line.startswith("SEARCH lab") and "LEFT-JOIN" in line for line in plan), plan
    # the run's observations are sorted by version before the lookups by version
    assert plan[:4] == ["CO-ROUTINE o", "SEARCH observations USING PRIMARY KEY (run_id=?)", "USE TEMP B-TREE FOR ORDER BY", "SCAN o"], plan


def test_without_the_facts_index_the_aggregates_are_still_computed_and_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(rollups, "TOP_TIER", TOP)
    url = f"sqlite:///{tmp_path / 'no-index.db'}"
    build_history(url)
    vary_the_facts(url)
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            with_index = [rollups.compute_run_rollup(conn, run_id) for run_id in RUNS]
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_evidence_facts"))
        with engine.connect() as conn:
            assert DriverCursor(conn).indexed_by("ix_evidence_facts") == ""
            assert [rollups.compute_run_rollup(conn, run_id) for run_id in RUNS] == with_index
            assert with_index == [recount(conn, run_id) for run_id in RUNS]
    finally:
        engine.dispose()
