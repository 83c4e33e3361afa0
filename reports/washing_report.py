"""The weekly open-washing report: who claims more openness than they have, and what changed.

`build_washing_report` gathers the data for one ISO week (the latest finished crawl of that week)
and compares it with the previous week that has crawls; `write_washing_report` writes it as a
self-contained HTML page, Markdown with SVG charts beside it, and CSV files.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from classify.rules import LABELS, RULE_VERSION
from classify.washing import glossary
from store.collector import collector_paused
from store.rollups import ensure_run_rollups
from store.week_changes import week_changes_stored

from . import charts, render, scorecards
from .changes import Changes, changes_between, week_changes
from .runs import RunInfo, latest_per, report_runs, week_and_previous
from .scope import rollup_scope
from .run_view import (
    FlaggedModel,
    LaunderingPair,
    OrganisationRow,
    Summary,
    flagged_models,
    laundering,
    leaders,
    organisations,
    summary,
)

TOP_ORGANISATIONS = 20
LIST_LIMIT = 200  # rows per list shown on the page; the CSV files have them all

# What each open-washing reason code means, for readers of the report (policy/washing.yaml).
REASON_CODES = {c["code"]: c["title"] for c in glossary()}


@dataclass(frozen=True)
class WeekPoint:
    week: str
    run: RunInfo
    summary: Summary


@dataclass(frozen=True)
class WashingReport:
    week: str
    run: RunInfo
    previous: tuple[str, RunInfo] | None
    summary: Summary
    flagged: tuple[FlaggedModel, ...]
    changes: Changes | None
    organisations: tuple[OrganisationRow, ...]
    laundering: tuple[LaunderingPair, ...]
    timeline: tuple[WeekPoint, ...]  # every week with crawls up to this one
    rule_version: str = RULE_VERSION
    scorecards: tuple[scorecards.Scorecard, ...] = ()  # top organisations by downloads (reports/scorecards.py)
    stale_reviews: tuple = ()  # store.reviews.StaleReview: reviewers' labels no longer published

    @property
    def new_flag_ids(self) -> frozenset[str]:
        return frozenset(c.repo_id for c in self.changes.new_flags) if self.changes else frozenset()


def build_washing_report(engine: Engine, week: str | None = None, top_organisations: int = TOP_ORGANISATIONS) -> WashingReport:
    with collector_paused():
        return _build_washing_report(engine, week, top_organisations)


def _build_washing_report(engine: Engine, week: str | None, top_organisations: int) -> WashingReport:
    with engine.connect() as conn:
        runs = report_runs(conn)
    ensure_run_rollups(engine, [r.id for r in latest_per(runs, "week").values()])  # the timeline reads them
    with engine.connect() as conn:
        runs = report_runs(conn)
        week, run, previous = week_and_previous(runs, week)
        from store.reviews import stale_reviews

        # One of the two largest parts is read on a second connection in a second thread while this
        # one reads the rest (the database works outside Python's global lock, so on two cores the
        # two overlap): the week's changes when they must be computed, else (stored, they are read
        # here in a moment) the licence-laundering pairs. The thread runs in this context (the
        # private-repos choice).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubscan-report") as pool:
            pending = pending_laundering = None
            if _own_connections(engine):
                if previous and not week_changes_stored(conn, previous[1].id, run.id):
                    pending = pool.submit(contextvars.copy_context().run, week_changes, engine, previous[1].id, run.id)
                else:
                    pending_laundering = pool.submit(contextvars.copy_context().run, _laundering, engine, run.id)
            # the unverified lineage is shown for the report's week only: the earlier weeks read their
            # stored aggregates alone
            timeline = tuple(
                WeekPoint(w, r, summary(conn, r.id, lineage=w == week)) for w, r in latest_per(runs, "week").items() if w <= week
            )
            # one pass over the run's models for both lists of leading organisations (public ones; the
            # organisation table shows private ones too when asked)
            public_leaders = leaders(conn, run.id, max(top_organisations, scorecards.TOP + 1), public_only=True)
            shown_leaders = public_leaders if rollup_scope() == "public" else None
            flagged = tuple(flagged_models(conn, run.id))
            shown_organisations = tuple(organisations(conn, run.id, top_organisations, shown_leaders))
            # this thread's own part first, then the other's result
            if pending is None:
                changes = changes_between(conn, previous[1].id, run.id) if previous else None
            laundered = pending_laundering.result() if pending_laundering is not None else tuple(laundering(conn, run.id))
            if pending is not None:
                changes = pending.result()

        return WashingReport(
            week=week,
            run=run,
            previous=previous,
            summary=timeline[-1].summary,
            flagged=flagged,
            changes=changes,
            organisations=shown_organisations,
            laundering=laundered,
            timeline=timeline,
            scorecards=tuple(scorecards.build_scorecards(conn, run, [(p.week, p.run) for p in timeline], changes, public_leaders=public_leaders)),
            stale_reviews=tuple(stale_reviews(conn)),
        )


def _own_connections(engine: Engine) -> bool:
    """Can a second thread open its own connection to the same data? Not to an in-memory SQLite
    database: each connection to one is a database of its own."""
    return not (engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"))


def _laundering(engine: Engine, run_id: int) -> tuple[LaunderingPair, ...]:
    with engine.connect() as conn:
        return tuple(laundering(conn, run_id))


# --- charts -----------------------------------------------------------------------------

CHART_TITLES = {
    "labels": "Share of models per label, by crawl week",
    "labels_weighted": "Share of downloads per label, by crawl week",
    "flagged": "Share of models flagged for open-washing, by crawl week",
    "organisations": "Top organisations by downloads: their models per label",
}


def washing_charts(report: WashingReport) -> dict[str, charts.Markup]:
    weeks = [p.week for p in report.timeline]
    labels = [label for label in reversed(LABELS)]
    by_models = [charts.Series(label, tuple(next(x.share for x in p.summary.labels if x.label == label) for p in report.timeline)) for label in labels]
    by_downloads = [
        charts.Series(label, tuple(next(x.download_share for x in p.summary.labels if x.label == label) for p in report.timeline)) for label in labels
    ]
    flagged = [charts.Series("flagged for open-washing", tuple(p.summary.flagged_share for p in report.timeline), "#D55E00")]
    orgs = list(report.organisations)
    org_series = [charts.Series(label, tuple(float(o.label_counts.get(label, 0)) for o in orgs)) for label in labels]
    return {
        "labels": charts.stacked_columns(weeks, by_models, CHART_TITLES["labels"], css_class="labels-over-time"),
        "labels_weighted": charts.stacked_columns(weeks, by_downloads, CHART_TITLES["labels_weighted"], css_class="labels-weighted"),
        "flagged": charts.lines(weeks, flagged, CHART_TITLES["flagged"], y_max=None, css_class="flagged-share"),
        "organisations": charts.stacked_rows(
            [o.organisation or "(no organisation)" for o in orgs], org_series,
            CHART_TITLES["organisations"], css_class="top-organisations",
        ),
    }


# --- files ------------------------------------------------------------------------------


def _context(report: WashingReport) -> dict:
    return {
        "r": report,
        "labels": list(reversed(LABELS)),
        "reason_codes": REASON_CODES,
        "glossary": glossary(),
        "limit": LIST_LIMIT,
    }


def write_washing_report(engine: Engine, out_dir: str | Path, week: str | None = None) -> dict[str, Path]:
    """Write the report for `week` (default: the latest week with a finished crawl). Returns the files by kind."""
    report = build_washing_report(engine, week)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"washing-{report.week}"
    svgs = washing_charts(report)
    files: dict[str, Path] = {}
    files["html"] = render.write_text(out / f"{stem}.html", render.render_html("washing.html.j2", charts=svgs, **_context(report)))
    chart_files = {name: render.write_svg(out / f"{stem}-{name.replace('_', '-')}.svg", svg) for name, svg in svgs.items()}
    images = {name: render.md_image(CHART_TITLES[name], path.name) for name, path in chart_files.items()}
    files["markdown"] = render.write_text(out / f"{stem}.md", render.render_markdown("washing.md.j2", images=images, **_context(report)))
    files["csv"] = render.write_csv(
        out / f"{stem}.csv",
        ("rank", "repo_id", "organisation", "label", "confidence", "licence", "downloads", "reason_codes", "claim", "claim_source", "falls_short", "reasons", "url", "new_this_week"),
        (
            (i, f.repo_id, f.organisation, f.label, f.confidence, f.licence, f.downloads, f.codes, f.claim, f.claim_source, f.falls_short, f.reasons, f.url, f.repo_id in report.new_flag_ids)
            for i, f in enumerate(report.flagged, 1)
        ),
    )
    files["changes_csv"] = render.write_csv(
        out / f"{stem}-changes.csv",
        ("kind", "repo_id", "organisation", "downloads", "before", "after", "direction", "detail", "url"),
        ((c.kind, c.repo_id, c.organisation, c.downloads, c.before, c.after, c.direction, c.detail, c.url) for c in (report.changes.all() if report.changes else ())),
    )
    labels = list(reversed(LABELS))
    files["organisations_csv"] = render.write_csv(
        out / f"{stem}-organisations.csv",
        ("organisation", "models", "downloads", "flagged", *(f"{label} (models)" for label in labels), *(f"{label} (%)" for label in labels)),
        (
            (o.organisation, o.models, o.downloads, o.flagged, *(o.label_counts.get(label, 0) for label in labels), *(round(o.share(label), 2) for label in labels))
            for o in report.organisations
        ),
    )
    files["laundering_csv"] = render.write_csv(
        out / f"{stem}-laundering.csv",
        ("base_id", "base_licence", "base_licence_family", "derivative_id", "derivative_licence", "derivative_licence_family", "relation", "derivative_label", "downloads"),
        ((p.base_id, p.base_licence, p.base_family, p.derivative_id, p.derivative_licence, p.derivative_family, p.relation, p.derivative_label, p.downloads) for p in report.laundering),
    )
    files["timeline_csv"] = render.write_csv(
        out / f"{stem}-timeline.csv",
        ("week", "run_id", "run_started_at", "models", "labelled", "flagged", "flagged_share", *(f"{label} (%)" for label in labels), *(f"{label} (% of downloads)" for label in labels)),
        (
            (p.week, p.run.id, p.run.started_at, p.summary.models, p.summary.labelled, p.summary.flagged, round(p.summary.flagged_share, 2),
             *(round(x.share, 2) for x in _ordered(p.summary, labels)), *(round(x.download_share, 2) for x in _ordered(p.summary, labels)))
            for p in report.timeline
        ),
    )
    files["scorecards_csv"] = render.write_csv(out / f"{stem}-scorecards.csv", scorecards.CSV_HEADER, scorecards.csv_rows(report.scorecards))
    for name, path in chart_files.items():
        files[f"chart_{name}"] = path
    return files


def _ordered(s: Summary, labels: list[str]):
    by = {x.label: x for x in s.labels}
    return [by[label] for label in labels]
