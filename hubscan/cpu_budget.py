"""CPU budgets for one version's extraction: past it the version's extraction raises `OverBudget`.

A card can make markdown-it-py work for hours, so every version is extracted under a budget, in a
pool worker and in the main process alike (a batch under MIN_PARALLEL, one job, a chunk that cannot be
pickled, a batch past its pool restarts). The kernel's profiling timer (CPU time of the process)
raises `OverBudget` in the main thread:

- `OverBudget` is a BaseException, so the extractors' `except Exception` fallbacks (parse_card's, the
  fast parser's) let it through rather than go on with the budget spent.
- Once past the budget the timer keeps firing every RETRY_SECONDS of CPU until the budget is left:
  code that swallows the first `OverBudget` meets another.
- `defer()` answering True puts a firing off to the next one. extract_guard defers while the shared
  pattern set is being updated (its lock is held), so no exception leaves it half-updated.
- A pool worker keeps the handler installed for a whole chunk (`handler_kept`) and only arms the
  timer for each version: setting and restoring a handler costs more than the timer.

Python runs a signal handler between bytecodes of the main thread only: a long call into compiled
code ends before the exception is raised, and off the main thread there is no budget (nothing is
armed). The timer counts the CPU of every thread of the process, so busy threads end a version
sooner than its own CPU would; at 30 s against real cards' 0.1 s that margin does not matter.

A pool worker also has a backstop for what never gives the handler a chance (a call into compiled
code that does not return, code that swallows every firing): `end_process_after` has the kernel end
the worker past a longer budget, on a second timer (user CPU, SIGVTALRM, whose default action ends
the process). The main process never gets one: it holds the crawl.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from typing import Callable, Iterator

RETRY_SECONDS = 0.25  # CPU between firings once past the budget (a deferred or swallowed one)


class OverBudget(BaseException):
    """One version's extraction spent more CPU than its budget (seconds in `args[0]`)."""

    @property
    def seconds(self) -> float:
        return float(self.args[0])


def can_arm() -> bool:
    """Whether a budget can be kept here: a signal handler is only set (and run) in the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


# The armed budgets, innermost last: (seconds, defer). The handler reads them, so it can stay installed
# between versions (`handler_kept`) instead of being set and put back for each (two sigactions, about
# 18 us: more than the timer itself).
_ARMED: list[tuple[float, Callable[[], bool]]] = []


def _on_timer(_signum: int, _frame: object) -> None:
    if not _ARMED:  # a firing delivered after its block was left: nothing to stop
        return
    seconds, defer = _ARMED[-1]
    if not defer():
        raise OverBudget(seconds)


@contextlib.contextmanager
def cpu_budget(seconds: float, defer: Callable[[], bool] = lambda: False) -> Iterator[bool]:
    """Raise `OverBudget` inside the block once it has spent `seconds` of CPU; yields whether armed.

    Catch `OverBudget` around the whole `with`: a firing just before the timer is stopped is raised
    from the block's exit. The previous SIGPROF handler and timer are put back on the way out (a
    profiler that samples on SIGPROF sees nothing inside the block).
    """
    if seconds <= 0 or not can_arm():
        yield False
        return
    previous = signal.getsignal(signal.SIGPROF)
    if previous is not _on_timer:
        signal.signal(signal.SIGPROF, _on_timer)
    _ARMED.append((seconds, defer))
    earlier = signal.setitimer(signal.ITIMER_PROF, seconds, RETRY_SECONDS)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_PROF, *earlier)
        _ARMED.pop()
        if previous is not _on_timer:
            signal.signal(signal.SIGPROF, previous)


@contextlib.contextmanager
def handler_kept() -> Iterator[None]:
    """Keep the budget's SIGPROF handler installed through the block, for a loop of `cpu_budget`s
    (a pool worker's chunk); the previous handler is put back at the end."""
    if not can_arm():
        yield
        return
    previous = signal.signal(signal.SIGPROF, _on_timer)
    try:
        yield
    finally:
        signal.signal(signal.SIGPROF, previous)


def end_process_after(seconds: float) -> None:
    """In a pool worker: end the process once it has spent `seconds` more user CPU (0: never). Does
    nothing in the main process, which is never ended for a card. Its timer is not `cpu_budget`'s,
    so the two run side by side."""
    if multiprocessing.parent_process() is None or not hasattr(signal, "setitimer"):
        return
    if seconds and signal.getsignal(signal.SIGVTALRM) is not signal.SIG_DFL:
        signal.signal(signal.SIGVTALRM, signal.SIG_DFL)  # the default action: the process ends
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
