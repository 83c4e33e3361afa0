"""The GitHub stage of a crawl: check the code repositories that candidate models' cards link.

When: inside `hubscan crawl`'s analysis (hubscan/pipeline.py), after a first extraction of the new
versions (so their licence and weights are known, and their evidence lists the repositories their
cards link as code), before labelling; the versions linking a repository whose state changed are
then re-extracted. Which: repositories linked (as training code, a bare code link, or inference code)
from the current version of a model whose weights are under an open licence, that were never
checked, failed last time, or were last answered more than `refresh_days` ago; each at most once per
run. Cost per repository: 1 request for its metadata and licence, 1 for its recursive tree, and at
most `documents.max_documents` for the README and data/training docs (policy/training_code.yaml);
a re-check sends the stored ETags, and unchanged answers (304) cost no quota.

Degrades: without a token the stage does not run (card-only evidence); when GitHub is unreachable or
the quota will not reset soon enough, it stops for this run, records a problem on the run, and the
repositories not reached keep their earlier state (or stay unchecked: `explain` says card-only).
"""

from __future__ import annotations

import logging
import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import quote

from sqlalchemy import Engine

import policy
from store import code_repo_rows as store
from store.crawl_writes import add_problem, bump

from .github import DEFAULT_API, GitHubClient, GitHubError, GitHubSettings, GitHubStats, GitHubUnreachable, RateLimitStop, decode_content

log = logging.getLogger("hubscan.github")

Progress = Callable[[str, int], None]


@dataclass
class CodeRepoRun:
    """What the GitHub stage did in one run."""

    status: str = "ok"  # ok | bounded (max_repos reached) | unreachable | rate-limited
    checked: int = 0
    changed: list[str] = field(default_factory=list)  # repositories whose stored state changed
    stats: GitHubStats = field(default_factory=GitHubStats)
    note: str | None = None

    def line(self) -> str:
        if self.status == "ok":
            how = ""
        elif self.status == "bounded":
            how = f" - {self.note}: the rest are due in the next run"
        else:
            how = f" - stopped: {self.note or self.status}, the rest keep card-only evidence"
        return (f"GitHub: {self.checked} linked repositories checked, {len(self.changed)} changed; "
                f"{self.stats.calls} API calls, {self.stats.not_modified} not modified (304, no quota){how}")


def check_code_repos(
    engine: Engine, settings: GitHubSettings, run_id: int, owns: Callable[[str], bool] | None = None,
    progress: Progress | None = None, client: GitHubClient | None = None,
) -> CodeRepoRun:
    progress = progress or (lambda _what, _n: None)
    result = CodeRepoRun()
    refresh_before = (datetime.now(timezone.utc) - timedelta(days=settings.refresh_days)).isoformat(timespec="seconds")
    own_client = client is None
    client = client or GitHubClient(settings, result.stats)
    result.stats = client.stats
    done: set[str] = set()
    after = ""
    try:
        while True:
            with engine.connect() as conn:
                due, last = store.repos_due(conn, run_id, refresh_before, after, owns=owns)
            if last is None:
                break
            for name in due:
                if name in done:
                    continue
                if settings.max_repos is not None and result.checked >= settings.max_repos:
                    result.status, result.note = "bounded", f"bound of {settings.max_repos} repositories per run reached"
                    return result
                done.add(name)
                before = (client.stats.calls, client.stats.not_modified)
                if not _check_one(engine, client, run_id, name, result):
                    return result
                with engine.begin() as conn:
                    bump(conn, run_id, github_calls=client.stats.calls - before[0], github_not_modified=client.stats.not_modified - before[1])
                progress("github repositories", 1)
            after = last
    finally:
        if own_client:
            client.close()
    return result


def _check_one(engine: Engine, client: GitHubClient, run_id: int, name: str, result: CodeRepoRun) -> bool:
    """Check one repository and store the answer; False when the stage must stop for this run."""
    with engine.connect() as conn:
        previous = store.last_check(conn, name)
    try:
        seen = fetch_repo(client, name, previous)
    except GitHubUnreachable as exc:
        _stop(engine, client, run_id, result, "unreachable", "github-unreachable", str(exc))
        return False
    except RateLimitStop as exc:
        with engine.begin() as conn:
            if store.record_failure(conn, run_id, name, "rate-limited", str(exc)):
                result.changed.append(name)
        _stop(engine, client, run_id, result, "rate-limited", "github-rate-limited", str(exc))
        return False
    except GitHubError as exc:
        with engine.begin() as conn:
            if store.record_failure(conn, run_id, name, "error", str(exc)):
                result.changed.append(name)
            add_problem(conn, run_id, "github", name, None, "github", "github-error", str(exc))
        result.checked += 1
        return True
    with engine.begin() as conn:
        if store.record_repo(conn, run_id, name, seen):
            result.changed.append(name)
    result.checked += 1
    return True


def _stop(engine: Engine, client: GitHubClient, run_id: int, result: CodeRepoRun, status: str, code: str, message: str) -> None:
    result.status, result.note = status, message
    log.warning("GitHub stage stopped: %s", message)
    with engine.begin() as conn:
        add_problem(conn, run_id, "github", client.settings.api if client.settings.api != DEFAULT_API else "api.github.com",
                    None, "github", code, message)


# --- one repository -----------------------------------------------------------------------------


def fetch_repo(client: GitHubClient, name: str, previous: store.LastCheck | None) -> store.RepoSeen:
    """Metadata, recursive tree and a few documents of one repository, conditionally on stored ETags."""
    old = previous.seen if previous is not None and previous.status in ("ok", "renamed") else None
    etags = dict(old.etags) if old else {}
    # after a rename, ask for the name GitHub now reports (saves the 301 hop)
    asked = (previous.full_name if previous is not None and previous.full_name else name)
    answer = client.get(f"/repos/{_quoted(asked)}", etag=etags.get("repo"))
    if answer.not_modified and old is not None:
        meta = _meta_of(old)
    elif answer.status == 200 and isinstance(answer.data, dict):
        meta = _parse_meta(answer.data)
        etags = {"repo": answer.etag} if answer.etag else {}
        if old is not None and old.default_branch == meta["default_branch"]:
            etags.update({k: v for k, v in old.etags.items() if k != "repo"})  # the tree/doc ETags still apply
    elif answer.status == 404:
        return store.RepoSeen(status="missing")
    elif answer.status == 451:
        return store.RepoSeen(status="blocked")
    elif answer.status == 304:
        raise GitHubError(f"GitHub answered 304 for {name} without a stored answer")
    else:
        raise GitHubError(f"GitHub API answered HTTP {answer.status} for repository {name}")
    status = "renamed" if (meta["full_name"] or name).lower() != name.lower() else "ok"
    seen = store.RepoSeen(status=status, etags={k: v for k, v in etags.items() if v}, **meta)
    _fetch_tree(client, seen, old)
    _fetch_docs(client, seen, old)
    return seen


def _parse_meta(data: dict[str, Any]) -> dict[str, Any]:
    licence = data.get("license") if isinstance(data.get("license"), dict) else None
    return {
        "full_name": str(data.get("full_name") or "")[:256] or None,
        "github_id": data.get("id") if isinstance(data.get("id"), int) else None,
        "archived": bool(data.get("archived")),
        "fork": bool(data.get("fork")),
        "default_branch": str(data.get("default_branch") or "main")[:256],
        "licence_spdx": (licence or {}).get("spdx_id"),
        "licence_key": (licence or {}).get("key"),
        "licence_name": (licence or {}).get("name"),
        "description": str(data.get("description") or "")[:500] or None,
    }


def _meta_of(old: store.RepoSeen) -> dict[str, Any]:
    return {k: getattr(old, k) for k in ("full_name", "github_id", "archived", "fork", "default_branch", "licence_spdx",
                                         "licence_key", "licence_name", "description")}


def _fetch_tree(client: GitHubClient, seen: store.RepoSeen, old: store.RepoSeen | None) -> None:
    key = f"tree:{seen.default_branch}"
    path = f"/repos/{_quoted(seen.full_name or '')}/git/trees/{quote(seen.default_branch or 'HEAD', safe='/')}"
    answer = client.get(path, params={"recursive": "1"}, etag=seen.etags.get(key))
    if answer.not_modified and old is not None:
        seen.tree, seen.tree_entries, seen.truncated = list(old.tree), old.tree_entries, old.truncated
        return
    if answer.status in (404, 409):  # an empty repository has no tree
        seen.tree, seen.tree_entries, seen.truncated = [], 0, False
        seen.etags.pop(key, None)
        return
    if answer.status != 200 or not isinstance(answer.data, dict) or not isinstance(answer.data.get("tree"), list):
        raise GitHubError(f"GitHub API answered HTTP {answer.status} for the tree of {seen.full_name}")
    blobs = [(e["path"][:1000], e["size"] if isinstance(e.get("size"), int) else 0) for e in answer.data["tree"]
             if isinstance(e, dict) and e.get("type") == "blob" and isinstance(e.get("path"), str)]
    seen.tree = blobs[: store.MAX_TREE_ENTRIES]
    seen.tree_entries = len(blobs)
    seen.truncated = bool(answer.data.get("truncated")) or len(blobs) > store.MAX_TREE_ENTRIES
    if answer.etag:
        seen.etags[key] = answer.etag


def documents_to_fetch(tree: list[tuple[str, int]]) -> list[str]:
    """The README and up to a few data/training documents, small enough to fetch (policy/training_code.yaml)."""
    docs = policy.load("training_code")["documents"]
    readme = re.compile(docs["readme"], re.I)
    about = re.compile(docs["data_or_training"], re.I)
    excluded = re.compile(policy.load("training_code")["excluded_paths"], re.I)
    small = [(p, n) for p, n in tree if 0 < n <= docs["max_bytes"]]
    chosen = [p for p, _ in small if "/" not in p and readme.match(p)][:1]
    for path, _ in sorted(small, key=lambda item: (item[0].count("/"), item[0])):
        if len(chosen) >= docs["max_documents"]:
            break
        if path not in chosen and about.search(path) and not excluded.search(path) and not readme.match(posixpath.basename(path)):
            chosen.append(path)
    return chosen


def _fetch_docs(client: GitHubClient, seen: store.RepoSeen, old: store.RepoSeen | None) -> None:
    limit = policy.load("training_code")["documents"]["max_bytes"]
    for path in documents_to_fetch(seen.tree):
        key = f"contents:{path}"
        answer = client.get(f"/repos/{_quoted(seen.full_name or '')}/contents/{quote(path, safe='/')}", etag=seen.etags.get(key))
        if answer.not_modified and old is not None and path in old.docs:
            seen.docs[path] = old.docs[path]
            continue
        if answer.status == 200 and isinstance(answer.data, dict):
            data = decode_content(answer.data, limit)
            if data is not None:
                seen.docs[path] = data.decode("utf-8", "replace")
                if answer.etag:
                    seen.etags[key] = answer.etag
        # anything else (404, a folder, no content): the document is simply not read


def _quoted(full_name: str) -> str:
    owner, _, repo = full_name.partition("/")
    return f"{quote(owner, safe='')}/{quote(repo, safe='')}"
