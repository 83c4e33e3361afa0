"""The `hubscan` command: thin wiring of crawler/, store/, extract/, classify/ and reports/."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Sequence

# Only the standard library at import time: `hubscan --help` must not pay for huggingface_hub,
# SQLAlchemy, pandas or rich. Each command's module is imported when the command runs.
from . import __version__
from .errors import INTERRUPTED, HubscanError, one_line, os_error, product_error

log = logging.getLogger("hubscan")

DB_HELP = (
    "database: a SQLAlchemy URL (sqlite:///path.db, postgresql+psycopg://...) or a file path; "
    "default: $HUBSCAN_DB, else sqlite:///hubscan.db in the working directory. Only crawl and demo "
    "create a database; other commands need an existing one"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubscan",
        description="How open are the models on the Hugging Face Hub? Crawl the Hub into a database, "
        "extract the evidence of openness, label every model (Open Source and Open Data / Open Source / "
        "Open Weights / Weights Available / No Weights) and report open-washing.",
    )
    parser.add_argument("--version", action="version", version=f"hubscan {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step (never the token)")
    # -v is accepted after the command too (`hubscan crawl -v`); SUPPRESS keeps the top-level value.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log every step (never the token)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_parser_with(verbose))

    p = sub.add_parser(
        "crawl",
        help="crawl the Hub (or a replay hub) into the database",
        description="Walk the model listing (1,000 models per API call), store every new or changed version "
        "with its README and licence files, fetch linked datasets, then extract evidence and label what changed. "
        "Authenticates with HF_TOKEN when set (never stored or printed). Extraction runs on "
        "$HUBSCAN_EXTRACT_JOBS processes (default: the CPUs it may use, at most 4).",
    )
    p.add_argument("--endpoint", help="Hub URL; default: $HF_ENDPOINT, else https://huggingface.co")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--limit", type=int, help="stop after N models (a partial sweep: no disappearance marking)")
    p.add_argument("--author", help="only models of this user or organisation")
    p.add_argument("--search", help="only models whose id contains this text")
    p.add_argument("--workers", type=int, default=4, help="concurrent README/file downloads (default 4)")
    p.add_argument(
        "--mode",
        choices=("auto", "full", "incremental"),
        default="auto",
        help="full: walk every listing page (detects disappeared models); incremental: newest-modified first, "
        "stop at the last run's high-water mark; auto (default): full when none finished in --full-every-days",
    )
    p.add_argument("--full-every-days", type=float, default=7.0, help="auto mode: days between full sweeps (default 7)")
    p.add_argument(
        "--shard",
        metavar="K/N",
        help="be worker K of N (0-based) sharing one database: store, download and label only the repos "
        "whose id hashes to K; run N workers (each with its own HF_TOKEN) for one sweep",
    )
    p.add_argument("--no-analyse", action="store_true", help="store only; skip extraction and labelling")
    p.add_argument(
        "--no-github",
        action="store_true",
        help="do not check the GitHub repositories cards link (otherwise checked when GITHUB_TOKEN is set; "
        "API at $HUBSCAN_GITHUB_API, default https://api.github.com): card-only code evidence",
    )
    p.set_defaults(func="commands:crawl")

    p = sub.add_parser(
        "demo",
        help="replay four weekly crawls of a bundled snapshot of real models through a local replay hub (no network, no token)",
        description="Start the loopback replay hub on the snapshot shipped with hubscan (real models, plus an invented "
        "organisation whose models change from week to week), crawl it four times as four weekly crawls with the real "
        "huggingface_hub client, label every model, print what was stored and write both reports beside the database.",
    )
    p.add_argument("--db", default="hubscan-demo.db", help="where to write: a file path or a SQLAlchemy URL, as for every command "
                   "(default ./hubscan-demo.db; a SQLite file is replaced, a server database must be empty)")
    p.set_defaults(func="commands:demo")

    p = sub.add_parser("status", help="recent crawl runs and database counts", description="Show the last runs and what the database holds.")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--runs", type=int, default=10, help="how many runs to show (default 10)")
    p.set_defaults(func="commands:status")

    for name, func, text in (
        ("extract", "commands:extract", "(re)compute evidence for every stored version from the database alone (no network; "
         "$HUBSCAN_EXTRACT_JOBS processes, default: the CPUs it may use, at most 4)"),
        ("classify", "commands:classify", "(re)label every stored version from its evidence (no network)"),
    ):
        p = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        p.add_argument("--db", help=DB_HELP)
        p.set_defaults(func=func)

    p = sub.add_parser("explain", help="why a model has its label: every gate with its evidence", description="Print a model's label, each gate passed or failed with the evidence used, and the rule-set version.")
    p.add_argument("repo_id")
    p.add_argument("--db", help=DB_HELP)
    p.set_defaults(func="commands:explain")

    p = sub.add_parser("export", help="one record per model (latest version) as JSONL, CSV or Parquet", description="Export the latest label and key evidence of every model: JSONL or CSV to a file or standard output, or Parquet files into a directory.")
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), default="jsonl", help="jsonl or csv (default jsonl): one record per model; parquet: latest_labels, evidence, label_history and lineage .parquet files in the directory --output DIR")
    p.add_argument("--output", help="file to write (default: standard output)")
    p.add_argument("--include-private", action="store_true", help="also include private repositories (listed to a member's token); leave them out of anything you publish")
    p.set_defaults(func="commands:export")

    # --- reports and read-only queries (hubscan/report_commands.py) ---
    p = sub.add_parser("report", help="write the weekly open-washing report or the trend report", description="Write a report from the crawl history: self-contained HTML (inline SVG charts, no script), plus Markdown/CSV.")
    report_sub = p.add_subparsers(dest="report", metavar="REPORT", required=True, parser_class=_parser_with(verbose))
    r = report_sub.add_parser("washing", help="the weekly open-washing report", description="Headline numbers, the open-washing list ranked by downloads, what changed since last week (new and cleared flags, label and licence changes), organisations, and licence laundering along lineage, for one ISO week's latest crawl.")
    r.add_argument("--db", help=DB_HELP)
    r.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: the latest week with a finished crawl)")
    r.add_argument("--out", default="reports-out", help="directory to write into (default ./reports-out)")
    r.add_argument("--include-private", action="store_true", help="also include private repositories (listed to a member's token); leave them out of anything you publish")
    r.set_defaults(func="report_commands:report_washing")
    r = report_sub.add_parser("trends", help="label shares over time, in three download tiers", description="Share of models per label by month of creation and by crawl date, for all models, models with more than 1,000 downloads and the top 1,000; no-licence share; share declaring datasets, training code, data information and a base model.")
    r.add_argument("--db", help=DB_HELP)
    r.add_argument("--since", help="first date to include, YYYY-MM-DD (default: everything)")
    r.add_argument("--out", default="reports-out", help="directory to write into (default ./reports-out)")
    r.add_argument("--include-private", action="store_true", help="also include private repositories (listed to a member's token); leave them out of anything you publish")
    r.set_defaults(func="report_commands:report_trends")
    _review_commands().add_feed_parser(report_sub, DB_HELP)

    p = sub.add_parser("query", help="run a read-only SQL query on the database", description="Run one SELECT (or WITH/EXPLAIN/read-only PRAGMA) on a read-only connection and print the rows. Statements that write (INSERT, UPDATE, DELETE, DROP, ATTACH, ...) are refused. Views: latest_labels, label_history, washing_flags, licence_changes, lineage, without private repositories; each has an _all twin that includes them (see docs/schema.md).")
    p.add_argument("sql", help='the statement, e.g. "SELECT label, COUNT(*) FROM latest_labels GROUP BY label"; - reads it from standard input')
    p.add_argument("--db", help=DB_HELP)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format (default: table)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds the statement may run before it is stopped (default 30; 0: no limit)")
    p.set_defaults(func="report_commands:query")

    # --- reviews and outside judges (hubscan/review_commands.py) ---
    _review_commands().register(sub, DB_HELP)
    return parser


def _review_commands():
    """The parsers of `review`, `compare` and `report feed` (their module imports only the standard library)."""
    from . import review_commands

    return review_commands


def _parser_with(*parents: argparse.ArgumentParser):
    """The parser class for sub-commands: every one also takes the options of `parents` (-v)."""

    class SubParser(argparse.ArgumentParser):
        def __init__(self, **kwargs):
            kwargs["parents"] = [*kwargs.get("parents", ()), *parents]
            super().__init__(**kwargs)

    return SubParser


def _command(spec: str):
    module, name = spec.split(":")
    return getattr(importlib.import_module(f"hubscan.{module}"), name)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # huggingface_hub asks its endpoint for a registry of AI-agent harnesses to decorate its
    # user agent unless telemetry is off: a request no crawl needs (and the demo must not make).
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    try:
        return int(_command(args.func)(args) or 0)
    except BaseException as exc:  # noqa: BLE001 - every error a user can meet ends here, as one line
        code, message = exit_status(exc)
        if message:
            print(f"hubscan: {message}", file=sys.stderr)
        return code


def exit_status(exc: BaseException) -> tuple[int, str]:
    """The one place that turns an error into an exit code and a one-line message (hubscan/errors.py)."""
    if isinstance(exc, HubscanError):
        return exc.exit_code, one_line(exc)
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted; the next crawl resumes what was left"
    if isinstance(exc, BrokenPipeError):
        # `hubscan export | head`: the reader has what it wanted. Python would complain again when it
        # flushes stdout at exit, so point stdout at /dev/null first.
        _silence_stdout()
        return 0, ""
    mapped = product_error(exc)
    if mapped is not None:
        return mapped
    if isinstance(exc, OSError) and exc.filename is not None:
        return 2, os_error(exc)
    raise exc


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
