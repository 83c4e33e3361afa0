"""What a declared base value names: a Hub model id we can ask about, or something no one can check.

Cards write bases in many ways: `meta-llama/Llama-2-7b-hf`, `roberta-large` (a legacy id without a
namespace), `https://huggingface.co/org/name/tree/main`, `./llama-7b` or `/data/ckpt` (a local path
from the author's machine), a URL elsewhere. `normalise_base` turns each into (id, kind); `base_key`
is the case-insensitive key under which the Hub finds the same repository.
"""

from __future__ import annotations

import re

from .memo import text_memo
from .types import BaseKind
from .url_parts import MAX_URLS, parsed_url

MAX_ID_CHARS = 96 * 2 + 1  # namespace/name, each at most 96 characters on the Hub
MAX_RAW_CHARS = 1000  # what is kept of a value that is not a Hub id (the database clips it further)

# The Hub's repo id rule (huggingface_hub.utils.validate_repo_id): letters, digits, "-", "_", ".";
# at most one "/"; no "--" or ".."; not starting or ending with "-" or ".".
_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
_HUB_ID = re.compile(rf"^(?:{_PART}/)?{_PART}$")
_HUB_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
# First path segments of huggingface.co URLs that are not models.
_NOT_MODEL_PATHS = frozenset(
    {"datasets", "spaces", "docs", "blog", "papers", "collections", "organizations", "settings", "join", "login",
     "pricing", "learn", "tasks", "models", "api", "posts", "chat"}
)


def is_hub_id(value: str) -> bool:
    return bool(_HUB_ID.match(value)) and "--" not in value and ".." not in value


@text_memo(MAX_URLS)
def normalise_base(raw: str) -> tuple[str, BaseKind]:
    """(the id to look up, its kind). Whatever is not a Hub id keeps its raw text. Once per distinct
    value: the lineage reader asks about every link of a card."""
    value = raw.strip().strip("\"'`<>").strip()
    if not value or len(value) > 2048:
        return value[:MAX_RAW_CHARS], "invalid"
    if "://" in value or value.startswith(("www.", "huggingface.co/", "hf.co/")):
        return _from_url(value)
    if value.startswith(("./", "../", "/", "~", "\\")) or re.match(r"^[A-Za-z]:[\\/]", value) or "\\" in value:
        return value[:MAX_RAW_CHARS], "local-path"
    value = value.rstrip("/")
    if value.count("/") > 1:  # "org/name/subfolder" or a relative path with folders
        head = "/".join(value.split("/")[:2])
        return (head, "hub-id") if is_hub_id(head) and not value.startswith(".") else (value[:MAX_RAW_CHARS], "local-path")
    if len(value) <= MAX_ID_CHARS and is_hub_id(value):
        return value, "hub-id"
    return value[:MAX_RAW_CHARS], "invalid"


def _from_url(value: str) -> tuple[str, BaseKind]:
    url = parsed_url(value if "://" in value else "https://" + value)
    if (url.hostname or "").lower() not in _HUB_HOSTS:
        return value[:MAX_RAW_CHARS], "url"
    parts = [p for p in url.path.split("/") if p]
    if not parts or parts[0] in _NOT_MODEL_PATHS:
        return value[:MAX_RAW_CHARS], "url"
    candidate = "/".join(parts[:2]) if len(parts) >= 2 and parts[1] not in ("tree", "blob", "resolve", "commit", "discussions") else parts[0]
    return (candidate, "hub-id") if is_hub_id(candidate) else (value[:MAX_RAW_CHARS], "invalid")


def base_key(repo_id: str) -> str:
    """The case-insensitive key of a Hub id: the Hub finds `Org/Name` and `org/name` alike."""
    return repo_id.strip().lower()
