"""Fetch a version's README and small licence files: one plain GET each on `/resolve/{sha}/`.

What is fetched depends only on what the Hub lists, never on today's policy: every top-level
licence, notice and use-policy file (at most MAX_LICENCE_FILES, each up to FILE_MAX_BYTES) and the
adapter/merge configurations that name a base. A later rule, or a conflict between a declared
licence and its file, can then be read from the database without another crawl.

A plain GET pinned to the listed sha costs one resolver call, half of `hf_hub_download` (HEAD+GET),
and can never mix two versions. Bodies are read up to a bound; every failure becomes an outcome
with a status and a problem code, never an exception that stops the crawl.
"""

from __future__ import annotations

import re
from typing import Iterable

import httpx2
from huggingface_hub import hf_hub_url
from huggingface_hub.errors import (
    DisabledRepoError,
    GatedRepoError,
    HFValidationError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

import policy
from store.records import FileOutcome, PendingFetch, VersionDownload
from store.redact import redact

from .http import HubHttp

README = "README.md"
README_MAX_BYTES = 1_000_000
FILE_MAX_BYTES = 256_000
MAX_LICENCE_FILES = 6
_COMMIT = re.compile(r"^[0-9a-f]{40,64}$")

# Top-level licence, notice and acceptable-use files (LICENSE, LICENCE.md, NOTICE, USE_POLICY.md, ...).
_LICENCE_FILE = re.compile(r"^(licen[cs]e|notice|use[_-]?policy|copying)([._ -][^/]{0,64})?$", re.IGNORECASE)


def licence_files(siblings: Iterable[str]) -> list[str]:
    found = [path for path in siblings if _LICENCE_FILE.match(path)]
    return sorted(found)[:MAX_LICENCE_FILES]


def lineage_files(siblings: Iterable[str]) -> list[str]:
    """Top-level files that name the base of an adapter or a merge (small; only those repos have them)."""
    names = policy.load("lineage")["files"]
    wanted = set(names["adapter_config"]) | set(names["merge_config"])
    return sorted(path for path in siblings if path in wanted)


def fetch_file(http: HubHttp, endpoint: str, repo_id: str, sha: str, path: str, max_bytes: int, repo_type: str = "model") -> FileOutcome:
    # A version keyed by content (the listing gave no usable sha) is fetched at the head of main.
    revision = sha if _COMMIT.match(sha) else "main"
    try:
        url = hf_hub_url(repo_id, path, revision=revision, endpoint=endpoint, repo_type=None if repo_type == "model" else repo_type)
    except HFValidationError as exc:
        # The client refuses the id itself: no request can be made for it, now or on a later night
        # (the listing check recorded why).
        return FileOutcome(path, "unavailable", error=_message(exc))
    try:
        fetched = http.get(url, bucket="resolvers", max_bytes=max_bytes)
    except GatedRepoError:
        return FileOutcome(path, "gated")
    except (RepositoryNotFoundError, DisabledRepoError) as exc:
        return FileOutcome(path, "unavailable", code="repo-unavailable", error=_message(exc))
    except RemoteEntryNotFoundError as exc:
        return FileOutcome(path, "missing", code="http-404", error=_message(exc))
    except RevisionNotFoundError as exc:
        return FileOutcome(path, "error", code="revision-not-found", error=_message(exc))
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "error"
        return FileOutcome(path, "error", code=f"http-{status}", error=_message(exc))
    except httpx2.HTTPError as exc:
        return FileOutcome(path, "error", code="network", error=redact(f"{type(exc).__name__}: {exc}"[:500]))
    if fetched.truncated:
        return FileOutcome(path, "oversize", fetched.body, code="oversize", error=f"larger than {max_bytes} bytes; kept the first {max_bytes}")
    return FileOutcome(path, "ok", fetched.body)


def fetch_version(http: HubHttp, endpoint: str, pending: PendingFetch) -> VersionDownload:
    """The version's README and licence files; never raises (a failure is that version's outcome)."""
    try:
        return _fetch_version(http, endpoint, pending)
    except Exception as exc:  # noqa: BLE001 - one version's surprise must not stop the other downloads
        error = FileOutcome(README, "error", code="crawler-error", error=redact(f"{type(exc).__name__}: {exc}"[:500]))
        return VersionDownload(pending.version_id, pending.repo_id, pending.sha, error, ())


def _fetch_version(http: HubHttp, endpoint: str, pending: PendingFetch) -> VersionDownload:
    siblings = pending.siblings
    if siblings is not None and README not in siblings:
        readme = FileOutcome(README, "absent")
    else:
        readme = fetch_file(http, endpoint, pending.repo_id, pending.sha, README, README_MAX_BYTES)
    files: list[FileOutcome] = []
    for path in [*licence_files(pending.siblings or ()), *lineage_files(pending.siblings or ())]:
        if readme.status in ("gated", "unavailable"):
            # The same answer for every file of the repo: don't spend quota to hear it again.
            files.append(FileOutcome(path, readme.status))
            continue
        files.append(fetch_file(http, endpoint, pending.repo_id, pending.sha, path, FILE_MAX_BYTES))
    return VersionDownload(pending.version_id, pending.repo_id, pending.sha, readme, tuple(files))


def _message(exc: Exception) -> str:
    # The first line of the library's message: status and server's reason, never headers/tokens.
    return redact(str(exc).splitlines()[0][:500]) if str(exc) else type(exc).__name__
