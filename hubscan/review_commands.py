"""`hubscan review ...`, `hubscan compare` and `hubscan report feed`: their parsers and what they do.

Parsers are registered from cli.py; each command imports what it needs when it runs, so `--help`
stays light.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from .errors import UsageError as UserError

LABEL_CHOICES = "Open Source and Open Data, Open Source, Open Weights, Weights Available, No Weights"


def register(sub, db_help: str) -> None:
    """Add `review` and `compare` to the top-level subparsers."""
    p = sub.add_parser(
        "review",
        help="reviewers' corrections: set, list, clear, export and import reviews",
        description="Record a reviewer's label for a model's current version, with who, why and the evidence. The published "
        "label (export, views, Parquet) is the review's while the model's sha is the one reviewed; when the model changes the "
        "review goes stale and the rules' label is published again. Reviews are append-only and travel as YAML or CSV files.",
    )
    review_sub = p.add_subparsers(dest="review", metavar="ACTION", required=True)

    r = review_sub.add_parser("set", help="record a reviewer's label for a model's current version", description="Record a reviewer's label for the model's current version (its sha). The rules' label stays stored beside it.")
    r.add_argument("repo_id", help="the model, e.g. Qwen/Qwen2.5-0.5B")
    r.add_argument("--label", required=True, help=f"the label the reviewer gives: {LABEL_CHOICES}")
    r.add_argument("--reason", required=True, help="why: what the rules missed or misread")
    r.add_argument("--by", required=True, help="who reviewed (a name or handle)")
    r.add_argument("--evidence", help="a link to the evidence (http/https; credentials are dropped before storing)")
    r.add_argument("--db", help=db_help)
    r.set_defaults(func="review_commands:review_set")

    r = review_sub.add_parser("list", help="reviewed models: active, stale and cleared reviews", description="Each reviewed model's newest review: active (its label is published), stale (the model changed since) or cleared; --log prints every review row.")
    r.add_argument("--state", choices=("active", "stale", "cleared", "absent"), help="only reviews in this state (absent: the model is not in the database)")
    r.add_argument("--log", action="store_true", help="every review row, oldest first (the full provenance)")
    r.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    r.add_argument("--db", help=db_help)
    r.set_defaults(func="review_commands:review_list")

    r = review_sub.add_parser("clear", help="withdraw a model's review (appends a clearing row)", description="Withdraw a model's review: a clearing row is appended (nothing is deleted) and the rules' label is published again.")
    r.add_argument("repo_id")
    r.add_argument("--by", help="who withdraws it (default: $HUBSCAN_REVIEWER, else the login name)")
    r.add_argument("--reason", help="why the review is withdrawn")
    r.add_argument("--db", help=db_help)
    r.set_defaults(func="review_commands:review_clear")

    r = review_sub.add_parser("export", help="write every review to a YAML or CSV file (for git)", description="Write the whole review log (every set and clear, oldest first) to FILE: YAML for .yaml/.yml, CSV for .csv.")
    r.add_argument("file", help="FILE.yaml, FILE.yml or FILE.csv")
    r.add_argument("--db", help=db_help)
    r.set_defaults(func="review_commands:review_export")

    r = review_sub.add_parser("import", help="add the reviews of a YAML or CSV file (rows already stored are skipped)", description="Append the reviews of FILE (as written by `review export`, or hand-written: repo_id, label, reason, reviewed_by, and optionally sha, action, evidence_url, reviewed_at). A row without a sha reviews the model's current version. Rows already stored are skipped; a bad row stops the import with nothing written.")
    r.add_argument("file", help="FILE.yaml, FILE.yml or FILE.csv")
    r.add_argument("--db", help=db_help)
    r.set_defaults(func="review_commands:review_import")

    p = sub.add_parser(
        "compare",
        help="compare hubscan's labels with an outside judge's (agreement, confusion matrix, disagreements)",
        description="Read JUDGE_FILE (CSV with header repo_id,label[,judge,source,reason], or JSON: a list of objects with "
        "repo_id and label or expected) and compare the judge's labels with hubscan's. Labels are the five G7 labels, or a Model "
        "Openness Tool class, a European Open Source AI Index verdict or an OSI validation verdict, mapped through "
        "policy/crosswalk.yaml. Prints the agreement share, a confusion matrix (judge rows, hubscan columns) and every "
        "disagreement with hubscan's rule and gate reasons. Exit 2 on a bad file.",
    )
    p.add_argument("judge_file", metavar="JUDGE_FILE", help="the judge's labels: .csv or .json")
    p.add_argument("--db", help=db_help)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="table (default), csv (one row per judged model) or json; the agreement line goes to standard error for csv and json")
    p.add_argument("--rules", action="store_true", help="compare the rules' labels (computed_label) instead of the published ones (reviews applied)")
    p.set_defaults(func="review_commands:compare")


def add_feed_parser(report_sub, db_help: str) -> None:
    """Add `report feed` to the `report` subparsers."""
    r = report_sub.add_parser(
        "feed",
        help="an Atom and a JSON Feed of label changes, washing flags and licence changes",
        description="Write feed.atom (Atom 1.0) and feed.json (JSON Feed 1.1): one entry per label change, new or cleared "
        "open-washing flag, licence change (tightened licences first) and reviewer's correction, over the latest crawls, "
        "each with a stable id, a link to the model on the Hub and a summary from its explanation. A first crawl's flags count as new.",
    )
    r.add_argument("--db", help=db_help)
    r.add_argument("--out", default="reports-out", help="directory to write into (default ./reports-out)")
    r.add_argument("--runs", type=int, default=8, help="how many of the latest finished crawls to cover (default 8)")
    r.add_argument("--limit", type=int, default=500, help="at most this many entries, newest first (default 500)")
    r.add_argument("--base-url", help="where the feed files will be served (e.g. https://example.org/hubscan/); sets the feeds' self links")
    r.set_defaults(func="review_commands:report_feed")


# --- review -----------------------------------------------------------------------------


def _engine(db: str | None):
    from .commands import database

    return database(db)


def _review_error(exc) -> UserError:
    return UserError(str(exc))


def review_set(args) -> int:
    from store.reviews import ReviewError, newest_reviews, set_review

    engine = _engine(args.db)
    try:
        with engine.begin() as conn:
            review = set_review(conn, args.repo_id, args.label, args.reason, args.by, args.evidence)
            state = newest_reviews(conn, [review.repo_id])[0]
    except ReviewError as exc:
        raise _review_error(exc) from exc
    rules = f"; the rules say {state.computed_label}" if state.computed_label and state.computed_label != review.label else ""
    print(f"review recorded: {review.repo_id} @ {review.sha[:12]} is {review.label} (by {review.reviewed_by}, {review.reviewed_at}){rules}")
    return 0


def review_clear(args) -> int:
    import getpass
    import os

    from store.reviews import ReviewError, clear_review

    by = args.by or os.environ.get("HUBSCAN_REVIEWER") or getpass.getuser()
    engine = _engine(args.db)
    try:
        with engine.begin() as conn:
            review = clear_review(conn, args.repo_id, by, args.reason)
    except ReviewError as exc:
        raise _review_error(exc) from exc
    print(f"review cleared: {review.repo_id} (by {review.reviewed_by}, {review.reviewed_at}); the rules' label is published again")
    return 0


def review_list(args) -> int:
    from dataclasses import asdict

    from store.reviews import review_log, newest_reviews

    engine = _engine(args.db)
    with engine.connect() as conn:
        if args.log:
            rows = review_log(conn)
            if args.format == "json":
                print(json.dumps([asdict(r) for r in rows], indent=1, ensure_ascii=False))
                return 0
            if not rows:
                print("no reviews yet: hubscan review set REPO_ID --label LABEL --reason TEXT --by NAME")
                return 0
            for r in rows:
                what = f"set {r.label}" if r.action == "set" else "clear"
                print(f"{r.reviewed_at}  {r.repo_id} @ {r.sha[:12]}  {what}  by {r.reviewed_by}  ({r.origin})")
                if r.reason:
                    print(textwrap.fill(" ".join(r.reason.split()), width=110, initial_indent="    ", subsequent_indent="    "))
                if r.evidence_url:
                    print(f"    evidence: {r.evidence_url}")
            return 0
        states = [st for st in newest_reviews(conn) if args.state is None or st.state == args.state]
    if args.format == "json":
        print(json.dumps([
            {"repo_id": st.review.repo_id, "state": st.state, "label": st.review.label, "computed_label": st.computed_label,
             "published_label": st.published_label, "sha_reviewed": st.review.sha, "current_sha": st.current_sha,
             "reviewed_by": st.review.reviewed_by, "reviewed_at": st.review.reviewed_at, "reason": st.review.reason,
             "evidence_url": st.review.evidence_url}
            for st in states
        ], indent=1, ensure_ascii=False))
        return 0
    if not states:
        print("no reviews" + (f" in state {args.state}" if args.state else " yet: hubscan review set REPO_ID --label LABEL --reason TEXT --by NAME"))
        return 0
    print(f"{'model':<44} {'state':<8} {'review label':<26} {'rules label':<26} {'sha reviewed':<13} {'by':<16} reviewed at")
    for st in states:
        r = st.review
        print(f"{r.repo_id[:43]:<44} {st.state:<8} {r.label or '-':<26} {st.computed_label or '-':<26} {r.sha[:12]:<13} {r.reviewed_by[:15]:<16} {r.reviewed_at}")
    counts = {state: sum(1 for st in states if st.state == state) for state in ("active", "stale", "cleared", "absent")}
    absent = f", {counts['absent']} absent (model not in the database)" if counts["absent"] else ""
    print(f"({len(states)} reviewed model{'s' if len(states) != 1 else ''}: {counts['active']} active, {counts['stale']} stale, {counts['cleared']} cleared{absent})")
    return 0


def review_export(args) -> int:
    from store.reviews import ReviewError, review_log, write_review_file

    engine = _engine(args.db)
    with engine.connect() as conn:
        rows = review_log(conn)
    try:
        count = write_review_file(rows, Path(args.file))
    except ReviewError as exc:
        raise _review_error(exc) from exc
    except OSError as exc:
        raise UserError(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    print(f"{count} review{'s' if count != 1 else ''} written to {args.file}")
    return 0


def review_import(args) -> int:
    from store.reviews import ReviewError, import_reviews, read_review_file

    engine = _engine(args.db)
    try:
        rows = read_review_file(Path(args.file))
        with engine.begin() as conn:
            added, present = import_reviews(conn, rows)
    except ReviewError as exc:
        raise _review_error(exc) from exc
    print(f"{added} review{'s' if added != 1 else ''} imported from {args.file} ({present} already stored)")
    return 0


# --- compare ----------------------------------------------------------------------------


def compare(args) -> int:
    from reports.compare import JudgeFileError, compare_with_judge, format_csv, format_json, format_table, read_judge_file

    from .report_commands import _read_only_engine

    try:
        judgements = read_judge_file(Path(args.judge_file))
    except JudgeFileError as exc:
        raise UserError(str(exc)) from exc
    engine = _read_only_engine(args.db)
    with engine.connect() as conn:
        result = compare_with_judge(conn, judgements, use_rules=args.rules)
    if args.format == "table":
        sys.stdout.write(format_table(result))
    else:
        sys.stdout.write(format_csv(result) if args.format == "csv" else format_json(result))
        print(result.agreement_line(), file=sys.stderr)
    return 0


# --- report feed ------------------------------------------------------------------------


def report_feed(args) -> int:
    from reports import ReportError
    from reports.feed import write_feeds

    from .report_commands import _print_files, _read_only_engine

    if args.runs < 1 or args.limit < 1:
        raise UserError("--runs and --limit must be at least 1")
    engine = _read_only_engine(args.db)
    try:
        files = write_feeds(engine, Path(args.out), runs=args.runs, limit=args.limit, base_url=args.base_url)
    except ReportError as exc:
        raise UserError(str(exc)) from exc
    _print_files(f"feeds written to {Path(args.out).resolve()}:", files)
    return 0

