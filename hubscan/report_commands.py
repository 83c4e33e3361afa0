"""`hubscan report washing`, `hubscan report trends` and `hubscan query`: read the database, never write it."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from .commands import UserError


def _read_only_engine(db: str | None):
    from store.query import read_only_engine

    try:
        engine = read_only_engine(db)
    except FileNotFoundError as exc:
        raise UserError(f"{exc} (crawl first, or pass --db)") from exc
    if engine.dialect.name != "sqlite":
        # A server database has no file to check: an unreachable server or a missing database
        # should read like the missing file does, not as a traceback.
        try:
            with engine.connect():
                pass
        except SQLAlchemyError as exc:
            message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise UserError(f"cannot open the database: {message}") from exc
    return engine


def _print_files(title: str, files: dict[str, Path]) -> None:
    print(title)
    for kind, path in files.items():
        print(f"  {kind:<22} {path}")


def report_washing(args) -> int:
    from reports import ReportError, write_washing_report

    from reports.scope import private_repos

    engine = _read_only_engine(args.db)
    try:
        with private_repos(args.include_private):
            files = write_washing_report(engine, Path(args.out), week=args.week)
    except ReportError as exc:
        raise UserError(str(exc)) from exc
    _print_files(f"open-washing report written to {Path(args.out).resolve()}:", files)
    return 0


def report_trends(args) -> int:
    from reports import ReportError, write_trend_report

    from reports.scope import private_repos

    engine = _read_only_engine(args.db)
    try:
        with private_repos(args.include_private):
            files = write_trend_report(engine, Path(args.out), since=args.since)
    except ReportError as exc:
        raise UserError(str(exc)) from exc
    _print_files(f"trend report written to {Path(args.out).resolve()}:", files)
    return 0


def query(args) -> int:
    from store.query import CLI_MAX_ROWS, FORMATTERS, QueryRefused, QueryTimeout, run_query

    sql = sys.stdin.read() if args.sql == "-" else args.sql
    if args.timeout < 0:
        raise UserError("--timeout must be 0 (no limit) or more seconds")
    engine = _read_only_engine(args.db)
    try:
        result = run_query(engine, sql, timeout=args.timeout or None, max_rows=CLI_MAX_ROWS)
    except QueryRefused as exc:
        raise UserError(f"query refused: {exc}") from exc
    except QueryTimeout as exc:
        raise UserError(str(exc)) from exc
    except SQLAlchemyError as exc:
        # The database's own message (syntax error, unknown column, read-only refusal), without a traceback.
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise UserError(f"query failed: {message}") from exc
    text = FORMATTERS[args.format](result)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
