"""Issue 17, part 2: `hubscan report feed`, an Atom 1.0 feed and a JSON Feed 1.1 of what changed.

The history is test_reports.py's four crawls (a rug-pull in run 2, a new flag and a cleared one in
run 3, new models in run 4, among them one whose card carries script payloads). The feeds are
parsed with feedparser, a real feed reader, and the JSON Feed is checked against the 1.1 spec's
required fields. Expected entries are computed from the tables, not by reports/feed.py.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

feedparser = pytest.importorskip("feedparser")

from hubscan.cli import main  # noqa: E402
from reports.feed import Feed, FeedEntry, atom_xml, build_feed, clean, json_feed, write_feeds  # noqa: E402
from store.db import create_db_engine, open_engine  # noqa: E402
from test_reports import ACME, FALCON, IMG_PAYLOAD, PHI, QWEN, RUN_STARTS, expected_changes, run_state  # noqa: E402

HUB = "https://huggingface.co/"


@pytest.fixture(scope="module")
def written(history, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("feed")
    assert main(["report", "feed", "--db", str(history), "--out", str(out), "--base-url", "https://example.org/hubscan"]) == 0
    return out


def by_run(entries) -> dict[int, list]:
    """Entries by the crawl they come from (the id ends with the crawl's start time)."""
    stamps = {datetime.fromisoformat(start).strftime("%Y%m%dT%H%M%SZ"): run for run, start in RUN_STARTS.items()}
    out: dict[int, list] = {}
    for e in entries:
        out.setdefault(stamps[e["id"].rsplit("/", 1)[1]], []).append(e)
    return out


def kinds(entries, kind: str) -> set[str]:
    return {e["_hubscan"]["repo_id"] for e in entries if e["_hubscan"]["kind"] == kind}


def test_the_atom_feed_parses_with_a_real_feed_reader(written):
    parsed = feedparser.parse(str(written / "feed.atom"))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title.startswith("hubscan") and parsed.feed.id == "https://example.org/hubscan/feed.atom"
    assert any(link.rel == "self" and link.href == "https://example.org/hubscan/feed.atom" for link in parsed.feed.links)
    items = json.loads((written / "feed.json").read_text(encoding="utf-8"))["items"]
    assert [e.id for e in parsed.entries] == [i["id"] for i in items] and len(items) > 5
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)
    for entry, item in zip(parsed.entries, items):
        assert entry.id.startswith("tag:hubscan,2026:")
        assert entry.link == item["url"] == HUB + item["_hubscan"]["repo_id"]
        assert entry.summary == item["content_text"] and entry.title == item["title"]
        assert entry.updated_parsed is not None
    updated = [e.updated for e in parsed.entries]
    assert updated == sorted(updated, reverse=True)  # newest first


def test_the_json_feed_has_every_required_field(written):
    doc = json.loads((written / "feed.json").read_text(encoding="utf-8"))
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str) and doc["title"] and isinstance(doc["items"], list)
    assert doc["feed_url"] == "https://example.org/hubscan/feed.json"
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item["content_text"], str) and item["content_text"]  # content_text or content_html is required
        datetime.fromisoformat(item["date_published"].replace("Z", "+00:00"))  # RFC 3339
        assert all(not key[0].isupper() for key in item)
        extensions = [k for k in item if k not in ("id", "url", "title", "content_text", "date_published", "tags")]
        assert extensions == ["_hubscan"]  # custom keys start with an underscore (spec 1.1)


def test_entries_are_the_changes_between_consecutive_crawls_and_a_first_crawls_flags_are_new(history, written):
    items = json.loads((written / "feed.json").read_text(encoding="utf-8"))["items"]
    runs = by_run(items)
    assert kinds(runs[1], "new flag") == {m for m, x in run_state(history, 1).items() if x["flagged"]}
    assert {e["_hubscan"]["kind"] for e in runs[1]} == {"new flag"}
    for before, after in ((1, 2), (2, 3), (3, 4)):
        want = expected_changes(history, before, after)
        got = runs.get(after, [])
        assert kinds(got, "new flag") == want["new flags"], after
        assert kinds(got, "cleared flag") == want["cleared flags"], after
        assert {(e["_hubscan"]["repo_id"], e["_hubscan"]["before"], e["_hubscan"]["after"]) for e in got if e["_hubscan"]["kind"] == "label change"} == want["label changes"]
        licence = {(e["_hubscan"]["repo_id"], e["_hubscan"]["before"], e["_hubscan"]["after"]) for e in got if e["_hubscan"]["kind"] in ("licence change", "licence tightened")}
        assert licence == want["licence changes"], after
    # the scenario's facts
    assert PHI in kinds(runs[3], "new flag") and FALCON in kinds(runs[3], "cleared flag") and ACME in kinds(runs[4], "new flag")
    # run 2: the rug-pull comes first, and its summary says why the label fell
    first = runs[2][0]
    assert (first["_hubscan"]["kind"], first["_hubscan"]["repo_id"], first["_hubscan"]["direction"]) == ("licence tightened", QWEN, "tighter")
    assert first["title"] == f"{QWEN}: licence tightened, Apache-2.0 → CC-BY-NC-4.0"
    assert "Why Weights Available (rule L1): licence gate (L1):" in first["content_text"]
    sha = sql_one(history, "SELECT v.sha FROM observations o JOIN model_versions v ON v.id = o.version_id WHERE o.run_id = 2 AND o.repo_id = ?", QWEN)
    assert first["id"] == f"tag:hubscan,2026:licence-change/{QWEN}/{sha}/20261110T060000Z"


def backup(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)  # a file copy would miss what the WAL still holds
    return dst


def sql_one(db: Path, query: str, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchone()[0]


def test_ids_are_stable_when_the_feed_is_written_again_or_from_a_copy(history, written, tmp_path):
    copy = backup(history, tmp_path / "copy.db")
    again = write_feeds(create_db_engine(str(copy), read_only=True), tmp_path / "again")
    first = [i["id"] for i in json.loads((written / "feed.json").read_text(encoding="utf-8"))["items"]]
    assert [i["id"] for i in json.loads(again["json_feed"].read_text(encoding="utf-8"))["items"]] == first


def test_card_text_stays_text(written):
    raw = (written / "feed.atom").read_bytes()
    assert b"<script" not in raw and b"<img" not in raw  # markup from a card is escaped, never live
    acme = [i for i in json.loads((written / "feed.json").read_text(encoding="utf-8"))["items"] if i["_hubscan"]["repo_id"] == ACME]
    assert acme and all("content_html" not in i for i in acme)
    assert "<script>window.__pwned = 1</script>" in acme[0]["content_text"]  # quoted as text, as the card says it
    assert b"&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in raw
    parsed = feedparser.parse(raw)
    assert not parsed.bozo


def test_characters_xml_cannot_carry_are_dropped_and_the_feed_still_parses():
    nasty = "claims \x00open\x0b source\x1f \ud800 <b>&amp;</b> " + IMG_PAYLOAD
    assert clean(nasty) == "claims open source <b>&amp;</b> " + IMG_PAYLOAD
    entry = FeedEntry("tag:hubscan,2026:new-flag/a/b/x/20260101T000000Z", "new flag", "a/b", "x", "2026-01-01T00:00:00Z", clean(nasty), clean(nasty))
    feed = Feed((entry,), "2026-01-01T00:00:00Z", ())
    parsed = feedparser.parse(atom_xml(feed))
    assert not parsed.bozo and "open source" in parsed.entries[0].title
    assert json.loads(json.dumps(json_feed(feed)))["items"][0]["content_text"] == clean(nasty)


def test_private_models_never_appear_and_reviews_do(history, tmp_path):
    copy = backup(history, tmp_path / "copy.db")
    engine = open_engine(str(copy))  # migrated: reviews table present
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE models SET private = 1 WHERE repo_id = ?", (PHI,))
    assert main(["review", "set", FALCON, "--label", "Open Weights", "--reason", "checked the card by hand", "--by", "alice", "--db", str(copy)]) == 0
    with engine.connect() as conn:
        feed = build_feed(conn)
    assert PHI not in {e.repo_id for e in feed.entries}
    review = [e for e in feed.entries if e.kind == "review"]
    assert len(review) == 1 and review[0].repo_id == FALCON and "alice reviewed version" in review[0].summary
    assert feed.entries[0] is review[0]  # the newest change
    with engine.connect() as conn:
        assert len(build_feed(conn, limit=3).entries) == 3
        covered = build_feed(conn, runs=1)
    assert {e.kind for e in covered.entries} <= {"new flag", "cleared flag", "label change", "licence change", "licence tightened", "review"}
    assert all(e.updated >= "2026-11-24" for e in covered.entries)


def test_the_cli_refuses_an_empty_database_with_one_line(tmp_path, capsys):
    empty = tmp_path / "empty.db"
    open_engine(str(empty)).dispose()
    assert main(["report", "feed", "--db", str(empty), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hubscan: no finished crawl") and len(err.strip().splitlines()) == 1
    assert main(["report", "feed", "--db", str(empty), "--runs", "0"]) == 2
