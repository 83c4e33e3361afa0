"""GitHub's REST API for linked code repositories: one plain `httpx.Client`, retries, quota, ETags.

Only three routes are used (docs/code-evidence.md): `GET /repos/{owner}/{repo}`, `GET .../git/trees/
{branch}?recursive=1` and `GET .../contents/{path}`. Base URL `$HUBSCAN_GITHUB_API` (default
https://api.github.com); `Authorization: Bearer $GITHUB_TOKEN`. The token is only ever put in a
request header: never logged, stored, or written into an error message.

Waiting, as GitHub asks (github_api.md "Quota"):
- transient failures (5xx, timeouts, dropped or refused connections) are retried with exponential
  backoff and jitter (tenacity); a connection that cannot be made at all after the retries means
  GitHub is unreachable (`GitHubUnreachable`): the caller stops checking for this run;
- the primary limit (403/429 with `X-RateLimit-Remaining: 0`, or a response that spent the last
  request) waits until `X-RateLimit-Reset` when that is at most `max_wait_seconds` away, else
  raises `RateLimitStop` so the run goes on without GitHub;
- a secondary limit (403/429 with `Retry-After`, or a "secondary rate limit" message) waits the
  seconds asked, else at least `secondary_seconds` doubling each time.
- a 301 (renamed or transferred repository) is followed on the same host only, at most 3 hops.
- `If-None-Match` with a stored ETag: a 304 answers "unchanged" and costs no quota.
"""

from __future__ import annotations

import base64
import email.utils
import json
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

DEFAULT_API = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "hubscan/0.1 (openness crawler; linked code repositories)"
MAX_BODY_BYTES = 16 * 1024 * 1024  # a full recursive tree is at most ~7 MB on GitHub
MAX_REDIRECTS = 3


class GitHubError(RuntimeError):
    """GitHub could not answer usefully after the retries (message never carries the token)."""


class GitHubUnreachable(GitHubError):
    """No connection could be made (no network, DNS failure, refused): stop checking for this run."""


class RateLimitStop(GitHubError):
    """The primary quota is spent and resets later than we are willing to wait."""

    def __init__(self, message: str, reset_at: float | None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


@dataclass(frozen=True)
class GitHubPolicy:
    attempts: int = 5
    base_seconds: float = 1.0  # backoff base for transient failures
    secondary_seconds: float = 60.0  # least wait after a secondary limit that gives no Retry-After
    max_wait_seconds: float = 900.0  # longest wait for the primary quota to reset; longer: stop for this run
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class GitHubSettings:
    """Where and how to ask GitHub. `token` is excluded from repr so it cannot reach a log line."""

    api: str = DEFAULT_API
    token: str | None = field(default=None, repr=False)
    policy: GitHubPolicy = field(default_factory=GitHubPolicy)
    refresh_days: float = 7.0  # re-check a repository after this many days (conditionally: 304s are free)
    max_repos: int | None = None  # at most this many repositories per run (None: no bound)


def settings_from_env(environ: Mapping[str, str] | None = None, *, refresh_days: float = 7.0) -> GitHubSettings | None:
    """Settings from the environment, or None when there is no `GITHUB_TOKEN` (card-only evidence).

    `HUBSCAN_RETRY_BASE_SECONDS` scales every backoff (secondary limits included), as it does for
    the Hub; `HUBSCAN_GITHUB_MAX_WAIT_SECONDS` bounds the wait for a primary reset;
    `HUBSCAN_GITHUB_REFRESH_DAYS` (default 7) is when a checked repository is due again;
    `HUBSCAN_GITHUB_MAX_REPOS` bounds the repositories checked per run (the rest wait for the next).
    """
    env = os.environ if environ is None else environ
    token = (env.get("GITHUB_TOKEN") or "").strip()
    if not token:
        return None
    try:
        base = float(env.get("HUBSCAN_RETRY_BASE_SECONDS", "1.0"))
        attempts = int(env.get("HUBSCAN_RETRY_ATTEMPTS", "5"))
        max_wait = float(env.get("HUBSCAN_GITHUB_MAX_WAIT_SECONDS", "900"))
        refresh_days = float(env.get("HUBSCAN_GITHUB_REFRESH_DAYS", refresh_days))
        max_repos = int(env["HUBSCAN_GITHUB_MAX_REPOS"]) if env.get("HUBSCAN_GITHUB_MAX_REPOS") else None
    except ValueError as exc:
        raise ValueError(f"bad GitHub retry setting: {exc}") from None
    api = (env.get("HUBSCAN_GITHUB_API") or DEFAULT_API).strip().rstrip("/")
    if urlsplit(api).scheme not in ("http", "https") or not urlsplit(api).netloc:
        raise ValueError(f"HUBSCAN_GITHUB_API must be an http(s) URL such as {DEFAULT_API}")
    policy = GitHubPolicy(attempts=max(1, attempts), base_seconds=max(0.0, base), secondary_seconds=60.0 * max(0.0, base),
                          max_wait_seconds=max(0.0, max_wait))
    return GitHubSettings(api=api, token=token, policy=policy, refresh_days=max(0.0, refresh_days),
                          max_repos=max(0, max_repos) if max_repos is not None else None)


@dataclass
class GitHubStats:
    calls: int = 0  # requests sent (retries and redirects included)
    not_modified: int = 0  # 304 answers (free with a token)
    retries: int = 0
    rate_limited: int = 0  # primary or secondary limit answers


@dataclass(frozen=True)
class Answer:
    status: int  # final status after redirects (304: unchanged)
    data: Any = None  # parsed JSON of a 2xx/4xx answer, when it had one
    etag: str | None = None
    path: str = ""  # the path finally answered (a redirect's target)
    redirected: bool = False

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Transient(Exception):
    def __init__(self, why: str, wait: float | None = None) -> None:
        super().__init__(why)
        self.wait = wait


_NETWORK = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class GitHubClient:
    """A GitHub REST client for one crawl run (not thread-safe: GitHub wants serial requests)."""

    def __init__(self, settings: GitHubSettings, stats: GitHubStats | None = None, *,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.policy = settings.policy
        self.stats = stats or GitHubStats()
        self._sleep = sleep
        self._clock = clock
        self._origin = _origin(settings.api)
        self._client = httpx.Client(
            base_url=settings.api.rstrip("/"),
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION, "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(self.policy.timeout_seconds),
            follow_redirects=False,
            transport=transport,
        )
        self._remaining: int | None = None
        self._reset_at: float | None = None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "GitHubClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- one request ---------------------------------------------------------------------

    def get(self, path: str, *, params: Mapping[str, str] | None = None, etag: str | None = None) -> Answer:
        """GET an API path (conditionally with `etag`), following a rename; 4xx come back as answers."""
        secondary = primary = 0
        while True:
            self._pace()
            try:
                return self._with_retries(path, params, etag)
            except _Limited as limited:
                if limited.primary:
                    primary += 1
                    if primary > 2:  # still spent after waiting for its reset twice: a clock or quota we cannot trust
                        raise RateLimitStop("GitHub API quota still spent after its reset", limited.reset_at) from None
                    self._wait_for_reset(limited.reset_at)
                    continue
                secondary += 1
                wait = limited.retry_after if limited.retry_after is not None else self.policy.secondary_seconds * 2 ** (secondary - 1)
                if secondary > self.policy.attempts or wait > self.policy.max_wait_seconds:
                    raise RateLimitStop(f"GitHub secondary rate limit persists (asked to wait {wait:.0f} s)", None) from None
                self._sleep(wait)

    def _with_retries(self, path: str, params: Mapping[str, str] | None, etag: str | None) -> Answer:
        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Transient) and exc.wait is not None:
                return min(exc.wait, self.policy.max_wait_seconds)
            backoff = self.policy.base_seconds * 2 ** (state.attempt_number - 1)
            return min(backoff, 60.0) * (0.5 + random.random() / 2)

        def before_sleep(_state: RetryCallState) -> None:
            self.stats.retries += 1

        retrying = Retrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=wait,
            retry=retry_if_exception(lambda e: isinstance(e, (_Transient, *_NETWORK))),
            before_sleep=before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._follow, path, params, etag)
        except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
            raise GitHubUnreachable(f"GitHub API unreachable at {self._origin}: {type(exc).__name__}") from None
        except _NETWORK as exc:
            raise GitHubError(f"GitHub API: {type(exc).__name__} after {self.policy.attempts} attempts") from None
        except httpx.HTTPError as exc:  # anything else httpx refuses (a malformed answer or URL)
            raise GitHubError(f"GitHub API: {type(exc).__name__}") from None
        except _Transient as exc:
            raise GitHubError(f"GitHub API: {exc} after {self.policy.attempts} attempts") from None

    def _follow(self, path: str, params: Mapping[str, str] | None, etag: str | None) -> Answer:
        url: str = path
        query = dict(params or {})
        for hop in range(MAX_REDIRECTS + 1):
            response, body = self._send(url, query, etag)
            if response.status_code in (301, 302, 307, 308) and hop < MAX_REDIRECTS:
                location = response.headers.get("location") or ""
                target = urljoin(str(response.url), location)
                if not location or _origin(target) != self._origin:
                    # never carry the token to another host
                    raise GitHubError(f"GitHub API redirected {path} off the API host")
                split = urlsplit(target)
                url, query = split.path, {}
                if split.query:
                    url = f"{split.path}?{split.query}"
                continue
            return self._answer(response, body, redirected=hop > 0)
        raise GitHubError(f"GitHub API: more than {MAX_REDIRECTS} redirects for {path}")

    def _send(self, url: str, params: Mapping[str, str], etag: str | None) -> tuple[httpx.Response, bytes]:
        headers = {}
        if self.settings.token:
            headers["Authorization"] = f"Bearer {self.settings.token}"
        if etag:
            headers["If-None-Match"] = etag
        self.stats.calls += 1
        with self._client.stream("GET", url, params=params or None, headers=headers) as response:
            body = _read_bounded(response)
        self._note_quota(response)
        status = response.status_code
        if status in (403, 429):
            limited = self._limit_of(response, body)
            if limited is not None:
                self.stats.rate_limited += 1
                raise limited
        if status >= 500:
            raise _Transient(f"HTTP {status}", _retry_after(response.headers.get("retry-after")))
        return response, body

    def _answer(self, response: httpx.Response, body: bytes, redirected: bool) -> Answer:
        if response.status_code == 304:
            self.stats.not_modified += 1
            return Answer(304, None, response.headers.get("etag"), response.url.path, redirected)
        data = None
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                if response.status_code < 300:
                    raise GitHubError(f"GitHub API: not JSON ({response.status_code}) for {response.url.path}") from None
        return Answer(response.status_code, data, response.headers.get("etag"), response.url.path, redirected)

    # --- quota -----------------------------------------------------------------------------

    def _note_quota(self, response: httpx.Response) -> None:
        remaining = _int(response.headers.get("x-ratelimit-remaining"))
        reset = _int(response.headers.get("x-ratelimit-reset"))
        if remaining is not None:
            self._remaining = remaining
        if reset is not None:
            self._reset_at = float(reset)

    def _limit_of(self, response: httpx.Response, body: bytes) -> "_Limited | None":
        retry_after = _retry_after(response.headers.get("retry-after"))
        remaining = _int(response.headers.get("x-ratelimit-remaining"))
        if remaining == 0 and retry_after is None:
            return _Limited(True, self._reset_at, None)
        if retry_after is not None or b"secondary rate limit" in body[:2000].lower():
            return _Limited(False, None, retry_after)
        if response.status_code == 429:
            return _Limited(False, None, None)
        return None  # a plain 403 (forbidden): an answer, not a limit

    def _pace(self) -> None:
        """Before a request: when the last answer spent the quota, wait for the reset (or stop)."""
        if self._remaining == 0 and self._reset_at is not None and self._reset_at > self._clock():
            self._wait_for_reset(self._reset_at)

    def _wait_for_reset(self, reset_at: float | None) -> None:
        wait = (reset_at - self._clock() + 1.0) if reset_at is not None else self.policy.max_wait_seconds + 1
        if wait > self.policy.max_wait_seconds:
            raise RateLimitStop(f"GitHub API quota spent; it resets in {max(0, wait):.0f} s, more than the "
                                f"{self.policy.max_wait_seconds:.0f} s we wait", reset_at)
        if wait > 0:
            self._sleep(wait)
        self._remaining = None


class _Limited(Exception):
    def __init__(self, primary: bool, reset_at: float | None, retry_after: float | None) -> None:
        super().__init__("rate limited")
        self.primary = primary
        self.reset_at = reset_at
        self.retry_after = retry_after


def decode_content(item: Mapping[str, Any], max_bytes: int) -> bytes | None:
    """The bytes of a contents-API file answer (base64 with newlines), or None when it has none."""
    if item.get("type") != "file" or item.get("encoding") != "base64" or not isinstance(item.get("content"), str):
        return None
    try:
        data = base64.b64decode(item["content"].replace("\n", ""), validate=False)
    except (ValueError, TypeError):
        return None
    return data[:max_bytes]


def _read_bounded(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise GitHubError(f"GitHub API answer larger than {MAX_BODY_BYTES} bytes for {response.url.path}")
        chunks.append(chunk)
    return b"".join(chunks)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:  # an HTTP date
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
