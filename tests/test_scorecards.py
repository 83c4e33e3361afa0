"""Issue 17, part 4: organisation scorecards in the weekly report (and its stale reviews).

The history is test_reports.py's four crawls in weeks 2026-W45, W46 (two crawls) and W48. Expected
numbers are computed here from the tables with SQL; private models must never count.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from hubscan.cli import main
from reports import build_washing_report, write_washing_report
from reports.scorecards import build_scorecards, sparkline
from store.db import create_db_engine, open_engine
from store.rollups import models_changed
from test_reports import PHI, QWEN

WEEK_RUNS = {"2026-W45": 1, "2026-W46": 3, "2026-W48": 4}  # the latest crawl of each week
LABELS = ("Open Source and Open Data", "Open Source", "Open Weights", "Weights Available", "No Weights")


def sql(db: Path, query: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def backup(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


def org_rows(db: Path, run_id: int) -> dict[str, dict]:
    """Per organisation in a run, public models only: models, downloads, labels, flagged."""
    out: dict[str, dict] = {}
    for author, downloads, label, flagged in sql(
        db,
        "SELECT m.author, COALESCE(o.downloads, 0), l.label, l.open_washing FROM observations o JOIN models m ON m.repo_id = o.repo_id "
        "JOIN labels l ON l.version_id = o.version_id WHERE o.run_id = ? AND NOT m.private AND m.author IS NOT NULL",
        run_id,
    ):
        row = out.setdefault(author, {"models": 0, "downloads": 0, "labels": {}, "flagged": 0})
        row["models"] += 1
        row["downloads"] += downloads
        row["labels"][label] = row["labels"].get(label, 0) + 1
        row["flagged"] += int(flagged)
    return out


def label_changes(db: Path, before: int, after: int) -> dict[str, int]:
    rows = sql(
        db,
        "SELECT m.author FROM observations a JOIN observations b ON b.repo_id = a.repo_id AND b.run_id = ? "
        "JOIN label_events ea ON ea.id = (SELECT MAX(id) FROM label_events WHERE version_id = a.version_id AND run_id <= a.run_id) "
        "JOIN label_events eb ON eb.id = (SELECT MAX(id) FROM label_events WHERE version_id = b.version_id AND run_id <= b.run_id) "
        "JOIN models m ON m.repo_id = a.repo_id WHERE a.run_id = ? AND ea.label <> eb.label AND NOT m.private",
        after, before,
    )
    out: dict[str, int] = {}
    for (author,) in rows:
        out[author] = out.get(author, 0) + 1
    return out


@pytest.fixture(scope="module")
def engine(history):
    return create_db_engine(str(history), read_only=True)


def test_scorecards_match_the_tables(history, engine):
    report = build_washing_report(engine, "2026-W48")
    expected = org_rows(history, 4)
    ranked = sorted(expected, key=lambda a: (-expected[a]["downloads"], a))[:50]
    assert [c.organisation for c in report.scorecards] == ranked
    changes = label_changes(history, 3, 4)
    for card in report.scorecards:
        row = expected[card.organisation]
        assert (card.models, card.downloads, card.flagged) == (row["models"], row["downloads"], row["flagged"])
        assert card.label_counts == row["labels"]
        assert card.share_flagged == pytest.approx(100 * row["flagged"] / row["models"])
        assert card.label_changes == changes.get(card.organisation, 0)
        weeks = []
        for week, run in WEEK_RUNS.items():
            then = org_rows(history, run).get(card.organisation)
            weeks.append((week, None if not then else pytest.approx(100 * then["flagged"] / then["models"])))
        assert list(card.trend) == weeks


def test_a_week_with_a_label_change_counts_it_and_the_first_week_has_none(engine):
    w46 = build_washing_report(engine, "2026-W46")
    qwen = next(c for c in w46.scorecards if c.organisation == "Qwen")
    assert qwen.label_changes == 1  # Open Weights -> Weights Available, the licence rug-pull
    assert [w for w, _ in qwen.trend] == ["2026-W45", "2026-W46"]
    w45 = build_washing_report(engine, "2026-W45")
    assert all(c.label_changes is None for c in w45.scorecards) and all(len(c.trend) == 1 for c in w45.scorecards)


def test_private_models_never_count_and_top_limits_the_list(history, tmp_path):
    copy = backup(history, tmp_path / "private.db")
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE models SET private = 1 WHERE repo_id = ?", (PHI,))
    with create_db_engine(str(copy)).begin() as conn:  # what the crawl does when it sees a model turn private
        models_changed(conn, [PHI])
    engine = create_db_engine(str(copy), read_only=True)
    report = build_washing_report(engine, "2026-W48")
    microsoft = [c for c in report.scorecards if c.organisation == "microsoft"]
    others = sql(copy, "SELECT COUNT(*) FROM observations o JOIN models m ON m.repo_id = o.repo_id WHERE o.run_id = 4 AND m.author = 'microsoft' AND NOT m.private")[0][0]
    assert (microsoft[0].models if microsoft else 0) == others
    assert all(PHI not in str(c) for c in report.scorecards)
    with engine.connect() as conn:
        assert len(build_scorecards(conn, report.run, [(p.week, p.run) for p in report.timeline], report.changes, top=2)) == 2


def test_written_report_and_csv_carry_the_scorecards(history, engine, tmp_path):
    files = write_washing_report(engine, tmp_path, week="2026-W48")
    report = build_washing_report(engine, "2026-W48")
    assert files["scorecards_csv"].name == "washing-2026-W48-scorecards.csv"
    rows = list(csv.DictReader(files["scorecards_csv"].open(encoding="utf-8")))
    assert [r["organisation"] for r in rows] == [c.organisation for c in report.scorecards]
    qwen = next(r for r in rows if r["organisation"] == "Qwen")
    card = next(c for c in report.scorecards if c.organisation == "Qwen")
    assert (int(qwen["models"]), int(qwen["flagged"]), qwen["label_changes_this_week"]) == (card.models, card.flagged, str(card.label_changes))
    assert [int(qwen[f"{label} (models)"]) for label in LABELS] == [card.count(label) for label in LABELS]
    assert qwen["share_flagged_by_week"].startswith("2026-W45: ") and qwen["share_flagged_by_week"].count(";") == 2

    soup = BeautifulSoup(files["html"].read_text(encoding="utf-8"), "html.parser")
    table = soup.select_one("#scorecards-table")
    body = table.select("tbody tr")
    assert len(body) == len(report.scorecards)
    first = body[0].find_all("td")
    assert first[1].get_text() == report.scorecards[0].organisation
    svg = body[0].select_one("svg.sparkline")
    assert svg is not None and "share flagged per week" in svg.title.get_text()
    assert soup.select_one("#stale-reviews .empty") is not None
    md = files["markdown"].read_text(encoding="utf-8")
    assert "## Organisation scorecards" in md and f"| 1 | {report.scorecards[0].organisation} |" in md
    assert "No review is stale" in md


def test_the_report_lists_stale_reviews(history, tmp_path):
    copy = backup(history, tmp_path / "reviewed.db")
    open_engine(str(copy)).dispose()
    old_sha = sql(copy, "SELECT v.sha FROM observations o JOIN model_versions v ON v.id = o.version_id WHERE o.run_id = 1 AND o.repo_id = ?", QWEN)[0][0]
    assert old_sha != sql(copy, "SELECT sha FROM models WHERE repo_id = ?", QWEN)[0][0]
    reviews = tmp_path / "reviews.yaml"
    reviews.write_text(yaml.safe_dump([{"repo_id": QWEN, "sha": old_sha, "label": "Open Weights", "reason": "Apache-2.0 weights, checked by hand",
                                        "reviewed_by": "alice", "reviewed_at": "2026-11-05T00:00:00Z"}]), encoding="utf-8")
    assert main(["review", "import", str(reviews), "--db", str(copy)]) == 0
    engine = create_db_engine(str(copy), read_only=True)
    report = build_washing_report(engine, "2026-W48")
    (stale,) = report.stale_reviews
    assert (stale.state.review.repo_id, stale.state.review.label, stale.state.computed_label) == (QWEN, "Open Weights", "Weights Available")
    assert stale.stale_since_run == 2  # the first crawl after the review that saw another sha
    files = write_washing_report(engine, tmp_path / "out", week="2026-W48")
    soup = BeautifulSoup(files["html"].read_text(encoding="utf-8"), "html.parser")
    cells = [td.get_text() for td in soup.select("#stale-reviews-table tbody tr td")]
    assert cells[:4] == [QWEN, "Open Weights", "Weights Available", "alice"] and cells[5] == old_sha[:12]
    assert f"| Open Weights | Weights Available | alice |" in files["markdown"].read_text(encoding="utf-8")


def test_a_sparkline_escapes_its_title_and_skips_weeks_without_models():
    svg = str(sparkline([("2026-W45", 0.0), ("2026-W46", None), ("2026-W48", 50.0)], '<script>"acme"</script>'))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("<circle") == 1 and 'points="3.0,19.0 93.0,11.0"' in svg
