"""`label_history.parquet` is read run by run with a per-run dictionary of versions
(store/parquet_history.py) instead of the `label_history` view's per-row seeks: its rows must be the
view's rows, on both backends, through every case the view's "as labelled then" rule has.

The history is written straight into the tables; expected rows come from the views.
"""

from __future__ import annotations

import pytest

pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq  # noqa: E402

from backends import db_url, postgres_server, sql_rows  # noqa: E402,F401 (fixtures)
from store import schema as s  # noqa: E402
from store.db import open_engine  # noqa: E402
from store import parquet_history_arrow, postgres_adbc, postgres_arrow, sqlite_arrow  # noqa: E402
from store.parquet import LABEL_HISTORY, write_parquet  # noqa: E402
from store.parquet_history import LabelEvent, VersionFacts  # noqa: E402

RUNS = 6
FILLERS = 11  # models seen by every run, so batches of 3 cut runs mid-way


def _history(url: str) -> None:
    engine = open_engine(url)
    runs = [{"id": r, "started_at": f"2026-11-{r:02d}T06:00:00+00:00", "status": "ok", "endpoint": "http://hub", "full_sweep": True,
             "params": {}} for r in range(1, RUNS + 1)]
    models, versions, evidence, events, observations = [], [], [], [], []

    def model(repo: str, private: bool = False) -> None:
        models.append({"repo_id": repo, "status": "active", "gated": "false", "private": private, "disabled": False, "first_seen_run": 1})

    def version(vid: int, repo: str, licence: str | None = "apache-2.0") -> None:
        versions.append({"id": vid, "repo_id": repo, "sha": f"{vid:040x}", "first_seen_run": 1, "metadata": {}, "readme_status": "ok"})
        if licence is not None:
            evidence.append({"version_id": vid, "extractor_version": 4, "inputs_digest": "d", "extracted_at": "2026-11-01", "licence": licence,
                             "licence_family": "osi-permissive" if licence == "apache-2.0" else "non-commercial", "weights": True,
                             "inference_code": True, "training_code": False, "datasets_open": None, "data_information": False,
                             "data_information_score": 10, "data": {}})

    def event(eid: int, vid: int, run: int | None, label: str, flagged: bool = False) -> None:
        events.append({"id": eid, "version_id": vid, "run_id": run, "recorded_at": "2026-11-01", "label": label, "rule": f"R{eid}",
                       "rule_version": "2026.12.2", "open_washing": flagged, "washing_reasons": []})

    def seen(repo: str, vid: int, run_ids) -> None:
        observations.extend({"run_id": r, "repo_id": repo, "version_id": vid, "downloads": 100 * r, "likes": r} for r in run_ids)

    # relabelled twice without a new sha: runs before the first event show the first one
    model("a/relabelled"); version(1, "a/relabelled"); event(1, 1, 3, "Weights Available", True); event(2, 1, 5, "Open Weights")
    seen("a/relabelled", 1, range(1, RUNS + 1))
    # a new version at run 3, whose first event no run recorded (a standalone classify), then one at run 6
    model("b/new-version"); version(2, "b/new-version"); version(3, "b/new-version", "cc-by-nc-4.0")
    event(3, 2, 1, "Open Weights"); event(4, 3, None, "Weights Available", True); event(5, 3, 6, "Weights Available")
    seen("b/new-version", 2, (1, 2)); seen("b/new-version", 3, range(3, RUNS + 1))
    model("c/private", private=True); version(4, "c/private"); event(6, 4, 1, "Open Weights"); seen("c/private", 4, range(1, RUNS + 1))
    # never extracted nor labelled: no licence, no label
    model("d/unread"); version(5, "d/unread", licence=None); seen("d/unread", 5, range(1, RUNS + 1))
    for row in observations:  # and its counts unknown
        if row["repo_id"] == "d/unread":
            row["downloads"] = row["likes"] = None
    # missing from runs 3 and 4 (a listing gap), then back with the same version
    model("e/gap"); version(6, "e/gap"); event(7, 6, 2, "Open Weights"); seen("e/gap", 6, (1, 2, 5, 6))
    # back at run 5 with the version it had before a newer one (a revert)
    model("f/revert"); version(7, "f/revert"); version(8, "f/revert", "cc-by-nc-4.0"); event(8, 7, 1, "Open Weights")
    event(9, 8, 3, "Weights Available"); seen("f/revert", 7, (1, 2, 5, 6)); seen("f/revert", 8, (3, 4))
    for i in range(FILLERS):
        repo = f"z/filler-{i:02d}"
        model(repo); version(100 + i, repo); event(100 + i, 100 + i, 1, "Open Weights"); seen(repo, 100 + i, range(1, RUNS + 1))
    with engine.begin() as conn:
        for table, rows in ((s.runs, runs), (s.models, models), (s.model_versions, versions), (s.evidence, evidence),
                            (s.label_events, events), (s.observations, observations)):
            conn.execute(table.insert(), rows)
    engine.dispose()


@pytest.mark.parametrize("batch_rows", [3, 5000])
@pytest.mark.parametrize("include_private", [False, True])
def test_label_history_file_holds_the_views_rows(db_url, tmp_path, batch_rows, include_private, monkeypatch):
    """Through Python objects: SQLite without the ADBC driver, PostgreSQL through another driver than psycopg."""
    monkeypatch.setattr(sqlite_arrow, "available", lambda: False)
    monkeypatch.setattr(postgres_arrow, "available", lambda conn: False)
    monkeypatch.setattr(postgres_adbc, "available", lambda conn: False)
    calls = []
    reader = parquet_history_arrow.label_history_tables_arrow
    monkeypatch.setattr(parquet_history_arrow, "label_history_tables_arrow", lambda *a, **k: calls.append(a[1]) or reader(*a, **k))
    _check(db_url, tmp_path, batch_rows, include_private)
    assert calls == []


@pytest.mark.parametrize("batch_rows", [3, 5000])
@pytest.mark.parametrize("include_private", [False, True])
@pytest.mark.parametrize("arrow_reader", ["adbc", "copy"])
def test_postgresql_read_as_arrow_gives_the_views_rows(postgres_server, request, tmp_path, batch_rows, include_private, arrow_reader, monkeypatch):
    """The ADBC driver's Arrow (store/postgres_adbc.py), or without it COPY's CSV parsed by pyarrow
    (store/postgres_arrow.py), with a repo id that CSV must quote."""
    from backends import fresh_database

    if arrow_reader == "copy":
        monkeypatch.setattr(postgres_adbc, "available", lambda conn: False)
    runs = []
    for module, name in ((postgres_arrow, "run_reader"), (parquet_history_arrow, "_adbc_runs")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _o=original, _n=name: runs.append(_n) or _o(*a))
    calls = []
    reader = parquet_history_arrow.label_history_tables_arrow
    monkeypatch.setattr(parquet_history_arrow, "label_history_tables_arrow", lambda *a, **k: calls.append(a[1]) or reader(*a, **k))
    with fresh_database("postgresql", tmp_path, request) as url:
        _check(url, tmp_path, batch_rows, include_private, odd_repo='q/"quoted", with comma\nand a line break')
    assert calls == [None] and runs == ["_adbc_runs" if arrow_reader == "adbc" else "run_reader"]


@pytest.mark.parametrize("batch_rows", [3, 5000])
@pytest.mark.parametrize("include_private", [False, True])
def test_a_sqlite_file_read_as_arrow_gives_the_views_rows(tmp_path, batch_rows, include_private, monkeypatch):
    assert sqlite_arrow.available()  # a test dependency: the export uses it for SQLite files
    calls = []
    reader = parquet_history_arrow.label_history_tables_arrow
    monkeypatch.setattr(parquet_history_arrow, "label_history_tables_arrow", lambda *a, **k: calls.append(a[1]) or reader(*a, **k))
    (tmp_path / "dir with space").mkdir()  # the file is opened by URI: its path is quoted
    _check(f"sqlite:///{tmp_path / 'dir with space' / 'h.db'}", tmp_path, batch_rows, include_private)
    assert calls == [str(tmp_path / "dir with space" / "h.db")]


def _check(db_url: str, tmp_path, batch_rows: int, include_private: bool, odd_repo: str | None = None) -> None:
    _history(db_url)
    if odd_repo:  # one filler renamed everywhere it appears (no foreign key points at observations)
        engine = open_engine(db_url)
        with engine.begin() as conn:
            conn.execute(s.models.insert(), [{"repo_id": odd_repo, "status": "active", "gated": "false", "private": False, "disabled": False, "first_seen_run": 1}])
            for table in (s.model_versions, s.observations):
                conn.execute(table.update().where(table.c.repo_id == "z/filler-00").values(repo_id=odd_repo))
            conn.execute(s.models.delete().where(s.models.c.repo_id == "z/filler-00"))
        engine.dispose()
    engine = open_engine(db_url)
    try:
        written = {w.name: w for w in write_parquet(engine, tmp_path, batch_rows=batch_rows, include_private=include_private)}
    finally:
        engine.dispose()
    table = pq.read_table(tmp_path / "label_history.parquet")
    view = "label_history_all" if include_private else "label_history"
    expected = [dict(zip(LABEL_HISTORY.names, row)) for row in sql_rows(db_url, f"SELECT {', '.join(LABEL_HISTORY.names)} FROM {view} ORDER BY run_id, repo_id")]
    for row in expected:  # SQLite gives 0/1; the file's column is boolean
        row["open_washing"] = None if row["open_washing"] is None else bool(row["open_washing"])
    got = table.to_pylist()
    assert got == expected
    if odd_repo:
        assert sum(r["repo_id"] == odd_repo for r in got) == RUNS
    assert written["label_history"].rows == len(got) == (6 * (5 + FILLERS) - 2 + (6 if include_private else 0))  # e/gap missed two runs
    if batch_rows == 3:
        assert pq.ParquetFile(tmp_path / "label_history.parquet").num_row_groups == -(-len(got) // 3)
    # the cases above are all there, as the view labels them
    shown = {(r["repo_id"], r["run_id"]): (r["label"], r["open_washing"], r["licence"]) for r in got}
    assert [shown[("a/relabelled", r)][0] for r in range(1, 7)] == ["Weights Available"] * 4 + ["Open Weights"] * 2
    assert [shown[("b/new-version", r)][:2] for r in (2, 3, 6)] == [("Open Weights", False), ("Weights Available", True), ("Weights Available", False)]
    assert shown[("d/unread", 4)] == (None, None, None)
    assert {(r["downloads"], r["likes"]) for r in got if r["repo_id"] == "d/unread"} == {(None, None)}
    assert ("e/gap", 3) not in shown and shown[("e/gap", 5)][0] == "Open Weights"
    assert [shown[("f/revert", r)][0] for r in (2, 3, 5)] == ["Open Weights", "Weights Available", "Open Weights"]
    assert (("c/private", 1) in shown) is include_private


def test_the_label_as_of_a_run_follows_the_views_rule():
    first, later = LabelEvent(10, None, "Weights Available", "L2", False), LabelEvent(11, 4, "Open Weights", "L1", False)
    facts = VersionFacts("0" * 40, "mit", "osi-permissive", (first, later))
    assert facts.label_at(3) is first  # no event at or before run 3 with a run: the first
    assert facts.label_at(4) is later and facts.label_at(9) is later
    assert VersionFacts("0" * 40, None, None, ()).label_at(1) is None
    only = LabelEvent(12, 7, "Open Weights", "L1", True)
    assert VersionFacts("0" * 40, None, None, (only,)).label_at(2) is only  # before its run: still the first
