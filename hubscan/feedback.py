"""What a crawl tells a person at a terminal while it waits: the endpoint, each retry and its wait.

crawler/http.py logs every retry at INFO ("GET <url>: attempt 2 of 6 failed (ConnectError: ...);
next attempt in 1.9 s"); on a terminal these lines go to standard error as they happen, so a crawl of
an unreachable hub is never silent for the half-minute its retries take. Piped (cron), the crawl
stays quiet until its summary line, as before; -v logs everything anyway.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Iterator

RETRY_LOGGER = "crawler.http"


class _StderrLines(logging.Handler):
    """Writes to whatever sys.stderr is at the time (rich's progress bar redirects it to print above the bar)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(f"hubscan: {record.getMessage()}", file=sys.stderr, flush=True)
        except Exception:  # noqa: BLE001 - feedback must never break a crawl
            self.handleError(record)


@contextmanager
def retry_feedback(endpoint: str, enabled: bool | None = None) -> Iterator[None]:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield
        return
    from store.redact import strip_credentials

    print(f"hubscan: crawling {strip_credentials(endpoint)}", file=sys.stderr, flush=True)
    logger = logging.getLogger(RETRY_LOGGER)
    if logger.getEffectiveLevel() <= logging.INFO:  # -v: the log already shows every retry
        yield
        return
    handler = _StderrLines(level=logging.INFO)
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the root handler is at WARNING: print each retry once, here
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
