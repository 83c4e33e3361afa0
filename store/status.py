"""Read-only summaries for `hubscan status`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from . import locks
from . import schema as s


def recent_runs(engine: Engine, limit: int = 10, stale_after: float = locks.DEFAULT_STALE_SECONDS) -> list[dict[str, Any]]:
    """The last runs, oldest first, each with `state`: its status as it truly is now.

    A run stored as `running` whose crawl is gone (killed, machine lost: no live lock names it) is
    `interrupted`; an `ok` run says how many READMEs it left to fetch and whether its analysis is done.
    """
    with engine.connect() as conn:
        rows = conn.execute(select(s.runs).order_by(s.runs.c.id.desc()).limit(limit)).mappings().all()
    live = locks.live_runs(engine, stale_after) if any(r["status"] == "running" for r in rows) else set()
    out = []
    for row in reversed(rows):
        item = dict(row)
        item["seconds"] = _duration(row["started_at"], row["finished_at"])
        item["state"] = run_state(item, live)
        out.append(item)
    return out


def run_state(run: dict[str, Any], live: set[int]) -> str:
    status = run["status"]
    if status == "running" and run["id"] not in live:
        return "interrupted"
    if status == "ok" and run.get("incomplete"):
        return f"ok, {run['incomplete']} incomplete"
    return status


def _duration(start: str | None, end: str | None) -> int | None:
    if not start or not end:
        return None
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def database_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        def count(table, *where) -> int:
            query = select(func.count()).select_from(table)
            for clause in where:
                query = query.where(clause)
            return int(conn.execute(query).scalar_one())

        return {
            "models": count(s.models, s.models.c.status == "active"),
            "disappeared": count(s.models, s.models.c.status == "disappeared"),
            "versions": count(s.model_versions),
            "datasets": count(s.datasets),
            "problems": count(s.problems),
            "labelled versions": count(s.labels),
        }


def run_problem_count(engine: Engine, run_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(s.runs.c.problems).where(s.runs.c.id == run_id)).scalar_one())


def similar_repo_ids(engine: Engine, repo_id: str, limit: int = 3) -> list[str]:
    """Stored model ids a mistyped one probably meant: the same id in other case, else close spellings."""
    import difflib

    wanted = repo_id.lower()
    with engine.connect() as conn:
        same = conn.execute(select(s.models.c.repo_id).where(func.lower(s.models.c.repo_id) == wanted).limit(limit)).scalars().all()
        if same:
            return list(same)
        # Close spellings among the ids of the same author (or all ids when the author is unknown too):
        # bounded, so a Hub-sized database does not read three million ids for a typo.
        author = wanted.split("/", 1)[0]
        ids = conn.execute(
            select(s.models.c.repo_id).where(func.lower(s.models.c.repo_id).like(f"{author}/%")).limit(10_000)
        ).scalars().all()
    lowered = {i.lower(): i for i in ids}
    return [lowered[m] for m in difflib.get_close_matches(wanted, list(lowered), n=limit, cutoff=0.8)]
