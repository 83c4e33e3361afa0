"""store: the hubscan database (schema, migrations, crawl writes) and read-only access for researchers.

In a notebook:

    from store import open_db
    db = open_db("hubscan.db")            # a file path or a SQLAlchemy URL; opened read-only
    df = db.frame("latest_labels")        # a view or table by name, or a SELECT statement
    rows = db.query("SELECT label, COUNT(*) AS n FROM latest_labels GROUP BY label")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .query import Database


def open_db(url_or_path: str | Path | None = None) -> "Database":
    """A read-only handle with `.frame(view_or_sql)` (pandas), `.query(sql)` (dicts) and `.engine`."""
    # Imported here so that `import store.schema` stays light for the crawler.
    from .query import Database

    return Database(url_or_path)
