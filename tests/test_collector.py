"""The collector pause a report reads under (store/collector.py) restores the collector as it found it."""

from __future__ import annotations

import gc
import threading

import pytest

from store.collector import collector_paused


@pytest.fixture
def collector_state():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_resumed_after_even_on_error(collector_state):
    gc.enable()
    with pytest.raises(RuntimeError):
        with collector_paused():
            assert not gc.isenabled()
            with collector_paused():  # nested: the outer one resumes it
                pass
            assert not gc.isenabled()
            raise RuntimeError
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(collector_state):
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_resumed_only_after_the_last_of_overlapping_threads(collector_state):
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other_report():
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_report)
    with collector_paused():
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread still reads
    release.set()
    thread.join(5)
    assert gc.isenabled()
