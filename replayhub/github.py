"""replayhub's loopback GitHub: the three REST routes hubscan checks linked code repositories with.

    from replayhub.github import ReplayGitHub
    with ReplayGitHub("github.json") as github:      # or a dict, or a GitHubState
        os.environ["HUBSCAN_GITHUB_API"] = github.url

It answers as api.github.com does for a crawler (docs github_api.md, API version 2022-11-28):

- `GET /repos/{owner}/{repo}`: the repository (`id`, `full_name`, `default_branch`, `archived`, `fork`,
  `description`, `license` or null, ...). Names are case-insensitive. A former name (renamed or
  transferred) answers **301** with `Location: http://{Host}/repositories/{id}` plus the same path
  suffix and query; `/repositories/{id}/...` serves every route by id. Missing: **404**
  `{"message": "Not Found"}`; a repository marked `blocked`: **451**.
- `GET /repos/{o}/{r}/git/trees/{branch}?recursive=1`: `{"sha", "tree": [...], "truncated"}`; folders are
  implied by the blob paths; without `recursive` only the top level. Unknown ref: 404.
- `GET /repos/{o}/{r}/contents/{path}`: a file as base64 with a newline every 60 characters (files over
  1 MB come with empty content and `encoding: "none"`), a folder as a JSON list. A file listed in the
  tree whose text the fixture does not hold answers 404 with `X-Replay-Note` (never invented content).
- Every 200 carries a weak `ETag`; a request whose `If-None-Match` matches answers **304** with no body,
  which does not count against the quota when the request was authorised (as on GitHub).
- Every answer carries `X-RateLimit-Limit/-Remaining/-Used/-Reset/-Resource`. The primary quota is a
  window per caller (token, or anonymous): past it, 403 (or 429, `limit_status`) with Remaining 0.
  `secondary_limit()` makes the next requests answer 403/429 with `Retry-After`; `fail()` injects
  5xx answers or dropped connections.
- A request without `User-Agent` is refused with 403, as GitHub does.
- Tokens: `Authorization: Bearer <t>` or `token <t>`; with `tokens=None` any token is accepted, else
  an unknown one is 401 "Bad credentials".

Request accounting (`requests`, `count()`): method, path, query, route kind (`repo`, `tree`, `contents`,
`other`), status, whether a token was present (never its value), whether the quota was charged, and
the injected fault if one answered. Start and stop like `ReplayHub`; `python -m replayhub serve
--github FILE` serves it next to a replay hub.
"""

from __future__ import annotations

import hashlib
import json
import math
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from .github_answers import contents_answer, repo_json, tree_json
from .loopback import LoopbackServer, TrackedHandler
from .github_state import GitHubRepo, GitHubState

DOCS = "https://docs.github.com/rest"


@dataclass(frozen=True)
class GitHubRequest:
    """One request as the loopback saw it (the token value is never kept)."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    kind: str  # repo | tree | contents | other
    status: int  # 0 when a fault dropped the connection
    token_present: bool
    counted: bool  # charged against the primary quota
    fault: str | None


@dataclass
class _Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> "_Reply":
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return cls(status, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])], body)

    @classmethod
    def message(cls, status: int, text: str, headers: list[tuple[str, str]] | None = None, **extra: Any) -> "_Reply":
        return cls.json(status, {"message": text, "documentation_url": DOCS, "status": str(status), **extra}, headers)


@dataclass
class _Injection:
    remaining: int
    status: int
    kind: str | None
    retry_after: int | None = None
    drop: bool = False
    label: str = ""


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass(frozen=True)
class _Route:
    kind: str
    repo: GitHubRepo | None = None
    moved_to: GitHubRepo | None = None  # a former name: answer 301 to the repository's id route
    suffix: str = ""  # raw path after the repository part (for redirects)
    rest: str = ""  # decoded: the ref for trees, the path for contents
    missing: bool = False


class _Handler(TrackedHandler):
    owner_attr = "github"
    server_version = "replayhub-github"
    sys_version = ""
    timeout = 120

    def do_GET(self) -> None:
        self.server.github._serve(self)

    def _other(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.github._serve(self)

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _other


class ReplayGitHub(LoopbackServer):
    """A threaded loopback api.github.com for the repositories of a `github.json` (or a GitHubState)."""

    owner_attr = "github"
    handler = _Handler
    thread_name = "replayhub-github"

    def __init__(self, state: GitHubState | Mapping[str, Any] | str | Path | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, quota: int = 5000, anonymous_quota: int = 60, window_seconds: float = 3600.0,
                 limit_status: int = 403, tokens: set[str] | frozenset[str] | None = None) -> None:
        self.state = GitHubState.from_fixture(state if state is not None else {"repos": []})
        self.tokens = None if tokens is None else frozenset(tokens)
        super().__init__(host, port)
        self._lock = threading.Lock()
        self._records: list[GitHubRequest] = []
        self._injections: list[_Injection] = []
        self._windows: dict[str, _Window] = {}
        self.set_quota(quota, window_seconds, limit_status, anonymous_quota)

    # behaviour knobs ------------------------------------------------------------------------

    def set_quota(self, quota: int, window_seconds: float = 3600.0, limit_status: int = 403,
                  anonymous_quota: int | None = None) -> None:
        """Primary limit per caller and window; all windows start afresh."""
        if quota < 0 or window_seconds <= 0 or limit_status not in (403, 429):
            raise ValueError("quota >= 0, window > 0 and a 403 or 429 limit status required")
        with self._lock:
            self.quota = quota
            self.anonymous_quota = quota if anonymous_quota is None else anonymous_quota
            self.window_seconds = window_seconds
            self.limit_status = limit_status
            self._windows.clear()

    def secondary_limit(self, times: int = 1, *, status: int = 403, retry_after: int | None = 1, kind: str | None = None) -> None:
        """The next `times` requests (of route `kind`, or any) hit a secondary rate limit."""
        with self._lock:
            self._injections.append(_Injection(times, status, kind, retry_after, label="secondary"))

    def fail(self, times: int = 1, *, status: int = 502, kind: str | None = None, drop: bool = False) -> None:
        """The next `times` requests answer `status` (a transient server error), or drop the connection."""
        with self._lock:
            self._injections.append(_Injection(times, status, kind, drop=drop, label="drop" if drop else f"http-{status}"))

    # accounting -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[GitHubRequest]:
        with self._lock:
            return list(self._records)

    def count(self, kind: str | None = None, status: int | None = None, *, counted: bool | None = None) -> int:
        with self._lock:
            return sum(1 for r in self._records if (kind is None or r.kind == kind) and (status is None or r.status == status)
                       and (counted is None or r.counted == counted))

    def reset_counts(self) -> None:
        with self._lock:
            self._records.clear()

    def _serve(self, handler: _Handler) -> None:
        raw_path, _, raw_query = handler.path.partition("?")
        query = parse_qs(raw_query, keep_blank_values=True)
        method = handler.command
        route = self._route(raw_path)
        token = _token(handler.headers.get("Authorization"))
        caller = f"token:{hashlib.sha256(token.encode()).hexdigest()[:16]}" if token else "anonymous"
        fault: str | None = None

        with self._lock:
            injection = next((i for i in self._injections if i.remaining > 0 and (i.kind is None or i.kind == route.kind)), None)
            if injection is not None:
                injection.remaining -= 1
                fault = injection.label
            window = self._window(caller)
            limit = self.quota if token else self.anonymous_quota

        if injection is not None and injection.drop:
            self._record(method, raw_path, query, route.kind, 0, bool(token), False, fault)
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return

        counted, exhausted = True, False
        if not handler.headers.get("User-Agent"):
            counted = False
            reply = _Reply.message(403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header.")
        elif token and self.tokens is not None and token not in self.tokens:
            reply = _Reply.message(401, "Bad credentials")
        elif injection is not None and fault == "secondary":
            reply = _Reply.message(injection.status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                                   [("Retry-After", str(injection.retry_after))] if injection.retry_after is not None else [])
        elif injection is not None:
            reply = _Reply.message(injection.status, "Server Error")
        elif window.used >= limit:
            counted, exhausted = False, True
            reply = _Reply.message(self.limit_status, "API rate limit exceeded. (Authenticated requests get a higher rate limit.)")
        elif method != "GET":
            reply = _Reply.message(404, "Not Found")
        else:
            try:
                reply = self._dispatch(handler, route, raw_query)
            except Exception as exc:  # a bug here must still give a well-formed answer
                reply = _Reply.message(500, f"replayhub-github internal error: {type(exc).__name__}: {exc}")
            if reply.status == 200:
                reply = _conditional(reply, handler.headers.get("If-None-Match"))
            if reply.status == 304 and token:
                counted = False  # an authorised 304 costs no quota

        with self._lock:
            if counted:
                window.used += 1
            used = window.used
        remaining = 0 if exhausted else max(0, limit - used)
        reply.headers.extend([
            ("X-RateLimit-Limit", str(limit)),
            ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Used", str(used)),
            ("X-RateLimit-Reset", str(math.ceil(time.time() + (window.started + self.window_seconds - time.monotonic())))),
            ("X-RateLimit-Resource", "core"),
            ("X-GitHub-Api-Version-Selected", "2022-11-28"),
        ])
        self._record(method, raw_path, query, route.kind, reply.status, bool(token), counted, fault)
        self._write(handler, method, reply)

    def _window(self, caller: str) -> _Window:
        now = time.monotonic()
        window = self._windows.get(caller)
        if window is None or now >= window.started + self.window_seconds:
            window = self._windows[caller] = _Window(now)
        return window

    def _write(self, handler: _Handler, method: str, reply: _Reply) -> None:
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            if method != "HEAD" and reply.body:
                handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    def _record(self, method: str, path: str, query: Mapping[str, list[str]], kind: str, status: int, token: bool,
                counted: bool, fault: str | None) -> None:
        with self._lock:
            self._records.append(GitHubRequest(method, path, query, kind, status, token, counted, fault))

    # routes ---------------------------------------------------------------------------------

    def _route(self, raw_path: str) -> _Route:
        segs = raw_path.split("/")[1:]
        if len(segs) >= 3 and segs[0] == "repos":
            owner, name = unquote(segs[1]), unquote(segs[2])
            suffix = "/" + "/".join(segs[3:]) if len(segs) > 3 else ""
            kind, rest = _suffix_kind(segs[3:])
            repo = self.state.get(f"{owner}/{name}")
            if repo is not None:
                return _Route(kind, repo, suffix=suffix, rest=rest)
            moved = self.state.moved(f"{owner}/{name}")
            return _Route(kind, moved_to=moved, suffix=suffix, rest=rest, missing=moved is None)
        if len(segs) >= 2 and segs[0] == "repositories" and segs[1].isdigit():
            kind, rest = _suffix_kind(segs[2:])
            repo = self.state.by_id(int(segs[1]))
            return _Route(kind, repo, rest=rest, missing=repo is None)
        return _Route("other", missing=True)

    def _dispatch(self, handler: _Handler, route: _Route, raw_query: str) -> _Reply:
        if route.moved_to is not None:
            host = handler.headers.get("Host") or f"{self._host}:{self._port}"
            location = f"http://{host}/repositories/{route.moved_to.id}{route.suffix}" + (f"?{raw_query}" if raw_query else "")
            return _Reply.message(301, "Moved Permanently", [("Location", location)], url=location)
        if route.missing or route.repo is None or route.kind == "other":
            return _Reply.message(404, "Not Found")
        repo = route.repo
        if repo.blocked:
            return _Reply.message(451, "Repository access blocked", block={"reason": "dmca", "created_at": "2024-01-01T00:00:00Z"})
        base = f"http://{handler.headers.get('Host') or f'{self._host}:{self._port}'}"
        query = parse_qs(raw_query)
        if route.kind == "repo":
            return _Reply.json(200, repo_json(repo, base))
        if route.kind == "tree":
            if route.rest not in (repo.default_branch, "HEAD", repo.tree_sha()):
                return _Reply.message(404, "Not Found")
            recursive = (query.get("recursive") or [""])[-1] not in ("", "0", "false")
            return _Reply.json(200, tree_json(repo, base, recursive))
        ref = (query.get("ref") or [repo.default_branch])[-1]
        if ref not in (repo.default_branch, "HEAD"):
            return _Reply.message(404, f"No commit found for the ref {ref}")
        status, payload = contents_answer(repo, base, route.rest.strip("/"))
        if status != 200:
            return _Reply.message(404, "Not Found", [("X-Replay-Note", payload)] if payload else [])
        return _Reply.json(200, payload)


def _token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    return value if scheme.lower() in ("bearer", "token") and value else None


def _suffix_kind(rest: list[str]) -> tuple[str, str]:
    if not rest or rest == [""]:
        return "repo", ""
    if len(rest) >= 3 and rest[0] == "git" and rest[1] == "trees":
        return "tree", unquote("/".join(rest[2:]))
    if rest[0] == "contents":
        return "contents", unquote("/".join(rest[1:]))
    return "other", ""


def _etag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:40]}"'


def _conditional(reply: _Reply, if_none_match: str | None) -> _Reply:
    tag = _etag(reply.body)
    reply.headers.append(("ETag", tag))
    if if_none_match:
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if tag.removeprefix("W/") in wanted or "*" in wanted:
            return _Reply(304, [("ETag", tag)])
    return reply
