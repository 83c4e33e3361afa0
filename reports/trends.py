"""The trend report: how the share of each openness label moves, by month of creation and by crawl date.

Shares are given in three tiers, because a few models take almost all downloads: all models,
models with more than 1,000 downloads, and the 1,000 most downloaded. Tiers are drawn from the
downloads each crawl counted. Alongside the labels: the share with no licence, and the share
declaring training datasets, training code, data information and a base model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable

from sqlalchemy import Connection, Engine, case, func, literal, or_, select, true

from classify.rules import LABELS
from store import rollups
from store import schema as s
from store.rollups import ensure_run_rollups

from . import charts, render
from .runs import ReportError, RunInfo, latest_per, parse_day, report_runs
from .run_view import share
from .scope import observed_visible, rollup_scope, visible

DOWNLOADS_TIER = rollups.DOWNLOADS_TIER
TOP_TIER = rollups.TOP_TIER
NO_CREATION_DATE = "unknown"
# What the Hub shows as creation date for models older than its creation-date records.
LEGACY_CREATION_MONTH = "2022-03"

# Below this many models a group's shares are drawn faded (columns) or hollow (points), lines do not
# run through it, and tables mark it: with 19 models or fewer, one model moves a share by 5 points or more.
MIN_GROUP = 20
GRANULARITIES = ("month", "quarter", "year")

FACTS = ("no_licence", "datasets", "training_code", "data_information", "base_model")
FACT_TITLES = {
    "no_licence": "no licence",
    "datasets": "declares training datasets",
    "training_code": "training code released",
    "data_information": "sufficient data information",
    "base_model": "declares a base model",
}


@dataclass(frozen=True)
class Tier:
    key: str
    title: str
    min_downloads: int | None = None  # strictly more than this many downloads
    top: int | None = None  # the N most downloaded (ties by repo id)


def default_tiers(top: int = TOP_TIER, min_downloads: int = DOWNLOADS_TIER) -> tuple[Tier, ...]:
    return (
        Tier("all", "all models"),
        Tier(f"over-{min_downloads}", f"more than {min_downloads:,} downloads", min_downloads=min_downloads),
        Tier(f"top-{top}", f"top {top:,} by downloads", top=top),
    )


@dataclass(frozen=True)
class Slice:
    """Labelled models of one tier in one group (a creation month or a crawl date), as one run saw them."""

    tier: str
    key: str
    run_id: int
    models: int
    label_counts: dict[str, int] = field(default_factory=dict)
    facts: dict[str, int] = field(default_factory=dict)

    def share(self, label: str) -> float:
        return share(self.label_counts.get(label, 0), self.models)

    def fact_share(self, fact: str) -> float:
        return share(self.facts.get(fact, 0), self.models)


@dataclass(frozen=True)
class TrendReport:
    run: RunInfo  # the latest crawl: models by month of creation are read from it
    since: date | None
    tiers: tuple[Tier, ...]
    by_month: tuple[Slice, ...]
    by_crawl: tuple[Slice, ...]

    def months(self) -> list[str]:
        return sorted({x.key for x in self.by_month}, key=lambda k: (k == NO_CREATION_DATE, k))

    def crawl_dates(self) -> list[str]:
        return sorted({x.key for x in self.by_crawl})

    def slice(self, kind: str, tier: str, key: str) -> Slice | None:
        items = self.by_month if kind == "month" else self.by_crawl
        return next((x for x in items if x.tier == tier and x.key == key), None)

    def latest(self, tier: str) -> Slice | None:
        dates = self.crawl_dates()
        return self.slice("crawl", tier, dates[-1]) if dates else None

    @property
    def granularity(self) -> str:
        """Month, quarter or year: the finest at which most creation periods hold MIN_GROUP models or more."""
        dated = [x for x in self.by_month if x.tier == self.tiers[0].key and x.key != NO_CREATION_DATE]
        for granularity in GRANULARITIES[:-1]:
            sizes: dict[str, int] = {}
            for x in dated:
                sizes[period_of(x.key, granularity)] = sizes.get(period_of(x.key, granularity), 0) + x.models
            if sizes and sum(1 for n in sizes.values() if n >= MIN_GROUP) * 2 >= len(sizes):
                return granularity
        return GRANULARITIES[-1]

    def periods(self, tier: str) -> list[tuple[str, "Slice | None"]]:
        """Every creation period from the first to the last (empty ones as None: a gap, not a zero), then 'unknown'."""
        granularity = self.granularity
        grouped: dict[str, list[Slice]] = {}
        for x in self.by_month:
            if x.tier == tier:
                key = x.key if x.key == NO_CREATION_DATE else period_of(x.key, granularity)
                grouped.setdefault(key, []).append(x)
        dated = sorted(k for k in grouped if k != NO_CREATION_DATE)
        keys = period_range(dated[0], dated[-1], granularity) if dated else []
        if NO_CREATION_DATE in grouped:
            keys.append(NO_CREATION_DATE)
        return [(k, merge(grouped[k], k) if k in grouped else None) for k in keys]


def period_of(month: str, granularity: str) -> str:
    """'2024-05' as its month, quarter ('2024-Q2') or year ('2024')."""
    if granularity == "month":
        return month
    year, mm = month[:4], int(month[5:7])
    return year if granularity == "year" else f"{year}-Q{(mm - 1) // 3 + 1}"


def period_range(first: str, last: str, granularity: str) -> list[str]:
    """Every period from `first` to `last`, both included (bounded: a century of months at most)."""
    def index(key: str) -> int:
        year = int(key[:4])
        if granularity == "year":
            return year
        sub = int(key[6:]) - 1 if granularity == "quarter" else int(key[5:7]) - 1
        return year * (4 if granularity == "quarter" else 12) + sub

    def key_of(i: int) -> str:
        if granularity == "year":
            return str(i)
        per = 4 if granularity == "quarter" else 12
        year, sub = divmod(i, per)
        return f"{year}-Q{sub + 1}" if granularity == "quarter" else f"{year}-{sub + 1:02d}"

    start, end = index(first), index(last)
    return [key_of(i) for i in range(start, min(end, start + 1200) + 1)]


def merge(items: Iterable[Slice], key: str) -> Slice:
    items = list(items)
    labels: dict[str, int] = {}
    facts = dict.fromkeys(FACTS, 0)
    for x in items:
        for label, n in x.label_counts.items():
            labels[label] = labels.get(label, 0) + n
        for fact in FACTS:
            facts[fact] += x.facts.get(fact, 0)
    return Slice(items[0].tier, key, items[0].run_id, sum(x.models for x in items), labels, facts)


def date_axis(days: list[str]) -> tuple[list[float], list[tuple[float, str]]]:
    """Positions (0..1) of crawl dates on a true time axis, and ticks: every date when there are few, else month starts."""
    parsed = [date.fromisoformat(d) for d in days]
    if len(parsed) == 1:
        return [0.5], [(0.5, days[0])]
    span = max((parsed[-1] - parsed[0]).days, 1)
    positions = [(d - parsed[0]).days / span for d in parsed]
    if len(parsed) <= 6:
        return positions, list(zip(positions, days))
    months = period_range(days[0][:7], days[-1][:7], "month")
    step = max(1, -(-len(months) // 6))
    ticks = []
    for month in months[::step]:
        first = date.fromisoformat(month + "-01")
        if parsed[0] <= first <= parsed[-1]:
            ticks.append(((first - parsed[0]).days / span, month))
    return positions, ticks or [(0.0, days[0]), (1.0, days[-1])]


def _tier_filter(tier: Tier, run_id: int):
    o = s.observations
    if tier.min_downloads is not None:
        return o.c.downloads > tier.min_downloads
    if tier.top is not None:
        o2 = s.observations.alias("ranked")
        top = (
            select(o2.c.repo_id)
            .where(o2.c.run_id == run_id, observed_visible(o2))
            .order_by(func.coalesce(o2.c.downloads, 0).desc(), o2.c.repo_id)
            .limit(tier.top)
        )
        return o.c.repo_id.in_(top)
    return true()


def slices(conn: Connection, run_id: int, tier: Tier, by_creation_month: bool, key: str = "") -> list[Slice]:
    """Label counts and evidence facts of one tier at one run, grouped by creation month or not at all."""
    o, m, lab, ev = s.observations, s.models, s.labels, s.evidence
    with_datasets = select(s.version_datasets.c.version_id).distinct().subquery("with_datasets")
    with_bases = select(s.version_bases.c.version_id).distinct().subquery("with_bases")
    group = func.substr(m.c.created_at, 1, 7) if by_creation_month else literal(key)

    def count_if(condition):
        return func.sum(case((condition, 1), else_=0))

    rows = conn.execute(
        select(
            group.label("key"),
            lab.c.label,
            func.count().label("models"),
            count_if(or_(ev.c.licence.is_(None), ev.c.licence == "unknown")).label("no_licence"),
            count_if(with_datasets.c.version_id.is_not(None)).label("datasets"),
            count_if(ev.c.training_code == true()).label("training_code"),
            count_if(ev.c.data_information == true()).label("data_information"),
            count_if(with_bases.c.version_id.is_not(None)).label("base_model"),
        )
        .select_from(
            o.join(m, m.c.repo_id == o.c.repo_id)
            .join(lab, lab.c.version_id == o.c.version_id)
            .join(ev, ev.c.version_id == o.c.version_id)
            .outerjoin(with_datasets, with_datasets.c.version_id == o.c.version_id)
            .outerjoin(with_bases, with_bases.c.version_id == o.c.version_id)
        )
        .where(o.c.run_id == run_id, _tier_filter(tier, run_id), visible(m))
        .group_by(group, lab.c.label)
    ).all()
    grouped: dict[str, dict] = {}
    for r in rows:
        k = r.key or NO_CREATION_DATE
        g = grouped.setdefault(k, {"models": 0, "labels": {}, "facts": dict.fromkeys(FACTS, 0)})
        g["models"] += int(r.models)
        g["labels"][r.label] = g["labels"].get(r.label, 0) + int(r.models)
        for fact in FACTS:
            g["facts"][fact] += int(getattr(r, fact) or 0)
    return [Slice(tier.key, k, run_id, g["models"], g["labels"], g["facts"]) for k, g in sorted(grouped.items())]


def crawl_slices(conn: Connection, run_id: int, tier: Tier, key: str, aggregates: list | None = None) -> list[Slice]:
    """One tier of what a run saw (its labelled models), from the run's stored aggregates for the
    default tiers (store/rollups.py: labels as recorded at that run; `aggregates` when read
    already), else counted now."""
    if tier.key not in rollups.TIERS:
        return slices(conn, run_id, tier, by_creation_month=False, key=key)
    if aggregates is None:
        aggregates = rollups.run_rollup(conn, run_id, rollup_scope())
    rows = [r for r in aggregates if r.tier == tier.key and r.label is not None]
    if not rows:
        return []
    labels = {r.label: r.models for r in rows}
    facts = {f: sum(r.facts[f] for r in rows) for f in FACTS}
    return [Slice(tier.key, key, run_id, sum(labels.values()), labels, facts)]


def build_trend_report(engine: Engine, since: str | date | None = None, tiers: tuple[Tier, ...] | None = None) -> TrendReport:
    tiers = tiers or default_tiers()
    since_day = parse_day(since) if isinstance(since, str) else since
    with engine.connect() as conn:
        runs = report_runs(conn)
    ensure_run_rollups(engine, [run.id for run in latest_per(runs, "day").values()])  # the crawl timeline reads them
    with engine.connect() as conn:
        runs = report_runs(conn)
        if not runs:
            raise ReportError("no finished crawl in the database yet: run `hubscan crawl` first")
        daily = {day: run for day, run in latest_per(runs, "day").items() if since_day is None or day >= since_day.isoformat()}
        if not daily:
            raise ReportError(f"no finished crawl since {since_day} (latest: {runs[-1].day})")
        latest = runs[-1]
        by_month: list[Slice] = []
        for tier in tiers:
            for x in slices(conn, latest.id, tier, by_creation_month=True):
                if since_day is None or (x.key != NO_CREATION_DATE and x.key >= since_day.isoformat()[:7]):
                    by_month.append(x)
        stored = any(tier.key in rollups.TIERS for tier in tiers)
        read = {run.id: rollups.run_rollup(conn, run.id, rollup_scope()) for run in daily.values()} if stored else {}  # once per run
        by_crawl = [x for day, run in daily.items() for tier in tiers for x in crawl_slices(conn, run.id, tier, day, read.get(run.id))]
    return TrendReport(latest, since_day, tiers, tuple(by_month), tuple(by_crawl))


# --- charts -----------------------------------------------------------------------------


def trend_charts(report: TrendReport) -> dict[str, charts.Markup]:
    labels = list(reversed(LABELS))
    dates = report.crawl_dates()
    positions, ticks = date_axis(dates) if dates else ([], [])
    by = "month" if report.granularity == "month" else report.granularity
    out: dict[str, charts.Markup] = {}

    def crawl_values(tier: str, get) -> tuple[float, ...]:
        return tuple(get(sl) if (sl := report.slice("crawl", tier, d)) is not None else 0.0 for d in dates)

    def crawl_counts(tier: str) -> list[int]:
        return [sl.models if (sl := report.slice("crawl", tier, d)) is not None else 0 for d in dates]

    def n_of(tier: str) -> str:
        latest = report.latest(tier)
        return f"n = {latest.models:,}" if latest else "n = 0"

    for tier in report.tiers:
        periods = report.periods(tier.key)
        keys = [k for k, _ in periods]
        counts = [sl.models if sl else 0 for _, sl in periods]

        def period_values(get, periods=periods) -> tuple[float, ...]:
            return tuple(get(sl) if sl is not None else 0.0 for _, sl in periods)

        month_series = [charts.Series(label, period_values(lambda sl, l=label: sl.share(l))) for label in labels]
        out[f"month_{tier.key}"] = charts.stacked_columns(
            keys, month_series, f"Labels by {by} of creation: {tier.title} ({n_of(tier.key)})",
            css_class=f"by-month tier-{tier.key}", counts=counts, min_count=MIN_GROUP,
        )
        crawl_series = [charts.Series(label, crawl_values(tier.key, lambda sl, l=label: sl.share(l))) for label in labels]
        out[f"crawl_{tier.key}"] = charts.lines(
            dates, crawl_series, f"Labels by crawl date: {tier.title} ({n_of(tier.key)})", css_class=f"by-crawl tier-{tier.key}",
            counts=crawl_counts(tier.key), min_count=MIN_GROUP, positions=positions, ticks=ticks,
        )
        facts = [charts.Series(FACT_TITLES[f], period_values(lambda sl, f=f: sl.fact_share(f))) for f in FACTS[1:]]
        out[f"declares_{tier.key}"] = charts.lines(
            keys, facts, f"What models declare, by {by} of creation: {tier.title} ({n_of(tier.key)})",
            css_class=f"declares tier-{tier.key}", counts=counts, min_count=MIN_GROUP,
        )
    by_period = {t.key: _aligned(report.periods(t.key), report.periods(report.tiers[0].key)) for t in report.tiers}
    first = by_period[report.tiers[0].key]
    out["no_licence_month"] = charts.lines(
        [k for k, _ in first],
        [charts.Series(t.title, tuple(sl.fact_share("no_licence") if sl else 0.0 for _, sl in by_period[t.key]),
                       counts=tuple(sl.models if sl else 0 for _, sl in by_period[t.key])) for t in report.tiers],
        f"Share with no licence, by {by} of creation (n: all models)", css_class="no-licence-month",
        counts=[sl.models if sl else 0 for _, sl in first], min_count=MIN_GROUP,
    )
    out["no_licence_crawl"] = charts.lines(
        dates, [charts.Series(t.title, crawl_values(t.key, lambda sl: sl.fact_share("no_licence")), counts=tuple(crawl_counts(t.key))) for t in report.tiers],
        "Share with no licence, by crawl date (n: all models)", css_class="no-licence-crawl",
        counts=crawl_counts(report.tiers[0].key), min_count=MIN_GROUP, positions=positions, ticks=ticks,
    )
    return out


def _aligned(periods: list[tuple[str, Slice | None]], axis: list[tuple[str, Slice | None]]) -> list[tuple[str, Slice | None]]:
    """A tier's periods on the axis of the widest tier (a smaller tier may start later or end sooner)."""
    found = dict(periods)
    return [(key, found.get(key)) for key, _ in axis]


# --- files ------------------------------------------------------------------------------


def _rows(items: tuple[Slice, ...], labels: list[str]):
    for x in items:
        yield (
            x.tier, x.key, x.run_id, x.models,
            *(x.label_counts.get(label, 0) for label in labels),
            *(round(x.share(label), 2) for label in labels),
            *(round(x.fact_share(f), 2) for f in FACTS),
        )


def write_trend_report(engine: Engine, out_dir: str | Path, since: str | date | None = None, tiers: tuple[Tier, ...] | None = None) -> dict[str, Path]:
    """Write the trend report (HTML with charts, CSV tables). Returns the files by kind."""
    report = build_trend_report(engine, since, tiers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"trends-{report.run.day}"
    labels = list(reversed(LABELS))
    header = ("tier", "{key}", "run_id", "models", *(f"{label} (models)" for label in labels), *(f"{label} (%)" for label in labels), *(f"{FACT_TITLES[f]} (%)" for f in FACTS))
    files = {
        "html": render.write_text(
            out / f"{stem}.html",
            render.render_html(
                "trends.html.j2", r=report, charts=trend_charts(report), labels=labels, facts=FACTS, fact_titles=FACT_TITLES,
                legacy_month=LEGACY_CREATION_MONTH, min_group=MIN_GROUP,
            ),
        ),
        "by_month_csv": render.write_csv(out / f"{stem}-by-creation-month.csv", [h.format(key="creation_month") for h in header], _rows(report.by_month, labels)),
        "by_crawl_csv": render.write_csv(out / f"{stem}-by-crawl-date.csv", [h.format(key="crawl_date") for h in header], _rows(report.by_crawl, labels)),
    }
    return files
