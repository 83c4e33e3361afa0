"""Migration 0011 rewrites SQLite's `observations` as a table stored in key order (WITHOUT ROWID):
an existing history must come through it, and back through its downgrade, row for row."""

from __future__ import annotations

import sqlite3

from alembic import command
from sqlalchemy import text

from store import schema as s
from store.db import _alembic_config, open_engine


def _observations_sql(path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'observations'").fetchone()[0]


def _migrate(engine, revision: str, down: bool) -> None:
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_a_history_comes_through_the_rewrite_and_back(tmp_path):
    path = tmp_path / "h.db"
    engine = open_engine(str(path))
    with engine.begin() as conn:
        conn.execute(s.runs.insert(), [{"id": r, "started_at": f"2026-11-0{r}T06:00:00+00:00", "status": "ok", "endpoint": "http://hub",
                                        "full_sweep": True, "params": {}} for r in (1, 2)])
        conn.execute(s.models.insert(), [{"repo_id": f"org/m{i}", "status": "active", "gated": "false", "private": False, "disabled": False,
                                          "first_seen_run": 1} for i in range(3)])
        conn.execute(s.model_versions.insert(), [{"id": i + 1, "repo_id": f"org/m{i}", "sha": f"{i:040x}", "first_seen_run": 1, "metadata": {},
                                                  "readme_status": "ok"} for i in range(3)])
        conn.execute(s.observations.insert(), [{"run_id": r, "repo_id": f"org/m{i}", "version_id": i + 1, "downloads": None if i == 1 else 10 * i + r,
                                                "likes": i} for r in (2, 1) for i in (2, 0, 1)])
    def rows() -> list:
        with engine.connect() as conn:
            return conn.execute(text("SELECT * FROM observations ORDER BY run_id, repo_id")).all()

    written = rows()
    assert len(written) == 6 and "WITHOUT ROWID" in _observations_sql(path)

    _migrate(engine, "0010", down=True)  # as a database from before 0011 has it
    assert "WITHOUT ROWID" not in _observations_sql(path) and rows() == written
    engine.dispose()

    engine = open_engine(str(path))  # opening brings it to the head again: rewritten, same rows
    assert "WITHOUT ROWID" in _observations_sql(path) and rows() == written
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM label_history")).scalar() == 6  # the views were created again
        plan = " ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN SELECT * FROM observations WHERE repo_id = 'org/m1'")))
        assert "ix_observations_repo" in plan
    engine.dispose()
