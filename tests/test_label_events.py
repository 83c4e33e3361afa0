"""A version relabelled without a new sha keeps its old label in the history and shows in the changes feed.

A model's label can change while its repo does not: the dataset it was trained on gets gated, its
base model is relicensed, the rule set changes. `labels` holds the newest label per version;
`label_events` keeps each label a version had, by run, for `label_history` and the weekly report.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from hubscan.cli import main
from replayhub.state import HubState
from reports.changes import changes_between
from store.db import _alembic_config, create_db_engine, open_engine

OLMOE = "allenai/OLMoE-1B-7B-0924"
MIX = "allenai/OLMoE-mix-0924"  # its only declared training dataset


def rows(db: Path, query: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def crawl(hub, db: Path) -> None:
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"]) == 0


def test_gating_the_training_data_relabels_the_unchanged_version_and_history_keeps_both(tmp_path, dev_hub_data, replay_hub):
    expected_before = next(m["expected"] for m in dev_hub_data["models"] if m["id"] == OLMOE)
    state = HubState.from_fixture(dev_hub_data)
    hub = replay_hub(state)
    db = tmp_path / "hub.db"
    crawl(hub, db)
    state.update(MIX, repo_type="dataset", gated="manual")  # the model repo itself is untouched
    crawl(hub, db)

    (version_id, sha), = rows(db, "SELECT id, sha FROM model_versions WHERE repo_id = ?", OLMOE)
    history = rows(db, "SELECT run_id, sha, label FROM label_history WHERE repo_id = ? ORDER BY run_id", OLMOE)
    (now_label,), = rows(db, "SELECT label FROM labels WHERE version_id = ?", version_id)
    assert history[0] == (1, sha, history[0][2]) and history[0][2] in expected_before
    # gated training data cannot be Open Data: the same sha, a lower label, as the current label says
    assert history[1] == (2, sha, now_label) and now_label != history[0][2]
    assert rows(db, "SELECT run_id, label FROM label_events WHERE version_id = ? ORDER BY id", version_id) == [
        (1, history[0][2]), (2, now_label),
    ]

    engine = create_db_engine(str(db), read_only=True)
    with engine.connect() as conn:
        feed = changes_between(conn, 1, 2)
    changed = [(c.repo_id, c.before, c.after, c.direction) for c in feed.label_changes]
    assert (OLMOE, history[0][2], now_label, "down") in changed
    assert feed.new_models == 0 and feed.licence_changes == ()
    # models whose labels did not move are not in the feed
    moved = {r for (r,) in rows(db, "SELECT DISTINCT v.repo_id FROM label_events e JOIN model_versions v ON v.id = e.version_id WHERE e.run_id = 2")}
    assert {c[0] for c in changed} == moved

    # relabelled again within run 2 (as a later lineage pass does): still one event per version per run
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE labels SET inputs_digest = 'stale', label = 'Open Weights' WHERE version_id = ?", (version_id,))
    assert main(["classify", "--db", str(db)]) == 0
    assert rows(db, "SELECT run_id, label FROM label_events WHERE version_id = ? ORDER BY id", version_id) == [
        (1, history[0][2]), (2, now_label),
    ]


def test_an_unchanged_crawl_records_no_label_event(tmp_path, dev_hub_data, replay_hub):
    hub = replay_hub(HubState.from_fixture(dev_hub_data))
    db = tmp_path / "hub.db"
    crawl(hub, db)
    first = rows(db, "SELECT COUNT(*), COUNT(DISTINCT version_id) FROM label_events")
    assert first[0][0] == first[0][1] == rows(db, "SELECT COUNT(*) FROM labels")[0][0] > 0
    crawl(hub, db)
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT version_id) FROM label_events") == first
    assert main(["classify", "--db", str(db)]) == 0
    assert rows(db, "SELECT COUNT(*), COUNT(DISTINCT version_id) FROM label_events") == first


def test_migrating_a_database_from_before_label_events_backfills_them(tmp_path, dev_hub_data, replay_hub):
    hub = replay_hub(HubState.from_fixture(dev_hub_data))
    db = tmp_path / "hub.db"
    crawl(hub, db)
    crawl(hub, db)
    history = rows(db, "SELECT repo_id, run_id, label, open_washing FROM label_history ORDER BY 1, 2")

    cfg = _alembic_config()
    engine = create_db_engine(str(db))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    engine.dispose()
    assert "label_events" not in {n for (n,) in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    # below revision 0005 the views are not managed: the downgrade of 0005 dropped them
    assert rows(db, "SELECT name FROM sqlite_master WHERE type = 'view'") == []

    open_engine(str(db)).dispose()  # migrates up again: one event per labelled version, as of its first run
    assert rows(db, "SELECT repo_id, run_id, label, open_washing FROM label_history ORDER BY 1, 2") == history
    assert rows(db, "SELECT COUNT(*) FROM label_events")[0][0] == rows(db, "SELECT COUNT(*) FROM labels")[0][0]
    assert rows(db, "SELECT COUNT(*) FROM label_events e JOIN model_versions v ON v.id = e.version_id WHERE e.run_id != v.first_seen_run") == [(0,)]


def test_explain_shows_the_labels_an_unchanged_version_had(tmp_path, dev_hub_data, replay_hub, capsys):
    state = HubState.from_fixture(dev_hub_data)
    hub = replay_hub(state)
    db = tmp_path / "hub.db"
    crawl(hub, db)
    capsys.readouterr()
    assert main(["explain", OLMOE, "--db", str(db)]) == 0
    assert "labels of this version" not in capsys.readouterr().out  # one label so far: nothing to show

    state.update(MIX, repo_type="dataset", gated="manual")
    crawl(hub, db)
    capsys.readouterr()
    assert main(["explain", OLMOE, "--db", str(db)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    (first, first_rule), (now, now_rule) = rows(
        db, "SELECT e.label, e.rule FROM label_events e JOIN models m ON m.current_version_id = e.version_id WHERE m.repo_id = ? ORDER BY e.id", OLMOE
    )
    assert f"labels of this version: run 1: {first} ({first_rule}," in out
    assert f"-> run 2: {now} ({now_rule}," in out
