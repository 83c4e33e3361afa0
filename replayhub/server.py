"""replayhub's HTTP server: a loopback imitation of huggingface.co for the real `huggingface_hub` client.

Point the client at it with `HfApi(endpoint=hub.url)` / `hf_hub_download(..., endpoint=hub.url)`, or
with `HF_ENDPOINT` set before `huggingface_hub` is imported (hub_api.md §2.1).

hub_api.md §5 checklist, point by point:
 1. Routes: GET/HEAD /api/models and /api/datasets (listing), /api/{models,datasets}/{ns}/{name},
    .../revision/{rev}, .../tree/{rev}[/{path}], HEAD+GET /{ns}/{name}/resolve/{rev}/{path} and
    /datasets/{ns}/{name}/resolve/...; `%2F` is decoded in revisions and tree paths (an unencoded
    `refs/pr/N` also works). Legacy ids without namespace (`bert-base-uncased`) and aliases added with
    `HubState.add_alias` answer 307 with a relative Location to the canonical id. `rev` may be `main`, a
    ref added with `add_ref`, the current 40-hex sha or any older sha of the repo (history is kept).
 2. Query parsing: repeated keys, `expand` and `expand[]`, booleans true/false/1/0, unknown `expand`
    -> 400, `direction` ignored, `limit` capped at 1000 (default page size 1000), `skip` supported.
 3. Pagination: absolute `Link: <http://{Host}{path}?{original params}&cursor=...>; rel="next"` on
    non-final pages only; the cursor is base64 of the keyset position (stable while data changes).
    `sort` (downloads, likes, trendingScore, lastModified, createdAt, ...) is descending, ties in
    creation order; with a sort the keyset is (value, creation order), like the Hub's cursor (base64 of
    a `{"$or": [...]}` position, huggingface_hub PR #1176): a repo whose count rises past the cursor
    during a walk is not shown, one whose count falls is shown again (tests/test_replayhub.py).
    /tree pages hold 1000 entries, 50 with expand=true (both configurable).
 4. JSON with `application/json; charset=utf-8`, always `_id` and `id`; `expand` returns only `_id`,
    `id` and the asked fields that have a value; missing values are left out, never invented.
 5. HEAD works everywhere and carries the GET headers, with the true Content-Length and no body.
 6. /resolve/ sends X-Repo-Commit, a quoted ETag (git blob sha1), Content-Length, Accept-Ranges and
    answers Range with 206 (416 when unsatisfiable). Never any X-Xet-Hash or xet-auth Link.
 7. LFS realism: files declared by an int size are LFS files. HEAD and GET of /resolve/ answer 302 to a
    *different origin* (`localhost` when the request came to 127.0.0.1, else 127.0.0.1) at
    /cdn/{type}/{sha256}/{size}/{name}, with X-Linked-Size, X-Linked-Etag (a stand-in sha256) and
    X-Repo-Commit, so `get_hf_file_metadata` reports the declared size without any download.
    DELIBERATE DEVIATION: the CDN serves deterministic pseudo-random bytes of the declared size only up
    to `cdn_max_bytes` (default 8 MiB, e.g. a 72 kB png); above that it answers 403 ("too large for
    replayhub"), so multi-GB weights are HEAD-only: `hf_hub_download` of them fails fast instead of
    streaming gigabytes, and the client never sees a body whose size disagrees with X-Linked-Size.
 8. Errors carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo) and
    X-Error-Message with a JSON body {"error": ...}: missing/private repos are 401 anonymously and 404
    with a valid token; gated files are 401 without a token and 403 for an unapproved one, while the API
    metadata (info, listing, tree) of gated repos stays public; EntryNotFound on /resolve/ carries
    X-Repo-Commit; disabled repos answer 403 "Access to this resource is disabled." on /resolve/ and
    /tree. 400s (bad expand/limit/sort/cursor) and bad tokens have X-Error-Message but no code, as on
    the Hub. Every response has X-Request-Id.
 9. Rate limiting: fixed windows per bucket (`api` for /api/..., `resolvers` for /resolve/, `pages`
    for anything else) and per caller (token user or anonymous), `RateLimit: "api";r=N;t=S` and
    `RateLimit-Policy: "fixed window";"api";q=Q;w=W` on every Hub response, 429 with r=0 and
    Retry-After past the quota. Unlimited buckets still send headers (q=1000000, w=300).
    DEVIATION: /cdn/ responses (the "other host") carry no RateLimit headers.
10. Auth: `authorization: Bearer <token>` checked against `tokens`; an unknown token is 401 "Invalid
    credentials in Authorization header". With `tokens=None` every token is a valid user with no
    approvals and no private access.
11. Encoding: never gzips.
12. HTTP/1.1 keep-alive with Content-Length on every response, including 3xx/4xx and HEAD.
13. Test-side environment: see tests/conftest.py.

Request accounting: every request is recorded as a `RequestRecord` (method, raw path, query, route
kind, status, bucket, whether a token was present but never its value). Route kinds:
models.list, models.info, models.tree, datasets.list, datasets.info, datasets.tree, models.resolve,
datasets.resolve, cdn (the LFS download host), other.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import random
import re
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote

from .faults import FaultPlan, FaultResponse
from .loopback import LoopbackServer, TrackedHandler
from .state import SORTS, Blob, HubState, RepoSnapshot

MODEL_EXPAND = frozenset({
    "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled", "downloads",
    "downloadsAllTime", "evalResults", "gated", "gguf", "inference", "inferenceProviderMapping", "lastModified",
    "library_name", "likes", "mask_token", "model-index", "pipeline_tag", "private", "resourceGroup",
    "safetensors", "sha", "siblings", "spaces", "tags", "transformersInfo", "trendingScore", "usedStorage",
    "widgetData"})
DATASET_EXPAND = frozenset({
    "author", "cardData", "citation", "createdAt", "description", "disabled", "downloads", "downloadsAllTime",
    "gated", "lastModified", "likes", "mainSize", "paperswithcode_id", "private", "resourceGroup", "sha",
    "siblings", "tags", "trendingScore", "usedStorage"})

_LIST_FIELDS = {
    "model": ("_id", "id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag",
              "library_name", "createdAt", "modelId"),
    "dataset": ("_id", "id", "author", "sha", "lastModified", "private", "gated", "disabled", "downloads",
                "likes", "trendingScore", "tags", "description", "createdAt"),
}
_FULL_EXTRA = {
    "model": ("author", "sha", "lastModified", "gated", "disabled", "siblings"),
    "dataset": ("cardData", "siblings", "citation", "paperswithcode_id"),
}
_MAX_PAGE = 1000
_UNLIMITED = (1_000_000, 300.0)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_REF_KINDS = frozenset({"pr", "heads", "tags", "convert"})
_REPO_ACTIONS = frozenset({"revision", "tree", "refs", "commits", "paths-info", "discussions", "settings"})
_CDN_BLOCK = 1 << 16


# --- public records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it (the token value is never kept)."""

    method: str
    path: str  # raw path, percent-encoding kept, no query
    query: Mapping[str, list[str]]
    kind: str
    status: int  # 0 when a fault dropped the connection
    bucket: str | None
    token_present: bool
    user: str | None
    fault: str | None  # label of the fault rule that answered, if any
    request_id: str
    duration: float


# --- rate limiting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateState:
    bucket: str
    allowed: bool
    remaining: int
    reset_seconds: int
    quota: int
    window_seconds: int

    def headers(self) -> list[tuple[str, str]]:
        return [("RateLimit", f'"{self.bucket}";r={self.remaining};t={self.reset_seconds}'),
                ("RateLimit-Policy", f'"fixed window";"{self.bucket}";q={self.quota};w={self.window_seconds}')]


class _Limiter:
    """Fixed windows aligned on the limiter's start, one counter per (bucket, caller)."""

    def __init__(self, limits: Mapping[str, tuple[int, float]] | None) -> None:
        self._limits = {k: (int(q), float(w)) for k, (q, w) in (limits or {}).items()}
        for bucket, (quota, window) in self._limits.items():
            if quota < 0 or window <= 0:
                raise ValueError(f"bad rate limit for {bucket!r}: quota >= 0 and window > 0 required")
        self._start = time.monotonic()
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def _window(self, bucket: str, caller: str, now: float) -> tuple[int, int, int, float, float]:
        quota, window = self._limits.get(bucket, _UNLIMITED)
        number = int((now - self._start) // window)
        seen_window, used = self._counts.get((bucket, caller), (number, 0))
        if seen_window != number:
            used = 0
        reset_at = self._start + (number + 1) * window
        return quota, number, used, window, reset_at

    def hit(self, bucket: str, caller: str, consume: bool = True) -> RateState:
        now = time.monotonic()
        with self._lock:
            quota, number, used, window, reset_at = self._window(bucket, caller, now)
            if consume:
                used += 1
                self._counts[(bucket, caller)] = (number, used)
        limited = bucket in self._limits
        allowed = not limited or used <= quota
        return RateState(bucket, allowed, max(quota - used, 0), max(1, math.ceil(reset_at - now)), quota,
                         max(1, math.ceil(window)))


# --- requests and replies ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Viewer:
    token_present: bool
    valid: bool
    user: str | None
    gated: frozenset[str] = frozenset()
    private: frozenset[str] = frozenset()

    def can_see(self, snap: RepoSnapshot) -> bool:
        return not snap.private or self._grants(self.private, snap)

    def approved(self, snap: RepoSnapshot) -> bool:
        return not snap.gated or self._grants(self.gated, snap)

    def _grants(self, ids: frozenset[str], snap: RepoSnapshot) -> bool:
        if not self.valid or not self.token_present:
            return False
        return "*" in ids or snap.repo_id in ids or (self.user is not None and snap.namespace == self.user)

    @property
    def caller(self) -> str:
        return f"user:{self.user}" if self.valid and self.token_present else "anonymous"


@dataclass(frozen=True)
class _Route:
    kind: str
    bucket: str | None
    action: str  # list | info | tree | resolve | cdn | whoami | notfound | bad
    repo_type: str | None = None
    repo_id: str | None = None
    tail_raw: str = ""  # raw path after the repo id, to rebuild redirects
    rev: str | None = None
    path: str = ""
    args: tuple[str, ...] = ()


@dataclass
class _Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> "_Reply":
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        try:
            body = text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (hostile data): escaped as \udxxx, as the Hub's JSON.stringify does.
            body = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), default=str).encode("ascii")
        return cls(status, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])], body)

    @classmethod
    def error(cls, status: int, message: str, code: str | None = None,
              headers: list[tuple[str, str]] | None = None) -> "_Reply":
        extra = [("X-Error-Message", message)] + ([("X-Error-Code", code)] if code else []) + list(headers or [])
        return cls.json(status, {"error": message}, extra)


def _parse_route(raw_path: str) -> _Route:
    segs = raw_path.split("/")[1:]
    if segs and segs[-1] == "" and len(segs) > 1:
        segs = segs[:-1]
    if not segs or segs == [""]:
        return _Route("other", "pages", "notfound")
    if segs[0] == "api":
        if len(segs) >= 2 and segs[1] in ("models", "datasets"):
            repo_type = segs[1][:-1]
            if len(segs) == 2:
                return _Route(f"{segs[1]}.list", "api", "list", repo_type)
            return _parse_repo_route(repo_type, segs[2:], api=True)
        if segs[1:] == ["whoami-v2"]:
            return _Route("other", "api", "whoami")
        return _Route("other", "api", "notfound")
    if segs[0] == "cdn":
        return _Route("cdn", None, "cdn", args=tuple(segs[1:]))
    if segs[0] == "datasets":
        route = _parse_repo_route("dataset", segs[1:], api=False)
    elif segs[0] == "spaces":
        return _Route("other", "pages", "notfound")
    else:
        route = _parse_repo_route("model", segs, api=False)
    return route


def _parse_repo_route(repo_type: str, rest: list[str], *, api: bool) -> _Route:
    plural = f"{repo_type}s"
    actions = _REPO_ACTIONS if api else frozenset({"resolve"})
    if len(rest) >= 3 and rest[2] in actions:
        id_parts, action, args = rest[:2], rest[2], rest[3:]
    elif len(rest) >= 2 and rest[1] in actions:
        id_parts, action, args = rest[:1], rest[1], rest[2:]
    elif api and len(rest) in (1, 2):
        id_parts, action, args = rest, "info", []
    else:
        return _Route("other", "api" if api else "pages", "notfound")
    repo_id = "/".join(unquote(p) for p in id_parts)
    if not all(id_parts) or any("/" in unquote(p) for p in id_parts):
        return _Route("other", "api" if api else "pages", "notfound")
    tail_raw = "/" + "/".join([action, *args]) if action != "info" else ""
    if action == "info":
        return _Route(f"{plural}.info", "api", "info", repo_type, repo_id)
    if action == "revision":
        if not args or not all(args):
            return _Route(f"{plural}.info", "api", "notfound", repo_type, repo_id)
        return _Route(f"{plural}.info", "api", "info", repo_type, repo_id, tail_raw, unquote("/".join(args)))
    if action in ("tree", "resolve"):
        if not args or not args[0]:
            return _Route(f"{plural}.{action}", "api" if api else "resolvers", "notfound", repo_type, repo_id)
        rev, path_parts = _split_rev(args)
        path = unquote("/".join(path_parts))
        if action == "resolve":
            if not path:
                return _Route(f"{plural}.resolve", "resolvers", "notfound", repo_type, repo_id)
            return _Route(f"{plural}.resolve", "resolvers", "resolve", repo_type, repo_id, tail_raw, rev, path)
        return _Route(f"{plural}.tree", "api", "tree", repo_type, repo_id, tail_raw, rev, path)
    return _Route("other", "api", "notfound", repo_type, repo_id)


def _split_rev(args: list[str]) -> tuple[str, list[str]]:
    """First segment is the (encoded) revision; an unencoded `refs/pr/1` spans three segments."""
    if unquote(args[0]) == "refs" and len(args) >= 3 and args[1] in _REF_KINDS:
        return "/".join(unquote(a) for a in args[:3]), args[3:]
    return unquote(args[0]), args[1:]


def _flag(query: Mapping[str, list[str]], name: str) -> bool:
    values = query.get(name)
    return bool(values) and values[-1].strip().lower() in ("true", "1", "yes")


def _last(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _encode_cursor(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _decode_cursor(value: str) -> dict[str, Any] | None:
    try:
        payload = json.loads(base64.b64decode(value.encode(), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _next_link(host: str, raw_path: str, raw_query: str, cursor: str) -> str:
    kept = [p for p in raw_query.split("&") if p and p.split("=", 1)[0] not in ("cursor", "skip")]
    kept.append("cursor=" + quote(cursor, safe=""))
    return f'<http://{host}{raw_path}?{"&".join(kept)}>; rel="next"'


@functools.lru_cache(maxsize=64)
def _cdn_block(seed: str) -> bytes:
    return random.Random(seed).randbytes(_CDN_BLOCK)


def _cdn_bytes(seed: str, start: int, length: int) -> bytes:
    """Bytes [start, start+length) of an endless deterministic pattern (stand-in for LFS content)."""
    block = _cdn_block(seed)
    offset = start % _CDN_BLOCK
    repeats = (offset + length) // _CDN_BLOCK + 1
    return (block * repeats)[offset:offset + length]


def _parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end inclusive), "unsatisfiable", or None to ignore the header (absent or malformed)."""
    if not header:
        return None
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if start >= size or (last and int(last) < start):
            return "unsatisfiable"
        return start, end
    suffix = int(last)
    if suffix == 0:
        return "unsatisfiable"
    return max(0, size - suffix), size - 1


# --- the server ----------------------------------------------------------------------------------


class _Handler(TrackedHandler):
    owner_attr = "hub"
    server_version = "replayhub"
    sys_version = ""
    timeout = 120

    def do_GET(self) -> None:
        self.server.hub._serve(self, "GET")

    def do_HEAD(self) -> None:
        self.server.hub._serve(self, "HEAD")

    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.hub._serve(self, self.command)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse


class ReplayHub(LoopbackServer):
    """A threaded loopback Hub serving a `HubState` (or a dev_hub.json dict / path)."""

    owner_attr = "hub"
    handler = _Handler
    thread_name = "replayhub"

    def __init__(self, state: HubState | Mapping[str, Any] | str | Path, *, host: str = "127.0.0.1", port: int = 0,
                 rate_limits: Mapping[str, tuple[int, float]] | None = None, faults: FaultPlan | None = None,
                 tokens: Mapping[str, Mapping[str, Any]] | None = None, default_page_size: int = _MAX_PAGE,
                 max_page_size: int = _MAX_PAGE,
                 tree_page_size: int = 1000, tree_expand_page_size: int = 50,
                 cdn_max_bytes: int = 8 * 1024 * 1024, basic_auth: tuple[str, str] | None = None) -> None:
        self.state = state if isinstance(state, HubState) else HubState.from_fixture(state)
        self.faults = faults
        self.tokens = None if tokens is None else {k: dict(v) for k, v in tokens.items()}
        self.default_page_size = max(1, min(default_page_size, _MAX_PAGE))
        # The Hub caps `limit` at 1000; a smaller cap makes many pages out of a small test hub.
        self.max_page_size = max(1, min(max_page_size, _MAX_PAGE))
        self.tree_page_size = tree_page_size
        self.tree_expand_page_size = tree_expand_page_size
        self.cdn_max_bytes = cdn_max_bytes
        # REPLAYHUB-ONLY: a mirror behind HTTP Basic auth (`http://user:pass@host`); a request with
        # these credentials is served as an anonymous one, other Basic credentials get 401.
        self.basic_auth = basic_auth
        self._limiter = _Limiter(rate_limits)
        super().__init__(host, port)
        self._records: list[RequestRecord] = []
        self._records_lock = threading.Lock()

    # behaviour knobs ------------------------------------------------------------------------

    def set_rate_limits(self, rate_limits: Mapping[str, tuple[int, float]] | None) -> None:
        """Replace the quotas; all windows start afresh."""
        self._limiter = _Limiter(rate_limits)

    # accounting -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._records_lock:
            return list(self._records)

    def count(self, kind: str | None = None, method: str | None = None, status: int | None = None) -> int:
        with self._records_lock:
            return sum(1 for r in self._records
                       if (kind is None or r.kind == kind) and (method is None or r.method == method.upper())
                       and (status is None or r.status == status))

    def reset_counts(self) -> None:
        with self._records_lock:
            self._records.clear()

    def _serve(self, handler: _Handler, method: str) -> None:
        started = time.monotonic()
        raw_path, _, raw_query = handler.path.partition("?")
        if raw_path.startswith(("http://", "https://")):  # absolute-form request target
            raw_path = "/" + raw_path.split("/", 3)[-1] if raw_path.count("/") >= 3 else "/"
        query = parse_qs(raw_query, keep_blank_values=True)
        route = _parse_route(raw_path)
        viewer = self._viewer(handler.headers.get("Authorization"))
        request_id = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
        fault_label: str | None = None
        reply: _Reply | None = None

        decision = self.faults.decide(method, raw_path, route.bucket) if self.faults else None
        if decision is not None and decision.delay > 0:
            time.sleep(decision.delay)
        if decision is not None and decision.response is not None:
            fault_label = decision.response.label
            if decision.response.drop:
                self._record(method, raw_path, query, route, 0, viewer, fault_label, request_id, started)
                handler.close_connection = True
                try:
                    handler.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            reply = self._fault_reply(decision.response)
            rate = self._limiter.hit(route.bucket, viewer.caller, consume=False) if route.bucket else None
        else:
            rate = self._limiter.hit(route.bucket, viewer.caller) if route.bucket else None
            if rate is not None and not rate.allowed:
                message = f"You have reached your '{rate.bucket}' rate limit. Retry after {rate.reset_seconds} s."
                reply = _Reply.error(429, message, headers=[("Retry-After", str(rate.reset_seconds))])
            elif viewer.token_present and not viewer.valid:
                reply = _Reply.error(401, "Invalid credentials in Authorization header")
            else:
                try:
                    reply = self._dispatch(handler, method, route, query, raw_path, raw_query, viewer)
                except Exception as exc:  # a bug here must still produce a well-formed answer
                    reply = _Reply.error(500, f"replayhub internal error: {type(exc).__name__}: {exc}")

        names = {name.lower() for name, _ in reply.headers}
        if rate is not None and "ratelimit" not in names:
            reply.headers.extend(rate.headers())
        reply.headers.append(("X-Request-Id", request_id))
        self._record(method, raw_path, query, route, reply.status, viewer, fault_label, request_id, started)
        self._write(handler, method, reply)

    def _write(self, handler: _Handler, method: str, reply: _Reply) -> None:
        try:
            handler.send_response(reply.status)
            has_length = False
            for name, value in reply.headers:
                handler.send_header(name, value)
                has_length = has_length or name.lower() == "content-length"
            if not has_length:
                handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            if method != "HEAD" and reply.body:
                handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    def _record(self, method: str, raw_path: str, query: dict[str, list[str]], route: _Route, status: int,
                viewer: _Viewer, fault: str | None, request_id: str, started: float) -> None:
        record = RequestRecord(method, raw_path, query, route.kind, status, route.bucket, viewer.token_present,
                               viewer.user if viewer.valid else None, fault, request_id,
                               time.monotonic() - started)
        with self._records_lock:
            self._records.append(record)

    def _fault_reply(self, response: FaultResponse) -> _Reply:
        return _Reply(response.status, list(response.headers), response.body)

    def _viewer(self, authorization: str | None) -> _Viewer:
        if not authorization:
            return _Viewer(False, False, None)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "basic" and self.basic_auth is not None:
            try:
                user, _, password = base64.b64decode(token).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return _Viewer(True, False, None)
            return _Viewer(False, False, None) if (user, password) == tuple(self.basic_auth) else _Viewer(True, False, None)
        if scheme.lower() != "bearer" or not token:
            return _Viewer(True, False, None)
        if self.tokens is None:
            return _Viewer(True, True, "user")
        grant = self.tokens.get(token)
        if grant is None:
            return _Viewer(True, False, None)
        return _Viewer(True, True, str(grant.get("user") or "user"), frozenset(grant.get("gated") or ()),
                       frozenset(grant.get("private") or ()))

    def _dispatch(self, handler: _Handler, method: str, route: _Route, query: dict[str, list[str]],
                  raw_path: str, raw_query: str, viewer: _Viewer) -> _Reply:
        if method not in ("GET", "HEAD"):
            return _Reply.error(405, f"Method {method} is not supported by replayhub", headers=[("Allow", "GET, HEAD")])
        if route.action == "list":
            return self._list(handler, route, query, raw_path, raw_query, viewer)
        if route.action == "cdn":
            return self._cdn(route, handler.headers.get("Range"), method)
        if route.action == "whoami":
            if not viewer.token_present:
                return _Reply.error(401, "Invalid credentials in Authorization header")
            return _Reply.json(200, {"type": "user", "name": viewer.user, "auth": {"accessToken": {"role": "read"}}})
        if route.action == "notfound":
            return _Reply.error(404, "Sorry, we can't find the page you are looking for.")
        assert route.repo_type is not None and route.repo_id is not None

        snap = self.state.get(route.repo_id, route.repo_type)
        if snap is None or not viewer.can_see(snap):
            target = self.state.canonical_id(route.repo_id, route.repo_type) if snap is None else None
            if target is not None and target != route.repo_id:
                return self._redirect_to(route, target, raw_query)
            return self._repo_not_found(viewer)
        if route.action == "info":
            return self._info(route, snap, query)
        revision = self.state.at_revision(route.repo_id, route.rev or "main", route.repo_type)
        if revision is None:
            return _Reply.error(404, f"Invalid rev id: {route.rev}", "RevisionNotFound")
        if snap.disabled:
            return _Reply.error(403, "Access to this resource is disabled.")
        if route.action == "tree":
            return self._tree(handler, route, revision, query, raw_path, raw_query)
        return self._resolve(handler, route, revision, viewer)

    # routes ---------------------------------------------------------------------------------

    @staticmethod
    def _repo_not_found(viewer: _Viewer) -> _Reply:
        if viewer.token_present and viewer.valid:
            return _Reply.error(404, "Repository not found", "RepoNotFound")
        return _Reply.error(401, "Invalid username or password.", "RepoNotFound")

    @staticmethod
    def _redirect_to(route: _Route, target: str, raw_query: str) -> _Reply:
        if route.action == "resolve":
            prefix = "/datasets/" if route.repo_type == "dataset" else "/"
        else:
            prefix = f"/api/{route.repo_type}s/"
        location = prefix + quote(target, safe="/") + route.tail_raw + (f"?{raw_query}" if raw_query else "")
        return _Reply.json(307, {"error": "Repository moved", "location": location}, [("Location", location)])

    def _expand(self, route: _Route, query: Mapping[str, list[str]]) -> tuple[list[str], _Reply | None]:
        asked = list(query.get("expand", [])) + list(query.get("expand[]", []))
        allowed = MODEL_EXPAND if route.repo_type == "model" else DATASET_EXPAND
        for position, name in enumerate(asked):
            if name not in allowed:
                message = f'"expand[{position}]" must be one of [{", ".join(sorted(allowed))}]'
                return asked, _Reply.error(400, message)
        return list(dict.fromkeys(asked)), None

    def _value(self, snap: RepoSnapshot, name: str, blobs: bool = False) -> tuple[bool, Any]:
        if name == "_id":
            return True, snap.object_id
        if name == "id" or (name == "modelId" and snap.repo_type == "model"):
            return True, snap.repo_id
        if name == "sha":
            return True, snap.sha
        if name == "siblings":
            return True, snap.siblings(with_blobs=blobs)
        if name == "usedStorage":
            return True, snap.used_storage
        if name == "author" and "author" not in snap.fields:
            return (snap.namespace is not None), snap.namespace
        if name in snap.fields:
            return True, snap.fields[name]
        return False, None

    def _view(self, snap: RepoSnapshot, names: list[str] | tuple[str, ...], blobs: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"_id": snap.object_id, "id": snap.repo_id}
        for name in names:
            present, value = self._value(snap, name, blobs)
            if present:
                out[name] = value
        return out

    def _full_view(self, snap: RepoSnapshot, blobs: bool) -> dict[str, Any]:
        names = ["modelId"] if snap.repo_type == "model" else []
        names += ["author", "sha", *snap.fields.keys(), "siblings", "usedStorage"]
        return self._view(snap, list(dict.fromkeys(names)), blobs)

    def _info(self, route: _Route, snap: RepoSnapshot, query: Mapping[str, list[str]]) -> _Reply:
        expand, bad = self._expand(route, query)
        if bad is not None:
            return bad
        revision = self.state.at_revision(route.repo_id or "", route.rev or "main", route.repo_type or "model")
        if revision is None:
            return _Reply.error(404, f"Invalid rev id: {route.rev}", "RevisionNotFound")
        blobs = _flag(query, "blobs")
        if expand:
            body = self._view(revision, expand, blobs)
        else:
            body = self._full_view(revision, blobs)
        if _flag(query, "securityStatus"):
            body["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
        return _Reply.json(200, body)

    def _list(self, handler: _Handler, route: _Route, query: Mapping[str, list[str]], raw_path: str,
              raw_query: str, viewer: _Viewer) -> _Reply:
        repo_type = route.repo_type or "model"
        expand, bad = self._expand(route, query)
        if bad is not None:
            return bad
        limit_raw = _last(query, "limit")
        try:
            limit = self.default_page_size if limit_raw in (None, "") else int(limit_raw)
        except ValueError:
            return _Reply.error(400, f'"limit" must be a number, got {limit_raw!r}')
        if limit < 1:
            return _Reply.error(400, '"limit" must be greater than or equal to 1')
        limit = min(limit, self.max_page_size)
        sort = _last(query, "sort") or None
        if sort is not None and sort not in SORTS:
            return _Reply.error(400, f'"sort" must be one of [{", ".join(SORTS)}]')
        after = None
        cursor_raw = _last(query, "cursor")
        if cursor_raw:
            cursor = _decode_cursor(cursor_raw)
            if cursor is None or not isinstance(cursor.get("k"), list) or cursor.get("s") != (sort or ""):
                return _Reply.error(400, "Invalid cursor")
            after = tuple(cursor["k"])
        try:
            skip = 0 if cursor_raw else max(0, int(_last(query, "skip") or 0))
        except ValueError:
            return _Reply.error(400, '"skip" must be a number')
        matches = self._predicate(query, viewer)

        page: list[RepoSnapshot] = []
        last_key: tuple | None = None
        more = False
        for key, snap in self.state.scan(repo_type, sort, after):
            if not matches(snap):
                continue
            if skip:
                skip -= 1
                continue
            if len(page) == limit:
                more = True
                break
            page.append(snap)
            last_key = key

        if expand:
            items = [self._view(s, expand) for s in page]
        else:
            names = list(_LIST_FIELDS[repo_type])
            if _flag(query, "full"):
                names += _FULL_EXTRA[repo_type]
            if _flag(query, "cardData"):
                names.append("cardData")
            if _flag(query, "config") and repo_type == "model":
                names.append("config")
            items = [self._view(s, list(dict.fromkeys(names))) for s in page]
        headers = []
        if more and last_key is not None:
            host = handler.headers.get("Host") or f"{self._host}:{self._port}"
            cursor = _encode_cursor({"k": list(last_key), "s": sort or ""})
            headers.append(("Link", _next_link(host, raw_path, raw_query, cursor)))
        return _Reply.json(200, items, headers)

    @staticmethod
    def _predicate(query: Mapping[str, list[str]], viewer: _Viewer) -> Callable[[RepoSnapshot], bool]:
        search = (_last(query, "search") or "").lower()
        author = (_last(query, "author") or "").lower()
        required = [f for f in query.get("filter", []) if f]
        for key, prefix in (("library", ""), ("language", ""), ("license", "license:")):
            for value in query.get(key, []):
                if value:
                    required.append(value if value.startswith(prefix) else prefix + value)
        pipeline = _last(query, "pipeline_tag")
        gated_raw = _last(query, "gated")
        gated = None if gated_raw in (None, "") else gated_raw.strip().lower() in ("true", "1")

        def matches(snap: RepoSnapshot) -> bool:
            if not viewer.can_see(snap):
                return False
            if search and search not in snap.repo_id.lower():
                return False
            if author and (snap.namespace or "").lower() != author:
                return False
            if pipeline and snap.fields.get("pipeline_tag") != pipeline:
                return False
            if gated is not None and bool(snap.gated) != gated:
                return False
            if required:
                tags = set(snap.tags)
                tags.update(str(snap.fields.get(k)) for k in ("pipeline_tag", "library_name") if snap.fields.get(k))
                if not all(f in tags for f in required):
                    return False
            return True
        return matches

    def _tree(self, handler: _Handler, route: _Route, snap: RepoSnapshot, query: Mapping[str, list[str]],
              raw_path: str, raw_query: str) -> _Reply:
        recursive, expand = _flag(query, "recursive"), _flag(query, "expand")
        entries = snap.tree(route.path, recursive=recursive)
        if entries is None:
            return _Reply.error(404, f'"{route.path}" does not exist on "{route.rev}"', "EntryNotFound")
        size = self.tree_expand_page_size if expand else self.tree_page_size
        offset = 0
        cursor_raw = _last(query, "cursor")
        if cursor_raw:
            cursor = _decode_cursor(cursor_raw)
            if cursor is None or not isinstance(cursor.get("o"), int) or cursor["o"] < 0:
                return _Reply.error(400, "Invalid cursor")
            offset = cursor["o"]
        page = entries[offset:offset + size]
        items = []
        for entry in page:
            item: dict[str, Any] = {"type": entry.type, "oid": entry.oid, "size": entry.size, "path": entry.path}
            if entry.blob is not None and entry.blob.is_lfs:
                item["lfs"] = {"oid": entry.blob.lfs_sha256, "size": entry.blob.size,
                               "pointerSize": entry.blob.pointer_size}
            if expand:
                item["lastCommit"] = {"id": snap.sha, "title": f"Upload {entry.path}",
                                      "date": snap.fields.get("lastModified")}
                if entry.type == "file":
                    pickle = entry.path.endswith((".bin", ".pt", ".pth", ".ckpt", ".pkl"))
                    item["securityFileStatus"] = {
                        "status": "safe", "avScan": {"virusFound": False, "virusNames": None},
                        "pickleImportScan": {"highestSafetyLevel": "innocuous", "imports": []} if pickle else None}
            items.append(item)
        headers = []
        if offset + size < len(entries):
            host = handler.headers.get("Host") or f"{self._host}:{self._port}"
            headers.append(("Link", _next_link(host, raw_path, raw_query, _encode_cursor({"o": offset + size}))))
        return _Reply.json(200, items, headers)

    def _resolve(self, handler: _Handler, route: _Route, snap: RepoSnapshot, viewer: _Viewer) -> _Reply:
        kind = "model" if snap.repo_type == "model" else "dataset"
        if not viewer.approved(snap):
            if not (viewer.token_present and viewer.valid):
                message = (f"Access to {kind} {snap.repo_id} is restricted. You must have access to it and be "
                           "authenticated to access it. Please log in.")
                return _Reply.error(401, message, "GatedRepo")
            message = (f"Access to {kind} {snap.repo_id} is restricted and you are not in the authorized list. "
                       f"Visit https://huggingface.co/{snap.repo_id} to ask for access.")
            return _Reply.error(403, message, "GatedRepo")
        blob = snap.blob(route.path)
        commit = [("X-Repo-Commit", snap.sha)]
        if blob is None:
            return _Reply.error(404, "Entry not found", "EntryNotFound", commit)
        if blob.is_lfs:
            return self._lfs_redirect(handler, snap, blob, commit)
        name = route.path.rsplit("/", 1)[-1]
        text_like = isinstance(snap.files.get(route.path), str)
        headers = [("Content-Type", "text/plain; charset=utf-8" if text_like else "application/octet-stream"),
                   ("ETag", f'"{blob.oid}"'), *commit, ("Accept-Ranges", "bytes"),
                   ("Content-Disposition", f"inline; filename*=UTF-8''{quote(name)}; filename=\"{name}\";")]
        assert blob.data is not None
        return self._ranged(blob.data, blob.size, headers, handler.headers.get("Range"), handler.command)

    def _lfs_redirect(self, handler: _Handler, snap: RepoSnapshot, blob: Blob, commit: list) -> _Reply:
        host_header = handler.headers.get("Host") or f"{self._host}:{self._port}"
        hostname = host_header.rsplit(":", 1)[0]
        cdn_host = "localhost" if hostname != "localhost" else "127.0.0.1"
        name = quote(blob.path.rsplit("/", 1)[-1], safe="")
        location = f"http://{cdn_host}:{self._port}/cdn/{snap.repo_type}/{blob.lfs_sha256}/{blob.size}/{name}"
        headers = [("Location", location), *commit, ("X-Linked-Size", str(blob.size)),
                   ("X-Linked-Etag", f'"{blob.lfs_sha256}"'), ("ETag", f'"{blob.lfs_sha256}"'),
                   ("Content-Type", "text/plain; charset=utf-8")]
        return _Reply(302, headers, f"Found. Redirecting to {location}".encode())

    def _cdn(self, route: _Route, range_header: str | None, method: str) -> _Reply:
        args = route.args
        if len(args) != 4 or not _HEX64.match(args[1]) or not args[2].isdigit():
            return _Reply.error(404, "NoSuchKey")
        sha256, size, name = args[1], int(args[2]), unquote(args[3])
        if size > self.cdn_max_bytes:
            return _Reply.error(403, f"replayhub serves LFS payloads up to {self.cdn_max_bytes} bytes; this one "
                                     f"declares {size} (HEAD-only by design)")
        headers = [("Content-Type", "application/octet-stream"), ("ETag", f'"{sha256}"'),
                   ("Accept-Ranges", "bytes"),
                   ("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}; filename=\"{name}\";")]
        return self._ranged(None, size, headers, range_header, method, seed=sha256)

    @staticmethod
    def _ranged(data: bytes | None, size: int, headers: list[tuple[str, str]], range_header: str | None,
                method: str, seed: str = "") -> _Reply:
        """A 200, 206 or 416 for `data` (or the CDN pattern of `size` bytes), honouring a single Range."""
        wanted = _parse_range(range_header, size) if method == "GET" else None
        if wanted == "unsatisfiable":
            return _Reply(416, [*headers, ("Content-Range", f"bytes */{size}")], b"")
        start, end = wanted if isinstance(wanted, tuple) else (0, size - 1)
        length = max(0, end - start + 1)
        if method == "HEAD":
            body = b""
        elif data is not None:
            body = data[start:end + 1]
        else:
            body = _cdn_bytes(seed, start, length)
        out = [*headers, ("Content-Length", str(length))]
        if isinstance(wanted, tuple):
            out.append(("Content-Range", f"bytes {start}-{end}/{size}"))
            return _Reply(206, out, body)
        return _Reply(200, out, body)
