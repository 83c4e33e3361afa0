"""The network guard itself (tests/netguard.py): it must fire on anything but loopback, here and in subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import netguard
import pytest

# TEST-NET-1 (RFC 5737): documentation addresses, never routed; the guard refuses before any packet anyway.
ELSEWHERE = "192.0.2.1"


@pytest.fixture
def forget_blocked():
    """The attempts these tests make on purpose are not failures of theirs."""
    before, log = len(netguard.BLOCKED), os.environ[netguard.LOG_ENV]
    size = os.path.getsize(log) if os.path.exists(log) else 0
    yield
    del netguard.BLOCKED[before:]
    if os.path.exists(log):
        with open(log, "r+", encoding="utf-8") as f:
            f.truncate(size)


def test_loopback_passes_and_everything_else_is_refused_and_recorded(forget_blocked):
    assert all(netguard.is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost", "::ffff:127.0.0.1", None))
    assert not any(netguard.is_loopback(h) for h in (ELSEWHERE, "10.0.0.1", "huggingface.co", "0.0.0.0", "2001:db8::1"))
    before = len(netguard.BLOCKED)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(netguard.OutboundConnectionBlocked):
        sock.connect((ELSEWHERE, 443))
    with pytest.raises(netguard.OutboundConnectionBlocked):
        socket.getaddrinfo("huggingface.co", 443)
    with pytest.raises(OSError):  # what an HTTP client meets: create_connection resolves first
        socket.create_connection(("huggingface.co", 443), timeout=1)
    assert len(netguard.BLOCKED) - before == 3
    assert "huggingface.co" in netguard.BLOCKED[-1]
    # a loopback server is reachable as usual
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_a_python_subprocess_is_guarded_too(forget_blocked):
    code = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('{ELSEWHERE}', 80), timeout=1)\n"
        "except OSError as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    before = netguard.blocked_in_subprocesses()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "OutboundConnectionBlocked"
    assert ELSEWHERE in netguard.blocked_in_subprocesses()[len(before):]
