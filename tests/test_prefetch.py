"""store/prefetch.py: batches fetched on a thread come in order, errors reach the reader, and a
reader that stops early stops the thread."""

from __future__ import annotations

import threading

import pytest

from store.prefetch import batches_of, prefetched


def test_batches_come_in_order_and_each_is_fetched_on_another_thread():
    fetched_on = []

    def source():
        for i in range(7):
            fetched_on.append(threading.get_ident())
            yield [i, i + 1]

    assert list(prefetched(source(), depth=2)) == [[i, i + 1] for i in range(7)]
    assert fetched_on and set(fetched_on) != {threading.get_ident()}


def test_an_error_while_fetching_is_raised_in_the_reader_after_the_batches_before_it():
    def source():
        yield [1]
        yield [2]
        raise RuntimeError("connection lost")

    got = []
    with pytest.raises(RuntimeError, match="connection lost"):
        for batch in prefetched(source()):
            got.append(batch)
    assert got == [[1], [2]]


def test_a_reader_that_stops_early_stops_the_thread():
    pulled = []

    def source():
        for i in range(1000):
            pulled.append(i)
            yield [i]

    reader = prefetched(source(), depth=2)
    assert next(reader) == [0]
    reader.close()  # joins the thread
    assert not [t for t in threading.enumerate() if t.name == "hubscan-prefetch"]
    assert len(pulled) <= 5  # the one read, the two queued, and at most one more in hand


class _Dialect:
    def __init__(self, name: str) -> None:
        self.name = name


class _Conn:
    def __init__(self, name: str) -> None:
        self.dialect = _Dialect(name)


class _Result:
    def partitions(self):
        yield from ([1], [2])


def test_only_postgresql_results_are_prefetched(monkeypatch):
    calls = []
    monkeypatch.setattr("store.prefetch.prefetched", lambda batches, depth=2: calls.append(depth) or iter(list(batches)))
    assert list(batches_of(_Conn("sqlite"), _Result())) == [[1], [2]] and calls == []
    assert list(batches_of(_Conn("postgresql"), _Result())) == [[1], [2]] and calls == [2]
