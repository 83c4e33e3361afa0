"""Each finished run's leading organisations by downloads, stored with the run's aggregates.

The weekly report lists the organisations with the most downloads (its organisation table and the
scorecards). Grouping a run's models by organisation reads every model of the run and its
organisation: about 1.3 s at a million models, every time a report is built. So the run's first
`ORGANISATIONS_KEPT` organisations per scope are written when its aggregates are
(`rollups.write_run_rollup`) and dropped with them (`rollups.drop_run_rollups`): a model turning
private or public, or changing organisation, drops the runs that saw it (`rollups.models_changed`).
What is stored does not depend on labels (the flagged counts are read for the few leaders when
asked), so a relabelled version changes nothing here.

`compute_run_organisations` is the grouping itself, used to write the rows and by reports of a run
whose aggregates are not stored; tests compare the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, select, text

from . import schema as s

ORGANISATIONS_KEPT = 1_000  # per run and scope; a report asking for more groups the run itself
SCOPES = ("public", "all")


@dataclass(frozen=True)
class RunOrganisation:
    author: str | None  # None: the models without an organisation
    models: int
    downloads: int


def compute_run_organisations(conn: Connection, observed, run_id: int, scope: str, top: int) -> list[RunOrganisation]:
    """The run's `top` organisations by downloads in `scope`, most first, ties by name (as the
    database orders names and NULL). `observed`: the run's rows (`observations`, or
    `model_latest` when the run is the newest). One pass over the run's models and their organisations."""
    o, m = observed, s.models
    total_dl = func.sum(func.coalesce(o.c.downloads, 0))
    query = (
        select(m.c.author, func.count().label("models"), total_dl.label("downloads"))
        .select_from(o.join(m, m.c.repo_id == o.c.repo_id))
        .where(o.c.run_id == run_id)
        .group_by(m.c.author)
        .order_by(total_dl.desc(), m.c.author)
        .limit(top)
    )
    if scope == "public":  # the private models as a set: a bare `WHERE ... private`, as ix_models_private is written
        pm = s.models.alias("pm")
        query = query.where(m.c.repo_id.not_in(select(pm.c.repo_id).where(text("pm.private"))))
    return [RunOrganisation(r.author, int(r.models), int(r.downloads or 0)) for r in conn.execute(query)]


def write_run_organisations(conn: Connection, run_id: int) -> None:
    """Store the finished run's leading organisations of both scopes in place of what was there."""
    ro = s.run_organisations
    conn.execute(delete(ro).where(ro.c.run_id == run_id))
    rows = [
        {"run_id": run_id, "scope": scope, "rank": rank, "author": org.author, "models": org.models, "downloads": org.downloads}
        for scope in SCOPES
        for rank, org in enumerate(compute_run_organisations(conn, s.observations, run_id, scope, ORGANISATIONS_KEPT), 1)
    ]
    if rows:
        conn.execute(ro.insert(), rows)


def stored_run_organisations(conn: Connection, run_id: int, scope: str, top: int) -> list[RunOrganisation] | None:
    """The run's first `top` stored organisations, or None when they are not stored (the run's
    aggregates were not written, or were dropped) or `top` is more than were kept."""
    if top > ORGANISATIONS_KEPT:
        return None
    if conn.execute(select(s.run_rollups.c.run_id).where(s.run_rollups.c.run_id == run_id).limit(1)).first() is None:
        return None  # the aggregates and the organisations are written and dropped together
    ro = s.run_organisations
    rows = conn.execute(
        select(ro.c.author, ro.c.models, ro.c.downloads).where(ro.c.run_id == run_id, ro.c.scope == scope, ro.c.rank <= top).order_by(ro.c.rank)
    ).all()
    return [RunOrganisation(r.author, int(r.models), int(r.downloads)) for r in rows]


def drop_run_organisations(conn: Connection, run_ids: list[int]) -> None:
    conn.execute(delete(s.run_organisations).where(s.run_organisations.c.run_id.in_(run_ids)))
