"""Re-extraction drops the stored run aggregates only for versions whose counted facts moved.

A new extractor re-reads every card; before, every re-read version dropped the aggregates (and the
week's stored changes) of every run that saw it, so one upgrade made the next reports recompute all
of history. `rollups.evidence_changed` compares what the caches read (`COUNTED_EVIDENCE` and
whether a base is named) with what is about to be written; tests/test_history_caches_backends.py
checks, through the real commands, that the aggregates kept still equal their recomputation.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server  # noqa: E402,F401 (fixtures)
from store import rollups  # noqa: E402
from store import schema as s  # noqa: E402
from store.db import open_engine  # noqa: E402
from extract.evidence_record import EvidenceRecord  # noqa: E402

STORED = {  # version -> (licence, family, training code, data information), whether a base is named
    1: ("apache-2.0", "osi-permissive", True, False, False),
    2: ("llama3", "vendor-community", False, True, True),
    3: (None, "unknown", None, None, False),
}


def _fill(conn, with_aggregates: bool) -> None:
    conn.execute(insert(s.runs), [{"id": 1, "started_at": "2026-12-01T06:00:00+00:00", "status": "ok",
                                   "endpoint": "http://127.0.0.1:1", "full_sweep": True, "params": {}}])
    conn.execute(insert(s.models), [{"repo_id": f"org/m{v}", "status": "active", "gated": "false", "private": False,
                                     "disabled": False, "first_seen_run": 1} for v in (1, 2, 3, 4)])
    conn.execute(insert(s.model_versions), [{"id": v, "repo_id": f"org/m{v}", "sha": f"{v:040x}", "first_seen_run": 1,
                                             "metadata": {}, "readme_status": "ok"} for v in (1, 2, 3, 4)])
    conn.execute(insert(s.evidence), [{"version_id": v, "extractor_version": 1, "inputs_digest": "d", "extracted_at": "t", "data": {},
                                       **dict(zip(rollups.COUNTED_EVIDENCE, facts[:4]))} for v, facts in STORED.items()])
    conn.execute(insert(s.version_bases), [{"version_id": v, "base_id": "org/base", "relation": "finetune", "base_key": "org/base",
                                            "kind": "hub-id"} for v, facts in STORED.items() if facts[4]])
    if with_aggregates:
        conn.execute(insert(s.run_rollups), [{"run_id": 1, "scope": "all", "tier": "all", "label": "", "models": 4, "downloads": 0,
                                              "flagged": 0, "no_licence": 1, "datasets": 0, "training_code": 1,
                                              "data_information": 1, "base_model": 1, "computed_at": "t"}])


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_versions_whose_counted_facts_move_are_reported(backend, request, tmp_path):
    with fresh_database(backend, tmp_path, request) as url:
        engine = open_engine(url)
        try:
            with engine.begin() as conn:
                _fill(conn, with_aggregates=True)
                assert rollups.evidence_changed(conn, STORED) == []  # re-read, nothing counted moved
                for field in range(5):  # each fact alone, the base included
                    moved = dict(STORED)
                    facts = list(moved[1])
                    facts[field] = "other" if isinstance(facts[field], str) or facts[field] is None else not facts[field]
                    moved[1] = tuple(facts)
                    assert rollups.evidence_changed(conn, moved) == [1], field
                assert rollups.evidence_changed(conn, {**STORED, 4: STORED[1]}) == [4]  # no evidence stored before
        finally:
            engine.dispose()


def test_nothing_is_read_while_no_aggregates_are_stored(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'none.db'}")
    try:
        with engine.begin() as conn:
            _fill(conn, with_aggregates=False)
            assert rollups.evidence_changed(conn, {1: ("changed",) * 5}) == []
    finally:
        engine.dispose()


def test_a_records_counted_values_follow_the_columns_the_caches_read():
    columns = (("licence", "mit"), ("licence_family", "osi-permissive"), ("weights", True), ("training_code", False),
               ("data_information", True), ("data_information_score", 7))
    record = EvidenceRecord("org/m", 1, columns, "{}", (("org/base", "finetune", "hub-id", "card", 1.0),), (), ())
    assert rollups.counted_evidence(record) == ("mit", "osi-permissive", False, True, True)
    assert rollups.counted_evidence(EvidenceRecord("org/m", 1, columns, "{}", (), (), ()))[-1] is False
