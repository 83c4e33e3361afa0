"""`evidence.parquet` on PostgreSQL is read into Arrow by the ADBC driver (store/postgres_adbc.py), or
without it through COPY's CSV (store/postgres_arrow.py, `query_tables`): its file must be the one the driver's rows give, value for value, including the
values CSV could blur: NULL against an empty string, the text "NULL", quotes, commas and line breaks
inside a JSON document, a private model's versions.

The rows are written straight into the tables; the expected file comes from the driver's rows
(store/parquet.py's other reader), and a few values are checked against the tables themselves.
"""

from __future__ import annotations

import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402
from sqlalchemy import text  # noqa: E402

from backends import fresh_database, postgres_server, sql_rows  # noqa: E402,F401 (fixtures)
from store import parquet, postgres_adbc, postgres_arrow  # noqa: E402
from store import schema as s  # noqa: E402
from store.db import open_engine  # noqa: E402
from store.parquet import write_parquet  # noqa: E402

# A document as a person might have stored it: a line break between keys, quotes and a comma in a value.
ODD_DOCUMENT = '{"licence": {"family": "other"},\n "note": "said \\"open\\", then not\\nreally", "é": "ü"}'


def _fill(url: str) -> None:
    engine = open_engine(url)
    models = [("a/plain", False), ('b/"quoted", comma', False), ("c/private", True), ("d/current-null", False)]
    facts = {
        "extractor_version": 4, "inputs_digest": "d", "extracted_at": "2026-11-01T06:00:00+00:00", "licence": "apache-2.0",
        "licence_family": "osi-permissive", "weights": True, "inference_code": False, "training_code": None, "datasets_open": None,
        "data_information": False, "data_information_score": 10, "inference_code_licence": None, "training_code_licence": "",
        "data": {"licence": {"family": "osi-permissive"}, "claims": []},
    }
    odd = {"licence": "NULL", "licence_family": "", "weights": False, "inference_code": None, "data_information_score": None,
           "inference_code_licence": "NOASSERTION", "training_code_licence": None}
    with engine.begin() as conn:
        conn.execute(s.runs.insert(), [{"id": 1, "started_at": "2026-11-01T06:00:00+00:00", "status": "ok", "endpoint": "http://hub",
                                        "full_sweep": True, "params": {}}])
        conn.execute(s.models.insert(), [{"repo_id": r, "status": "active", "gated": "false", "private": p, "disabled": False,
                                          "first_seen_run": 1} for r, p in models])
        versions = [(1, "a/plain"), (2, "a/plain"), (3, 'b/"quoted", comma'), (4, "c/private"), (5, "d/current-null"), (6, "a/plain")]
        conn.execute(s.model_versions.insert(), [{"id": v, "repo_id": r, "sha": f"{v:040x}", "first_seen_run": 1, "metadata": {},
                                                  "readme_status": "ok"} for v, r in versions])
        # version 6 has no evidence (never extracted): no row
        conn.execute(s.evidence.insert(), [{"version_id": v, **facts, **(odd if v in (2, 3) else {})} for v in (1, 2, 3, 4, 5)])
        conn.execute(text("UPDATE evidence SET data = CAST(:doc AS json) WHERE version_id = 3"), {"doc": ODD_DOCUMENT})
        for repo, current in (("a/plain", 2), ('b/"quoted", comma', 3), ("c/private", 4)):  # d/current-null: none
            conn.execute(s.models.update().where(s.models.c.repo_id == repo).values(current_version_id=current))
    engine.dispose()


def _written(url: str, out, batch_rows: int, include_private: bool) -> pa.Table:
    engine = open_engine(url)
    try:
        write_parquet(engine, out, batch_rows=batch_rows, include_private=include_private)
    finally:
        engine.dispose()
    return pq.read_table(out / "evidence.parquet")


@pytest.mark.parametrize("batch_rows", [2, 5000])
@pytest.mark.parametrize("include_private", [False, True])
@pytest.mark.parametrize("reader", ["adbc", "copy"])
def test_evidence_read_as_arrow_is_the_drivers_file(postgres_server, request, tmp_path, batch_rows, include_private, reader, monkeypatch):
    """Through the ADBC driver (store/postgres_adbc.py), or without it through COPY's CSV."""
    calls = []
    copy_reader = postgres_arrow.query_tables
    monkeypatch.setattr(postgres_arrow, "query_tables", lambda *a, **k: calls.append("copy") or copy_reader(*a, **k))
    adbc_reader = parquet._adbc_tables
    monkeypatch.setattr(parquet, "_adbc_tables", lambda *a: (calls.append("adbc") if "FROM evidence" in a[1] else None) or adbc_reader(*a))
    if reader == "copy":
        monkeypatch.setattr(postgres_adbc, "available", lambda conn: False)
    with fresh_database("postgresql", tmp_path, request) as url:
        _fill(url)
        got = _written(url, tmp_path / "arrow", batch_rows, include_private)
        assert calls == [reader]  # that reader made the file
        with monkeypatch.context() as driver_only:
            driver_only.setattr(postgres_arrow, "available", lambda conn: False)
            driver_only.setattr(postgres_adbc, "available", lambda conn: False)
            expected = _written(url, tmp_path / "driver", batch_rows, include_private)
        assert calls == [reader]
        stored = dict(sql_rows(url, "SELECT version_id, CAST(data AS TEXT) FROM evidence"))
    assert got.equals(expected)
    assert pq.ParquetFile(tmp_path / "arrow" / "evidence.parquet").metadata.num_row_groups == \
        pq.ParquetFile(tmp_path / "driver" / "evidence.parquet").metadata.num_row_groups
    rows = {r["version_id"]: r for r in got.to_pylist()}
    assert list(rows) == ([1, 2, 3, 4, 5] if include_private else [1, 2, 3, 5])
    assert rows[3]["data"] == stored[3] == ODD_DOCUMENT and rows[3]["repo_id"] == 'b/"quoted", comma'
    assert (rows[2]["licence"], rows[2]["licence_family"], rows[1]["licence_family"]) == ("NULL", "", "osi-permissive")
    assert (rows[1]["inference_code_licence"], rows[1]["training_code_licence"], rows[2]["training_code_licence"]) == (None, "", None)
    assert (rows[2]["weights"], rows[2]["inference_code"], rows[1]["training_code"], rows[2]["data_information_score"]) == (False, None, None, None)
    assert [rows[v]["current"] for v in (1, 2, 3, 5)] == [False, True, True, None]
