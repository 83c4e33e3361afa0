"""Every HTTP call the crawler makes, through huggingface_hub's own session, with retries.

huggingface_hub retries some calls itself (pagination, downloads) but not `model_info` /
`dataset_info`, and it does not tell us how often it retried. So the crawler sends every request
through `huggingface_hub.utils.get_session()` (the library's shared httpx2 client, with its hooks and
headers) and wraps it in one tenacity policy: retry 408/429/5xx, timeouts and dropped connections,
with exponential backoff + jitter, honouring `Retry-After` and the `RateLimit` header's `t=`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import httpx2
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status, parse_ratelimit_headers
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from .quota import QuotaPacer
from store.redact import same_origin

T = TypeVar("T")
log = logging.getLogger(__name__)  # retries are INFO: hubscan shows them on a terminal (hubscan/feedback.py)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass
class CallStats:
    """Request accounting for one crawl (shared by the download threads)."""

    api_calls: int = 0
    resolver_calls: int = 0
    retries: int = 0
    rate_limited: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _taken: dict[str, int] = field(default_factory=dict, repr=False)

    def count(self, bucket: str) -> None:
        with self._lock:
            if bucket == "resolvers":
                self.resolver_calls += 1
            else:
                self.api_calls += 1

    def retried(self, status: int | None) -> None:
        with self._lock:
            self.retries += 1
            if status == 429:
                self.rate_limited += 1

    def as_dict(self) -> dict[str, int]:
        return {
            "api_calls": self.api_calls,
            "resolver_calls": self.resolver_calls,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
        }

    def take(self) -> dict[str, int]:
        """What was counted since the last `take`: persisted with each committed page or batch, so a
        killed crawl keeps the counts of everything it committed."""
        with self._lock:
            now = self.as_dict()
            delta = {k: v - self._taken.get(k, 0) for k, v in now.items()}
            self._taken = now
        return delta


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_seconds: float = 1.0
    max_seconds: float = 60.0
    timeout_seconds: float = 30.0  # per request: huggingface_hub's session itself never times out


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        return exc.response.status_code in RETRY_STATUSES
    return isinstance(exc, (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError))


def server_wait(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait: RateLimit `t` when exhausted, else Retry-After."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    info = parse_ratelimit_headers(response.headers)
    if response.status_code == 429 and info is not None and info.remaining == 0:
        return float(info.reset_in_seconds) + 0.5
    retry_after = response.headers.get("retry-after")
    if retry_after and retry_after.strip().isdigit():
        return float(retry_after.strip())
    return None


class HubHttp:
    """Send requests with one retry policy and count them. Never logs or stores the token."""

    def __init__(
        self,
        token: str | bool | None = None,
        policy: RetryPolicy | None = None,
        stats: CallStats | None = None,
        pacer: QuotaPacer | None = None,
        basic_auth: tuple[str, str] | None = None,
        auth_origin: str | None = None,
    ):
        self._token = token
        self.policy = policy or RetryPolicy()
        self.stats = stats or CallStats()
        self.pacer = pacer or QuotaPacer()
        # Credentials of an endpoint such as http://user:pass@mirror travel as Basic auth to that
        # origin only, never inside a URL (URLs end up in logs, errors and the database).
        self._basic_auth = httpx2.BasicAuth(*basic_auth) if basic_auth else None
        self._auth_origin = auth_origin

    def headers(self) -> dict[str, str]:
        return build_hf_headers(token=self._token)

    def _auth_for(self, url: str):
        if self._basic_auth is not None and self._auth_origin and same_origin(url, self._auth_origin):
            return self._basic_auth
        return httpx2.USE_CLIENT_DEFAULT

    def call(self, fn: Callable[[], T], what: str = "a Hub request") -> T:
        """Run `fn` (which raises HfHubHTTPError / httpx2 errors) under the retry policy; `what` names it in logs."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            asked = server_wait(exc)
            if asked is not None:
                return min(asked, self.policy.max_seconds)
            backoff = self.policy.base_seconds * 2 ** (state.attempt_number - 1)
            return min(backoff, self.policy.max_seconds) * (0.5 + random.random() / 2)

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            response = getattr(exc, "response", None)
            self.stats.retried(response.status_code if response is not None else None)
            wait_s = state.next_action.sleep if state.next_action is not None else 0.0
            log.info(
                "%s: attempt %d of %d failed (%s); next attempt in %.1f s",
                what, state.attempt_number, self.policy.attempts, failure(exc), wait_s,
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=wait,
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            sleep=time.sleep,
            reraise=True,
        )
        return retrying(fn)

    def get(self, url: str, *, bucket: str, params=None, max_bytes: int | None = None) -> "Fetched":
        """GET with retries; the body is read up to `max_bytes` (then marked truncated)."""

        def once() -> Fetched:
            self.pacer.before(bucket)
            self.stats.count(bucket)
            timeout = httpx2.Timeout(self.policy.timeout_seconds)
            with get_session().stream(
                "GET", url, params=params, headers=self.headers(), timeout=timeout, auth=self._auth_for(url)
            ) as response:
                self.pacer.after(response.headers)
                if response.status_code >= 400:
                    response.read()
                    hf_raise_for_status(response)
                body, truncated = _read_bounded(response, max_bytes)
                return Fetched(response=response, body=body, truncated=truncated)

        return self.call(once, what=f"GET {url}")


def failure(exc: BaseException | None) -> str:
    """A retried failure in a few words: `HTTP 503`, `ConnectError: [Errno 111] Connection refused`."""
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status_code}"
    text = str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True)
class Fetched:
    response: httpx2.Response
    body: bytes
    truncated: bool


def _read_bounded(response: httpx2.Response, max_bytes: int | None) -> tuple[bytes, bool]:
    if max_bytes is None:
        return response.read(), False
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(chunks)[:max_bytes], True
    return b"".join(chunks), False
