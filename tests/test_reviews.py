"""Issue 17, part 1: reviewers' corrections with provenance.

The dev hub is crawled through the replay hub; a reviewer corrects BERT (the rules give it Open
Weights; its training code and data documentation live outside the Hub card). The published label
is the review's while the model's sha is the one reviewed; a new commit makes the review stale and
publishes the rules' label again. Expected values come from the tables, not from store/reviews.py.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from backends import BACKENDS, db_url, fresh_database, postgres_server, sql_rows  # noqa: F401 (fixtures)
from hubscan.cli import main
from replayhub import ReplayHub
from replayhub.state import HubState
from store.db import _alembic_config, open_engine
from store.export import EXPORT_KEYS
from store.reviews import ReviewError, clean_evidence_url, newest_reviews

BERT = "google-bert/bert-base-uncased"
QWEN = "Qwen/Qwen2.5-0.5B"
REASON = "Training code (google-research/bert, Apache-2.0) and the BookCorpus + Wikipedia data description are in the paper and repo."
EVIDENCE = "https://github.com/google-research/bert"
NEW_KEYS = ("computed_label", "review_reason", "reviewed_by", "reviewed_at")


def sql(db: Path, query: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def crawl(url: str, hub) -> None:
    assert main(["crawl", "--endpoint", hub.url, "--db", url, "--mode", "full"]) == 0


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, _dev_hub_text) -> Path:
    db = tmp_path_factory.mktemp("reviews") / "crawled.db"
    with ReplayHub(HubState.from_fixture(json.loads(_dev_hub_text))) as hub, pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
        crawl(str(db), hub)
    return db


@pytest.fixture
def db(crawled, tmp_path) -> Path:
    """A private copy of the crawled database for one test."""
    copy = tmp_path / "hubscan.db"
    with sqlite3.connect(crawled) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return copy


def rules_label(db: Path, repo_id: str) -> str:
    return sql(db, "SELECT l.label FROM models m JOIN labels l ON l.version_id = m.current_version_id WHERE m.repo_id = ?", repo_id)[0][0]


def review_set(db, repo_id=BERT, label="Open Source", reason=REASON, by="alice", *extra) -> int:
    return main(["review", "set", repo_id, "--label", label, "--reason", reason, "--by", by, "--db", str(db), *extra])


def export_jsonl(db, capsys) -> dict[str, dict]:
    capsys.readouterr()
    assert main(["export", "--db", str(db)]) == 0
    return {r["repo_id"]: r for r in map(json.loads, capsys.readouterr().out.splitlines())}


# --- set: the published label and its provenance ------------------------------------------


def test_a_review_publishes_its_label_beside_the_rules_label(db, capsys):
    computed = rules_label(db, BERT)
    assert computed == "Open Weights"  # the rules' label, which the review corrects
    sha = sql(db, "SELECT sha FROM models WHERE repo_id = ?", BERT)[0][0]
    assert review_set(db, BERT, "open source", REASON, "alice", "--evidence", EVIDENCE) == 0
    assert f"{BERT} @ {sha[:12]} is Open Source" in capsys.readouterr().out

    rows = sql(db, "SELECT repo_id, sha, action, label, reason, evidence_url, reviewed_by, origin FROM reviews")
    assert rows == [(BERT, sha, "set", "Open Source", REASON, EVIDENCE, "alice", "cli")]
    # the rules' label is untouched in `labels`
    assert rules_label(db, BERT) == "Open Weights"

    view = dict(sql(db, "SELECT repo_id, label || '|' || computed_label || '|' || COALESCE(reviewed_by, '-') FROM latest_labels"))
    assert view[BERT] == "Open Source|Open Weights|alice"
    assert all(v.split("|")[0] == v.split("|")[1] and v.endswith("|-") for k, v in view.items() if k != BERT)

    records = export_jsonl(db, capsys)
    assert tuple(records[BERT]) == EXPORT_KEYS and EXPORT_KEYS[-4:] == NEW_KEYS
    bert = records[BERT]
    assert (bert["label"], bert["computed_label"], bert["review_reason"], bert["reviewed_by"]) == ("Open Source", "Open Weights", REASON, "alice")
    assert bert["reviewed_at"] == sql(db, "SELECT reviewed_at FROM reviews")[0][0]
    unreviewed = records[QWEN]
    assert unreviewed["label"] == unreviewed["computed_label"] == rules_label(db, QWEN)
    assert (unreviewed["review_reason"], unreviewed["reviewed_by"], unreviewed["reviewed_at"]) == (None, None, None)

    capsys.readouterr()
    assert main(["export", "--db", str(db), "--format", "csv"]) == 0
    table = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert tuple(table[0]) == EXPORT_KEYS
    assert next(r for r in table if r["repo_id"] == BERT)["computed_label"] == "Open Weights"


def test_explain_shows_both_labels_the_reason_and_the_evidence(db, capsys):
    assert review_set(db, BERT, "Open Source", REASON, "alice", "--evidence", EVIDENCE) == 0
    capsys.readouterr()
    assert main(["explain", BERT, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "label: Open Source   (published from a review by alice" in out
    assert "rules' label: Open Weights   (rule S0" in out
    assert "review reason: Training code (google-research/bert" in out
    assert f"review evidence: {EVIDENCE}" in out


def test_parquet_carries_the_published_and_the_computed_label(db, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    assert review_set(db) == 0
    assert main(["export", "--db", str(db), "--format", "parquet", "--output", str(tmp_path / "pq")]) == 0
    rows = {r["repo_id"]: r for r in pq.read_table(tmp_path / "pq" / "latest_labels.parquet").to_pylist()}
    assert tuple(rows[BERT]) == EXPORT_KEYS
    assert (rows[BERT]["label"], rows[BERT]["computed_label"], rows[BERT]["reviewed_by"]) == ("Open Source", "Open Weights", "alice")
    assert rows[QWEN]["label"] == rows[QWEN]["computed_label"] and rows[QWEN]["reviewed_by"] is None


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["--label", "Open-ish", "--reason", "r", "--by", "a"], "unknown label 'Open-ish': use one of 'No Weights', 'Weights Available', 'Open Weights', 'Open Source', 'Open Source and Open Data'"),
        (["--label", "Open Source", "--reason", "  ", "--by", "a"], "a reason is required"),
        (["--label", "Open Source", "--reason", "r", "--by", " "], "the reviewer's name (--by) is required"),
        (["--label", "Open Source", "--reason", "r", "--by", "a", "--evidence", "javascript:alert(1)"], "the evidence must be an http(s) URL"),
    ],
)
def test_bad_reviews_are_refused_with_one_clear_line_and_nothing_stored(db, capsys, args, message):
    capsys.readouterr()
    assert main(["review", "set", BERT, *args, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hubscan: ") and message in err and len(err.strip().splitlines()) == 1
    assert sql(db, "SELECT COUNT(*) FROM reviews") == [(0,)]


def test_by_and_label_are_required_and_unknown_models_refused(db, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["review", "set", BERT, "--label", "Open Source", "--reason", "r", "--db", str(db)])
    assert exit_.value.code == 2
    assert main(["review", "set", "nobody/nothing", "--label", "Open Source", "--reason", "r", "--by", "a", "--db", str(db)]) == 2
    assert "nobody/nothing is not in the database" in capsys.readouterr().err


def test_evidence_urls_are_stored_without_credentials():
    assert clean_evidence_url("https://user:pa55@Example.org:8443/a/b?token=hf_x&page=2&API_KEY=k#s") == "https://example.org:8443/a/b?page=2#s"
    assert clean_evidence_url("  ") is None
    with pytest.raises(ReviewError):
        clean_evidence_url("ftp://example.org/x")


def test_repo_ids_match_case_insensitively_as_on_the_hub(db):
    assert review_set(db, BERT.upper()) == 0
    assert sql(db, "SELECT repo_id FROM reviews") == [(BERT,)]


# --- clear: append-only -------------------------------------------------------------------


def test_clear_appends_a_row_and_the_rules_label_is_published_again(db, capsys):
    assert review_set(db) == 0
    assert main(["review", "clear", BERT, "--by", "bob", "--reason", "the paper's data description is not detailed enough", "--db", str(db)]) == 0
    rows = sql(db, "SELECT action, label, reviewed_by FROM reviews ORDER BY id")
    assert rows == [("set", "Open Source", "alice"), ("clear", None, "bob")]  # nothing deleted
    assert sql(db, "SELECT label, computed_label, reviewed_by FROM latest_labels WHERE repo_id = ?", BERT) == [("Open Weights", "Open Weights", None)]
    assert main(["review", "clear", BERT, "--by", "bob", "--db", str(db)]) == 2
    assert "has no review to clear" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["review", "list", "--db", str(db), "--log"]) == 0
    log = capsys.readouterr().out
    assert "set Open Source  by alice" in log and "clear  by bob" in log and "not detailed enough" in log


def test_a_newer_review_replaces_an_older_one(db):
    assert review_set(db, BERT, "Open Source", REASON, "alice") == 0
    assert review_set(db, BERT, "Open Source and Open Data", "BookCorpus and Wikipedia dumps are published", "carol") == 0
    assert sql(db, "SELECT label, reviewed_by FROM latest_labels WHERE repo_id = ?", BERT) == [("Open Source and Open Data", "carol")]
    assert sql(db, "SELECT COUNT(*) FROM reviews") == [(2,)]


# --- stale: the model changed -------------------------------------------------------------


def test_a_new_commit_makes_the_review_stale_and_publishes_the_rules_label(tmp_path, dev_hub_data, capsys, monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    state = HubState.from_fixture(dev_hub_data)
    db = tmp_path / "stale.db"
    with ReplayHub(state) as hub:
        crawl(str(db), hub)
        reviewed_sha = sql(db, "SELECT sha FROM models WHERE repo_id = ?", BERT)[0][0]
        assert review_set(db) == 0
        assert sql(db, "SELECT label FROM latest_labels WHERE repo_id = ?", BERT) == [("Open Source",)]
        readme = state.get(BERT).files["README.md"]
        state.set_file(BERT, "README.md", (readme if isinstance(readme, str) else readme.decode()) + "\n\nA new paragraph.\n")
        crawl(str(db), hub)
    new_sha = sql(db, "SELECT sha FROM models WHERE repo_id = ?", BERT)[0][0]
    assert new_sha != reviewed_sha
    assert sql(db, "SELECT label, computed_label, review_reason, reviewed_by FROM latest_labels WHERE repo_id = ?", BERT) == [
        (rules_label(db, BERT), rules_label(db, BERT), None, None)
    ]
    engine = open_engine(str(db))
    with engine.connect() as conn:
        (state_,) = newest_reviews(conn, [BERT])
    assert (state_.state, state_.review.sha, state_.current_sha, state_.published_label) == ("stale", reviewed_sha, new_sha, rules_label(db, BERT))
    capsys.readouterr()
    assert main(["review", "list", "--state", "stale", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert BERT in out and "stale" in out and reviewed_sha[:12] in out
    assert main(["explain", BERT, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"stale review: alice labelled sha {reviewed_sha[:12]} Open Source" in out
    assert "(published from a review" not in out
    # reviewing the new version publishes again
    assert review_set(db, BERT, "Open Source", "re-checked the new card", "alice") == 0
    assert sql(db, "SELECT label, sha FROM latest_labels WHERE repo_id = ?", BERT) == [("Open Source", new_sha)]


# --- files: a team keeps its reviews in git -----------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_reviews_round_trip_through_a_file_and_import_twice_adds_nothing(db, crawled, tmp_path, capsys, suffix):
    assert review_set(db, BERT, "Open Source", REASON, "alice", "--evidence", EVIDENCE) == 0
    assert review_set(db, QWEN, "Weights Available", "the card's usage policy forbids commercial use: a, b; \"quoted\"\nsecond line", "bob") == 0
    assert main(["review", "clear", QWEN, "--by", "bob", "--db", str(db)]) == 0
    path = tmp_path / f"reviews{suffix}"
    capsys.readouterr()
    assert main(["review", "export", str(path), "--db", str(db)]) == 0
    assert "3 reviews written" in capsys.readouterr().out
    if suffix == ".yaml":
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["format"] == "hubscan-reviews/1" and [r["action"] for r in data["reviews"]] == ["set", "set", "clear"]

    other = tmp_path / "other.db"
    with sqlite3.connect(crawled) as src, sqlite3.connect(other) as dst:
        src.backup(dst)
    assert main(["review", "import", str(path), "--db", str(other)]) == 0
    assert "3 reviews imported" in capsys.readouterr().out
    columns = "repo_id, sha, action, label, reason, evidence_url, reviewed_by, reviewed_at"
    assert sql(other, f"SELECT {columns} FROM reviews ORDER BY id") == sql(db, f"SELECT {columns} FROM reviews ORDER BY id")
    assert sql(other, "SELECT DISTINCT origin FROM reviews") == [("import",)]
    assert sql(other, "SELECT repo_id, label FROM latest_labels ORDER BY repo_id") == sql(db, "SELECT repo_id, label FROM latest_labels ORDER BY repo_id")
    assert main(["review", "import", str(path), "--db", str(other)]) == 0
    assert "0 reviews imported" in capsys.readouterr().out and sql(other, "SELECT COUNT(*) FROM reviews") == [(3,)]


def test_a_hand_written_file_reviews_the_current_version_and_a_bad_row_writes_nothing(db, tmp_path, capsys):
    sha = sql(db, "SELECT sha FROM models WHERE repo_id = ?", BERT)[0][0]
    good = tmp_path / "team.csv"
    good.write_text(f"repo_id,label,reason,reviewed_by\n{BERT},open source,{REASON.replace(',', ';')},alice\n", encoding="utf-8")
    assert main(["review", "import", str(good), "--db", str(db)]) == 0
    assert sql(db, "SELECT sha, label FROM reviews") == [(sha, "Open Source")]

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump([
        {"repo_id": QWEN, "label": "Open Weights", "reason": "fine", "reviewed_by": "x"},
        {"repo_id": QWEN, "label": "Mostly Open", "reason": "bad label", "reviewed_by": "x"},
    ]), encoding="utf-8")
    capsys.readouterr()
    assert main(["review", "import", str(bad), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "review 2 (Qwen/Qwen2.5-0.5B): unknown label 'Mostly Open'" in err and len(err.strip().splitlines()) == 1
    assert sql(db, "SELECT COUNT(*) FROM reviews") == [(1,)]  # the good first row was not written either

    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("- !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    assert main(["review", "import", str(unsafe), "--db", str(db)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_an_older_imported_review_does_not_replace_a_newer_one(db, tmp_path):
    assert review_set(db, BERT, "Open Source", REASON, "alice") == 0
    sha = sql(db, "SELECT sha FROM models WHERE repo_id = ?", BERT)[0][0]
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump([{"repo_id": BERT, "sha": sha, "label": "No Weights", "reason": "old", "reviewed_by": "z", "reviewed_at": "2020-01-01T00:00:00Z"}]), encoding="utf-8")
    assert main(["review", "import", str(old), "--db", str(db)]) == 0
    assert sql(db, "SELECT label, reviewed_by FROM latest_labels WHERE repo_id = ?", BERT) == [("Open Source", "alice")]
    assert sql(db, "SELECT reviewed_at FROM reviews WHERE reviewed_by = 'z'") == [("2020-01-01T00:00:00+00:00",)]


# --- migration and backends ---------------------------------------------------------------


def test_the_migration_adds_reviews_and_its_downgrade_removes_them(db):
    from alembic import command

    engine = open_engine(str(db))
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
    assert sql(db, "SELECT name FROM sqlite_master WHERE name = 'reviews'") == []
    # the views read reviews: the downgrade dropped them (store.views.sync_views recreates them on open)
    assert sql(db, "SELECT name FROM sqlite_master WHERE type = 'view'") == []
    labels_before = sql(db, "SELECT m.repo_id, l.label FROM models m JOIN labels l ON l.version_id = m.current_version_id ORDER BY m.repo_id")
    engine.dispose()
    open_engine(str(db)).dispose()  # migrates up again and recreates the views
    assert sql(db, "SELECT repo_id, computed_label FROM latest_labels ORDER BY repo_id") == labels_before


@pytest.mark.parametrize("backend", BACKENDS)
def test_reviews_on_both_backends(backend, tmp_path, request, dev_hub_data, capsys, monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    with fresh_database(backend, tmp_path, request) as url:
        with ReplayHub(HubState.from_fixture(dev_hub_data)) as hub:
            crawl(url, hub)
        assert review_set(url) == 0
        assert review_set(url, QWEN, "Weights Available", "checked", "bob") == 0
        assert main(["review", "clear", QWEN, "--by", "bob", "--db", url]) == 0
        rows = sql_rows(url, "SELECT repo_id, label, computed_label, reviewed_by FROM latest_labels WHERE repo_id IN (:a, :b)", a=BERT, b=QWEN)
        assert {r[0]: r[1:] for r in rows} == {QWEN: ("Open Weights", "Open Weights", None), BERT: ("Open Source", "Open Weights", "alice")}
        records = export_jsonl(url, capsys)
        assert (records[BERT]["label"], records[BERT]["computed_label"]) == ("Open Source", "Open Weights")
        # the read-only commands that read reviews run on the backend too: the feed and compare
        assert main(["report", "feed", "--db", url, "--out", str(tmp_path / "feed")]) == 0
        items = json.loads((tmp_path / "feed" / "feed.json").read_text(encoding="utf-8"))["items"]
        assert [i["_hubscan"]["direction"] for i in items if i["_hubscan"]["kind"] == "review"] == ["clear", "set", "set"]
        judge = tmp_path / "judge.csv"
        judge.write_text(f"repo_id,label\n{BERT},Open Source\n{QWEN},Class III\n", encoding="utf-8")
        capsys.readouterr()
        assert main(["compare", str(judge), "--db", url]) == 0
        assert capsys.readouterr().out.startswith("agreement: 2/2 (100.0%)")


def test_a_review_imported_before_its_model_is_crawled_waits(db, tmp_path, capsys):
    path = tmp_path / "early.yaml"
    path.write_text(yaml.safe_dump([{"repo_id": "newcomer/not-crawled-yet", "sha": "a" * 40, "label": "Open Weights",
                                     "reason": "Apache-2.0 weights, reviewed before the crawl", "reviewed_by": "alice"}]), encoding="utf-8")
    assert main(["review", "import", str(path), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["review", "list", "--state", "absent", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "newcomer/not-crawled-yet" in out and "absent" in out and "1 absent (model not in the database)" in out
    assert main(["review", "list", "--state", "stale", "--db", str(db)]) == 0
    assert "no reviews in state stale" in capsys.readouterr().out


def test_a_review_file_saved_with_a_byte_order_mark_reads_its_first_column(tmp_path):
    # spreadsheets save CSV with a BOM; without dropping it the first header is "\ufeffrepo_id"
    from store.reviews import ReviewError, read_review_file

    path = tmp_path / "from-a-spreadsheet.csv"
    path.write_text("repo_id,label,reason,reviewed_by\norg/m,Open Weights,checked the LICENSE,alice\n", encoding="utf-8-sig")
    assert [r["repo_id"] for r in read_review_file(path)] == ["org/m"]
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ReviewError, match="not UTF-8 text"):
        read_review_file(path)
