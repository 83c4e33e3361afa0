"""Issue #7: `hubscan export --format parquet` round-trips against the JSONL export, on both backends.

The database is the dev hub crawled twice (the removed repository public, then gone), so the label
history has two runs and the lineage view has rows. Expected values come from the JSONL export and
from the tables themselves, not from store/parquet.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow", reason="Parquet export needs pyarrow: pip install 'hubscan[parquet]'")
import pyarrow.parquet as pq  # noqa: E402

from backends import BACKENDS, db_url, fresh_database, postgres_server, sql_rows  # noqa: E402,F401 (fixtures)
from hubscan.cli import main  # noqa: E402
from replayhub import ReplayHub  # noqa: E402
from replayhub.state import HubState  # noqa: E402
from store.db import open_engine  # noqa: E402
from store.export import EXPORT_KEYS  # noqa: E402
from store.parquet import FILES, write_parquet  # noqa: E402
from test_backends_e2e import FULL_SWEEP, TOKEN  # noqa: E402

LIST_KEYS = {"licence_raw", "datasets", "base_model", "washing_reasons", "claims"}
BOOL_KEYS = {"weights", "inference_code", "training_code", "datasets_open", "data_information", "open_washing"}


@pytest.fixture(scope="module", params=BACKENDS)
def database(request, tmp_path_factory, _dev_hub_text) -> str:
    data = json.loads(_dev_hub_text)
    state = HubState.from_fixture(data)
    removed = [m["id"] for m in data["models"] if m.get("private")]
    for repo_id in removed:
        state.update(repo_id, private=False)
    with fresh_database(request.param, tmp_path_factory.mktemp(f"parquet-{request.param}"), request) as url:
        with ReplayHub(state, tokens={TOKEN: {"user": "crawler", "gated": ["*"]}}) as hub, pytest.MonkeyPatch.context() as mp:
            mp.setenv("HF_TOKEN", TOKEN)
            mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
            assert main(["crawl", "--endpoint", hub.url, "--db", url, *FULL_SWEEP]) == 0
            for repo_id in removed:
                state.update(repo_id, private=True)
            assert main(["crawl", "--endpoint", hub.url, "--db", url, *FULL_SWEEP]) == 0
        yield url


def jsonl(url: str, capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["export", "--db", url, "--format", "jsonl"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def export_parquet(url: str, out: Path, capsys) -> str:
    capsys.readouterr()
    assert main(["export", "--db", url, "--format", "parquet", "--output", str(out)]) == 0
    return capsys.readouterr().out


def test_latest_labels_parquet_holds_exactly_the_jsonl_records(database, tmp_path, capsys):
    records = jsonl(database, capsys)
    printed = export_parquet(database, tmp_path / "pq", capsys)
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == sorted(f"{name}.parquet" for name in FILES)
    table = pq.read_table(tmp_path / "pq" / "latest_labels.parquet")
    assert table.num_rows == len(records) > 0
    counts = {line.split()[0]: int(line.split()[1]) for line in printed.splitlines()}
    assert counts["latest_labels"] == len(records) and counts["lineage"] == pq.read_table(tmp_path / "pq" / "lineage.parquet").num_rows
    assert table.schema.names == list(EXPORT_KEYS)
    # same rows, same order, same values: lists stay lists, missing values stay null
    assert table.to_pylist() == records
    assert Counter(table.column("label").to_pylist()) == Counter(r["label"] for r in records)
    for key in LIST_KEYS:
        assert pa.types.is_list(table.schema.field(key).type), key
    for key in BOOL_KEYS:
        assert pa.types.is_boolean(table.schema.field(key).type), key
    assert table.schema.field("downloads").type == pa.int64()


def test_evidence_history_and_lineage_files_match_the_database(database, tmp_path, capsys):
    records = {r["repo_id"]: r for r in jsonl(database, capsys)}
    export_parquet(database, tmp_path / "pq", capsys)

    evidence = pq.read_table(tmp_path / "pq" / "evidence.parquet").to_pylist()
    assert len(evidence) == sql_rows(database, "SELECT COUNT(*) FROM evidence")[0][0]
    assert [e["version_id"] for e in evidence] == sorted(e["version_id"] for e in evidence)
    current = {e["repo_id"]: e for e in evidence if e["current"]}
    assert set(current) == set(records)
    for repo_id, row in current.items():
        data = json.loads(row["data"])  # the full typed evidence, as JSON text
        assert data["licence"]["family"] == row["licence_family"] == records[repo_id]["licence_family"]
        assert row["weights"] is records[repo_id]["weights"]
        assert row["datasets_open"] == records[repo_id]["datasets_open"]
        assert row["sha"] == records[repo_id]["sha"]

    history = pq.read_table(tmp_path / "pq" / "label_history.parquet")
    assert history.num_rows == sql_rows(database, "SELECT COUNT(*) FROM observations")[0][0]
    assert history.schema.field("open_washing").type == pa.bool_() and history.schema.field("run_id").type == pa.int64()
    rows = history.to_pylist()
    last_run = max(r["run_id"] for r in rows)
    latest = {r["repo_id"]: r for r in rows if r["run_id"] == last_run}
    active = {k: v for k, v in records.items() if v["status"] == "active"}
    assert set(latest) == set(active)
    assert {k: (r["label"], r["open_washing"]) for k, r in latest.items()} == {k: (v["label"], v["open_washing"]) for k, v in active.items()}
    assert [(r["run_id"], r["repo_id"]) for r in rows] == sorted((r["run_id"], r["repo_id"]) for r in rows)

    lineage = pq.read_table(tmp_path / "pq" / "lineage.parquet").to_pylist()
    assert {(r["repo_id"], r["base_id"]) for r in lineage} == {(k, b) for k, v in records.items() for b in v["base_model"]}
    assert lineage and all(isinstance(r["licence_looser"], bool) and isinstance(r["base_in_db"], bool) for r in lineage)
    for row in lineage:
        assert row["label"] == records[row["repo_id"]]["label"]


def test_files_are_streamed_in_batches_with_the_same_content(database, tmp_path, capsys):
    export_parquet(database, tmp_path / "whole", capsys)
    engine = open_engine(database)
    try:
        written = {w.name: w for w in write_parquet(engine, tmp_path / "batched", batch_rows=4)}
    finally:
        engine.dispose()
    for name in FILES:
        whole = pq.read_table(tmp_path / "whole" / f"{name}.parquet")
        batched = pq.ParquetFile(tmp_path / "batched" / f"{name}.parquet")
        assert batched.metadata.num_rows == written[name].rows == whole.num_rows, name
        if whole.num_rows > 4:
            assert batched.num_row_groups == -(-whole.num_rows // 4), name  # one row group per batch
        assert batched.read().equals(whole), name
    assert not list((tmp_path / "batched").glob("*.tmp"))  # written under a temporary name, then renamed


def test_an_empty_database_gives_typed_empty_files_and_bad_output_is_refused(db_url, tmp_path, capsys):
    open_engine(db_url).dispose()  # the schema, no crawl (export never creates a database)
    export_parquet(db_url, tmp_path / "empty", capsys)
    for name in FILES:
        table = pq.read_table(tmp_path / "empty" / f"{name}.parquet")
        assert table.num_rows == 0
        assert len(table.schema) > 0 and table.schema.metadata[b"hubscan.format_version"] == b"1"
    assert pq.read_table(tmp_path / "empty" / "latest_labels.parquet").schema.names == list(EXPORT_KEYS)

    capsys.readouterr()
    assert main(["export", "--db", db_url, "--format", "parquet"]) == 2
    assert "--output DIR" in capsys.readouterr().err
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert main(["export", "--db", db_url, "--format", "parquet", "--output", str(a_file)]) == 2
    assert a_file.read_text() == "x"
