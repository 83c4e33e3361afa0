"""The cyclic garbage collector paused while a large batch of short-lived, acyclic objects lives.

A report of a million models makes millions of small tuples (rows, changes, pairs) that live until
it is written, and none of them form cycles. Each one counts toward the collector's next pass, and
each pass walks the objects alive, so at that size the passes cost about a third of reading the
week's changes. Labelling reads each batch's evidence as some 50,000 small dataclasses, with the
same effect. Both pause the collector while they hold such objects and resume it after.

Here in store/ (which reports/ and hubscan/ both import) so the labelling pipeline need not import
the report package.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0  # reports reading at once in this process (threads): the collector resumes after the last
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
