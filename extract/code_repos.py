"""Linked GitHub repositories as evidence: which repository a URL names, what its tree holds, its licence.

Pure: the crawler stored what GitHub answered (`StoredCodeRepo`); this module only reads it.
The path signals, their weights, the threshold and the code-licence families are policy
(policy/training_code.yaml), shared with the model repository's own files (extract/training_code.py).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import policy

from . import licence_catalog as cat
from .memo import text_memo
from .types import StoredCodeRepo
from .url_parts import MAX_URLS, parsed_url

MAX_TREE_PATHS = 50_000  # paths read from one tree (the crawler stores at most 20,000)
MAX_PATHS_REPORTED = 8

# github.com/<owner>/<repo> paths that are not repositories
_NOT_OWNERS = frozenset({
    "about", "apps", "collections", "contact", "customer-stories", "enterprise", "events", "explore", "features",
    "issues", "login", "marketplace", "new", "notifications", "orgs", "organizations", "pricing", "pulls", "readme",
    "search", "security", "settings", "site", "sponsors", "topics", "trending", "users", "join", "codespaces",
})
_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9\-_.]{0,99})$")


@text_memo(MAX_URLS)
def github_repo_name(url: str) -> str | None:
    """'owner/repo' (lower-case) for a link into a GitHub repository, else None (once per distinct URL:
    several extractors ask about every link)."""
    if "github.com" not in url.lower():
        return None  # its host cannot be github.com: not worth parsing (most links of a card)
    try:
        parsed = parsed_url(url.strip())
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https"):
        return None
    host = parsed.netloc.lower().split("@")[-1].split(":")[0].removeprefix("www.")
    if host != "github.com":
        return None
    parts = [p for p in parsed.path.split("/") if p]
    if len(parts) < 2 or parts[0].lower() in _NOT_OWNERS:
        return None
    owner, repo = parts[0], parts[1].removesuffix(".git")
    repo = repo.rstrip(".")  # "github.com/org/repo." at the end of a sentence
    if not (_NAME.match(owner) and _NAME.match(repo)) or repo in (".", ".."):
        return None
    return f"{owner}/{repo}".lower()


# --- path signals ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PathSignal:
    name: str
    weight: float
    model_repo: str | None  # script | config: what the signal counts as among a model repo's own files
    basename: re.Pattern[str] | None
    path: re.Pattern[str] | None

    def matches(self, path: str, name: str) -> bool:
        return bool((self.basename is not None and self.basename.search(name)) or (self.path is not None and self.path.search(path)))


@dataclass(frozen=True)
class TrainingCodePolicy:
    threshold: float
    signals: tuple[PathSignal, ...]
    excluded: re.Pattern[str]
    artefacts: frozenset[str]
    inference: re.Pattern[str]
    open_families: frozenset[str]
    confidence: dict[str, float]
    config_signals: frozenset[str]


@lru_cache(maxsize=1)
def code_policy() -> TrainingCodePolicy:
    data = policy.load("training_code")
    signals = tuple(
        PathSignal(
            s["name"], float(s["weight"]), s.get("model_repo"),
            re.compile(s["basename"], re.I) if s.get("basename") else None,
            re.compile(s["path"], re.I) if s.get("path") else None,
        )
        for s in data["signals"]
    )
    return TrainingCodePolicy(
        threshold=float(data["threshold"]),
        signals=signals,
        excluded=re.compile(data["excluded_paths"], re.I),
        artefacts=frozenset(a.lower() for a in data["artefacts"]),
        inference=re.compile(data["inference_code"], re.I),
        open_families=frozenset(data["open_code_families"]),
        confidence={k: float(v) for k, v in data["confidence"].items()},
        config_signals=frozenset(data["config_signals"]),
    )


@dataclass(frozen=True)
class TreeVerdict:
    """What a file tree shows: training code (by the policy's signals), and code that runs a model."""

    training_code: bool | None  # None: nothing found, but the listing was truncated
    score: float
    signals: tuple[str, ...]  # signal names found
    paths: tuple[str, ...]  # a few matching paths, for the explanation
    inference_code: bool
    excluded: int  # matching paths left out as examples/tests/vendored code
    run_configs: bool = False  # run configurations (policy `config_signals`), whatever the score


def read_tree(paths: Iterable[str], truncated: bool = False) -> TreeVerdict:
    pol = code_policy()
    found: dict[str, list[str]] = {}
    inference = False
    excluded = 0
    for i, path in enumerate(paths):
        if i >= MAX_TREE_PATHS:
            truncated = True
            break
        name = posixpath.basename(path)
        hits = [s for s in pol.signals if s.matches(path, name)]
        if hits and pol.excluded.search(path):
            excluded += 1
            continue
        for signal in hits:
            found.setdefault(signal.name, []).append(path)
        if not inference and pol.inference.search(path if "/" in path else name) and not pol.excluded.search(path):
            inference = True
    score = sum(s.weight for s in pol.signals if s.name in found)
    holds = score >= pol.threshold
    paths_shown = [p for s in pol.signals if s.name in found for p in found[s.name][:3]]
    return TreeVerdict(
        training_code=True if holds else (None if truncated else False),
        score=round(score, 2),
        signals=tuple(s.name for s in pol.signals if s.name in found),
        paths=tuple(dict.fromkeys(paths_shown))[:MAX_PATHS_REPORTED],
        inference_code=inference,
        excluded=excluded,
        run_configs=any(name in pol.config_signals for name in found),
    )


def model_repo_kind(path: str) -> str | None:
    """'script', 'config', 'artefact', 'example' or None for one file of a model repository."""
    pol = code_policy()
    name = posixpath.basename(path)
    if name.lower() in pol.artefacts:
        return "artefact"
    kinds = {s.model_repo for s in pol.signals if s.model_repo and s.matches(path, name)}
    kind = "script" if "script" in kinds else "config" if "config" in kinds else None
    if kind is not None and pol.excluded.search(path):
        return "example"
    return kind


# --- licences ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeLicence:
    label: str  # what to show: SPDX id, "NOASSERTION", "none"
    open: bool
    reason: str


def code_licence(snap: StoredCodeRepo) -> CodeLicence:
    """Is the repository's code under an open source (OSI-approved) licence, by GitHub's detection?"""
    spdx, key = snap.licence_spdx, (snap.licence_key or "").lower()
    if not spdx and not key:
        return CodeLicence("none", False, "no licence file GitHub recognised: all rights reserved")
    if spdx in (None, "NOASSERTION") or key == "other":
        name = snap.licence_name or "Other"
        return CodeLicence("NOASSERTION", False, f"a licence file GitHub could not classify ({name}): not shown to be open")
    entry = cat.spdx_entry(spdx) or cat.hub_entry(key)
    if entry is None:
        return CodeLicence(spdx, False, f"{spdx} is not a licence we recognise as open source")
    is_open = entry.family in code_policy().open_families
    why = f"{entry.name or spdx} ({entry.family})" + ("" if is_open else ": not an OSI-approved code licence")
    return CodeLicence(entry.spdx_id or spdx, is_open, why)


def licence_family_open(family: str | None) -> bool:
    return family in code_policy().open_families


def doc_paths(snap: StoredCodeRepo) -> Sequence[str]:
    return tuple(snap.docs)[:10]
