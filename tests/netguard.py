"""The tests never reach beyond this machine: a connection to anything but loopback fails, and is recorded.

`install()` wraps `socket.socket.connect`/`connect_ex` and `socket.getaddrinfo`. Loopback addresses
(127.0.0.0/8, ::1, `localhost`) and Unix sockets pass; any other address or host name raises
`OutboundConnectionBlocked` before a packet leaves, and is appended to `BLOCKED` (and, in a
subprocess, to the file `$HUBSCAN_NETGUARD_LOG`), so a test fails even when the code under test
swallows the error (as huggingface_hub does for its optional requests). tests/conftest.py installs
it for the whole session and, through netguard_site/sitecustomize.py on PYTHONPATH, for every Python
subprocess the tests start.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import traceback

LOG_ENV = "HUBSCAN_NETGUARD_LOG"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

BLOCKED: list[str] = []
_lock = threading.Lock()
_installed = False


class OutboundConnectionBlocked(ConnectionRefusedError):
    """A connection to a non-loopback address, refused by the test network guard."""


def is_loopback(host: object) -> bool:
    if host is None:  # getaddrinfo(None, port): the local host
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip().strip("[]").split("%", 1)[0].rstrip(".").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _refuse(what: str) -> None:
    where = "".join(traceback.format_stack(limit=8)[:-2])
    entry = f"{what}\n{where}"
    with _lock:
        BLOCKED.append(entry)
    log = os.environ.get(LOG_ENV)
    if log:
        try:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"pid {os.getpid()}: {entry}\n")
        except OSError:
            pass
    raise OutboundConnectionBlocked(f"test network guard: {what} is not loopback")


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def check(sock: socket.socket, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not is_loopback(address[0]):
            _refuse(f"connect to {address[0]}:{address[1]}")

    def guarded_connect(self, address):
        check(self, address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        check(self, address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if not is_loopback(host):
            _refuse(f"name lookup of {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = guarded_connect_ex
    socket.getaddrinfo = guarded_getaddrinfo


def blocked_in_subprocesses() -> str:
    path = os.environ.get(LOG_ENV)
    if not path or not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()
