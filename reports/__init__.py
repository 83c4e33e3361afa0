"""Reports for people who read rather than query: the weekly open-washing report and the trend report.

Both read the crawl history in the database (read-only) and write self-contained files:
HTML with inline SVG charts and no script, plus Markdown/CSV.

    from reports import write_washing_report, write_trend_report
    write_washing_report(engine, "out/")            # latest week with a finished crawl
    write_trend_report(engine, "out/", since="2026-01-01")
"""

from __future__ import annotations

from .runs import ReportError
from .trends import build_trend_report, write_trend_report
from .washing_report import build_washing_report, write_washing_report

__all__ = ["ReportError", "build_trend_report", "build_washing_report", "write_trend_report", "write_washing_report"]
