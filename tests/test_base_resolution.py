"""Declared bases are matched to stored models case-insensitively, through the `lower(repo_id)` index.

Before, SQLite compared the index's expression with `base_key`'s TEXT affinity, could not use the
index, and scanned every model for every unresolved base: 14 s for 8,000 bases against 12,000
models in the extraction benchmark, and quadratic on the Hub. The plan is pinned here; the matches
themselves on both backends.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server  # noqa: E402,F401 (fixtures)
from store import lineage_graph
from store import schema as s
from store.db import open_engine

MODELS = ("Org/Base-Model", "org/base-model", "other/Thing", "solo/one")
# (version's model, base as written, base key, kind)
BASES = (
    ("solo/one", "ORG/BASE-MODEL", "org/base-model", "hub-id"),  # two stored models share the key
    ("other/Thing", "SOLO/ONE", "solo/one", "hub-id"),
    ("org/base-model", "nobody/missing", "nobody/missing", "hub-id"),
    ("Org/Base-Model", "./local/path", "./local/path", "local-path"),
)


def _fill(conn) -> dict[str, int]:
    conn.execute(insert(s.runs), [{"id": 1, "started_at": "2026-12-01T00:00:00+00:00", "status": "ok",
                                   "endpoint": "http://127.0.0.1:1", "full_sweep": True, "params": {}}])
    conn.execute(insert(s.models), [{"repo_id": r, "status": "active", "gated": "false", "private": False,
                                     "disabled": False, "first_seen_run": 1} for r in MODELS])
    ids = {r: k + 1 for k, r in enumerate(MODELS)}
    conn.execute(insert(s.model_versions), [{"id": v, "repo_id": r, "sha": f"{v:040x}", "first_seen_run": 1,
                                             "metadata": {}, "readme_status": "absent"} for r, v in ids.items()])
    conn.execute(insert(s.version_bases), [{"version_id": ids[r], "base_id": b, "relation": "finetune", "base_key": k,
                                            "kind": kind, "source": "cardData.base_model", "confidence": 1.0}
                                           for r, b, k, kind in BASES])
    return ids


@pytest.mark.parametrize("backend", BACKENDS)
def test_bases_resolve_case_insensitively_to_the_first_stored_id(backend, request, tmp_path):
    with fresh_database(backend, tmp_path, request) as url:
        engine = open_engine(url)
        try:
            with engine.begin() as conn:
                _fill(conn)
                lineage_graph.resolve_bases(conn)
                got = {r.base_id: (r.resolved_id, r.status) for r in conn.execute(text(
                    "SELECT base_id, resolved_id, status FROM version_bases"))}
        finally:
            engine.dispose()
    assert got == {
        "ORG/BASE-MODEL": ("Org/Base-Model", "ok"),  # of two ids with the same key, the smaller one
        "SOLO/ONE": ("solo/one", "ok"),
        "nobody/missing": (None, "pending"),
        "./local/path": (None, "local-path"),
    }


def test_sqlite_searches_the_lower_case_index_for_each_base(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    try:
        with engine.connect() as conn:
            plan = [row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + lineage_graph.RESOLVE_BY_REPO_KEY))]
    finally:
        engine.dispose()
    assert any(step.startswith("SEARCH m USING INDEX ix_models_repo_key") for step in plan), plan
    assert not any(step.startswith("SCAN m") for step in plan), plan
