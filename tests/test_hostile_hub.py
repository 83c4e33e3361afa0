"""Issue #13: a hostile hub (replayhub/hostile.py) crawled end to end.

Over 500 models across 40 kinds of malformed data: the crawl exits 0, every listed model is stored
and labelled, each kind's problem is recorded with its code, reports and exports succeed (private
repos left out), the work stays within the size bounds, and no payload runs in Chromium.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from crawler.downloads import README_MAX_BYTES
from extract.bounds import MAX_TAGS
from extract.datasets import MAX_DATASETS
from hubscan.cli import main
from replayhub import ReplayHub
from store.records import MAX_LINKED_DATASETS
from replayhub.hostile import IMG, KINDS, XSS_MARK, dataset_kinds, expected_codes, hostile_hub
from test_report_browser import PageWatch, browser  # noqa: F401 (fixture: headless Chromium)

pytestmark = pytest.mark.slow


def rows(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The hostile hub crawled once with its owner's token (so its private repos are listed), and its reports."""
    hostile = hostile_hub()
    out = tmp_path_factory.mktemp("hostile")
    db = out / "hostile.db"
    with ReplayHub(hostile.state, tokens=hostile.tokens) as hub, pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
        mp.setenv("HF_TOKEN", hostile.token)
        code = main(["crawl", "--endpoint", hub.url, "--db", str(db)])
        requests = hub.requests
    return hostile, db, out, code, requests


def test_every_listed_model_is_stored_and_labelled_and_each_problem_recorded(crawled):
    hostile, db, _, code, _ = crawled
    assert code == 0
    assert len(hostile.kinds) >= 500 and len(KINDS) >= 20
    listed = set(hostile.kinds) - hostile.unstorable
    labelled = dict(rows(db, "SELECT m.repo_id, l.label FROM models m JOIN labels l ON l.version_id = m.current_version_id"))
    assert set(labelled) == listed
    assert rows(db, "SELECT status, analysis FROM runs") == [("ok", "done")]

    problems: dict[str, set[str]] = defaultdict(set)
    for repo_id, problem_code in rows(db, "SELECT repo_id, code FROM problems WHERE repo_type = 'model'"):
        problems[repo_id].add(problem_code)
    codes = expected_codes()
    missing = {
        (repo_id, kind): codes[kind] - problems[repo_id]
        for repo_id, kind in hostile.kinds.items()
        if kind in codes and kind not in dataset_kinds() and codes[kind] - problems[repo_id]
    }
    assert not missing
    # odd dataset ids: recorded on each dataset the crawler linked, never asked about
    linked = {d for (d,) in rows(db, "SELECT dataset_id FROM version_datasets")} & hostile.odd_datasets
    assert linked and {d for (d,) in rows(db, "SELECT repo_id FROM problems WHERE code = 'bad-dataset-id'")} == linked
    # every base_model cycle is seen from at least one side
    cycle = sorted(hostile.ids_of("base-cycle"))
    for a, b in zip(cycle[::2], cycle[1::2]):
        assert problems[a] & {"lineage-cycle"} or problems[b] & {"lineage-cycle"}
    unstorable = [r for (r,) in rows(db, "SELECT repo_id FROM problems WHERE code = 'bad-id'")]
    assert len(unstorable) == len(hostile.unstorable)
    # what the client refuses is stored, labelled, and never asked for
    assert all(labelled[r] == "No Weights" for r in hostile.ids_of("refused-id"))
    assert rows(db, "SELECT problems FROM runs") == [(len(rows(db, "SELECT id FROM problems")),)]


def test_work_stays_within_the_size_bounds(crawled):
    hostile, db, _, _, requests = crawled
    assert rows(db, "SELECT MAX(readme_size) FROM model_versions") == [(README_MAX_BYTES,)]  # the 10 MB cards were cut
    tag_counts = [len(json.loads(meta).get("tags") or []) for (meta,) in rows(db, "SELECT metadata FROM model_versions")]
    assert max(tag_counts) == MAX_TAGS  # 200,000 listed
    (most_links,) = rows(db, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM version_datasets GROUP BY version_id)")[0]
    assert most_links <= MAX_LINKED_DATASETS + MAX_DATASETS  # before: one model made 66,682 dataset rows
    assert rows(db, "SELECT COUNT(*) FROM datasets")[0][0] < 2_000
    # one listing call per page, each distinct base id and each dataset id the listings did not show
    # asked about once (lineage closure; a renamed dataset redirects), a README and a few licence
    # files per model, no retries
    api = sum(1 for r in requests if r.bucket == "api")
    lists = sum(1 for r in requests if r.kind in ("models.list", "datasets.list"))
    infos = [r.path for r in requests if r.kind in ("models.info", "datasets.info")]
    assert len(infos) == len(set(infos)) and lists <= 6 and api == lists + len(infos)
    assert rows(db, "SELECT api_calls, retries FROM runs") == [(api, 0)]
    assert sum(1 for r in requests if r.kind == "models.resolve") <= 2 * len(hostile.kinds)
    extracted = {e["repo_id"]: e for e in (json.loads(d) for (d,) in rows(db, "SELECT data FROM evidence"))}
    for repo_id in hostile.ids_of("card-10mb") + hostile.ids_of("one-line-1mb"):
        assert "oversize" in [p["code"] for p in extracted[repo_id]["problems"]]  # read up to the card bound only


def test_reports_exports_and_queries_succeed_without_private_repos(crawled, tmp_path, capsys):
    hostile, db, out, _, _ = crawled
    assert main(["report", "washing", "--db", str(db), "--out", str(out)]) == 0
    assert main(["report", "trends", "--db", str(db), "--out", str(out)]) == 0
    assert main(["export", "--db", str(db), "--format", "parquet", "--output", str(tmp_path / "parquet")]) == 0
    assert main(["export", "--db", str(db), "--format", "csv", "--output", str(tmp_path / "models.csv")]) == 0
    exported = {row["repo_id"] for row in csv.DictReader((tmp_path / "models.csv").open(encoding="utf-8"))}
    stored = set(hostile.kinds) - hostile.unstorable
    assert hostile.private and exported == stored - hostile.private
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--include-private"]) == 0
    assert {json.loads(line)["repo_id"] for line in capsys.readouterr().out.splitlines()} == stored
    for view in ("latest_labels", "label_history", "washing_flags", "licence_changes", "lineage"):
        assert main(["query", f"SELECT * FROM {view}", "--db", str(db), "--format", "csv"]) == 0
    flagged = {row["repo_id"] for row in csv.DictReader(next(p for p in out.glob("washing-*.csv") if p.name.count("-") == 2).open(encoding="utf-8"))}
    assert set(hostile.ids_of("xss-card")) | set(hostile.ids_of("xss-licence")) <= flagged  # their payloads are in the report


@pytest.mark.browser
def test_no_payload_runs_in_the_reports(crawled, browser, tmp_path):  # noqa: F811
    _, db, out, _, _ = crawled
    if not list(out.glob("washing-*.html")):
        assert main(["report", "washing", "--db", str(db), "--out", str(out)]) == 0
        assert main(["report", "trends", "--db", str(db), "--out", str(out)]) == 0
    for html in sorted(out.glob("*.html")):
        page = browser.new_page()
        watch = PageWatch(page)
        page.goto(html.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate(f"typeof {XSS_MARK}") == "undefined", html.name
        assert watch.dialogs == [] and not [u for u in watch.requests if not u.startswith("file://")]
        if html.name.startswith("washing"):
            text = page.inner_text("body")
            assert IMG in text  # shown as text, in the licence column
            assert "onerror=window.__hubscan_xss=3>" in text  # the organisation named by an id
            assert page.locator("img[onerror]").count() == 0 and page.locator("script").count() == 0
        page.close()
