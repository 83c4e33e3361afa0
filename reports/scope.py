"""Which repositories a report may show: public ones, unless the owner of the private ones asks.

A crawl with a member's token also lists that member's private repos; they stay in the database
(lineage needs them) but a report is meant to be published, so it leaves them out unless the CLI's
`--include-private` is given. The choice is held in a context variable set around the report's
build (`private_repos(...)`), so each query adds one predicate instead of threading a flag through
every function.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from sqlalchemy import false, select, text, true

from store import schema as s

_INCLUDE_PRIVATE: ContextVar[bool] = ContextVar("hubscan_reports_include_private", default=False)


@contextmanager
def private_repos(include: bool) -> Iterator[None]:
    """Within this block, reports include private repositories when `include` is true."""
    token = _INCLUDE_PRIVATE.set(bool(include))
    try:
        yield
    finally:
        _INCLUDE_PRIVATE.reset(token)


def rollup_scope() -> str:
    """Which of a run's stored aggregates a report reads (store/rollups.py): public, or all."""
    return "all" if _INCLUDE_PRIVATE.get() else "public"


def visible(models):
    """Predicate on a `models` table (or alias) joined in the query: the repo may be shown."""
    return true() if _INCLUDE_PRIVATE.get() else models.c.private == false()


def private_models():
    """The private models, a set the database builds once: a bare `WHERE ... private`, as the partial
    index ix_models_private is written, so SQLite reads that index instead of every model. An alias,
    so a query that joins `models` does not correlate it."""
    private = s.models.alias("private_models")
    return select(private.c.repo_id).where(text("private_models.private"))


def hidden(public_only: bool = False) -> bool:
    """Are private repositories left out (always when `public_only`)?"""
    return public_only or not _INCLUDE_PRIVATE.get()


def observed_visible(observations):
    """Predicate on an `observations` table (or alias) in a query that does not join `models`."""
    if _INCLUDE_PRIVATE.get():
        return true()
    return observations.c.repo_id.not_in(private_models())
