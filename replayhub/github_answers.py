"""The JSON bodies the loopback GitHub answers with: a repository, a tree, a file or folder of contents."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from .github_state import GitHubRepo, git_blob_sha

CONTENT_LIMIT = 1_000_000  # files larger than this come without content (encoding "none"), as on GitHub


def repo_json(repo: GitHubRepo, base: str) -> dict[str, Any]:
    licence = None
    if repo.license is not None:
        licence = {"key": repo.license.get("key"), "name": repo.license.get("name"), "spdx_id": repo.license.get("spdx_id"),
                   "url": None if repo.license.get("spdx_id") in (None, "NOASSERTION") else f"{base}/licenses/{repo.license.get('key')}",
                   "node_id": "MDc6TGljZW5zZTA="}
    return {
        "id": repo.id,
        "node_id": base64.b64encode(f"010:Repository{repo.id}".encode()).decode(),
        "name": repo.name,
        "full_name": repo.full_name,
        "private": False,
        "owner": {"login": repo.owner, "type": "Organization"},
        "html_url": f"https://github.com/{repo.full_name}",
        "description": repo.description,
        "fork": repo.fork,
        "url": f"{base}/repos/{repo.full_name}",
        "pushed_at": repo.pushed_at,
        "size": sum(repo.tree.values()) // 1024,
        "archived": repo.archived,
        "disabled": False,
        "license": licence,
        "visibility": "public",
        "default_branch": repo.default_branch,
    }


def _folders(repo: GitHubRepo) -> list[str]:
    found: set[str] = set()
    for path in repo.tree:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            found.add("/".join(parts[:i]))
    return sorted(found)


def tree_json(repo: GitHubRepo, base: str, recursive: bool) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for folder in _folders(repo):
        if recursive or "/" not in folder:
            sha = hashlib.sha1(f"tree\0{repo.full_name}\0{folder}".encode()).hexdigest()
            entries.append({"path": folder, "mode": "040000", "type": "tree", "sha": sha, "url": f"{base}/repos/{repo.full_name}/git/trees/{sha}"})
    for path, size in repo.tree.items():
        if recursive or "/" not in path:
            text = repo.files.get(path)
            sha = git_blob_sha(text.encode()) if text is not None else hashlib.sha1(f"blob\0{path}\0{size}".encode()).hexdigest()
            entries.append({"path": path, "mode": "100644", "type": "blob", "sha": sha, "size": size,
                            "url": f"{base}/repos/{repo.full_name}/git/blobs/{sha}"})
    entries.sort(key=lambda e: e["path"])
    sha = repo.tree_sha()
    return {"sha": sha, "url": f"{base}/repos/{repo.full_name}/git/trees/{sha}", "tree": entries, "truncated": repo.truncated}


def contents_answer(repo: GitHubRepo, base: str, path: str) -> tuple[int, Any]:
    """(200, a file or a folder listing), or (404, a note or None)."""
    if path in repo.tree:
        text = repo.files.get(path)
        if text is None:
            return 404, "file content not in the fixture"  # never invented content
        data = text.encode("utf-8")
        name = path.rsplit("/", 1)[-1]
        item: dict[str, Any] = {"type": "file", "name": name, "path": path, "size": len(data), "sha": git_blob_sha(data),
                                "url": f"{base}/repos/{repo.full_name}/contents/{quote(path)}",
                                "html_url": f"https://github.com/{repo.full_name}/blob/{repo.default_branch}/{quote(path)}"}
        if len(data) > CONTENT_LIMIT:
            item.update(content="", encoding="none")
        else:
            encoded = base64.b64encode(data).decode()
            item.update(content="\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n", encoding="base64")
        return 200, item
    prefix = f"{path}/" if path else ""
    children: dict[str, dict[str, Any]] = {}
    for file_path, size in repo.tree.items():
        if not file_path.startswith(prefix):
            continue
        head, sep, _ = file_path[len(prefix):].partition("/")
        child = prefix + head
        if sep:
            children.setdefault(child, {"type": "dir", "name": head, "path": child, "size": 0})
        else:
            children[child] = {"type": "file", "name": head, "path": child, "size": size}
    if not children:
        return 404, None
    return 200, [children[k] for k in sorted(children)]
