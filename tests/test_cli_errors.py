"""Issue #14: every mistake a user makes gets one line naming what is wrong and an exit code, never a traceback.

Exit codes (hubscan/errors.py): 2 bad arguments or an unusable database, file or directory; 1 the
crawl failed. Read-only commands never create a database. The table below is walked in-process
(main() returns the code; stderr is captured); a few cases that need a real process (a closed pipe,
a terminal) run as subprocesses.
"""

from __future__ import annotations

import io
import os
import pty
import select
import socket
import sqlite3
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from hubscan.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("demo-db")
    with pytest.MonkeyPatch.context() as mp, redirect_stdout(io.StringIO()):
        mp.chdir(where)
        assert main(["demo", "--db", "demo.db"]) == 0
    return where / "demo.db"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# (argv, exit code, words the one-line message must contain). {db} is a valid demo database,
# {tmp} the test's (empty) working directory, {file} an existing plain file there.
CASES = [
    # no database: read-only commands refuse, naming the file, and create nothing
    (["status"], 2, ["no database at hubscan.db"]),
    (["explain", "a/b"], 2, ["no database at hubscan.db"]),
    (["export"], 2, ["no database at hubscan.db"]),
    (["extract"], 2, ["no database at hubscan.db"]),
    (["classify"], 2, ["no database at hubscan.db"]),
    (["query", "SELECT 1"], 2, ["no database at hubscan.db"]),
    (["report", "washing"], 2, ["no database at hubscan.db"]),
    (["report", "trends"], 2, ["no database at hubscan.db"]),
    (["status", "--db", "/nonexistent/dir/x.db"], 2, ["no database at /nonexistent/dir/x.db"]),
    (["status", "--db", "sqlite:///{tmp}/missing.db"], 2, ["missing.db"]),
    (["status", "--db", "{tmp}"], 2, ["is a directory"]),
    (["status", "--db", "{file}"], 2, ["plain.txt", "not a database"]),
    (["query", "SELECT 1", "--db", "{file}"], 2, ["plain.txt", "not a database"]),
    (["status", "--db", "{tmp}/empty.db"], 2, ["empty.db", "not a hubscan database"]),
    # databases that cannot be used
    (["crawl", "--db", "/nonexistent/dir/x.db"], 2, ["/nonexistent/dir", "does not exist"]),
    (["demo", "--db", "/nonexistent/dir/x.db"], 2, ["/nonexistent/dir", "does not exist"]),
    (["demo", "--db", "/proc/x.db"], 2, ["/proc/x.db"]),
    (["demo", "--db", "sqlite:///:memory:"], 2, ["outlives"]),
    (["status", "--db", "mysql://user@localhost/hub"], 2, ["no driver for mysql://"]),
    (["status", "--db", "nosuch://x/y"], 2, ["unsupported database nosuch://"]),
    (["status", "--db", "postgresql://me:s3cret@127.0.0.1:{closed}/hub"], 2, ["cannot open the database", "127.0.0.1"]),
    # bad arguments
    (["crawl", "--endpoint", "not-a-url", "--db", "{tmp}/new.db"], 2, ["--endpoint", "not-a-url"]),
    (["crawl", "--endpoint", "http://127.0.0.1:notaport", "--db", "{tmp}/new.db"], 2, ["--endpoint"]),
    (["crawl", "--endpoint", "http://me:s3cret@127.0.0.1:x", "--db", "{tmp}/new.db"], 2, ["--endpoint", "Port"]),
    (["crawl", "--limit", "0", "--db", "{tmp}/new.db"], 2, ["--limit"]),
    (["crawl", "--workers", "0", "--db", "{tmp}/new.db"], 2, ["--workers"]),
    (["crawl", "--shard", "5/2", "--db", "{tmp}/new.db"], 2, ["--shard"]),
    (["explain", "ACME-AI/acme-7b-chat", "--db", "{db}"], 2, ["did you mean acme-ai/Acme-7B-Chat"]),
    (["explain", "nobody/nothing", "--db", "{db}"], 2, ["nobody/nothing has no label"]),
    (["export", "--output", "/proc/x", "--db", "{db}"], 2, ["/proc/x"]),
    (["export", "--output", "{tmp}", "--db", "{db}"], 2, ["is a directory"]),
    (["export", "--format", "parquet", "--db", "{db}"], 2, ["--output DIR"]),
    (["report", "washing", "--out", "{file}", "--db", "{db}"], 2, ["is a file, not a directory"]),
    (["report", "trends", "--out", "/proc/x", "--db", "{db}"], 2, ["/proc/x"]),
    (["report", "washing", "--week", "2026-48", "--db", "{db}"], 2, ["expected YYYY-Www"]),
    (["report", "washing", "--week", "2026-W01", "--db", "{db}"], 2, ["no finished crawl in week 2026-W01"]),
    (["report", "trends", "--since", "yesterday", "--db", "{db}"], 2, ["bad date"]),
    (["query", "DELETE FROM runs", "--db", "{db}"], 2, ["query refused"]),
    (["query", "SELECT x FROM nowhere", "--db", "{db}"], 2, ["query failed", "nowhere"]),
    # the crawl itself fails: exit 1, naming the endpoint
    (["crawl", "--endpoint", "http://127.0.0.1:{closed}", "--db", "{tmp}/new.db"], 1, ["failed", "http://127.0.0.1:{closed}"]),
]


@pytest.mark.parametrize("argv, code, words", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_a_bad_invocation_is_one_line_and_an_exit_code(argv, code, words, demo_db, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HUBSCAN_DB", raising=False)
    monkeypatch.setenv("HUBSCAN_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
    (tmp_path / "plain.txt").write_text("not a database\n")
    sqlite3.connect(tmp_path / "empty.db").close()  # an empty file: SQLite's, but no hubscan tables
    port = closed_port()
    values = {"db": str(demo_db), "tmp": str(tmp_path), "file": str(tmp_path / "plain.txt"), "closed": str(port)}
    argv = [a.format(**values) for a in argv]
    before = sorted(p.name for p in tmp_path.iterdir())

    assert main(argv) == code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("hubscan: "), err
    assert "Traceback" not in err
    for word in words:
        assert word.format(**values) in lines[0]
    assert "s3cret" not in err  # a password in a URL is never printed
    if code == 2:  # a refused command leaves no database (or anything else) behind
        assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not Path("/nonexistent").exists()


def test_argparse_mistakes_exit_2_with_usage(capsys):
    for argv in (["no-such-command"], ["crawl", "--mode", "sometimes"], ["status", "--runs", "many"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert "Traceback" not in capsys.readouterr().err


def test_a_missing_driver_is_named_with_its_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    assert main(["status", "--db", "postgresql://me@127.0.0.1/hub"]) == 2
    err = capsys.readouterr().err
    assert "no driver for postgresql+psycopg://" in err and "[postgres]" in err and "Traceback" not in err


def test_verbose_works_after_the_command_too(demo_db, capsys):
    assert main(["status", "--db", str(demo_db), "-v"]) == 0
    assert main(["-v", "status", "--db", str(demo_db)]) == 0
    assert "acme" not in capsys.readouterr().err.lower()


def _env() -> dict[str, str]:
    env = dict(os.environ, HUBSCAN_RETRY_ATTEMPTS="3", HUBSCAN_RETRY_BASE_SECONDS="0.05")
    env.pop("HUBSCAN_DB", None)
    return env


def test_a_closed_pipe_ends_the_export_quietly(demo_db, tmp_path):
    """`hubscan export | head -1`: the reader stops early; no BrokenPipeError, no traceback."""
    done = subprocess.run(
        f"'{sys.executable}' -m hubscan export --db '{demo_db}' | head -1",
        shell=True, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120,
    )
    assert done.stdout.startswith("{") and done.stdout.count("\n") == 1
    assert done.stderr == ""


def test_crawl_tells_a_terminal_each_retry_and_names_the_endpoint(tmp_path):
    """On a terminal: the endpoint first, then attempt n of m and the next wait; the final error names the endpoint."""
    port = closed_port()
    endpoint = f"http://127.0.0.1:{port}"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hubscan", "crawl", "--endpoint", endpoint, "--db", str(tmp_path / "x.db")],
        cwd=tmp_path, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower,
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            proc.kill()
            pytest.fail(f"no output for 120 s: {seen!r}")
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 1
    text = seen.decode("utf-8", "replace")
    assert f"crawling {endpoint}" in text
    assert "attempt 1 of 3 failed" in text and "attempt 2 of 3 failed" in text and "next attempt in" in text
    assert f"GET {endpoint}/api/models" in text
    final = [line for line in text.splitlines() if "failed" in line and "attempt" not in line]
    assert final and endpoint in final[-1] and "Traceback" not in text


def test_piped_crawl_stays_quiet_until_it_fails(tmp_path):
    port = closed_port()
    done = subprocess.run(
        [sys.executable, "-m", "hubscan", "crawl", "--endpoint", f"http://127.0.0.1:{port}", "--db", str(tmp_path / "x.db")],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in done.stderr


def test_read_only_commands_leave_an_existing_database_unchanged(demo_db, tmp_path, capsys):
    copy = tmp_path / "copy.db"
    with sqlite3.connect(demo_db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)

    def dump() -> list[str]:
        with sqlite3.connect(copy) as conn:
            return list(conn.iterdump())

    before = dump()
    for argv in (["status"], ["explain", "acme-ai/Acme-7B"], ["export"], ["query", "SELECT COUNT(*) FROM runs"],
                 ["report", "washing", "--out", str(tmp_path / "r")], ["report", "trends", "--out", str(tmp_path / "r")]):
        assert main([*argv, "--db", str(copy)]) == 0, argv
    assert dump() == before
    capsys.readouterr()


def test_help_imports_none_of_the_heavy_libraries():
    """`hubscan --help` and `hubscan COMMAND --help` stay fast: each command imports what it needs when it runs
    (the figures are in the final report of issue 14; this checks the cause, not a time)."""
    code = (
        "import sys\n"
        "from hubscan.cli import main\n"
        "for argv in (['--help'], ['crawl', '--help'], ['report', 'trends', '--help'], ['query', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = sorted(m for m in ('huggingface_hub', 'sqlalchemy', 'pandas', 'rich', 'alembic', 'httpx2', 'jinja2') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert "HEAVY []" in done.stdout
