"""Issue #7: the end-to-end flow on SQLite and on a real PostgreSQL server, through the same code.

Crawl the dev hub (through the replay hub, with a crawler token approved for gated repos) ->
extract -> classify -> export -> reports -> read-only query -> explain, once per backend (see
tests/backends.py for where the PostgreSQL server comes from). The removed repository is public at
the first crawl and gone at the second, as in test_labels_dev_hub.py; a third crawl of the
unchanged hub must change no model or version row.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Text, cast, inspect, select

from backends import BACKENDS, db_url, fresh_database, postgres_server, sql_rows  # noqa: F401 (fixtures)
from classify import RULE_VERSION
from classify.washing import reason_text
from extract.types import ModelEvidence
from hubscan.cli import build_parser, main
from replayhub import ReplayHub
from replayhub.state import HubState
from store import schema as s
from store.analysis_io import label_batches
from store.db import _alembic_config, open_engine
from store.query import read_only_connection, read_only_engine
from store.views import VIEW_NAMES

TOKEN = "hf_crawlerAccountToken0000000000"
# Rows a crawl of an unchanged hub must leave alone (runs and observations grow; datasets may be re-asked).
STABLE_TABLES = ("models", "model_versions", "version_files", "version_datasets", "version_bases", "dataset_versions", "evidence", "labels")


def _crawl_has_modes() -> bool:
    _, unknown = build_parser().parse_known_args(["crawl", "--mode", "full"])
    return not unknown


# The walk that notices disappeared repositories (a crawler with modes defaults to `auto`).
FULL_SWEEP = ["--mode", "full"] if _crawl_has_modes() else []


def dump(url: str) -> dict[str, list[tuple]]:
    """Every stable table, ordered by its primary key: compared within one backend."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: [tuple(r) for r in conn.execute(select(s.metadata.tables[name]).order_by(*s.metadata.tables[name].primary_key.columns))]
                for name in STABLE_TABLES
            }
    finally:
        engine.dispose()


@dataclass
class Crawled:
    backend: str
    url: str
    data: dict
    before_third: dict[str, list[tuple]]
    after_third: dict[str, list[tuple]]
    third_crawl_resolves: int
    public_models: int


@pytest.fixture(scope="module", params=BACKENDS)
def crawled(request, tmp_path_factory, _dev_hub_text) -> Crawled:
    data = json.loads(_dev_hub_text)
    state = HubState.from_fixture(data)
    removed = [m["id"] for m in data["models"] if m.get("private")]
    for repo_id in removed:  # before its removal the repo was public
        state.update(repo_id, private=False)
    with fresh_database(request.param, tmp_path_factory.mktemp(f"e2e-{request.param}"), request) as url:
        hub = ReplayHub(state, tokens={TOKEN: {"user": "crawler", "gated": ["*"]}}).start()
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("HF_TOKEN", TOKEN)
                mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
                assert main(["crawl", "--endpoint", hub.url, "--db", url, *FULL_SWEEP]) == 0
                for repo_id in removed:
                    state.update(repo_id, private=True)
                assert main(["crawl", "--endpoint", hub.url, "--db", url, *FULL_SWEEP]) == 0
                before = dump(url)
                hub.reset_counts()
                assert main(["crawl", "--endpoint", hub.url, "--db", url, *FULL_SWEEP]) == 0
                resolves = hub.count("models.resolve")
                after = dump(url)
        finally:
            hub.stop()
        yield Crawled(request.param, url, data, before, after, resolves, len(data["models"]) - len(removed))


def export(url: str, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["export", "--db", url]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_every_model_gets_an_expected_label_and_every_washer_is_flagged(crawled, capsys):
    records = {r["repo_id"]: r for r in export(crawled.url, capsys)}
    models = crawled.data["models"]
    assert set(records) == {m["id"] for m in models}
    wrong = {m["id"]: (records[m["id"]]["label"], m["expected"]) for m in models if records[m["id"]]["label"] not in m["expected"]}
    assert wrong == {}
    assert {r for r, rec in records.items() if rec["open_washing"]} == {m["id"] for m in models if m["washing"]}
    removed = next(m["id"] for m in models if m.get("private"))
    assert (records[removed]["status"], records[removed]["label"]) == ("disappeared", "No Weights")
    # typed values survive the backend: booleans are booleans, lists are lists, counts are integers
    olmoe = records["allenai/OLMoE-1B-7B-0924"]
    assert olmoe["weights"] is True and olmoe["datasets_open"] is True and olmoe["datasets"] == ["allenai/OLMoE-mix-0924"]
    assert isinstance(olmoe["downloads"], int)


def test_a_third_crawl_of_the_unchanged_hub_changes_no_model_or_version_row(crawled):
    assert crawled.third_crawl_resolves == 0
    for table in STABLE_TABLES:
        assert crawled.after_third[table] == crawled.before_third[table], table
    assert len(crawled.after_third["labels"]) == len(crawled.data["models"])
    assert sql_rows(crawled.url, "SELECT COUNT(*) FROM runs WHERE status = 'ok'") == [(3,)]
    observed = sql_rows(crawled.url, "SELECT run_id, COUNT(*) FROM observations GROUP BY run_id ORDER BY run_id")
    assert observed == [(1, len(crawled.data["models"])), (2, crawled.public_models), (3, crawled.public_models)]


def test_extract_and_classify_again_are_no_ops_and_explain_shows_the_gates(crawled, capsys):
    capsys.readouterr()
    assert main(["extract", "--db", crawled.url]) == 0
    assert "for 0 versions" in capsys.readouterr().out
    assert main(["classify", "--db", crawled.url]) == 0
    assert capsys.readouterr().out.startswith("0 labels written")

    assert main(["explain", "NousResearch/Nous-Hermes-Llama2-13b", "--db", crawled.url]) == 0
    out = capsys.readouterr().out
    assert "label: Weights Available" in out and "rule L2" in out and "W-LAUNDER" in out
    assert main(["explain", "allenai/OLMoE-1B-7B-0924", "--db", crawled.url]) == 0
    out = capsys.readouterr().out
    assert "label: Open Source and Open Data" in out and out.count("[PASS]") == 4
    assert main(["explain", "no/such-model", "--db", crawled.url]) == 2


def test_evidence_is_stored_as_the_json_of_the_evidence_on_both_backends(crawled):
    """Workers send evidence as JSON text (extract/evidence_record.py), written through a pass-through
    JSON type: stored as a JSON object, byte for byte what json.dumps of the evidence gives."""
    engine = open_engine(crawled.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(s.evidence.c.data, cast(s.evidence.c.data, Text), s.evidence.c.licence_family)).all()
    finally:
        engine.dispose()
    assert rows
    for data, stored, family in rows:
        assert isinstance(data, dict) and stored == json.dumps(data)
        assert json.dumps(ModelEvidence.from_dict(data).to_dict()) == stored and data["licence"]["family"] == family


def test_reports_are_written_from_the_database(crawled, tmp_path, capsys):
    records = export(crawled.url, capsys)
    active = [r for r in records if r["status"] == "active"]
    out = tmp_path / "reports"
    assert main(["report", "washing", "--db", crawled.url, "--out", str(out)]) == 0
    week = next(out.glob("washing-*.html")).name[len("washing-") : -len(".html")]
    with open(out / f"washing-{week}.csv", encoding="utf-8") as f:
        listed = [row["repo_id"] for row in csv.DictReader(f)]
    assert sorted(listed) == sorted(r["repo_id"] for r in active if r["open_washing"])
    assert "google/gemma-2-2b" in (out / f"washing-{week}.html").read_text(encoding="utf-8")

    assert main(["report", "trends", "--db", crawled.url, "--out", str(out)]) == 0
    by_crawl = next(out.glob("trends-*-by-crawl-date.csv"))
    with open(by_crawl, encoding="utf-8") as f:
        everything = [row for row in csv.DictReader(f) if row["tier"] == "all"]
    assert len(everything) == 1  # the three crawls ran on one day: its latest run
    counts = Counter(r["label"] for r in active)
    assert int(everything[0]["models"]) == len(active)
    for label in ("Open Source and Open Data", "Open Source", "Open Weights", "Weights Available", "No Weights"):
        assert int(everything[0][f"{label} (models)"]) == counts.get(label, 0), label
    assert next(out.glob("trends-*.html")).stat().st_size > 0


def test_query_reads_the_views_and_refuses_writes(crawled, capsys):
    records = {r["repo_id"]: r for r in export(crawled.url, capsys)}
    assert main(["query", "SELECT label, COUNT(*) AS models FROM latest_labels GROUP BY label ORDER BY label", "--db", crawled.url, "--format", "json"]) == 0
    got = {row["label"]: row["models"] for row in json.loads(capsys.readouterr().out)}
    assert got == dict(Counter(r["label"] for r in records.values()))

    # JSON columns print as the same JSON text on both backends (psycopg would hand back lists)
    assert main(["query", "SELECT repo_id, washing_reasons FROM washing_flags", "--db", crawled.url, "--format", "json"]) == 0
    flags = json.loads(capsys.readouterr().out)
    assert {f["repo_id"] for f in flags} == {r for r, rec in records.items() if rec["open_washing"] and rec["status"] == "active"}
    for flag in flags:
        assert isinstance(flag["washing_reasons"], str)
        # stored typed ({"code", "detail", "quote", ...}); the export gives their "CODE: text" lines
        assert [reason_text(x) for x in json.loads(flag["washing_reasons"])] == records[flag["repo_id"]]["washing_reasons"]

    runs = sql_rows(crawled.url, "SELECT COUNT(*) FROM runs")
    assert main(["query", "DELETE FROM runs", "--db", crawled.url]) == 2
    assert "query refused" in capsys.readouterr().err
    assert main(["query", "SELECT nope FROM latest_labels", "--db", crawled.url]) == 2
    assert capsys.readouterr().err.startswith("hubscan: query failed:")
    # the engine itself cannot write, even a statement that slipped past the check
    engine = read_only_engine(crawled.url)
    try:
        with engine.connect() as conn:
            with pytest.raises(Exception, match="(?i)read-only|readonly"):
                conn.exec_driver_sql("DELETE FROM runs")
        with read_only_connection(engine) as conn:
            with pytest.raises(Exception, match="(?i)read-only|readonly"):
                conn.exec_driver_sql("UPDATE labels SET label = 'Open Source'")
    finally:
        engine.dispose()
    assert sql_rows(crawled.url, "SELECT COUNT(*) FROM runs") == runs


def test_lineage_levels_walk_any_number_of_versions_in_bounded_batches(crawled):
    """More ids than either database takes as bound parameters (SQLite 32,766, PostgreSQL 65,535)."""
    engine = read_only_engine(crawled.url)
    try:
        with engine.connect() as conn:
            labelled = sorted(r[0] for r in conn.execute(select(s.labels.c.version_id)))
            bogus = list(range(10**7, 10**7 + 70_000))
            # under another rule set every labelled version is stale: each comes back exactly once
            seen = [w.version_id for batch in label_batches(conn, "another-rule-set", only_versions=bogus + labelled, batch=7) for w in batch]
            assert seen == labelled
            assert list(label_batches(conn, RULE_VERSION, only_versions=bogus + labelled)) == []
    finally:
        engine.dispose()


def test_card_values_too_long_or_with_nul_are_stored_alike_on_both_backends(db_url, dev_hub_data, replay_hub, monkeypatch, capsys):
    """SQLite ignores VARCHAR(n) and keeps NUL characters; PostgreSQL refuses both. Card metadata is untrusted."""
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    state = HubState.from_fixture({"models": [m for m in dev_hub_data["models"] if m["id"] == "allenai/OLMoE-1B-7B-0924"], "datasets": dev_hub_data["datasets"]})
    odd_base = "someone/" + "b" * 300
    state.add_repo({
        "id": "odd/long-card-values",
        "cardData": {"license": "l" * 150 + "\0x", "base_model": [odd_base + "\0", odd_base + "\0second"]},
        "files": {"README.md": "---\nlicense: other\n---\n# A model\n", "model.safetensors": 1000},
    })
    hub = replay_hub(state)
    assert main(["crawl", "--endpoint", hub.url, "--db", db_url, *FULL_SWEEP]) == 0
    licence, label = sql_rows(db_url, "SELECT e.licence, l.label FROM models m JOIN evidence e ON e.version_id = m.current_version_id "
                                      "JOIN labels l ON l.version_id = m.current_version_id WHERE m.repo_id = 'odd/long-card-values'")[0]
    assert label == "Weights Available"
    assert licence == "l" * 64  # clipped to the column, NUL removed: the same on both backends
    bases = sql_rows(db_url, "SELECT b.base_id, b.kind, b.status FROM version_bases b JOIN models m ON m.current_version_id = b.version_id WHERE m.repo_id = 'odd/long-card-values'")
    # a 300-character name is no Hub id: recorded as invalid (never looked up); both values clip to one
    assert bases == [(odd_base[:256], "invalid", "invalid")]
    records = {r["repo_id"]: r for r in export(db_url, capsys)}
    assert records["odd/long-card-values"]["base_model"] == [odd_base + "\0", odd_base + "\0second"]  # full values kept in the JSON


def test_migrations_build_tear_down_and_rebuild_the_schema(db_url):
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = _alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    engine = open_engine(db_url)
    insp = inspect(engine)
    assert set(s.metadata.tables) <= set(insp.get_table_names())
    assert set(insp.get_view_names()) == set(VIEW_NAMES)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    insp = inspect(engine)
    assert set(insp.get_table_names()) <= {"alembic_version"} and insp.get_view_names() == []
    engine.dispose()

    engine = open_engine(db_url)  # migrates up again on open
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    insp = inspect(engine)
    assert set(s.metadata.tables) <= set(insp.get_table_names()) and set(insp.get_view_names()) == set(VIEW_NAMES)
    engine.dispose()


def test_the_schema_head_a_database_is_checked_against_is_alembics(tmp_path):
    """store.db opens a database already at SCHEMA_HEAD without importing Alembic: a new migration
    must move it, or databases would never be upgraded to it."""
    from alembic.script import ScriptDirectory

    from store import db as store_db

    assert store_db.SCHEMA_HEAD == ScriptDirectory.from_config(_alembic_config()).get_current_head()
    engine = open_engine(f"sqlite:///{tmp_path / 'h.db'}")
    with engine.connect() as conn:
        assert store_db.current_revision(conn) == store_db.SCHEMA_HEAD
    engine.dispose()


def test_opening_a_database_at_head_imports_neither_alembic_nor_the_extractors(tmp_path):
    """Every command opens the database first: about 1.3 s of imports it does not need (a new
    process, as a command is)."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    open_engine(url).dispose()
    probe = ("import sys; from store.db import open_engine; open_engine(sys.argv[1]).dispose(); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'extract')))")
    out = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "[]", out.stdout


def test_machines_opening_a_fresh_shared_database_at_once_migrate_it_once(postgres_server):
    """A crawl split over machines starts them together: every one must find the schema ready."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    name, url = postgres_server.create_database()
    try:
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def open_it() -> None:
            try:
                start.wait()
                open_engine(url).dispose()
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=open_it, daemon=True) for _ in range(4)]  # a stuck one must not hang the session
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "a migration is stuck waiting for another"
        assert errors == []
        engine = open_engine(url)
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == ScriptDirectory.from_config(_alembic_config()).get_current_head()
        assert set(inspect(engine).get_view_names()) == set(VIEW_NAMES)
        engine.dispose()
    finally:
        postgres_server.drop_database(name)


# --- store.portable: the one place that knows each dialect's conflict clause -------------------


@pytest.mark.parametrize("dialect_clause", [True, False], ids=["on-conflict", "look-then-write"])
def test_portable_writes_fit_text_and_never_duplicate_a_key(db_url, dialect_clause, monkeypatch):
    from store import portable

    if not dialect_clause:  # the fallback for databases without ON CONFLICT
        monkeypatch.setattr(portable, "_dialect_insert", lambda conn, table: None)
    engine = open_engine(db_url)
    vb, runs = s.version_bases, s.runs
    try:
        with engine.begin() as conn:
            run_id = conn.execute(s.runs.insert().values(started_at="2026-01-01T00:00:00+00:00", status="ok", endpoint="x", full_sweep=True, params={})).inserted_primary_key[0]
            conn.execute(s.models.insert().values(repo_id="a/b", status="active", gated="false", private=False, disabled=False, first_seen_run=run_id))
            version = conn.execute(s.model_versions.insert().values(repo_id="a/b", sha="1", first_seen_run=run_id, metadata={}, readme_status="ok")).inserted_primary_key[0]
            long_id = "x/" + "y" * 400
            portable.insert_ignore(conn, vb, [{"version_id": version, "base_id": long_id + "\0", "relation": "finetune"},
                                              {"version_id": version, "base_id": long_id + "z", "relation": "merge"}])
            portable.insert_ignore(conn, vb, [{"version_id": version, "base_id": long_id, "relation": "adapter"}])  # present: left alone
            portable.upsert(conn, vb, [{"version_id": version, "base_id": "c/d", "relation": "finetune"}])
            portable.upsert(conn, vb, [{"version_id": version, "base_id": "c/d", "relation": "quantized"}])  # present: updated
        with engine.connect() as conn:
            stored = sorted(tuple(r) for r in conn.execute(select(vb.c.base_id, vb.c.relation)))
            assert conn.execute(select(runs.c.id)).all() == [(run_id,)]
    finally:
        engine.dispose()
    assert stored == sorted([(long_id[:256], "merge"), ("c/d", "quantized")])
    assert portable.fit(vb, {"base_id": "a\0b", "relation": "r" * 40, "other": "\0"}) == {"base_id": "ab", "relation": "r" * 16, "other": "\0"}
