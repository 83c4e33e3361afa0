"""The in-process CPU budget (hubscan/cpu_budget.py): it fires past its seconds, waits while deferred,
fires again when swallowed, and leaves the process's timer and handler as it found them."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from hubscan.cpu_budget import RETRY_SECONDS, OverBudget, cpu_budget, handler_kept


def spin(seconds: float) -> None:
    """Spend `seconds` of this process's CPU in bytecode (where Python runs signal handlers)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


TICK_SLACK = 0.04  # seen: a firing 7 ms short of 0.2 s by process_time() on a loaded machine


def test_a_block_past_its_budget_raises_over_budget_and_one_within_it_does_not():
    with cpu_budget(0.5) as armed:
        spin(0.1)
    assert armed
    start = time.process_time()
    with pytest.raises(OverBudget) as caught:
        with cpu_budget(0.2):
            spin(5.0)
    assert caught.value.seconds == 0.2
    # it fired at the budget, not at the end of the work; the kernel's timer and process_time() count
    # CPU with different granularity (ticks against the scheduler's clock), so "at" allows a few ticks
    assert 0.2 - TICK_SLACK <= time.process_time() - start < 1.0


def test_the_timer_and_handler_are_put_back_whichever_way_the_block_ends():
    def mine(_signum, _frame):
        pass

    previous = signal.signal(signal.SIGPROF, mine)
    try:
        with cpu_budget(0.1):
            pass
        assert signal.getsignal(signal.SIGPROF) is mine and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
        with pytest.raises(OverBudget):
            with cpu_budget(0.1):
                spin(2.0)
        assert signal.getsignal(signal.SIGPROF) is mine and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGPROF, previous)


def test_a_loop_of_budgets_under_a_kept_handler_keeps_each_and_puts_the_handler_back():
    def mine(_signum, _frame):
        pass

    previous = signal.signal(signal.SIGPROF, mine)
    try:
        with handler_kept():
            kept = signal.getsignal(signal.SIGPROF)
            assert kept is not mine
            for budget in (0.1, 0.2):  # each version its own budget, the handler left in place between them
                with pytest.raises(OverBudget) as caught:
                    with cpu_budget(budget):
                        spin(2.0)
                assert caught.value.seconds == budget and signal.getsignal(signal.SIGPROF) is kept
            with cpu_budget(1.0):
                spin(0.05)
            kept(signal.SIGPROF, None)  # a firing delivered after its block was left stops nothing
        assert signal.getsignal(signal.SIGPROF) is mine and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGPROF, previous)


def test_a_deferred_firing_waits_until_defer_says_no():
    busy = {"now": True}
    with pytest.raises(OverBudget):
        with cpu_budget(0.1, defer=lambda: busy["now"]):
            spin(0.6)  # past the budget, while deferred: no exception
            busy["now"] = False
            start = time.process_time()
            spin(5.0)
    assert time.process_time() - start < RETRY_SECONDS + 0.5  # the next firing raised it


def test_code_that_swallows_the_first_over_budget_meets_another():
    swallowed = []
    with pytest.raises(OverBudget):
        with cpu_budget(0.1):
            try:
                spin(5.0)
            except BaseException as exc:  # noqa: BLE001 - as careless code would
                swallowed.append(exc)
            spin(5.0)
    assert len(swallowed) == 1 and isinstance(swallowed[0], OverBudget)


def test_over_budget_passes_through_except_exception():
    with pytest.raises(OverBudget):
        with cpu_budget(0.1):
            try:
                spin(5.0)
            except Exception:  # an extractor's fallback must not go on with the budget spent
                pytest.fail("OverBudget was caught as an Exception")


def test_nothing_is_armed_off_the_main_thread_or_for_a_budget_of_zero():
    armed = []

    def run():
        with cpu_budget(0.01) as a:
            armed.append(a)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    with cpu_budget(0) as a:
        armed.append(a)
    assert armed == [False, False] and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
