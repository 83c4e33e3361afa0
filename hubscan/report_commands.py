"""`hubscan report washing`, `hubscan report trends` and `hubscan query`: read the database, never write it."""

from __future__ import annotations

import sys
from pathlib import Path

from .commands import writable_directory
from .errors import UsageError


def _read_only_engine(db: str | None):
    """A read-only engine on an existing database; store raises DatabaseUnavailable naming what is wrong."""
    from store.db import DatabaseMissing, DatabaseUnavailable, describe, first_line, normalise_url
    from store.query import read_only_engine

    try:
        engine = read_only_engine(db)
    except DatabaseMissing as exc:
        raise DatabaseMissing(f"{exc} (crawl first, or pass --db)") from exc
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    # Connect now, so an unreachable server, an unreadable file or a file that is no hubscan
    # database reads as one line instead of failing half-way through a report.
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("runs"):
                raise DatabaseUnavailable(f"{describe(normalise_url(db))} is not a hubscan database (no hubscan tables)")
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot open the database {describe(normalise_url(db))}: {first_line(exc)}") from exc
    return engine


def _print_files(title: str, files: dict[str, Path]) -> None:
    print(title)
    for kind, path in files.items():
        print(f"  {kind:<22} {path}")


def report_washing(args) -> int:
    from reports import write_washing_report

    from reports.scope import private_repos

    engine = _read_only_engine(args.db)
    writable_directory(Path(args.out), "--out")
    with private_repos(args.include_private):
        files = write_washing_report(engine, Path(args.out), week=args.week)
    _print_files(f"open-washing report written to {Path(args.out).resolve()}:", files)
    return 0


def report_trends(args) -> int:
    from reports import write_trend_report

    from reports.scope import private_repos

    engine = _read_only_engine(args.db)
    writable_directory(Path(args.out), "--out")
    with private_repos(args.include_private):
        files = write_trend_report(engine, Path(args.out), since=args.since)
    _print_files(f"trend report written to {Path(args.out).resolve()}:", files)
    return 0


def query(args) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from store.db import first_line
    from store.query import CLI_MAX_ROWS, FORMATTERS, QueryTimeout, run_query

    sql = sys.stdin.read() if args.sql == "-" else args.sql
    if args.timeout < 0:
        raise UsageError("--timeout must be 0 (no limit) or more seconds")
    engine = _read_only_engine(args.db)
    try:
        result = run_query(engine, sql, timeout=args.timeout or None, max_rows=CLI_MAX_ROWS)
    except QueryTimeout as exc:
        raise UsageError(str(exc)) from exc
    except SQLAlchemyError as exc:
        # The database's own message (syntax error, unknown column, read-only refusal), without a traceback.
        raise UsageError(f"query failed: {first_line(exc)}") from exc
    text = FORMATTERS[args.format](result)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
