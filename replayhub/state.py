"""What replayhub serves: repositories, their files and revisions, and the mutators tests use.

A repository is an immutable `RepoSnapshot`; every mutation replaces it with a new one and keeps
the old one in a per-repo history, so an older commit sha still resolves after a change.

Input format (the dev_hub.json format): each repo is a dict of Hub API fields plus `files`
(path -> text for small files, or an int size for large binaries, which are served as LFS
files). The keys `expected`, `washing` and `note` are test annotations and are never served;
`aliases` (old ids that redirect to this repo) is replayhub-only and not served either.
"""

from __future__ import annotations

import bisect
import copy
import datetime as _dt
import functools
import hashlib
import json
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

REPO_TYPES = ("model", "dataset")

#: Keys of an input repo dict that are never served as API fields.
ANNOTATION_KEYS = frozenset({"expected", "washing", "note", "_provenance"})
_INPUT_ONLY_KEYS = ANNOTATION_KEYS | {"files", "aliases"}
#: Fields always computed from the snapshot itself, whatever the input says.
_DERIVED_KEYS = frozenset({"_id", "id", "modelId", "siblings", "usedStorage", "sha"})
#: Popularity counters and dates: they change without a commit, so they stay out of the sha.
_VOLATILE_KEYS = frozenset(
    {"downloads", "downloadsAllTime", "likes", "likes30d", "trendingScore", "lastModified", "createdAt"}
)

#: What the Hub shows for repos created before it stored creation dates.
LEGACY_CREATED_AT = "2022-03-02T23:29:04.000Z"

_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_OBJECT_ID_PREFIX = {"model": "6500a0de", "dataset": "6500da7a"}
_LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
_YAML_BLOCK = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)

FileContent = str | bytes | int


# --- time --------------------------------------------------------------------------------------


def parse_iso_ms(value: str | None) -> int:
    """Epoch milliseconds of a Hub timestamp (`2024-07-20T00:00:00.000Z`); 0 when absent or malformed."""
    if not value:
        return 0
    try:
        parsed = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return 0
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return int(parsed.timestamp() * 1000)


def format_iso_ms(epoch_ms: int) -> str:
    """Hub timestamp format: ISO-8601 UTC with milliseconds and `Z`."""
    moment = _dt.datetime.fromtimestamp(epoch_ms / 1000, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def _now_ms() -> int:
    return int(_dt.datetime.now(tz=_dt.timezone.utc).timestamp() * 1000)


# --- blobs -------------------------------------------------------------------------------------


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob: what the Hub sends as `ETag` for files stored in git."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass(frozen=True)
class Blob:
    """One file of a snapshot, as /resolve/ and /tree serve it.

    `data` is the exact bytes for files stored in git; it is None for LFS files (declared by an int
    size), whose content replayhub never materialises beyond what its CDN route agrees to serve.
    """

    path: str
    size: int
    oid: str  # git blob sha1 (of the LFS pointer file for LFS files)
    data: bytes | None = None
    lfs_sha256: str | None = None
    pointer_size: int | None = None

    @property
    def is_lfs(self) -> bool:
        return self.data is None

    @property
    def etag(self) -> str:
        """Unquoted ETag the Hub sends: the sha256 for LFS files, the git blob sha1 otherwise."""
        return self.lfs_sha256 if self.lfs_sha256 else self.oid


def check_content(path: str, content: object) -> None:
    """Refuse file contents replayhub cannot serve (bool is an int subclass, so it is refused explicitly)."""
    if isinstance(content, bool) or not isinstance(content, (str, bytes, bytearray, int)):
        raise TypeError(f"file {path!r}: content must be str, bytes or an int size, not {type(content).__name__}")
    if isinstance(content, int) and content < 0:
        raise ValueError(f"file {path!r}: negative size")
    if not path.strip("/"):
        raise ValueError("empty file path")


def make_blob(repo_type: str, repo_id: str, path: str, content: FileContent) -> Blob:
    check_content(path, content)
    if isinstance(content, int):
        # A stand-in sha256: deterministic per (repo, path, size), so a changed size changes the ETag.
        sha256 = hashlib.sha256(f"replayhub-lfs\0{repo_type}/{repo_id}\0{path}\0{content}".encode()).hexdigest()
        pointer = _LFS_POINTER.format(sha256=sha256, size=content).encode()
        return Blob(path, content, git_blob_sha1(pointer), None, sha256, len(pointer))
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    return Blob(path, len(data), git_blob_sha1(data), data)


@dataclass(frozen=True)
class TreeEntry:
    type: str  # "file" | "directory"
    path: str
    oid: str
    size: int
    blob: Blob | None = None


# --- snapshots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepoSnapshot:
    """One repository at one commit. Treat `fields` and `files` as read-only."""

    repo_type: str
    repo_id: str
    index: int  # creation order within its repo type
    object_id: str  # the Hub's `_id`
    sha: str
    fields: Mapping[str, Any]  # served API fields, without derived ones (_id, id, sha, siblings, ...)
    files: Mapping[str, FileContent] = field(default_factory=dict)

    @property
    def namespace(self) -> str | None:
        return self.repo_id.split("/", 1)[0] if "/" in self.repo_id else None

    @property
    def name(self) -> str:
        return self.repo_id.rsplit("/", 1)[-1]

    @property
    def private(self) -> bool:
        return bool(self.fields.get("private"))

    @property
    def gated(self) -> str | bool:
        return self.fields.get("gated") or False

    @property
    def disabled(self) -> bool:
        return bool(self.fields.get("disabled"))

    @property
    def tags(self) -> tuple[str, ...]:
        tags = self.fields.get("tags") or ()
        return tuple(str(t) for t in tags) if isinstance(tags, (list, tuple)) else ()

    @functools.cached_property
    def blobs(self) -> dict[str, Blob]:
        return {p: make_blob(self.repo_type, self.repo_id, p, c) for p, c in sorted(self.files.items())}

    def blob(self, path: str) -> Blob | None:
        if path not in self.files:
            return None
        return self.blobs[path]

    @property
    def used_storage(self) -> int:
        return sum(b.size for b in self.blobs.values())

    def siblings(self, with_blobs: bool = False) -> list[dict[str, Any]]:
        if not with_blobs:
            return [{"rfilename": p} for p in sorted(self.files)]
        out = []
        for blob in self.blobs.values():
            entry: dict[str, Any] = {"rfilename": blob.path, "blobId": blob.oid, "size": blob.size}
            if blob.is_lfs:
                entry["lfs"] = {"sha256": blob.lfs_sha256, "size": blob.size, "pointerSize": blob.pointer_size}
            out.append(entry)
        return out

    @functools.cached_property
    def _directories(self) -> dict[str, list[str]]:
        """Directory path ("" = root) -> sorted immediate child paths (files and directories)."""
        children: dict[str, set[str]] = {"": set()}
        for path in self.files:
            parts = path.split("/")
            for depth in range(1, len(parts)):
                parent, child = "/".join(parts[: depth - 1]), "/".join(parts[:depth])
                children.setdefault(parent, set()).add(child)
                children.setdefault(child, set())
            children.setdefault("/".join(parts[:-1]), set()).add(path)
        return {d: sorted(c) for d, c in children.items()}

    @functools.cached_property
    def _tree_oids(self) -> dict[str, str]:
        """Directory path -> a stable oid derived from its children (a stand-in for the git tree id)."""
        oids: dict[str, str] = {}
        for directory in sorted(self._directories, key=lambda d: d.count("/") + (d != ""), reverse=True):
            h = hashlib.sha1(b"tree\0")
            for child in self._directories[directory]:
                child_oid = oids[child] if child in self._directories else self.blobs[child].oid
                h.update(f"{child}\0{child_oid}\n".encode())
            oids[directory] = h.hexdigest()
        return oids

    def tree(self, path: str = "", recursive: bool = False) -> list[TreeEntry] | None:
        """Entries under a folder (directories first, then files, each sorted); None if no such folder."""
        folder = path.strip("/")
        if folder not in self._directories:
            return None
        if recursive:
            paths = [p for p in self._all_paths() if folder == "" or p.startswith(folder + "/")]
            return [self._entry(p) for p in paths]
        children = self._directories[folder]
        dirs = [c for c in children if c in self._directories]
        files = [c for c in children if c not in self._directories]
        return [self._entry(p) for p in dirs + files]

    def _all_paths(self) -> list[str]:
        return sorted([d for d in self._directories if d] + list(self.files))

    def _entry(self, path: str) -> TreeEntry:
        if path in self._directories:
            return TreeEntry("directory", path, self._tree_oids[path], 0)
        blob = self.blobs[path]
        return TreeEntry("file", path, blob.oid, blob.size, blob)

    def content_digest(self) -> str:
        """sha1 over what a commit would change: non-volatile fields and file contents."""
        served = {k: v for k, v in self.fields.items() if k not in _VOLATILE_KEYS}
        files = {p: (["lfs", c] if isinstance(c, int) else ["git", make_blob("", "", p, c).oid])
                 for p, c in self.files.items()}
        payload = json.dumps([self.repo_type, self.repo_id, served, files], sort_keys=True, default=str)
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def card_data_from_readme(text: str) -> dict[str, Any] | None:
    """The README's YAML front matter as the Hub would expose it in `cardData` (None if absent or not a mapping)."""
    match = _YAML_BLOCK.match(text[:200_000])
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    return json.loads(json.dumps(data, default=str))  # dates and other YAML scalars -> JSON


def tags_from_card(card: Mapping[str, Any], fields: Mapping[str, Any]) -> list[str]:
    """A plausible Hub tag list for a repo added without `tags` (the Hub computes tags from the card)."""
    tags: list[str] = []

    def as_list(value: Any) -> list[str]:
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]

    for key in ("library_name", "pipeline_tag"):
        tags += as_list(card.get(key) or fields.get(key))
    tags += as_list(card.get("tags"))
    tags += as_list(card.get("language"))
    tags += [f"dataset:{d}" for d in as_list(card.get("datasets"))]
    tags += [f"base_model:{b}" for b in as_list(card.get("base_model"))]
    tags += [f"license:{lic}" for lic in as_list(card.get("license"))]
    tags.append("region:us")
    return list(dict.fromkeys(tags))


# --- sorting -----------------------------------------------------------------------------------

#: `sort` values /api/models and /api/datasets accept -> (field, descending?).
SORTS: dict[str, tuple[str, bool]] = {
    "createdAt": ("createdAt", True),
    "lastModified": ("lastModified", True),
    "downloads": ("downloads", True),
    "downloadsAllTime": ("downloadsAllTime", True),
    "likes": ("likes", True),
    "likes30d": ("likes", True),
    "trendingScore": ("trendingScore", True),
    "id": ("id", False),
}


def sort_key(snapshot: RepoSnapshot, sort: str | None) -> tuple:
    """Keyset position of a repo in a listing: ascending tuples, ties broken by creation order."""
    if not sort:
        return (snapshot.index,)
    name, _desc = SORTS[sort]
    if name == "id":
        return (snapshot.repo_id.lower(), snapshot.index)
    if name in ("createdAt", "lastModified"):
        return (-parse_iso_ms(snapshot.fields.get(name)), snapshot.index)
    value = snapshot.fields.get(name) or 0
    return (-(value if isinstance(value, (int, float)) else 0), snapshot.index)


# --- the state ---------------------------------------------------------------------------------


class HubState:
    """Thread-safe store of model and dataset repos, with history and test mutators."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._version = 0
        self._stored: dict[str, dict[int, RepoSnapshot | None]] = {t: {} for t in REPO_TYPES}
        self._ids: dict[str, dict[str, int]] = {t: {} for t in REPO_TYPES}
        self._next_index: dict[str, int] = {t: 0 for t in REPO_TYPES}
        self._history: dict[tuple[str, str], dict[str, RepoSnapshot]] = {}
        self._refs: dict[tuple[str, str], dict[str, str]] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self._names: dict[str, dict[str, set[str]]] = {t: {} for t in REPO_TYPES}
        self._lower_ids: dict[str, dict[str, str]] = {t: {} for t in REPO_TYPES}
        self._sorted_cache: dict[tuple[str, str], tuple[int, list[int], Callable[[int], tuple]]] = {}

    # construction -------------------------------------------------------------------------

    @classmethod
    def from_fixture(cls, source: str | Path | Mapping[str, Any]) -> "HubState":
        """Load `{"models": [...], "datasets": [...]}` from a dict or a JSON file (the dict is not modified)."""
        if isinstance(source, (str, Path)):
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        else:
            data = source
        state = cls()
        for key, repo_type in (("models", "model"), ("datasets", "dataset")):
            for repo in data.get(key, ()):
                state._add(repo, repo_type, default_created=LEGACY_CREATED_AT)
        return state

    # reads ----------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Increases on every mutation."""
        return self._version

    def get(self, repo_id: str, repo_type: str = "model") -> RepoSnapshot | None:
        """The current snapshot of a repo (private ones included), or None."""
        _check_type(repo_type)
        with self._lock:
            index = self._index_of(repo_type, repo_id)
            snap = self._snapshot_at(repo_type, index) if index is not None else None
        return snap if snap is not None and snap.repo_id == repo_id else None

    def canonical_id(self, repo_id: str, repo_type: str = "model") -> str | None:
        """Where an unknown id redirects: an alias (renamed repo) or a legacy id without namespace."""
        with self._lock:
            target = self._aliases.get((repo_type, repo_id))
            if target is not None:
                return target
            if "/" not in repo_id:
                owners = self._names[repo_type].get(repo_id.lower(), set())
                if len(owners) == 1:
                    return next(iter(owners))
            # the Hub finds a repo whatever the case of its id ("Org/Name" -> "org/name")
            target = self._lower_ids[repo_type].get(repo_id.lower())
            if target is not None and target != repo_id:
                return target
        return None

    def at_revision(self, repo_id: str, revision: str, repo_type: str = "model") -> RepoSnapshot | None:
        """The snapshot a revision names: `main`, a ref added with `add_ref`, or a known 40-hex commit sha."""
        current = self.get(repo_id, repo_type)
        if current is None:
            return None
        if revision in ("main", "refs/heads/main", current.sha):
            return current
        with self._lock:
            sha = self._refs.get((repo_type, repo_id), {}).get(revision)
            if sha is None and _HEX40.match(revision):
                sha = revision
            if sha is None:
                return None
            if sha == current.sha:
                return current
            return self._history.get((repo_type, repo_id), {}).get(sha)

    def repo_ids(self, repo_type: str = "model") -> Iterator[str]:
        """Ids of live repos in creation order (lazily, for large synthetic states)."""
        for _key, snap in self.scan(repo_type):
            yield snap.repo_id

    def scan(self, repo_type: str, sort: str | None = None, after: tuple | None = None
             ) -> Iterator[tuple[tuple, RepoSnapshot]]:
        """Live repos as (keyset key, snapshot) in listing order, strictly after `after`.

        Without `sort` this walks creation order lazily; with one it uses a sorted index that is
        rebuilt after each mutation. A walk stays valid while repos change (keyset, not offset).
        """
        _check_type(repo_type)
        if sort and sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        if not sort:
            index = after[0] + 1 if after else 0
            while True:
                with self._lock:
                    if index >= self._total(repo_type):
                        return
                    snap = self._snapshot_at(repo_type, index)
                if snap is not None:
                    yield (index,), snap
                index += 1
        order, key_of = self._sorted_order(repo_type, sort)
        start = bisect.bisect_right(order, tuple(after), key=key_of) if after else 0
        for pos in range(start, len(order)):
            with self._lock:
                snap = self._snapshot_at(repo_type, order[pos])
            if snap is not None:
                yield key_of(order[pos]), snap

    # mutators -------------------------------------------------------------------------------

    def add_repo(self, data: Mapping[str, Any], repo_type: str = "model") -> RepoSnapshot:
        """Create a repo from a dev_hub.json-style dict; its `createdAt` defaults to now."""
        return self._add(data, repo_type, default_created=None)

    def delete_repo(self, repo_id: str, repo_type: str = "model") -> None:
        with self._lock:
            snap = self._require(repo_id, repo_type)
            self._stored[repo_type][snap.index] = None
            self._ids[repo_type].pop(repo_id, None)
            self._names[repo_type].get(snap.name.lower(), set()).discard(repo_id)
            self._lower_ids[repo_type].pop(repo_id.lower(), None)
            self._version += 1

    def set_file(self, repo_id: str, path: str, content: FileContent, repo_type: str = "model") -> RepoSnapshot:
        """Add or replace a file (text, bytes, or an int size for an LFS binary). cardData is left as is."""
        check_content(path, content)
        return self._change(repo_id, repo_type, lambda fields, files: files.__setitem__(path.strip("/"), content))

    def remove_file(self, repo_id: str, path: str, repo_type: str = "model") -> RepoSnapshot:
        def drop(fields: dict, files: dict) -> None:
            if path not in files:
                raise KeyError(f"{repo_type} {repo_id} has no file {path!r}")
            del files[path]
        return self._change(repo_id, repo_type, drop)

    def update(self, repo_id: str, repo_type: str = "model", **fields: Any) -> RepoSnapshot:
        """Set API fields (cardData, gated, private, tags, downloads, ...); a value of None removes the field.

        Changing popularity counters (downloads, likes, ...) does not make a new commit.
        """
        forbidden = set(fields) & (_DERIVED_KEYS - {"sha"} | {"files"})
        if forbidden:
            raise ValueError(f"cannot update derived field(s) {sorted(forbidden)}; use set_file/remove_file")

        def apply(current: dict, files: dict) -> None:
            for key, value in fields.items():
                if value is None:
                    current.pop(key, None)
                else:
                    current[key] = copy.deepcopy(value)
        return self._change(repo_id, repo_type, apply)

    def add_alias(self, old_id: str, new_id: str, repo_type: str = "model") -> None:
        """Make `old_id` redirect to `new_id` (a renamed repo)."""
        with self._lock:
            self._aliases[(repo_type, old_id)] = new_id
            self._version += 1

    def add_ref(self, repo_id: str, ref: str, repo_type: str = "model", sha: str | None = None) -> str:
        """Name a commit (default: the current one), e.g. `refs/pr/1` or a tag; returns its sha."""
        with self._lock:
            snap = self._require(repo_id, repo_type)
            target = sha or snap.sha
            self._history.setdefault((repo_type, repo_id), {})[snap.sha] = snap
            self._refs.setdefault((repo_type, repo_id), {})[ref] = target
            self._version += 1
            return target

    # storage hooks (SyntheticState overrides the first three) --------------------------------

    def _total(self, repo_type: str) -> int:
        return self._next_index[repo_type]

    def _snapshot_at(self, repo_type: str, index: int) -> RepoSnapshot | None:
        return self._stored[repo_type].get(index)

    def _index_of(self, repo_type: str, repo_id: str) -> int | None:
        return self._ids[repo_type].get(repo_id)

    def _sort_key_at(self, repo_type: str, index: int, sort: str) -> tuple | None:
        snap = self._snapshot_at(repo_type, index)
        return sort_key(snap, sort) if snap is not None else None

    def _store(self, snap: RepoSnapshot) -> None:
        self._stored[snap.repo_type][snap.index] = snap
        self._ids[snap.repo_type][snap.repo_id] = snap.index
        self._names[snap.repo_type].setdefault(snap.name.lower(), set()).add(snap.repo_id)
        self._lower_ids[snap.repo_type][snap.repo_id.lower()] = snap.repo_id
        self._next_index[snap.repo_type] = max(self._next_index[snap.repo_type], snap.index + 1)
        self._version += 1

    # internals ------------------------------------------------------------------------------

    def _require(self, repo_id: str, repo_type: str) -> RepoSnapshot:
        _check_type(repo_type)
        snap = self.get(repo_id, repo_type)
        if snap is None:
            raise KeyError(f"no {repo_type} repo {repo_id!r}")
        return snap

    def _add(self, data: Mapping[str, Any], repo_type: str, default_created: str | None) -> RepoSnapshot:
        _check_type(repo_type)
        repo_id = data.get("id") or data.get("modelId")
        if not isinstance(repo_id, str) or not repo_id or repo_id.count("/") > 1:
            raise ValueError(f"bad repo id {repo_id!r}")
        with self._lock:
            if self.get(repo_id, repo_type) is not None:
                raise ValueError(f"{repo_type} {repo_id} already exists")
            index = self._total(repo_type)
            snap = build_snapshot(data, repo_type, index, default_created=default_created)
            self._store(snap)
            for alias in data.get("aliases") or ():
                self._aliases[(repo_type, alias)] = repo_id
            return snap

    def _change(self, repo_id: str, repo_type: str, mutate: Callable[[dict, dict], None]) -> RepoSnapshot:
        with self._lock:
            old = self._require(repo_id, repo_type)
            fields = copy.deepcopy(dict(old.fields))
            files = dict(old.files)
            mutate(fields, files)
            explicit_sha = fields.pop("sha", None)
            draft = RepoSnapshot(repo_type, repo_id, old.index, old.object_id, old.sha, fields, files)
            digest = draft.content_digest()
            if digest != old.content_digest() or (explicit_sha and explicit_sha != old.sha):
                if "lastModified" not in _changed_keys(old.fields, fields):
                    last = parse_iso_ms(old.fields.get("lastModified"))
                    fields["lastModified"] = format_iso_ms(max(_now_ms(), last + 1))
                sha = explicit_sha or digest
                self._history.setdefault((repo_type, repo_id), {})[old.sha] = old
            else:
                sha = old.sha
            new = RepoSnapshot(repo_type, repo_id, old.index, old.object_id, sha, fields, files)
            self._store(new)
            return new

    def _sorted_order(self, repo_type: str, sort: str) -> tuple[list[int], Callable[[int], tuple]]:
        """Indexes of live repos in listing order, and the keyset key of an index (cached per version)."""
        with self._lock:
            cached = self._sorted_cache.get((repo_type, sort))
            if cached is not None and cached[0] == self._version:
                return cached[1], cached[2]
            version = self._version
            order, key_of = self._build_order(repo_type, sort)
            self._sorted_cache[(repo_type, sort)] = (version, order, key_of)
            return order, key_of

    def _build_order(self, repo_type: str, sort: str) -> tuple[list[int], Callable[[int], tuple]]:
        keys: dict[int, tuple] = {}
        for index in range(self._total(repo_type)):
            key = self._sort_key_at(repo_type, index, sort)
            if key is not None:
                keys[index] = key
        return sorted(keys, key=keys.__getitem__), keys.__getitem__


def _changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def _check_type(repo_type: str) -> None:
    if repo_type not in REPO_TYPES:
        raise ValueError(f"repo_type must be one of {REPO_TYPES}, not {repo_type!r}")


def object_id_for(repo_type: str, index: int) -> str:
    """Deterministic 24-hex `_id`, ascending in creation order."""
    return f"{_OBJECT_ID_PREFIX[repo_type]}{index:016x}"


def build_snapshot(data: Mapping[str, Any], repo_type: str, index: int, *,
                   default_created: str | None = LEGACY_CREATED_AT, copy_fields: bool = True) -> RepoSnapshot:
    """Turn an input repo dict into a snapshot: defaults for always-present fields, derived ones dropped.

    `copy_fields=False` skips the deep copy when the caller hands over a dict nobody else holds.
    """
    repo_id = data.get("id") or data.get("modelId")
    files: dict[str, FileContent] = {}
    for path, content in (data.get("files") or {}).items():
        check_content(str(path), content)
        files[str(path).strip("/")] = content
    skip = _INPUT_ONLY_KEYS | _DERIVED_KEYS
    fields = {k: (copy.deepcopy(v) if copy_fields else v) for k, v in data.items() if k not in skip}
    if "cardData" not in fields and isinstance(files.get("README.md"), str):
        card = card_data_from_readme(files["README.md"])
        if card is not None:
            fields["cardData"] = card
    if "tags" not in fields:
        fields["tags"] = tags_from_card(fields.get("cardData") or {}, fields)
    if "/" in repo_id:
        fields.setdefault("author", repo_id.split("/", 1)[0])
    created = fields.get("createdAt") or default_created or format_iso_ms(_now_ms())
    fields["createdAt"] = created
    fields.setdefault("lastModified", created)
    for key, default in (("private", False), ("disabled", False), ("gated", False),
                         ("downloads", 0), ("likes", 0), ("trendingScore", 0)):
        fields.setdefault(key, default)
    draft = RepoSnapshot(repo_type, repo_id, index, data.get("_id") or object_id_for(repo_type, index), "", fields,
                         files)
    sha = data.get("sha") if isinstance(data.get("sha"), str) and _HEX40.match(data["sha"]) else None
    return RepoSnapshot(repo_type, repo_id, index, draft.object_id, sha or draft.content_digest(), fields, files)
