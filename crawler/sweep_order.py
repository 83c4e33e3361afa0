"""The order a sweep walks the Hub in, and when a first sweep labels what it has so far.

The first full sweep of a database walks `sort=downloads` (most downloaded first; the Hub sorts
descending), so a first crawl cut short by a kill, a deadline or the rate limit has fetched, and
labelled, the models people actually use. Every later sweep keeps the cheap default order (full) or
`sort=lastModified` down to the high-water mark (incremental).

A downloads-sorted walk cannot by itself be a complete sweep: the Hub's cursor is a keyset position
on (downloads, _id) (the cursor in huggingface_hub PR #1176 is base64 of a `{"$or": [...]}` query),
and download counts change while a first crawl runs for days. A model whose count rises past the
cursor is never shown; one whose count falls is shown twice (harmless: every write is keyed). So
after the popularity walk, a *completion walk* in the default order lists everything once more; it
costs one API call per 1,000 models and downloads only what the first walk missed or what changed
since. Only then does the run count as a full sweep that can tell a model disappeared. A
popularity walk that fitted in one page (one consistent answer) needs no completion walk.

Both walks checkpoint through the run's stored cursor as every walk does: the last page of the
popularity walk stores the completion walk's first URL as its cursor, so a killed crawl resumes
in the right walk at the right page. Which walk a stored cursor belongs to is read from its `sort`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from typing import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import Connection, select

from store import schema as s

from .listing import ListingQuery

POPULARITY_SORT = "downloads"
#: Between two interim analyses of a first sweep at most this long (HUBSCAN_INTERIM_ANALYSIS_SECONDS).
INTERIM_ANALYSIS_SECONDS = 1800.0


@dataclass(frozen=True)
class Walk:
    """One cursor walk of a sweep: its query, and (incremental) the lastModified it stops at."""

    query: ListingQuery
    stop_at: str | None = None


def is_first_sweep(conn: Connection, run_id: int, shard: str | None) -> bool:
    """No earlier run of this worker completed a full sweep: the database has not seen the Hub yet."""
    rows = conn.execute(
        select(s.runs.c.params).where(s.runs.c.id < run_id, s.runs.c.status == "ok", s.runs.c.full_sweep.is_(True))
    )
    return not any(dict(row.params or {}).get("shard") == shard for row in rows)


def plan(query: ListingQuery, mode: str, first: bool, stop_at: str | None) -> list[Walk]:
    """The walks of one sweep, in order."""
    if mode == "incremental":
        return [Walk(replace(query, sort="lastModified"), stop_at)]
    if first and query.is_full_sweep:
        return [Walk(replace(query, sort=POPULARITY_SORT)), Walk(query)]
    return [Walk(query)]


def start_url(endpoint: str, walk: Walk) -> str:
    """The first page of a walk as an absolute URL: the checkpoint that hands over to it."""
    return f"{endpoint.rstrip('/')}/api/models?{urlencode(walk.query.params())}"


def resume_point(walks: list[Walk], cursor: str | None) -> int:
    """Which walk a stored cursor belongs to (0 when there is none): the one asking its `sort`."""
    if not cursor or len(walks) == 1:
        return 0
    sort = (parse_qs(urlsplit(cursor).query).get("sort") or [None])[-1]
    for index, walk in enumerate(walks):
        if walk.query.sort == sort:
            return index
    return 0  # not ours (the query changed): the first walk, with that cursor


def interim_seconds_from_env() -> float:
    raw = os.environ.get("HUBSCAN_INTERIM_ANALYSIS_SECONDS", "").strip()
    try:
        return max(0.0, float(raw)) if raw else INTERIM_ANALYSIS_SECONDS
    except ValueError:
        raise ValueError(f"HUBSCAN_INTERIM_ANALYSIS_SECONDS must be a number of seconds, got {raw[:40]!r}") from None


class InterimLabels:
    """When a first sweep stops to extract and label the cards it has fetched so far.

    After a page's downloads, when the cards not yet analysed are at least as many as those already
    analysed (1, 2, 4, ... pages: the total work stays linear however long the crawl runs, and a kill
    never leaves more than half the fetched cards unlabelled), or when `every_seconds` passed since
    the last analysis. The first page's cards are analysed at once.
    """

    def __init__(self, every_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_seconds = every_seconds
        self._clock = clock
        self.analysed = 0
        self.waiting = 0
        self.passes = 0
        self._last = clock()

    def fetched(self, cards: int) -> None:
        self.waiting += cards

    def due(self) -> bool:
        if self.waiting <= 0:
            return False
        return self.waiting >= self.analysed or self._clock() - self._last >= self.every_seconds

    def done(self) -> None:
        self.analysed += self.waiting
        self.waiting = 0
        self.passes += 1
        self._last = self._clock()
