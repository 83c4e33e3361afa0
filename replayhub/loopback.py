"""What the loopback Hub and the loopback GitHub share: a threaded HTTP/1.1 server on 127.0.0.1 with a
start/stop lifecycle that closes idle keep-alive connections, so no handler thread outlives `stop()`.

A server class sets `owner_attr` (the name under which its handlers find it on the HTTP server) and
`handler` (its BaseHTTPRequestHandler subclass, built on `TrackedHandler`).
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not block stop()
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading a large body (a README cut at its size bound) resets the
        # connection: normal for a bounded reader, not worth a traceback on stderr.
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


class TrackedHandler(BaseHTTPRequestHandler):
    """Registers its connection with the owning server, so `stop()` can close it."""

    protocol_version = "HTTP/1.1"
    owner_attr = "owner"

    @property
    def owner(self) -> "LoopbackServer":
        return getattr(self.server, self.owner_attr)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle + delayed ACK add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.owner._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
        return


class LoopbackServer:
    """start()/stop()/url/port and context-manager use for a loopback server."""

    owner_attr = "owner"
    handler: type[BaseHTTPRequestHandler] = TrackedHandler
    server_class: type[ThreadingHTTPServer] = LoopbackHTTPServer
    thread_name = "replayhub"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()

    def start(self):
        if self._server is not None:
            return self
        server = self.server_class((self._host, self._port), self.handler)
        setattr(server, self.owner_attr, self)
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.thread_name}:{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:  # close idle keep-alive connections so no thread keeps serving
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def port(self) -> int:
        return self._port

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._conn_lock:
            (self._connections.add if add else self._connections.discard)(conn)
