"""Issue #13: no password in any table, log line or message; private repos stay out of what is published.

A mirror behind HTTP Basic auth is crawled with `--endpoint http://user:pass@host` (the replay hub
checks the credentials); a member's token lists private repos, which the store keeps (lineage needs
them) and exports, views, Parquet files and reports leave out unless `--include-private`.
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
from pathlib import Path

import pytest

from backends import BACKENDS, db_url, postgres_server  # noqa: F401 (fixtures)
from hubscan.cli import main
from replayhub import FaultPlan
from replayhub.state import HubState
from store.db import open_engine
from store.query import QueryTimeout, read_only_engine, run_query

PASSWORD = "Pa55-w0rd-never-stored"
QUERY_TOKEN = "hf_querystringtoken123456"
WEIGHTS = {"model.safetensors": 500_000_000}
OWNER_TOKEN = "hf_ownerOfPrivateRepos0000000"


def model(repo_id: str, licence: str = "apache-2.0", body: str = "A model.", **fields) -> dict:
    return {"id": repo_id, "files": {"README.md": f"---\nlicense: {licence}\n---\n# Model\n\n{body}\n", **WEIGHTS}, "downloads": 100, **fields}


def everything_stored(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(repr(conn.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("HUBSCAN_RETRY_ATTEMPTS", "2")


def test_a_password_in_the_endpoint_is_used_but_never_stored_logged_or_printed(tmp_path, replay_hub, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    hub = replay_hub(HubState.from_fixture({"models": [model("org/a"), model("org/b")]}), basic_auth=("crawler", PASSWORD))
    endpoint = f"http://crawler:{PASSWORD}@127.0.0.1:{hub.port}/?token={QUERY_TOKEN}"
    db = tmp_path / "hub.db"
    assert main(["-v", "crawl", "--endpoint", endpoint, "--db", str(db)]) == 0
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 2  # the mirror let us in
    assert not any(r.status == 401 for r in hub.requests)
    assert sqlite3.connect(db).execute("SELECT endpoint FROM runs").fetchone()[0] == f"http://127.0.0.1:{hub.port}"

    wrong = f"http://crawler:{PASSWORD}-wrong@127.0.0.1:{hub.port}"  # refused: the error names the URL
    assert main(["-v", "crawl", "--endpoint", wrong, "--db", str(db), "--mode", "full"]) == 1
    down = replay_hub(HubState.from_fixture({"models": [model("org/c")]}), basic_auth=("crawler", PASSWORD),
                      faults=FaultPlan().fail(r"^/api/models", 503))
    assert main(["-v", "crawl", "--endpoint", f"http://crawler:{PASSWORD}@127.0.0.1:{down.port}", "--db", str(db)]) == 1

    captured = capsys.readouterr()
    assert "failed" in captured.err and f"127.0.0.1:{down.port}" in everything_stored(db)
    for where, text in (("tables", everything_stored(db)), ("stdout", captured.out), ("stderr", captured.err),
                        ("log", "\n".join(r.getMessage() for r in caplog.records))):
        assert PASSWORD not in text, where
        assert QUERY_TOKEN not in text, where
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # DEBUG logging was on


def owner_hub() -> dict:
    return {
        "models": [
            model("org/public-open"),
            model("org/public-washer", "cc-by-nc-4.0", "This model is fully open source."),
            model("team/private-base", "llama3", "Our internal base model.", private=True),
            model("team/private-washer", "cc-by-nc-4.0", "This model is fully open source.", private=True),
            {**model("org/public-finetune"), "cardData": {"license": "apache-2.0", "base_model": "team/private-base"}},
        ]
    }


def test_private_repos_are_kept_but_left_out_of_exports_views_parquet_and_reports(tmp_path, replay_hub, monkeypatch, capsys):
    pyarrow = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setenv("HF_TOKEN", OWNER_TOKEN)
    hub = replay_hub(HubState.from_fixture(owner_hub()), tokens={OWNER_TOKEN: {"user": "owner", "private": ["*"]}})
    db = tmp_path / "hub.db"
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db)]) == 0
    private = {"team/private-base", "team/private-washer"}
    everyone = {m["id"] for m in owner_hub()["models"]}
    with sqlite3.connect(db) as conn:
        assert {r for (r,) in conn.execute("SELECT repo_id FROM models WHERE private")} == private  # kept, and labelled
        assert conn.execute("SELECT COUNT(*) FROM labels").fetchone() == (len(owner_hub()["models"]),)

    def exported(*extra: str) -> set[str]:
        capsys.readouterr()
        assert main(["export", "--db", str(db), *extra]) == 0
        return {json.loads(line)["repo_id"] for line in capsys.readouterr().out.splitlines()}

    assert exported() == everyone - private
    assert exported("--include-private") == everyone

    def query(sql: str) -> list:
        capsys.readouterr()
        assert main(["query", sql, "--db", str(db), "--format", "json"]) == 0
        return json.loads(capsys.readouterr().out)

    assert {r["repo_id"] for r in query("SELECT repo_id FROM latest_labels")} == everyone - private
    assert {r["repo_id"] for r in query("SELECT repo_id FROM latest_labels_all")} == everyone
    for view in ("label_history", "washing_flags", "licence_changes"):
        assert not {r["repo_id"] for r in query(f"SELECT repo_id FROM {view}")} & private
    # (the public fine-tune declares a looser licence than its private base: flagged either way)
    washers = {"org/public-washer", "org/public-finetune"}
    assert {r["repo_id"] for r in query("SELECT repo_id FROM washing_flags")} == washers
    assert {r["repo_id"] for r in query("SELECT repo_id FROM washing_flags_all")} == washers | {"team/private-washer"}
    (public_row,) = query("SELECT base_id, base_in_db, base_label, base_licence FROM lineage WHERE repo_id = 'org/public-finetune'")
    assert public_row == {"base_id": "team/private-base", "base_in_db": 0, "base_label": None, "base_licence": None}
    (owner_row,) = query("SELECT base_in_db, base_label FROM lineage_all WHERE repo_id = 'org/public-finetune'")
    assert owner_row["base_in_db"] == 1 and owner_row["base_label"] is not None

    for flag, expected in (([], everyone - private), (["--include-private"], everyone)):
        out = tmp_path / f"parquet{len(flag)}"
        assert main(["export", "--db", str(db), "--format", "parquet", "--output", str(out), *flag]) == 0
        assert set(pyarrow.read_table(out / "latest_labels.parquet").column("repo_id").to_pylist()) == expected
        assert set(pyarrow.read_table(out / "evidence.parquet").column("repo_id").to_pylist()) == expected
        assert set(pyarrow.read_table(out / "label_history.parquet").column("repo_id").to_pylist()) == expected

    for flag, flagged in (([], washers), (["--include-private"], washers | {"team/private-washer"})):
        out = tmp_path / f"report{len(flag)}"
        assert main(["report", "washing", "--db", str(db), "--out", str(out), *flag]) == 0
        (listing,) = [p for p in out.glob("washing-*.csv") if p.name.count("-") == 2]
        assert {row["repo_id"] for row in csv.DictReader(listing.open())} == flagged
        html = next(out.glob("washing-*.html")).read_text()
        assert ("team/private-washer" in html) == bool(flag)
        assert main(["report", "trends", "--db", str(db), "--out", str(out), *flag]) == 0
        by_crawl = next(out.glob("trends-*-by-crawl-date.csv"))
        totals = [int(row["models"]) for row in csv.DictReader(by_crawl.open()) if row["tier"] == "all"]
        assert totals == ([5] if flag else [3])

    capsys.readouterr()
    assert main(["explain", "team/private-washer", "--db", str(db)]) == 0  # the owner can still ask about one


@pytest.mark.parametrize("db_url", BACKENDS, indirect=True)
def test_query_timeout_stops_a_runaway_statement(db_url, capsys):
    open_engine(db_url).dispose()
    runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"
    capsys.readouterr()
    assert main(["query", runaway, "--db", db_url, "--timeout", "1"]) == 2  # before: it ran forever
    assert "query stopped after 1 s" in capsys.readouterr().err
    engine = read_only_engine(db_url)
    counting = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT x FROM c"
    assert len(run_query(engine, counting.format(n=10), max_rows=10).rows) == 10
    with pytest.raises(QueryTimeout, match="more than 10 rows"):
        run_query(engine, counting.format(n=11), max_rows=10)
    assert run_query(engine, "SELECT 1 AS one", timeout=5).rows == ((1,),)  # the connection is usable afterwards
    assert run_query(engine, "SELECT 2 AS two").rows == ((2,),)
