"""New evidence corrects the stored run aggregates in place (store/rollup_deltas.py), on both backends.

A history where models change versions between runs, some are private, labels change over time and
only a few models make the top tier; every run's aggregates stored; then new evidence moves each
counted fact for some versions. Every run must keep its aggregates, equal to their recomputation.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server  # noqa: E402,F401 (fixtures)
from extract.evidence_record import EvidenceRecord  # noqa: E402
from store import rollup_deltas, rollups, week_changes  # noqa: E402
from store import schema as s  # noqa: E402
from store.analysis_io import VersionRow, save_evidence  # noqa: E402
from store.dataset_writes import link_datasets  # noqa: E402
from store.db import open_engine  # noqa: E402

MODELS, RUNS = 40, 6
LABELS = ("Weights Available", "Open Weights", "Open Source")
LICENCES = ("apache-2.0", "llama3", "unknown", None, "mit")


def _history(conn) -> dict[int, dict]:
    """Runs 1..RUNS; each model has a new version every other run for a third of the models; the
    evidence of each version (returned: version id -> its evidence columns and bases)."""
    rng = random.Random(3)
    conn.execute(insert(s.runs), [{"id": r, "started_at": f"2026-11-{r:02d}T06:00:00+00:00", "status": "ok",
                                   "endpoint": "http://hub", "full_sweep": True, "params": {}} for r in range(1, RUNS + 1)])
    repos = [f"org{i % 4}/model-{i:02d}" for i in range(MODELS)]
    conn.execute(insert(s.models), [{"repo_id": r, "status": "active", "gated": "false", "private": i % 9 == 0,
                                     "disabled": False, "first_seen_run": 1} for i, r in enumerate(repos)])
    versions, observations, events, evidence = [], [], [], {}
    next_id = 1
    for i, repo in enumerate(repos):
        current = None
        for run in range(1, RUNS + 1):
            if current is None or (i % 3 == 0 and run % 2 == 0):
                current = next_id
                next_id += 1
                versions.append({"id": current, "repo_id": repo, "sha": f"{current:040x}", "first_seen_run": run,
                                 "metadata": {}, "readme_status": "ok"})
                evidence[current] = _evidence(rng)
                if rng.random() < 0.8:  # the rest: no label event (the current label answers)
                    events.append({"version_id": current, "run_id": run, "label": rng.choice(LABELS)})
            if rng.random() < 0.15 and events and events[-1]["version_id"] == current:
                events.append({"version_id": current, "run_id": run, "label": rng.choice(LABELS)})  # relabelled later
            observations.append({"run_id": run, "repo_id": repo, "version_id": current, "downloads": rng.choice([None, 5, 900, 5_000, 80_000 + i])})
    conn.execute(insert(s.model_versions), versions)
    conn.execute(insert(s.observations), observations)
    conn.execute(insert(s.label_events), [{**e, "recorded_at": "t", "rule": "r", "rule_version": "1", "open_washing": n % 5 == 0,
                                           "washing_reasons": []} for n, e in enumerate(events)])
    conn.execute(insert(s.labels), [{"version_id": v["id"], "label": LABELS[v["id"] % 3], "rule": "r", "rule_version": "1",
                                     "extractor_version": 1, "open_washing": v["id"] % 4 == 0, "washing_reasons": [],
                                     "inputs_digest": "d", "classified_at": "t", "explanation": {}} for v in versions])
    save_evidence(conn, [(_row(v, repo_of(versions, v)), _record(repo_of(versions, v), facts)) for v, facts in evidence.items()])
    return {v: (repo_of(versions, v), facts) for v, facts in evidence.items()}


def repo_of(versions: list[dict], version_id: int) -> str:
    return next(v["repo_id"] for v in versions if v["id"] == version_id)


def _evidence(rng: random.Random) -> dict:
    return {"licence": rng.choice(LICENCES), "training_code": rng.random() < 0.3, "data_information": rng.random() < 0.4,
            "bases": rng.random() < 0.5}


def _row(version_id: int, repo_id: str) -> VersionRow:
    return VersionRow(version_id, repo_id, f"{version_id:040x}", "ok", "public", "digest", "digest")


def _record(repo_id: str, facts: dict) -> EvidenceRecord:
    columns = (("licence", facts["licence"]), ("licence_family", "x"), ("weights", True), ("training_code", facts["training_code"]),
               ("data_information", facts["data_information"]))
    bases = (("org0/base", "finetune", "hub-id", "card", 1.0),) if facts["bases"] else ()
    return EvidenceRecord(repo_id, 1, columns, "{}", bases, (), ())


def _stored(conn) -> dict[int, list]:
    runs = range(1, RUNS + 1)
    return {r: sorted(rollups.stored_rollup(conn, r) or [], key=repr) for r in runs}


def _recomputed(conn) -> dict[int, list]:
    return {r: sorted(rollups.compute_run_rollup(conn, r), key=repr) for r in range(1, RUNS + 1)}


def assert_all_kept_and_fresh(engine) -> dict[int, list]:
    """Every run still has its aggregates, and they equal their recomputation."""
    with engine.connect() as conn:
        after = _stored(conn)
        assert all(after.values()), "a run was dropped instead of corrected"
        assert after == _recomputed(conn)
    return after


@pytest.fixture
def history(request, tmp_path, monkeypatch):
    monkeypatch.setattr(rollups, "TOP_TIER", 7)  # a few of the models: the top tier is a real choice
    backend = request.param

    class History:
        pass

    with fresh_database(backend, tmp_path, request) as url:
        engine = open_engine(url)
        try:
            with engine.begin() as conn:
                h = History()
                h.evidence = _history(conn)
            rollups.ensure_run_rollups(engine, range(1, RUNS + 1))
            with engine.connect() as conn:
                assert all(rollups.stored_rollup(conn, r) for r in range(1, RUNS + 1))
                assert conn.execute(select(s.run_top_models).where(s.run_top_models.c.scope == "all")).all()
            h.engine, h.backend = engine, backend
            yield h
        finally:
            engine.dispose()


def _moved(evidence: dict, which: list[int], field: str) -> list[tuple[VersionRow, EvidenceRecord]]:
    out = []
    for v in which:
        repo, facts = evidence[v]
        facts = dict(facts)
        facts[field] = {"licence": lambda x: "unknown" if x not in ("unknown", None) else "apache-2.0"}.get(field, lambda x: not x)(facts[field])
        evidence[v] = (repo, facts)
        out.append((_row(v, repo), _record(repo, facts)))
    return out


@pytest.mark.parametrize("history", BACKENDS, indirect=True)
@pytest.mark.parametrize("field", ["licence", "training_code", "data_information", "bases"])
def test_every_counted_fact_moved_is_corrected_in_every_run_that_saw_it(history, field):
    with history.engine.connect() as conn:
        before = _stored(conn)
    which = sorted(history.evidence)[::3]  # private models, top-tier models and later versions among them
    with history.engine.begin() as conn:
        save_evidence(conn, _moved(history.evidence, which, field))
    after = assert_all_kept_and_fresh(history.engine)
    assert after != before  # the facts did move


@pytest.mark.parametrize("history", BACKENDS, indirect=True)
def test_a_new_dataset_link_is_corrected_in_place(history):
    version = sorted(history.evidence)[4]
    with history.engine.begin() as conn:
        link_datasets(conn, version, ["org/new-dataset"])
    assert_all_kept_and_fresh(history.engine)


@pytest.mark.parametrize("history", ["sqlite"], indirect=True)
def test_a_run_stored_without_its_top_tier_is_dropped_as_before(history):
    with history.engine.begin() as conn:
        conn.execute(delete(s.run_top_models).where(s.run_top_models.c.run_id == 2))  # as written before migration 0016
        save_evidence(conn, _moved(history.evidence, sorted(history.evidence), "licence"))
    with history.engine.connect() as conn:
        after = _stored(conn)
        assert [r for r, rows in after.items() if not rows] == [2]
        assert {r: rows for r, rows in after.items() if rows} == {r: rows for r, rows in _recomputed(conn).items() if r != 2}


@pytest.mark.parametrize("history", ["sqlite"], indirect=True)
def test_past_the_observation_limit_the_runs_are_dropped(history, monkeypatch):
    which = [v for v, (repo, _) in history.evidence.items() if repo.endswith("-01")]  # one model, seen by every run
    with history.engine.connect() as conn:
        seen = conn.execute(select(s.observations.c.run_id).where(s.observations.c.version_id.in_(which))).all()
    monkeypatch.setattr(rollup_deltas, "MAX_OBSERVATIONS", len(seen))  # at the limit: corrected
    with history.engine.begin() as conn:
        save_evidence(conn, _moved(history.evidence, which, "licence"))
    with history.engine.connect() as conn:
        assert all(_stored(conn).values())
    monkeypatch.setattr(rollup_deltas, "MAX_OBSERVATIONS", len(seen) - 1)  # one past it: dropped
    with history.engine.begin() as conn:
        save_evidence(conn, _moved(history.evidence, which, "licence"))
    with history.engine.connect() as conn:
        assert not any(_stored(conn).values())


@pytest.mark.parametrize("history", ["sqlite"], indirect=True)
def test_the_corrected_runs_stored_week_changes_are_dropped(history):
    with history.engine.begin() as conn:
        week_changes.write_week_changes(conn, 6, 5, [], "t")
        week_changes.write_week_changes(conn, 2, 1, [], "t")
        assert week_changes.week_changes_stored(conn, 5, 6)
    with history.engine.connect() as conn:  # versions only the last run saw
        only_late = [r.id for r in conn.execute(select(s.model_versions.c.id).where(s.model_versions.c.first_seen_run == RUNS))]
    assert only_late
    with history.engine.begin() as conn:
        save_evidence(conn, _moved(history.evidence, only_late, "licence"))
    with history.engine.connect() as conn:
        assert not week_changes.week_changes_stored(conn, 5, 6)  # they read the licences corrected
        assert week_changes.week_changes_stored(conn, 1, 2)  # runs 1 and 2 never saw those versions


@pytest.mark.parametrize("history", BACKENDS, indirect=True)
@pytest.mark.parametrize("multi_rowcount", [True, False])  # a driver that cannot count an executemany's rows
def test_a_run_missing_a_row_it_counted_is_dropped_and_the_others_corrected(history, multi_rowcount, monkeypatch):
    monkeypatch.setattr(history.engine.dialect, "supports_sane_multi_rowcount", multi_rowcount)
    with history.engine.begin() as conn:
        conn.execute(delete(s.run_rollups).where(s.run_rollups.c.run_id == 3, s.run_rollups.c.scope == "all",
                                                 s.run_rollups.c.tier == "all"))  # every model of run 3 was counted in one of these
        save_evidence(conn, _moved(history.evidence, sorted(history.evidence), "training_code"))
    with history.engine.connect() as conn:
        after = _stored(conn)
        assert [r for r, rows in after.items() if not rows] == [3]
        assert {r: rows for r, rows in after.items() if rows} == {r: rows for r, rows in _recomputed(conn).items() if r != 3}


@pytest.mark.parametrize("history", ["postgresql"], indirect=True)
def test_two_writers_of_the_same_evidence_add_its_difference_once(history):
    """Two analysers sharing PostgreSQL may write the same version at once: the second waits for the
    first's commit, then finds nothing moved."""
    import threading

    which = sorted(history.evidence)[::5]
    items = _moved(history.evidence, which, "data_information")
    done = threading.Event()

    def second() -> None:
        with history.engine.begin() as conn:
            save_evidence(conn, items)
        done.set()

    with history.engine.begin() as conn:
        save_evidence(conn, items)
        other = threading.Thread(target=second)
        other.start()
        assert not done.wait(1.0)  # held by this transaction's lock on the versions
    other.join(30)
    assert done.is_set()
    assert_all_kept_and_fresh(history.engine)


@pytest.mark.parametrize("history", ["sqlite"], indirect=True)
def test_a_licence_moved_without_a_fact_keeps_the_aggregates_and_drops_the_week_changes(history):
    """apache-2.0 to mit: no counted fact moves, but the week's licence changes read it."""
    with history.engine.begin() as conn:
        week_changes.write_week_changes(conn, 6, 5, [], "t")
    with history.engine.connect() as conn:
        before = _stored(conn)
        seen_late = {v for (v,) in conn.execute(select(s.observations.c.version_id).where(s.observations.c.run_id == 6))}
    which = [v for v, (_, facts) in history.evidence.items() if facts["licence"] == "apache-2.0" and v in seen_late][:3]
    assert which
    items = []
    for v in which:
        repo, facts = history.evidence[v]
        history.evidence[v] = (repo, {**facts, "licence": "mit"})
        items.append((_row(v, repo), _record(repo, history.evidence[v][1])))
    with history.engine.begin() as conn:
        save_evidence(conn, items)
    with history.engine.connect() as conn:
        assert _stored(conn) == before == _recomputed(conn)  # kept, nothing counted moved
        assert not week_changes.week_changes_stored(conn, 5, 6)
