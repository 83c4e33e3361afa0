"""`hubscan demo`: the whole job on the bundled snapshot, no network, no token."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from hubscan.cli import main

SNAPSHOT = json.loads((Path(__file__).resolve().parents[1] / "replayhub" / "data" / "demo_hub.json").read_text())


def test_demo_crawls_labels_and_prints_the_snapshot(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    db = tmp_path / "hubscan-demo.db"
    assert db.exists() and "labels:" in out

    with sqlite3.connect(db) as conn:
        stored = dict(
            conn.execute(
                "SELECT m.repo_id, l.label || '|' || l.open_washing FROM models m "
                "JOIN labels l ON l.version_id = m.current_version_id"
            ).fetchall()
        )
    listed = [m for m in SNAPSHOT["models"] if not m.get("private")]
    assert len(listed) >= 30 and set(stored) == {m["id"] for m in listed}
    wrong = {}
    for model in listed:
        label, washing = stored[model["id"]].split("|")
        if label not in model["expected"] or bool(int(washing)) != model["washing"]:
            wrong[model["id"]] = (label, washing, model["expected"], model["washing"])
    assert wrong == {}
    for model in listed:
        assert model["id"][:51] in out
    reports = tmp_path / "hubscan-demo-reports"
    html = next(reports.glob("washing-*.html"))
    assert str(html) in out and next(reports.glob("trends-*.html")).exists()
    flagged = sorted(m["id"] for m in listed if m["washing"])
    page = html.read_text()
    assert all(repo_id in page for repo_id in flagged)
    # the glossary of washing codes (policy/washing.yaml), and no table fragment quoted as a claim
    from classify.washing import glossary

    assert 'id="glossary"' in page and all(c["code"] in page and c["title"] in page for c in glossary())
    assert "Benchmark | Kimi" not in page

    # run again: the database is replaced, not appended to
    assert main(["demo"]) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
