"""Issue #14: the PostgreSQL fixture never drops what it did not create.

Every PostgreSQL test gets a fresh database (`fresh_database`), dropped afterwards; the database that
HUBSCAN_TEST_POSTGRES_URL names (or the scratch cluster's `postgres` database) is only used to
create and drop those. A sentinel table in it must survive a fixture's whole life cycle, including
a migrated schema and engines left open by the code under test; the server object refuses to drop a
database it did not create; and no test drops a schema or a database by itself.

(A sentinel kept for the whole session was tried and dropped: on a server shared by several
checkouts, an older checkout's tests can drop it, which says nothing about this one.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from backends import fresh_database, postgres_server, sentinel_in, sentinel_survives  # noqa: F401 (fixture)
from store.db import open_engine


def test_a_fresh_database_is_created_and_dropped_and_nothing_else_is_touched(postgres_server, tmp_path, request):
    admin = postgres_server.admin_url
    tables_before = table_names(admin)
    with sentinel_in(admin) as sentinel:
        with fresh_database("postgresql", tmp_path, request) as url:
            fresh = make_url(url).database
            assert fresh != make_url(admin).database and fresh.startswith("hubscan_t_")
            engine = open_engine(url)  # the hubscan schema, in the fresh database only
            with engine.connect() as conn:
                conn.execute(text("SELECT COUNT(*) FROM runs")).scalar_one()
            # left open on purpose: the fixture must still drop the database (WITH (FORCE))
        assert sentinel_survives(admin, sentinel)
        probe = create_engine(admin)
        try:
            with probe.connect() as conn:
                assert conn.execute(text("SELECT COUNT(*) FROM pg_database WHERE datname = :n"), {"n": fresh}).scalar_one() == 0
        finally:
            probe.dispose()
            engine.dispose()
    assert table_names(admin) == tables_before  # no table created, altered away or dropped there


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_the_server_refuses_to_drop_a_database_it_did_not_create(postgres_server):
    from sqlalchemy.engine import make_url

    given = make_url(postgres_server.admin_url).database
    for name in (given, "postgres", "template1", "hubscan_t_000000000000"):
        with pytest.raises(ValueError, match="did not create"):
            postgres_server.drop_database(name)


def test_no_test_drops_a_schema_or_a_database_by_hand():
    tests = Path(__file__).resolve().parent
    offenders = []
    for path in tests.glob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"DROP\s+(SCHEMA|DATABASE|OWNED)", line, re.I) and not (path.name == "backends.py" and "DROP DATABASE IF EXISTS" in line):
                if path.name != Path(__file__).name:
                    offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []
