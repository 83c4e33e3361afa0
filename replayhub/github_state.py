"""What the loopback GitHub serves: code repositories from a `github.json` fixture, and their mutators.

Fixture format (benchmarks/judged/README.md, github.json):

    {"repos": [{"full_name": "allenai/OLMo", "id": 123456, "default_branch": "main", "archived": false,
                "fork": false, "description": "...", "license": {"key": "apache-2.0", "name": "...",
                "spdx_id": "Apache-2.0"} | null, "former_names": ["old/name"],
                "tree": {"path": size, ...}, "truncated": false, "files": {"README.md": "text"}}]}

`tree` lists blobs only (folders are implied); `files` holds the text of the few files the contents
route can serve. `blocked: true` (replayhub-only) makes a repository answer 451. Keys starting with
`_` (such as `_provenance`) are notes and are never served. Owner and repository names are matched
case-insensitively, as on GitHub.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Repository fields the fixture may set; anything else (notes, provenance) is ignored.
REPO_FIELDS = frozenset({
    "full_name", "id", "default_branch", "archived", "fork", "description", "license", "former_names",
    "tree", "truncated", "files", "blocked", "pushed_at",
})


@dataclass(frozen=True)
class GitHubRepo:
    """One repository as the loopback serves it (read-only; mutators replace it)."""

    id: int
    full_name: str
    default_branch: str = "main"
    archived: bool = False
    fork: bool = False
    description: str | None = None
    license: Mapping[str, Any] | None = None
    former_names: tuple[str, ...] = ()
    tree: Mapping[str, int] = field(default_factory=dict)
    truncated: bool = False
    files: Mapping[str, str] = field(default_factory=dict)
    blocked: bool = False
    pushed_at: str = "2024-01-01T00:00:00Z"

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]

    def tree_sha(self) -> str:
        """A stand-in commit tree sha: changes whenever a path or size changes."""
        return hashlib.sha1(json.dumps(sorted(self.tree.items())).encode()).hexdigest()


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _repo_from(data: Mapping[str, Any], fallback_id: int) -> GitHubRepo:
    full_name = data.get("full_name")
    if not isinstance(full_name, str) or full_name.count("/") != 1 or not all(full_name.split("/")):
        raise ValueError(f"github.json: full_name must be 'owner/repo', got {full_name!r}")
    tree = data.get("tree") or {}
    if not isinstance(tree, Mapping) or not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in tree.items()):
        raise ValueError(f"github.json: {full_name}: tree must map paths to sizes")
    files = data.get("files") or {}
    if not isinstance(files, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise ValueError(f"github.json: {full_name}: files must map paths to text")
    licence = data.get("license")
    if licence is not None and not isinstance(licence, Mapping):
        raise ValueError(f"github.json: {full_name}: license must be an object or null")
    tree = dict(tree)
    for path, text in files.items():  # a file with text is in the tree, with its true size
        tree[path] = len(text.encode("utf-8"))
    return GitHubRepo(
        id=int(data.get("id") or fallback_id),
        full_name=full_name,
        default_branch=str(data.get("default_branch") or "main"),
        archived=bool(data.get("archived")),
        fork=bool(data.get("fork")),
        description=data.get("description") if isinstance(data.get("description"), str) else None,
        license=dict(licence) if licence is not None else None,
        former_names=tuple(str(n) for n in data.get("former_names") or ()),
        tree=tree,
        truncated=bool(data.get("truncated")),
        files=dict(files),
        blocked=bool(data.get("blocked")),
        pushed_at=str(data.get("pushed_at") or "2024-01-01T00:00:00Z"),
    )


class GitHubState:
    """Repositories by id, with case-insensitive indexes of current and former names. Thread-safe."""

    def __init__(self) -> None:
        self._repos: dict[int, GitHubRepo] = {}
        self._names: dict[str, int] = {}
        self._former: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_fixture(cls, source: "GitHubState | Mapping[str, Any] | str | Path") -> "GitHubState":
        if isinstance(source, GitHubState):
            return source
        data = source if isinstance(source, Mapping) else json.loads(Path(source).read_text(encoding="utf-8"))
        repos = data.get("repos") if isinstance(data, Mapping) else None
        if not isinstance(repos, list):
            raise ValueError("github.json: expected {\"repos\": [...]}")
        state = cls()
        for repo in repos:
            state.add_repo(repo)
        return state

    # lookups ------------------------------------------------------------------------------

    def get(self, full_name: str) -> GitHubRepo | None:
        with self._lock:
            repo_id = self._names.get(full_name.lower())
            return self._repos.get(repo_id) if repo_id is not None else None

    def moved(self, old_name: str) -> GitHubRepo | None:
        """The repository a former name now points to (renamed or transferred)."""
        with self._lock:
            repo_id = self._former.get(old_name.lower())
            return self._repos.get(repo_id) if repo_id is not None else None

    def by_id(self, repo_id: int) -> GitHubRepo | None:
        with self._lock:
            return self._repos.get(repo_id)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(r.full_name for r in self._repos.values())

    # mutators (tests change a repository between two crawls) -----------------------------

    def add_repo(self, data: Mapping[str, Any]) -> GitHubRepo:
        unknown = {k for k in data if k not in REPO_FIELDS and not str(k).startswith("_")}
        if unknown:
            raise ValueError(f"github.json: unknown repository field(s) {sorted(unknown)}")
        with self._lock:
            repo = _repo_from(data, fallback_id=100_000 + len(self._repos))
            if repo.id in self._repos or repo.full_name.lower() in self._names:
                raise ValueError(f"github.json: duplicate repository {repo.full_name} (id {repo.id})")
            self._store(repo)
            return repo

    def update(self, full_name: str, **fields: Any) -> GitHubRepo:
        """Replace fields of a repository (license=..., archived=..., tree=..., files=...)."""
        with self._lock:
            current = self._require(full_name)
            data = {k: copy.deepcopy(getattr(current, k)) for k in REPO_FIELDS if hasattr(current, k)}
            data.update(fields)
            data["id"] = current.id
            repo = _repo_from(data, current.id)
            self._drop(current)
            self._store(repo)
            return repo

    def rename(self, full_name: str, new_name: str) -> GitHubRepo:
        """Rename or transfer: the old name answers 301 from now on."""
        with self._lock:
            current = self._require(full_name)
        return self.update(full_name, full_name=new_name, former_names=[*current.former_names, current.full_name])

    def set_file(self, full_name: str, path: str, text: str) -> GitHubRepo:
        current = self._require_locked(full_name)
        return self.update(full_name, files={**current.files, path: text})

    def remove(self, full_name: str) -> None:
        with self._lock:
            self._drop(self._require(full_name))

    # internals ----------------------------------------------------------------------------

    def _require_locked(self, full_name: str) -> GitHubRepo:
        with self._lock:
            return self._require(full_name)

    def _require(self, full_name: str) -> GitHubRepo:
        repo_id = self._names.get(full_name.lower())
        if repo_id is None:
            raise KeyError(f"no repository {full_name}")
        return self._repos[repo_id]

    def _store(self, repo: GitHubRepo) -> None:
        self._repos[repo.id] = repo
        self._names[repo.full_name.lower()] = repo.id
        for old in repo.former_names:
            if old.lower() != repo.full_name.lower():
                self._former[old.lower()] = repo.id

    def _drop(self, repo: GitHubRepo) -> None:
        self._repos.pop(repo.id, None)
        self._names.pop(repo.full_name.lower(), None)
        for old in repo.former_names:
            if self._former.get(old.lower()) == repo.id:
                del self._former[old.lower()]
