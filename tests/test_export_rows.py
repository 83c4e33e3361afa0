"""The export's fast rows (store/export_rows.py: typed decoding of a few fields) against the full
records `explain` reads (store/export.py: whole documents decoded, then `to_record`).

The database is the dev hub crawled on both backends, with a reviewer's label on one model; then,
on SQLite, stored documents are edited into the odd shapes older extractors or damaged rows give.
Expected values are always `public(to_record(...))`, never written by hand.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlalchemy import text

from backends import BACKENDS, fresh_database, postgres_server  # noqa: F401 (fixtures)
from hubscan.cli import main
from replayhub import ReplayHub
from replayhub.state import HubState
from store.db import open_engine
from store.export import EXPORT_KEYS, latest_records, public
from store.export_rows import latest_rows
from test_backends_e2e import FULL_SWEEP, TOKEN


@pytest.fixture(scope="module", params=BACKENDS)
def crawled(request, tmp_path_factory, _dev_hub_text) -> str:
    yield from _crawled(request.param, request, tmp_path_factory, _dev_hub_text)


@pytest.fixture(scope="module")
def crawled_sqlite(request, tmp_path_factory, _dev_hub_text) -> str:
    yield from _crawled("sqlite", request, tmp_path_factory, _dev_hub_text)


def _crawled(backend: str, request, tmp_path_factory, dev_hub_text: str):
    state = HubState.from_fixture(json.loads(dev_hub_text))
    with fresh_database(backend, tmp_path_factory.mktemp(f"rows-{backend}"), request) as url:
        with ReplayHub(state, tokens={TOKEN: {"user": "crawler", "gated": ["*"]}}) as hub, pytest.MonkeyPatch.context() as mp:
            mp.setenv("HF_TOKEN", TOKEN)
            mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
            assert main(["crawl", "--endpoint", hub.url, "--db", url, *FULL_SWEEP]) == 0
        first = _rows(url, lambda conn: latest_rows(conn))[0][0]
        assert main(["review", "set", first, "--label", "Open Source", "--reason", "checked by hand", "--by", "alice", "--db", url]) == 0
        yield url


def _rows(url: str, read) -> list[tuple]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return list(read(conn))
    finally:
        engine.dispose()


def _records(conn, include_private: bool = False) -> list[tuple]:
    return [tuple(public(r)[k] for k in EXPORT_KEYS) for r in latest_records(conn, include_private=include_private)]


@pytest.mark.parametrize("include_private", [False, True])
def test_fast_rows_are_the_full_records(crawled, include_private):
    expected = _rows(crawled, lambda conn: _records(conn, include_private))
    got = _rows(crawled, lambda conn: latest_rows(conn, include_private, batch_rows=7))
    assert got == expected
    assert len(got) >= 20
    by_key = [dict(zip(EXPORT_KEYS, row)) for row in got]
    # the dev hub exercises the fields the structs pick out
    assert any(r["base_model"] and r["lineage_verified"] is not None for r in by_key)
    assert any(r["claims"] for r in by_key) and any(r["washing_reasons"] for r in by_key) and any(r["datasets"] for r in by_key)
    assert any(r["computed_label"] != r["label"] and r["reviewed_by"] == "alice" for r in by_key)


def test_postgresql_batches_are_fetched_ahead_on_a_thread_and_sqlite_ones_are_not(crawled, monkeypatch):
    """store/prefetch.py: on PostgreSQL the cursor's next batch is fetched while this one is decoded;
    the rows (batches of 7: several fetches ahead) are the full records all the same."""
    from store import prefetch

    used = []
    real = prefetch.prefetched
    monkeypatch.setattr(prefetch, "prefetched", lambda batches, depth=prefetch.DEPTH: used.append(depth) or real(batches, depth))
    got = _rows(crawled, lambda conn: latest_rows(conn, batch_rows=7))
    assert got == _rows(crawled, _records) and len(got) > 14
    assert used == ([prefetch.DEPTH] if crawled.startswith("postgresql") else [])


EDITS = {
    "no code_repos (extractor v1)": lambda ev: ev.pop("code_repos", None),
    "a repository with an empty full name": lambda ev: ev.__setitem__("code_repos", [{"role": "training", "full_name": "", "name": "org/train"},
                                                                                     {"role": "paper", "full_name": "org/paper"}]),
    "a claim without about_self": lambda ev: ev["claims"]["claims"].append({"sentence": "Open source!"}),
    "a licence without raw ids": lambda ev: ev["licence"].__setitem__("raw", None),
    "a licence id that is empty": lambda ev: ev["licence"].update(spdx_id="", hub_id="other"),
    "raw ids as one string (to_record spells it out)": lambda ev: ev["licence"].__setitem__("raw", "mit"),
    "a number where text is expected": lambda ev: ev["licence"].__setitem__("family", 7),
}


@pytest.fixture
def sqlite_copy(crawled_sqlite, tmp_path) -> str:
    path = tmp_path / "copy.db"
    source, copy = sqlite3.connect(crawled_sqlite.removeprefix("sqlite:///")), sqlite3.connect(path)
    source.backup(copy)  # whole, write-ahead log included
    source.close(), copy.close()
    return f"sqlite:///{path}"


def _edit(url: str, column: str, table: str, edit, replace: bool = False) -> None:
    """Edit every stored document of a column: `edit` changes it in place, or gives the new one (`replace`)."""
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            key = "version_id"
            for version_id, doc in conn.execute(text(f"SELECT {key}, {column} FROM {table}")).all():
                value = json.loads(doc) if doc is not None else None
                changed = edit(value)
                conn.execute(text(f"UPDATE {table} SET {column} = :d WHERE {key} = :v"),
                             {"d": json.dumps(changed if replace else value), "v": version_id})
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", sorted(EDITS))
def test_odd_evidence_gives_the_same_rows(sqlite_copy, case):
    _edit(sqlite_copy, "data", "evidence", EDITS[case])
    assert _rows(sqlite_copy, latest_rows) == _rows(sqlite_copy, _records)


@pytest.mark.parametrize("explanation", [None, {}, {"gates": None, "confidence": None}, {"gates": [{"rule": "B0"}], "confidence": {}}])
def test_odd_explanations_give_the_same_rows(sqlite_copy, explanation):
    _edit(sqlite_copy, "explanation", "labels", lambda _: explanation, replace=True)
    rows = _rows(sqlite_copy, latest_rows)
    assert rows == _rows(sqlite_copy, _records)
    assert {row[EXPORT_KEYS.index("confidence")] for row in rows} == {None}


def test_old_washing_reasons_as_plain_lines_give_the_same_rows(sqlite_copy):
    _edit(sqlite_copy, "washing_reasons", "labels", lambda reasons: ["W-OS: claims open source"] if reasons else reasons, replace=True)
    rows = _rows(sqlite_copy, latest_rows)
    assert rows == _rows(sqlite_copy, _records)
    assert any(row[EXPORT_KEYS.index("washing_reasons")] for row in rows)


def test_evidence_without_a_licence_fails_as_before(sqlite_copy):
    _edit(sqlite_copy, "data", "evidence", lambda ev: ev.pop("licence"))
    with pytest.raises(KeyError):
        _rows(sqlite_copy, _records)
    with pytest.raises(KeyError):
        _rows(sqlite_copy, latest_rows)
