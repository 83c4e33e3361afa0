"""Organisation scorecards for the weekly report: who publishes what, and how their flags move.

For the report's crawl, the top organisations by downloads (50 by default) each get: their models
per label, the share flagged for open-washing, their label changes since the previous week's crawl,
and the share flagged in each of the last (up to) 8 weekly crawls. Private models never count:
a scorecard is published. Labels are the rules' labels of each week's versions, as in the rest of
the weekly report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from markupsafe import Markup, escape
from sqlalchemy import Connection

from classify.rules import LABELS

from .changes import Changes
from .runs import RunInfo
from .run_view import label_counts, share
from .scope import private_models
from .run_view import leaders as run_leaders

TOP = 50
TREND_WEEKS = 8


@dataclass(frozen=True)
class Scorecard:
    organisation: str
    models: int  # public models the crawl listed
    downloads: int
    label_counts: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    label_changes: int | None = None  # since the previous week's crawl; None in the first week
    trend: tuple[tuple[str, float | None], ...] = ()  # (week, % flagged), oldest first; None: no labelled model that week

    @property
    def labelled(self) -> int:
        return sum(self.label_counts.values())

    @property
    def share_flagged(self) -> float:
        return share(self.flagged, self.labelled)

    def count(self, label: str) -> int:
        return self.label_counts.get(label, 0)

    @property
    def trend_text(self) -> str:
        return "; ".join(f"{week}: {'–' if value is None else f'{value:.1f}%'}" for week, value in self.trend)

    @property
    def trend_short(self) -> str:
        """"0.0% → 12.5% → 10.0%": the share flagged per week, oldest first ("–": no labelled model that week)."""
        return " → ".join("–" if value is None else f"{value:.1f}%" for _, value in self.trend)

    @property
    def sparkline(self) -> Markup:
        return sparkline(self.trend, f"{self.organisation}: share flagged per week")


def _labels_and_flags(conn: Connection, run_id: int, authors: Sequence[str]) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    return label_counts(conn, run_id, authors, public_only=True)


def _private_ids(conn: Connection) -> set[str]:
    """The private models: a few, read once from the partial index ix_models_private (a report's
    label changes can be hundreds of thousands of models, too many to look up in chunks)."""
    return {r for (r,) in conn.execute(private_models())}


def build_scorecards(
    conn: Connection,
    run: RunInfo,
    weekly_runs: Sequence[tuple[str, RunInfo]],
    changes: Changes | None,
    top: int = TOP,
    trend_weeks: int = TREND_WEEKS,
    public_leaders: Sequence | None = None,
) -> list[Scorecard]:
    """Scorecards for `run`; `weekly_runs` are (week, run) up to and including the report's week, oldest first.
    `public_leaders`: `run_view.leaders(conn, run.id, n, public_only=True)` with n > `top`, already read."""
    if public_leaders is None:
        public_leaders = run_leaders(conn, run.id, top + 1, public_only=True)
    # at most one row has no author, so `top` + 1 public leaders hold the `top` organisations
    leaders = [r for r in public_leaders if r.author is not None][:top]
    authors = [r.author for r in leaders]
    # this run's labels and flags come with its leaders; earlier weeks' are read below
    counts = {r.author: r.label_counts for r in leaders}
    flagged = {r.author: r.flagged for r in leaders}
    relabelled: dict[str, int] | None = None
    if changes is not None:
        hidden = _private_ids(conn)
        relabelled = {}
        for c in changes.label_changes:
            if c.repo_id not in hidden and c.organisation is not None:
                relabelled[c.organisation] = relabelled.get(c.organisation, 0) + 1
    history: dict[str, list[tuple[str, float | None]]] = {a: [] for a in authors}
    for week, weekly in list(weekly_runs)[-trend_weeks:]:
        if weekly.id == run.id:
            week_counts, week_flagged = counts, flagged
        else:
            week_counts, week_flagged = _labels_and_flags(conn, weekly.id, authors)
        for author in authors:
            labelled = sum(week_counts.get(author, {}).values())
            history[author].append((week, share(week_flagged.get(author, 0), labelled) if labelled else None))
    return [
        Scorecard(
            organisation=r.author,
            models=int(r.models),
            downloads=int(r.downloads or 0),
            label_counts=counts.get(r.author, {}),
            flagged=flagged.get(r.author, 0),
            label_changes=None if relabelled is None else relabelled.get(r.author, 0),
            trend=tuple(history[r.author]),
        )
        for r in leaders
    ]


# --- a small inline chart -----------------------------------------------------------------

WIDTH, HEIGHT, PAD = 96, 22, 3


def sparkline(points: Sequence[tuple[str, float | None]], title: str) -> Markup:
    """Share flagged per week as a tiny line (0-100%), with the numbers in its title; no script."""
    text = escape(title + ": " + "; ".join(f"{w} {'–' if v is None else f'{v:.1f}%'}" for w, v in points))
    known = [(i, v) for i, (_, v) in enumerate(points) if v is not None]
    step = (WIDTH - 2 * PAD) / max(1, len(points) - 1)
    xy = [(PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / 100.0) for i, v in known]
    body = ""
    if len(xy) > 1:
        body += '<polyline fill="none" stroke="#D55E00" stroke-width="1.5" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy) + '"/>'
    if xy:
        x, y = xy[-1]
        body += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#D55E00"/>'
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{text}">'
        f"<title>{text}</title>"
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#dddddd"/>'
        f"{body}</svg>"
    )


CSV_HEADER = (
    "rank", "organisation", "models", "downloads", "labelled",
    *(f"{label} (models)" for label in reversed(LABELS)),
    "flagged", "share_flagged", "label_changes_this_week", "share_flagged_by_week",
)


def csv_rows(cards: Sequence[Scorecard]):
    for rank, c in enumerate(cards, 1):
        yield (
            rank, c.organisation, c.models, c.downloads, c.labelled,
            *(c.count(label) for label in reversed(LABELS)),
            c.flagged, round(c.share_flagged, 2), c.label_changes, c.trend_text,
        )
