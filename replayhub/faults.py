"""Fault injection for replayhub: errors, 429 bursts, latency and dropped connections on demand.

A `FaultPlan` is a list of rules consulted, in the order they were added, for every request the
server receives. All matching `latency` rules add their delay; the first matching failure rule
(`fail`, `drop_connection`, `burst_429`, `random_errors`) decides the answer; when none matches the
request is served normally. Rules match `path_regex` with `re.search` against the raw request
path (percent-encoding kept, no query string), and optionally the HTTP method.

Determinism: counters advance only for requests a rule matches, and `random_errors` draws from its
own `random.Random(seed)`, so the same sequence of requests always meets the same faults.

Faulted requests are answered before rate limiting and do not use up the quota.
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass
from typing import Any

#: Realistic defaults: the error code the Hub sends with a status, and its message.
_DEFAULT_ERRORS: dict[int, tuple[str | None, str]] = {
    400: (None, "Bad request"),
    401: ("RepoNotFound", "Invalid username or password."),
    403: ("GatedRepo", "Access to this resource is restricted and you are not in the authorized list."),
    404: ("RepoNotFound", "Repository not found"),
    408: (None, "Request Timeout"),
    429: (None, "You have been rate-limited; you can retry this action later."),
    500: (None, "Internal Error - We're working hard to fix this as soon as possible!"),
    502: (None, "Bad Gateway"),
    503: (None, "Service Unavailable"),
    504: (None, "Gateway Timeout"),
}


@dataclass(frozen=True)
class FaultResponse:
    """What the server should answer instead of serving the request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    label: str  # which rule fired, e.g. "fail#0", "burst_429#2"
    drop: bool = False  # close the socket without answering


@dataclass(frozen=True)
class FaultDecision:
    delay: float = 0.0
    response: FaultResponse | None = None


@dataclass
class _Rule:
    kind: str
    pattern: re.Pattern[str] | None
    method: str | None
    params: dict[str, Any]
    seen: int = 0  # matching requests so far
    fired: int = 0  # times this rule changed the answer
    rng: random.Random | None = None
    label: str = ""

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method.upper() != self.method:
            return False
        return self.pattern is None or self.pattern.search(path) is not None


class FaultPlan:
    """Rules for injecting failures; build it with the chainable methods and pass it to `ReplayHub(faults=...)`.

    `seed` is the default seed of `random_errors` rules.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()

    # builders -------------------------------------------------------------------------------

    def fail(self, path_regex: str, status: int, times: int | None = None, method: str | None = None, *,
             error_code: str | None = None, message: str | None = None,
             headers: dict[str, str] | None = None) -> "FaultPlan":
        """Answer `status` to the first `times` matching requests (every one if None).

        Headers follow the Hub: 401/404 carry `X-Error-Code: RepoNotFound`, 403 `GatedRepo`, 429
        `RateLimit` with r=0 and `Retry-After`; `error_code=""` sends no code, `headers` adds more.
        """
        self._add("fail", path_regex, method, status=status, times=times, error_code=error_code,
                  message=message, headers=dict(headers or {}))
        return self

    def random_errors(self, rate: float, statuses: tuple[int, ...] = (500, 502, 503), seed: int | None = None,
                      path_regex: str | None = None, method: str | None = None) -> "FaultPlan":
        """Fail a fraction `rate` of matching requests with a status drawn from `statuses`."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be within [0, 1]")
        seed = self.seed if seed is None else seed
        rule = self._add("random_errors", path_regex, method, rate=rate, statuses=tuple(statuses), _seed=seed)
        rule.rng = random.Random(seed)
        return self

    def burst_429(self, every_n: int, length: int, reset_seconds: int = 1, path_regex: str | None = None,
                  method: str | None = None) -> "FaultPlan":
        """After every `every_n` served requests, answer the next `length` with 429 and `RateLimit` r=0;t=reset."""
        if every_n < 1 or length < 1:
            raise ValueError("every_n and length must be >= 1")
        self._add("burst_429", path_regex, method, every_n=every_n, length=length,
                  reset_seconds=max(0, int(reset_seconds)))
        return self

    def latency(self, seconds: float, path_regex: str | None = None, method: str | None = None) -> "FaultPlan":
        """Delay matching requests by `seconds` before answering."""
        self._add("latency", path_regex, method, seconds=float(seconds))
        return self

    def drop_connection(self, path_regex: str, times: int | None = 1, method: str | None = None) -> "FaultPlan":
        """Close the socket without answering the first `times` matching requests (every one if None)."""
        self._add("drop", path_regex, method, times=times)
        return self

    # use ------------------------------------------------------------------------------------

    def decide(self, method: str, path: str, bucket: str | None = None) -> FaultDecision:
        """The fault (if any) for one request; `bucket` names the rate-limit bucket for 429 headers."""
        delay = 0.0
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.seen += 1
                if rule.kind == "latency":
                    delay += rule.params["seconds"]
                    rule.fired += 1
                    continue
                response = self._apply(rule, bucket or "api")
                if response is not None:
                    rule.fired += 1
                    return FaultDecision(delay, response)
        return FaultDecision(delay, None)

    @property
    def fired(self) -> dict[str, int]:
        """How often each rule changed an answer (or delayed it), by label such as `fail#0`."""
        with self._lock:
            return {rule.label: rule.fired for rule in self._rules}

    def clear(self) -> None:
        """Remove every rule: from now on the server answers normally ("the Hub recovered")."""
        with self._lock:
            self._rules.clear()

    def reset(self) -> None:
        """Re-arm every rule: counters (`times`, bursts) and random streams start afresh; rules stay."""
        with self._lock:
            for rule in self._rules:
                rule.seen = rule.fired = 0
                if rule.rng is not None:
                    rule.rng = random.Random(rule.params["_seed"])

    # internals ------------------------------------------------------------------------------

    def _add(self, kind: str, path_regex: str | None, method: str | None, **params: Any) -> _Rule:
        with self._lock:
            rule = _Rule(kind, re.compile(path_regex) if path_regex else None, method.upper() if method else None,
                         params, label=f"{kind}#{len(self._rules)}")
            self._rules.append(rule)
        return rule

    def _apply(self, rule: _Rule, bucket: str) -> FaultResponse | None:
        p = rule.params
        if rule.kind == "fail":
            if p["times"] is not None and rule.fired >= p["times"]:
                return None
            return error_response(p["status"], rule.label, bucket, error_code=p["error_code"],
                                  message=p["message"], extra=p["headers"])
        if rule.kind == "drop":
            if p["times"] is not None and rule.fired >= p["times"]:
                return None
            return FaultResponse(0, (), b"", rule.label, drop=True)
        if rule.kind == "burst_429":
            position = (rule.seen - 1) % (p["every_n"] + p["length"])
            if position < p["every_n"]:
                return None
            return error_response(429, rule.label, bucket, reset_seconds=p["reset_seconds"])
        if rule.kind == "random_errors":
            assert rule.rng is not None
            if rule.rng.random() >= p["rate"]:
                return None
            status = rule.rng.choice(p["statuses"])
            return error_response(status, rule.label, bucket)
        raise AssertionError(rule.kind)


def error_response(status: int, label: str, bucket: str, *, error_code: str | None = None,
                   message: str | None = None, extra: dict[str, str] | None = None,
                   reset_seconds: int = 1) -> FaultResponse:
    default_code, default_message = _DEFAULT_ERRORS.get(status, (None, f"HTTP {status}"))
    code = default_code if error_code is None else (error_code or None)
    text = message or default_message
    headers: list[tuple[str, str]] = [("Content-Type", "application/json; charset=utf-8"),
                                      ("X-Error-Message", text)]
    if code:
        headers.append(("X-Error-Code", code))
    if status == 429:
        headers += [("RateLimit", f'"{bucket}";r=0;t={reset_seconds}'),
                    ("RateLimit-Policy", f'"fixed window";"{bucket}";q=500;w=300'),
                    ("Retry-After", str(reset_seconds))]
    for name, value in (extra or {}).items():
        headers.append((name, value))
    return FaultResponse(status, tuple(headers), json.dumps({"error": text}).encode(), label)
