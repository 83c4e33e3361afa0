"""Dataset cards (README.md of the datasets versions declare): which to fetch, and storing them.

One resolver call per new dataset version, like a model's README: `dataset_versions.readme_status`
is NULL until the crawl fetched it, then ok | absent | gated | unavailable | error | oversize.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from . import schema as s
from .blobs import pack
from .crawl_writes import add_problem
from .portable import fit


def cards_due(conn: Connection, after: int = 0, batch: int = 200) -> list[tuple[int, str, str]]:
    """(dataset version id, dataset id, sha) of current dataset versions whose card was never fetched."""
    d, dv = s.datasets, s.dataset_versions
    rows = conn.execute(
        select(dv.c.id, dv.c.dataset_id, dv.c.sha)
        .join(d, d.c.current_version_id == dv.c.id)
        .where(dv.c.readme_status.is_(None), dv.c.id > after)
        .order_by(dv.c.id)
        .limit(batch)
    )
    return [(r.id, r.dataset_id, r.sha) for r in rows]


def record_card(conn: Connection, run_id: int, version_id: int, dataset_id: str, sha: str, status: str,
                content: bytes | None, code: str | None, error: str | None) -> None:
    conn.execute(
        update(s.dataset_versions)
        .where(s.dataset_versions.c.id == version_id)
        .values(**fit(s.dataset_versions, {"readme_status": status, "readme": pack(content)}))
    )
    if code and status not in ("absent", "gated", "unavailable"):
        add_problem(conn, run_id, "dataset", dataset_id, sha, "readme", code, f"README.md: {error or code}")
