"""Issue #5: the reports in a real browser (headless Chromium from the Debian package, via Playwright).

The washing report of the four-crawl history (test_reports.py) quotes a card whose text carries
`<script>` and `<img onerror=...>` payloads. Loaded from disk with the network blocked, the page must
show its charts and tables, show the payloads as text, and run nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reports import build_washing_report, write_trend_report, write_washing_report
from store.db import create_db_engine
from test_reports import ACME, IMG_PAYLOAD, SCRIPT_PAYLOAD  # the shared crawl history

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("HUBSCAN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install chromium); the browser test needs it")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageWatch:
    """What a page did: dialogs opened, console errors, requests that left the file system."""

    def __init__(self, page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        # Nothing may come from the network: abort anything that is not the report file itself.
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())


def screenshot_to(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("HUBSCAN_SCREENSHOT_DIR")  # e.g. to refresh the README's picture
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    return path


def test_washing_report_shows_charts_and_tables_and_runs_no_script(browser, history, tmp_path):
    engine = create_db_engine(str(history), read_only=True)
    report = build_washing_report(engine, "2026-W48")
    files = write_washing_report(engine, tmp_path / "out", week="2026-W48")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    page.goto(files["html"].as_uri())
    page.wait_for_load_state("load")

    # no script ran: none in the DOM, no flag set by a payload, no dialog, no error, no network
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert watch.dialogs == [] and watch.errors == []
    assert all(url.startswith("file://") for url in watch.requests), watch.requests

    # the charts are drawn and visible
    charts = page.locator("svg.chart")
    assert charts.count() == 4
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert chart.is_visible() and box["width"] > 300 and box["height"] > 60
    assert page.locator("svg.labels-over-time rect.segment").count() >= 3 * 3  # three weeks, several labels each
    assert page.locator("svg.top-organisations rect.segment").count() == len(report.organisations)

    # the tables are there, with the report's rows
    for table in ("#label-shares", "#flagged-table", "#new-flags", "#organisations-table", "#laundering-table"):
        assert page.locator(table).is_visible(), table
    assert page.locator("#flagged-table tbody tr").count() == len(report.flagged)
    assert page.locator("#new-flags tbody tr").count() == len(report.changes.new_flags) == 1

    # the payloads are shown as text
    claim = page.locator("#flagged-table tbody tr", has_text=ACME).locator("td.claim").inner_text()
    assert SCRIPT_PAYLOAD in claim and IMG_PAYLOAD in claim
    assert page.locator("#flagged-table img").count() == 0

    shot = screenshot_to(page, tmp_path, "washing-report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    page.close()


def test_trend_report_shows_its_charts(browser, history, tmp_path):
    engine = create_db_engine(str(history), read_only=True)
    files = write_trend_report(engine, tmp_path / "out")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    page.goto(files["html"].as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("document.scripts.length") == 0 and watch.errors == [] and watch.dialogs == []
    charts = page.locator("svg.chart")
    assert charts.count() == 11
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        assert charts.nth(i).is_visible()
    assert page.locator("#latest-table tbody tr").count() == 3
    assert page.locator("svg.by-crawl polyline.line").count() >= 3
    assert_fits_at_1280(page)
    screenshot_to(page, tmp_path, "trend-report.png")
    page.close()


def assert_fits_at_1280(page) -> None:
    """Nothing sticks out of the page at 1280 px; a wide table scrolls in its own box, first column pinned."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    for table in page.locator("table.trend-table").all():
        if not table.is_visible():
            continue
        assert table.evaluate("t => getComputedStyle(t.querySelector('tbody td')).position") == "sticky"
        assert table.evaluate("t => getComputedStyle(t.parentElement).overflowX") == "auto"
    latest = page.locator("#latest-table")
    assert latest.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")  # the headline table fits without scrolling


def test_trend_report_at_hub_scale_fits_and_reads(browser, tmp_path):
    """A synthetic 15,000-model history over 18 crawls (tests/synthetic_history.py), as the README's second picture."""
    from synthetic_history import build_synthetic_history

    engine = create_db_engine(str(build_synthetic_history(tmp_path / "large.db")), read_only=True)
    files = write_trend_report(engine, tmp_path / "out")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watch = PageWatch(page)
    page.goto(files["html"].as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("document.scripts.length") == 0 and watch.errors == []
    assert page.locator("svg.by-month rect.segment").count() > 3 * 60 * 3  # about 71 months, 3 tiers, several labels
    assert page.locator("svg.chart rect.count").count() > 100  # the n strips
    assert_fits_at_1280(page)
    screenshot_to(page, tmp_path, "trend-report-large.png")
    page.close()
