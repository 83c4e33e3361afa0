"""Spend the Hub's rate-limit quota up to the floor, without running into 429s.

Every Hub response says, per bucket, how many requests remain in the current fixed window and when
it resets (`RateLimit: "api";r=12;t=55`). The pacer keeps that per bucket, counts its own requests
in flight against it, and when the remainder reaches a small reserve (one per concurrent worker) it
sleeps until the window resets instead of sending requests that would be refused.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from huggingface_hub.utils import parse_ratelimit_headers


@dataclass
class _Window:
    remaining: int
    resets_at: float  # monotonic seconds


class QuotaPacer:
    def __init__(self, reserve: int = 1, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.reserve = max(0, reserve)
        self._clock = clock
        self._sleep = sleep
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def before(self, bucket: str) -> None:
        """Call before sending a request in `bucket`: waits for the window to reset when it is spent."""
        while True:
            with self._lock:
                window = self._windows.get(bucket)
                now = self._clock()
                if window is None or now >= window.resets_at:
                    if window is not None:
                        del self._windows[bucket]  # a new window: the next response tells its size
                    return
                if window.remaining > self.reserve:
                    window.remaining -= 1  # count the request in flight before its answer arrives
                    return
                wait = window.resets_at - now
            self.waited_seconds += wait
            self._sleep(wait)

    def after(self, headers: Mapping[str, str]) -> None:
        """Call with every response's headers: the server's own count wins over our estimate."""
        info = parse_ratelimit_headers(headers)
        if info is None:
            return
        with self._lock:
            self._windows[info.resource_type] = _Window(info.remaining, self._clock() + info.reset_in_seconds + 0.05)
