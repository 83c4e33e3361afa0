"""Issue #14: a trend report readable at any scale.

Counts beside shares, small groups marked (fewer than MIN_GROUP models), creation periods that run
without gaps (and coarsen to quarters or years when months are too small), crawl dates on a true
time axis, and charts that show n. On the demo-sized history and on a synthetic Hub-sized one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from reports import build_trend_report, write_trend_report
from reports.charts import Series, lines, stacked_columns
from reports.trends import MIN_GROUP, Slice, date_axis, period_of, period_range
from store.db import create_db_engine
from synthetic_history import build_synthetic_history, crawl_dates


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    return build_synthetic_history(tmp_path_factory.mktemp("large") / "large.db")


def test_periods_and_the_time_axis():
    assert [period_of("2024-05", g) for g in ("month", "quarter", "year")] == ["2024-05", "2024-Q2", "2024"]
    assert period_range("2023-11", "2024-02", "month") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert period_range("2023-Q4", "2024-Q2", "quarter") == ["2023-Q4", "2024-Q1", "2024-Q2"]
    assert period_range("2021", "2023", "year") == ["2021", "2022", "2023"]
    positions, ticks = date_axis(["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-30"])
    assert positions == [0.0, 0.25, 0.5, 1.0]  # the missing week is a gap, not an even step
    assert [t for _, t in ticks] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-30"]
    many = [d.isoformat() for d in crawl_dates()]
    positions, ticks = date_axis(many)
    assert positions[0] == 0.0 and positions[-1] == 1.0 and len(ticks) <= 7
    assert all(label.count("-") == 1 for _, label in ticks)  # month starts


def test_small_groups_are_faded_hollow_and_break_the_lines():
    boundary = [MIN_GROUP - 1, MIN_GROUP, 0, MIN_GROUP + 5]
    svg = str(stacked_columns(["a", "b", "c", "d"], [Series("Open Weights", (50.0, 50.0, 0.0, 50.0))], "t", counts=boundary, min_count=MIN_GROUP))
    soup = BeautifulSoup(svg, "html.parser")
    segments = soup.select("rect.segment")
    assert [("small" in s["class"]) for s in segments] == [True, False, False]  # the empty period draws nothing
    assert "of 19 models" in segments[0].title.get_text()
    assert len(soup.select("rect.count")) == 3 and len(soup.select("text.small-mark")) == 1
    svg = str(lines(["a", "b", "c", "d"], [Series("x", (10.0, 20.0, 30.0, 40.0))], "t", counts=boundary, min_count=MIN_GROUP))
    soup = BeautifulSoup(svg, "html.parser")
    points = soup.select("circle.point")
    assert len(points) == 3 and [("small" in p["class"]) for p in points] == [True, False, False]
    assert soup.select("polyline.line") == []  # b and d are not neighbours: the empty c breaks the line
    svg = str(lines(["a", "b"], [Series("x", (10.0, 20.0))], "t", counts=[MIN_GROUP, MIN_GROUP], min_count=MIN_GROUP))
    assert len(BeautifulSoup(svg, "html.parser").select("polyline.line")) == 1


def test_granularity_coarsens_when_months_are_small(large, tmp_path):
    report = build_trend_report(create_db_engine(str(large), read_only=True))
    assert report.granularity == "month"  # 15,000 models: most months hold 20 or more
    months = [k for k, _ in report.periods("all")]
    assert months[0] == "2021-01" and months[-2] == "2026-11" and months[-1] == "unknown"
    assert len(months) == 5 * 12 + 11 + 1  # every month from 2021-01 to 2026-11, none skipped, then unknown
    tiny = Slice("all", "2024-05", 1, 3, {"Open Weights": 3}, {})
    coarse = type(report)(report.run, None, report.tiers, (tiny, Slice("all", "2024-07", 1, 4, {}, {})), report.by_crawl)
    assert coarse.granularity == "year" and [k for k, _ in coarse.periods("all")] == ["2024"]


def test_the_page_shows_counts_beside_shares_and_n_on_every_chart(large, tmp_path):
    files = write_trend_report(create_db_engine(str(large), read_only=True), tmp_path)
    soup = BeautifulSoup(files["html"].read_text(encoding="utf-8"), "html.parser")
    cells = soup.select("#latest-table tbody td.n")
    shares = [c for c in cells if "%" in c.get_text()]
    assert shares and all(c.select_one("span.count") for c in shares)
    first = soup.select_one("#latest-table tbody tr")
    assert first.select("td")[2].select_one("span.count").get_text().replace(",", "").isdigit()
    for chart in soup.select("svg.chart"):
        title = chart.title.get_text()
        assert "n = " in title or "(n: " in title, title
        assert chart.select("rect.count"), title
    small_rows = soup.select("#table-month-over-1000 tr.small")
    assert small_rows and all(int(r.select("td")[1].get_text().replace(",", "")) < MIN_GROUP for r in small_rows)
