"""Issue 15: a run's leading organisations are stored with its aggregates, and read back exactly as
grouping the run's models gives them; what would change them drops them (store/organisation_rollups.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
from backends import BACKENDS, fresh_database, postgres_server  # noqa: E402,F401 (fixtures)
from reports import run_view as rv  # noqa: E402
from reports.scope import private_repos  # noqa: E402
from store import organisation_rollups as orgs  # noqa: E402
from store import rollups  # noqa: E402
from store import schema as s  # noqa: E402
from store.crawl_writes import store_models  # noqa: E402
from store.db import open_engine  # noqa: E402
from test_weekly_fast_path import build_history  # noqa: E402

RUNS = (1, 3, 5)


def _leaders(engine, include_private: bool) -> dict:
    with engine.connect() as conn, private_repos(include_private):
        return {(run, top, public_only): rv.leaders(conn, run, top, public_only) for run in RUNS for top in (1, 3, 50) for public_only in (False, True)}


@pytest.mark.parametrize("include_private", (False, True))
@pytest.mark.parametrize("backend", BACKENDS)
def test_stored_leaders_equal_the_leaders_grouped_from_the_run(backend, include_private, request, tmp_path, monkeypatch):
    with fresh_database(backend, tmp_path, request) as url:
        build_history(url)
        engine = open_engine(url)
        try:
            computed = _leaders(engine, include_private)  # nothing stored yet: grouped from each run
            rollups.ensure_run_rollups(engine, RUNS)
            with engine.connect() as conn:
                assert all(orgs.stored_run_organisations(conn, run, "public", 50) is not None for run in RUNS)
                stored_rows = conn.execute(select(s.run_organisations.c.author).where(s.run_organisations.c.run_id == 5)).all()
            assert None in {r.author for r in stored_rows}  # the models without an organisation are one row
            assert _leaders(engine, include_private) == computed
            # the fixture's organisations have flagged models, so the flags are really compared
            assert any(leader.flagged for rows in computed.values() for leader in rows)
            # more than were kept: grouped from the run again, the same answer
            monkeypatch.setattr(orgs, "ORGANISATIONS_KEPT", 2)
            with engine.connect() as conn:
                assert orgs.stored_run_organisations(conn, 5, "all", 3) is None
            assert _leaders(engine, include_private) == computed
        finally:
            engine.dispose()


def test_kept_organisations_stop_at_the_limit_in_rank_order(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    build_history(url)
    engine = open_engine(url)
    monkeypatch.setattr(orgs, "ORGANISATIONS_KEPT", 3)
    rollups.ensure_run_rollups(engine, [5])
    with engine.connect() as conn:
        ranks = conn.execute(select(s.run_organisations.c.scope, s.run_organisations.c.rank).where(s.run_organisations.c.run_id == 5)).all()
        assert sorted(ranks) == [(scope, rank) for scope in ("all", "public") for rank in (1, 2, 3)]
        assert orgs.stored_run_organisations(conn, 5, "all", 3) == orgs.compute_run_organisations(conn, s.observations, 5, "all", 3)
    engine.dispose()


@pytest.mark.parametrize("change", ("author", "private"))
def test_a_model_that_changes_organisation_or_privacy_drops_the_runs_that_saw_it(tmp_path, change):
    url = f"sqlite:///{tmp_path / 'changed.db'}"
    build_history(url)
    engine = open_engine(url)
    rollups.ensure_run_rollups(engine, RUNS)
    with engine.begin() as conn:
        model = conn.execute(select(s.models, s.model_versions.c.sha).join(s.model_versions, s.model_versions.c.id == s.models.c.current_version_id)
                             .where(s.models.c.repo_id == "alpha/model-000")).one()
        item = {"id": model.repo_id, "sha": model.sha, "author": model.author, "private": model.private}
        item.update(author="someone-else") if change == "author" else item.update(private=not model.private)
        store_models(conn, 5, [item], "listing")
    with engine.connect() as conn:
        seen = {r for (r,) in conn.execute(select(s.observations.c.run_id).where(s.observations.c.repo_id == "alpha/model-000"))}
        assert seen & set(RUNS)
        for run in RUNS:
            stored = orgs.stored_run_organisations(conn, run, "all", 10)
            assert (stored is None) == (run in seen), run
    engine.dispose()
