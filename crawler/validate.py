"""Listing items checked and coerced to what the store holds, before anything is written.

One malformed item must never stop a crawl: every field the store or the downloader reads is
checked and coerced to the schema's type (a count that is not a 32-bit count becomes NULL, a sha
that is not hex is dropped so the version is keyed by content, tags are capped, ...), and each
coercion is reported as an `ItemProblem` with a code. Only an item without a usable id (not text,
empty, longer than the key column) is skipped, and that is reported too. An id that huggingface_hub
refuses (`validate_repo_id`) is stored but never downloaded: the client could not ask for its files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from collections.abc import Mapping
from typing import Any, Iterable

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

from extract.bounds import MAX_CARD_DATA_CHARS, MAX_DEPTH, MAX_FIELD_CHARS, MAX_SIBLINGS, MAX_TAGS, clean_text, scrub, shape
from store.records import LISTING, ItemProblem

MAX_ID_CHARS = 256  # models.repo_id is VARCHAR(256)
MAX_COUNT = 2**31 - 1  # observations.downloads/likes are INTEGER: 32 bits on PostgreSQL

_SHA = re.compile(r"^[0-9a-f]{40,64}$")
_DATES = ("lastModified", "createdAt")
_TEXTS = ("author", "pipeline_tag", "library_name")
_FLAGS = ("private", "disabled")
_COUNTS = ("downloads", "likes")


@dataclass(frozen=True)
class CheckedPage:
    items: list[dict[str, Any]]
    problems: list[ItemProblem]


def check_page(raw_items: Iterable[Any], dropped: int = 0) -> CheckedPage:
    """Check every item of a listing page; duplicates of an id keep the last, as the store does."""
    items: list[dict[str, Any]] = []
    problems: list[ItemProblem] = []
    if dropped:
        problems.append(ItemProblem(LISTING, "bad-item", f"{dropped} listing item(s) were not objects with an id; skipped"))
    for raw in raw_items:
        item, found = check_item(raw)
        problems.extend(found)
        if item is not None:
            items.append(item)
    return CheckedPage(items, problems)


def check_item(raw: Any) -> tuple[dict[str, Any] | None, list[ItemProblem]]:
    """(the item as the store can hold it, or None when it has no usable id; what was wrong)."""
    if not isinstance(raw, Mapping):
        return None, [ItemProblem(LISTING, "bad-item", f"a listing item is a {type(raw).__name__}, not an object; skipped")]
    repo_id, problem = _repo_id(raw.get("id"))
    if repo_id is None:
        return None, [problem] if problem else []
    problems: list[ItemProblem] = []

    def report(code: str, message: str, volatile: bool = False) -> None:
        problems.append(ItemProblem(repo_id, code[:32], message[:500], volatile))

    if problem is not None:
        problems.append(problem)
    item: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            continue
        if key == "id":
            item["id"] = repo_id  # where the Hub put it: stored metadata keeps the listing's order
            continue
        if key in ("cardData", "siblings", "tags"):
            item[key] = value  # checked below, with their own bounds
            continue
        if _field_over(value):
            report(_code(key), f"{_name(key)}: more than {MAX_FIELD_CHARS:,} characters or nested too deep; dropped")
            continue
        item[key] = value

    sha = item.get("sha")
    if sha is not None and not (isinstance(sha, str) and _SHA.match(sha)):
        report("bad-sha", f"sha {_show(sha)} is not a commit id; the version is keyed by its content")
        item.pop("sha")
    for key in _DATES:
        value = item.get(key)
        if value is not None and not _is_date(value):
            report(_code(key), f"{key} {_show(value)} is not an ISO-8601 date; dropped")
            item.pop(key)
    for key in _TEXTS:
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            report(_code(key), f"{key} is a {type(value).__name__}, not text; dropped")
            item.pop(key)
    for key in _FLAGS:
        value = item.get(key)
        if value is None or isinstance(value, bool):
            continue
        flag = _flag(value)
        if flag is None:
            # When in doubt a repo is treated as private: it is then kept out of every export.
            flag = key == "private"
            report(_code(key), f"{key} {_show(value)} is not a boolean; read as {str(flag).lower()}")
        item[key] = flag
    gated = item.get("gated")
    if gated not in (None, False, "auto", "manual"):
        report("bad-gated", f"gated {_show(gated)} is none of false, auto, manual; read as manual")
        item["gated"] = "manual"  # gating never makes a model more open
    for key in _COUNTS:
        if key in item:
            count, why = _count(item[key])
            if why:
                report(_code(key), f"{key} {_show(item[key])} {why}; stored as NULL", volatile=True)
            item[key] = count
    _check_tags(item, report)
    _check_siblings(item, report)
    _check_card_data(item, report)
    return scrub(item), problems


_SCALARS = frozenset({int, float, bool, type(None)})


def _field_over(value: Any) -> bool:
    """`shape(value, max_chars=MAX_FIELD_CHARS).over`, answered at once for a scalar (most fields):
    a string is over when its JSON size (length + 3) is, any other scalar (8) never is."""
    kind = type(value)
    if kind is str:
        return len(value) + 3 > MAX_FIELD_CHARS
    if kind in _SCALARS:
        return False
    return shape(value, max_chars=MAX_FIELD_CHARS).over


def refused_by_client(repo_id: str) -> str | None:
    """Why huggingface_hub would refuse to build a URL for this id, or None when it accepts it."""
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        return str(exc).splitlines()[0][:300]
    return None


# --- fields ---------------------------------------------------------------------------------


def _repo_id(value: Any) -> tuple[str | None, ItemProblem | None]:
    if not isinstance(value, str):
        return None, ItemProblem(_unkeyed(value), "bad-id", f"repo id is a {type(value).__name__}, not text; item skipped")
    repo_id = clean_text(value)
    if not repo_id.strip() or len(repo_id) > MAX_ID_CHARS or "\x00" in repo_id:
        return None, ItemProblem(_unkeyed(repo_id), "bad-id", f"repo id {_show(repo_id)} is empty, holds NUL or is longer than {MAX_ID_CHARS} characters; item skipped")
    why = refused_by_client(repo_id)
    if why:
        return repo_id, ItemProblem(repo_id, "bad-repo-id", f"huggingface_hub refuses this id ({why}); stored, its files are not fetched")
    return repo_id, None


def _count(value: Any) -> tuple[int | None, str | None]:
    if isinstance(value, bool):
        return None, "is a boolean, not a count"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        return None, f"is a {type(value).__name__}, not a count"
    if not 0 <= value <= MAX_COUNT:
        return None, f"is outside 0..{MAX_COUNT:,}"
    return value, None


def _flag(value: Any) -> bool | None:
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 32:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _check_tags(item: dict[str, Any], report) -> None:
    if "tags" not in item:
        return
    tags = item["tags"]
    if not isinstance(tags, list):
        report("bad-tags", f"tags is a {type(tags).__name__}, not a list; dropped")
        item["tags"] = []
        return
    kept = [t for t in tags[: MAX_TAGS * 4] if isinstance(t, str) and len(t) <= 1_000]
    if len(kept) < min(len(tags), MAX_TAGS * 4):
        report("bad-tags", "tags that are not text (or longer than 1,000 characters) were dropped")
    if len(tags) > MAX_TAGS:
        report("tags-capped", f"{len(tags):,} tags; the first {MAX_TAGS:,} are kept")
    item["tags"] = list(dict.fromkeys(kept))[:MAX_TAGS]


def _check_siblings(item: dict[str, Any], report) -> None:
    if "siblings" not in item:
        return
    siblings = item["siblings"]
    if not isinstance(siblings, list):
        report("bad-siblings", f"siblings is a {type(siblings).__name__}, not a list; file list unknown")
        item.pop("siblings")
        return
    if len(siblings) > MAX_SIBLINGS:
        report("siblings-capped", f"{len(siblings):,} files listed; the first {MAX_SIBLINGS:,} are kept")
        siblings = siblings[:MAX_SIBLINGS]
    # a scalar is never over `shape(v, 4, 32)`'s bounds (one node, no depth): measured only for containers
    kept = [
        {k: v for k, v in s.items() if k in _SIBLING_KEYS and (type(v) is str or type(v) in _SCALARS or shape(v, 4, 32).over is False)}
        for s in siblings
        if (type(s) is dict or isinstance(s, Mapping)) and isinstance(s.get("rfilename"), str) and len(s["rfilename"]) <= 1_000
    ]
    if len(kept) < len(siblings):
        report("bad-siblings", f"{len(siblings) - len(kept)} file entries without a usable rfilename were dropped")
    item["siblings"] = kept


_SIBLING_KEYS = frozenset({"rfilename", "size", "blobId", "lfs"})


def _check_card_data(item: dict[str, Any], report) -> None:
    if "cardData" not in item or item["cardData"] is None:
        item.pop("cardData", None)
        return
    card = item["cardData"]
    if not isinstance(card, Mapping):
        report("bad-carddata", f"cardData is a {type(card).__name__}, not a mapping; the README's own front matter is read instead")
        item.pop("cardData")
        return
    measured = shape(card, max_chars=MAX_CARD_DATA_CHARS)
    if measured.over:
        report(
            "carddata-oversize",
            f"cardData nests deeper than {MAX_DEPTH} levels, holds too many values or exceeds {MAX_CARD_DATA_CHARS:,} "
            "characters; "
            "dropped, the README's own front matter is read instead",
        )
        item.pop("cardData")


def _unkeyed(value: Any) -> str:
    """A problem's repo_id for an id no key holds: readable, and distinct for distinct ids."""
    digest = hashlib.sha1(repr(value).encode("utf-8", "replace")).hexdigest()[:12]
    return f"{_show(value, 200).replace(chr(0), '')} #{digest}"


def _code(key: str) -> str:
    return f"bad-{key.lower()}"[:32] if key.isidentifier() and len(key) <= 28 else "bad-field"


def _name(key: str) -> str:
    return _show(key, 60)


def _show(value: Any, limit: int = 80) -> str:
    try:
        text = repr(value) if not isinstance(value, (dict, list)) else f"<{type(value).__name__} of {len(value)}>"
    except Exception:  # noqa: BLE001 - a repr must never fail a crawl
        text = f"<{type(value).__name__}>"
    text = clean_text(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
