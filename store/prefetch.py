"""A server-side cursor's next batch fetched while the caller works on the current one (PostgreSQL).

Streamed exports alternate: fetch a batch, turn its rows into records in Python, fetch the next. On
PostgreSQL each fetch is the server's work (index seeks, reading and decompressing each evidence
document: about 30 µs a model for `latest_labels`) while the client waits, and then the client's work
while the server waits. Here one thread fetches batches from the cursor into a short queue while the
caller's thread decodes the previous ones; the server's work runs on another core, and the driver
waits for it without holding the GIL. The rows, their order and their values are the cursor's own.

Only the fetching thread touches the connection until the batches end or the reader stops, which
waits for the thread; an error while fetching is raised in the reader. Memory: at most `depth`
batches wait in the queue.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

DEPTH = 2
_END = object()


def prefetched(batches: Iterable[T], depth: int = DEPTH) -> Iterator[T]:
    """The batches of `batches`, in order, each fetched on a thread while the previous is used."""
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(_END)
        except BaseException as error:  # handed to the reader, raised there
            put(error)

    thread = threading.Thread(target=fetch, name="hubscan-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = waiting.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # a reader that stops early: the thread leaves at its next batch
        thread.join()


def batches_of(conn, result) -> Iterator[list]:
    """A streamed result's partitions: prefetched on PostgreSQL, where the server does the work of
    each fetch; as they come on SQLite, whose reads are the client's own work (unchanged)."""
    if conn.dialect.name == "postgresql":
        return prefetched(result.partitions())
    return result.partitions()
