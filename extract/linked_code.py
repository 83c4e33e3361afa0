"""Training and inference code where it actually is: the GitHub repositories a card links, by their trees.

Rule (G7/OSI: inference and training code under open licences):

- Training code is released when a repository holds it *by its file tree* (policy/training_code.yaml:
  entry points such as train*.py, training configs and recipes, launchers, data-preparation code)
  and the code is under an open licence: a GitHub repository the card links (as training code, or
  as a bare "Code"/"Repository" link; not a framework the model was merely trained with, nor an
  example), or the model repository itself (its files are under the model's licence).
- A linked repository (called training code, or a bare code link) that holds run configurations
  (training configs, a configs/ folder, models/*.yaml) but no training code of its own counts when the
  card names the open framework they run on (GPT-NeoX, Megatron-LM, ...): the recipe and the framework
  together, as for the model repository's own files.
- The card's wording only raises or lowers confidence: "training code: <link>" with a tree that holds
  training code is surer than a bare link; a link the card calls training code whose (complete) tree
  holds none does not count; a link to a repository GitHub reports missing (404) or blocked (451)
  does not count.
- The licence is GitHub's detection (`license.spdx_id`): OSI-approved counts as open; `NOASSERTION`
  (a licence file GitHub cannot classify) or no licence file at all is not shown to be open, and
  keeps the model below Open Source (classify/rules.py, gate S).
- When GitHub was not consulted for a repository (no token or network, the quota ran out, a truncated
  tree without signals, or the model's label cannot rise above Open Weights anyway), the card's
  wording decides as before, and the evidence says so ("card-only evidence").

Pure: `StoredCodeRepo`s in, evidence out.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

from .code_repos import TreeVerdict, code_licence, code_policy, github_repo_name, read_tree
from .training_code import (
    CUSTOM_MARK,
    MAX_FILES_REPORTED,
    card_training_code,
    classify_link,
    not_released_reason,
)
from .types import CodeRepoRef, Finding, LicenceEvidence, StoredCodeRepo, TrainingCodeEvidence
from .version_input import VersionInput

MAX_LINKED_REPOS = 12  # GitHub repositories kept per version
MAX_CHECKED_REPOS = 5  # of which at most this many are checked (crawler cost per version)
#: Roles whose repositories the crawler checks: a framework or an example is not this model's code.
CHECKED_ROLES = ("training", "repository", "inference")
#: Statuses after which a repository's tree (or its absence) decides, not the card's wording.
DECIDED = frozenset({"ok", "renamed", "missing", "blocked"})
_ROLE_RANK = {"training": 5, "repository": 4, "inference": 3, "framework": 2, "example": 1}
_ROLE_OF_KIND = {"training": "training", "repository": "repository", "inference": "inference", "framework": "framework", "example": "example"}

UNCHECKED_NOTE = "GitHub not checked (no network/token) - card-only evidence"
NOT_NEEDED_NOTE = "not checked on GitHub: the label cannot rise above Open Weights"


def linked_code_repos(inp: VersionInput, candidate: bool) -> tuple[CodeRepoRef, ...]:
    """The GitHub repositories the card links, with the role its wording gives them and what GitHub showed."""
    card, repos = inp.card, inp.code_repos
    roles: dict[str, tuple[str, str]] = {}  # name -> (role, url)
    for link in card.links:
        name = github_repo_name(link.url)
        if name is None:
            continue
        kind = classify_link(link).kind
        role = _ROLE_OF_KIND.get(kind)
        if role is None:
            continue  # a licence text
        if name not in roles:
            if len(roles) >= MAX_LINKED_REPOS:
                continue
            roles[name] = (role, link.url)
        elif _ROLE_RANK[role] > _ROLE_RANK[roles[name][0]]:
            roles[name] = (role, roles[name][1])
    refs: list[CodeRepoRef] = []
    checked = 0
    for name, (role, url) in roles.items():
        snap = repos.get(name)
        wanted = role in CHECKED_ROLES and checked < MAX_CHECKED_REPOS
        checked += int(wanted)
        if snap is None:
            status = ("unchecked" if candidate else "not-needed") if wanted else "not-fetched"
            refs.append(CodeRepoRef(name=name, url=url[:300], role=role, status=status))
            continue
        refs.append(_ref(name, url, role, snap))
    return tuple(refs)


@functools.lru_cache(maxsize=64)
def _read_tree(paths: tuple[str, ...], truncated: bool) -> TreeVerdict:
    """`read_tree` of a repository's paths, once per tree: many versions link the same repositories.
    (A stored tree holds up to 20,000 paths, so the memo is kept to the few repositories linked again
    and again.)"""
    return read_tree(paths, truncated)


def _ref(name: str, url: str, role: str, snap: StoredCodeRepo) -> CodeRepoRef:
    if snap.status not in ("ok", "renamed"):
        return CodeRepoRef(name=name, url=url[:300], role=role, status=snap.status, full_name=snap.full_name)
    tree = _read_tree(tuple(p for p, _ in snap.tree), snap.truncated)
    lic = code_licence(snap)
    return CodeRepoRef(
        name=name, url=url[:300], role=role, status=snap.status, full_name=snap.full_name or name,
        licence=lic.label, licence_open=lic.open, archived=snap.archived,
        training_code=tree.training_code, training_paths=tree.paths, inference_code=tree.inference_code,
        run_configs=tree.run_configs,
    )


@dataclass(frozen=True)
class _Place:
    """One place training code was found, with its licence."""

    repo: str
    licence: str | None
    licence_open: bool | None
    basis: str
    confidence: float


def training_code_evidence(
    inp: VersionInput,
    refs: Sequence[CodeRepoRef],
    model_licence: LicenceEvidence,
    candidate: bool,
) -> TrainingCodeEvidence:
    card, siblings, files, repos = inp.card, inp.siblings or (), inp.files, inp.code_repos
    conf = code_policy().confidence
    decided = frozenset(r.name for r in refs if r.status in DECIDED)
    seen = card_training_code(card, siblings, files, skip_repos=decided)
    findings = list(seen.findings)
    places: list[_Place] = []
    pending = [r.name for r in refs if r.status in ("unchecked", "not-needed")]
    if pending:
        note = UNCHECKED_NOTE if candidate else NOT_NEEDED_NOTE
        findings.insert(0, Finding("github", f"{note}: {', '.join(pending[:5])}", 0.5))

    if seen.in_model_repo:
        lic = model_licence.spdx_id or model_licence.hub_id or "none"
        places.append(_Place("model repository", lic, model_licence.open_basis is not None, "model-repo", 0.75))

    unchecked = {r.name: r for r in refs if r.status not in DECIDED}  # card-only: wording decides
    card_urls: list[str] = []
    for url in seen.urls:
        name = github_repo_name(url)
        card_urls.append(url)
        if name is not None and name in unchecked:
            ref = unchecked[name]
            note = _unchecked_note(ref, candidate, repos.get(name))
            findings.append(Finding(f"github:{name}", f"{note}: the card calls it training code", conf["card_only"]))
        places.append(_Place(url[:200], None, None, "card", conf["card_only"] if name else 0.7))

    for ref in refs:
        if ref.status not in DECIDED or ref.role not in CHECKED_ROLES:
            continue
        source = f"github:{ref.full_name or ref.name}"
        if ref.status in ("missing", "blocked"):
            why = "not found on GitHub (404)" if ref.status == "missing" else "blocked on GitHub (451)"
            extra = ": the training code the card links is not there" if ref.role == "training" else ""
            findings.append(Finding(source, f"linked repository {ref.name} {why}{extra}", 0.8))
            continue
        notes = ", ".join(x for x in ("archived" if ref.archived else "", "renamed from " + ref.name if ref.status == "renamed" else "") if x)
        notes = f" ({notes})" if notes else ""
        if ref.training_code:
            confidence = conf["tree_and_card"] if ref.role == "training" else conf["tree_only"] if ref.role == "repository" else conf["tree_against_card"]
            shown = ", ".join(ref.training_paths[:4])
            findings.append(Finding(source, f"training code in the repository tree ({shown}) under {ref.licence}{notes}", confidence))
            places.append(_Place(ref.full_name or ref.name, ref.licence, ref.licence_open, "repo-tree", confidence))
        elif ref.role in ("training", "repository") and ref.run_configs and seen.open_framework:
            # the recipe (run configurations) with the open framework it runs on, as for the model repo's files
            frameworks = ", ".join(f for f in seen.frameworks if not f.endswith(CUSTOM_MARK))
            shown = ", ".join(ref.training_paths[:3])
            confidence = conf["tree_only"] if ref.role == "training" else conf["tree_against_card"]
            findings.append(Finding(source, f"run configurations in the repository tree ({shown}) for {frameworks}, "
                                            f"which the card names, under {ref.licence}{notes}", confidence))
            places.append(_Place(ref.full_name or ref.name, ref.licence, ref.licence_open, "repo-tree", confidence))
        elif ref.training_code is False and ref.role == "training":
            findings.append(Finding(source, f"the card calls {ref.full_name} training code, but its tree holds none{notes}", conf["card_against_tree"]))
        elif ref.training_code is None and ref.role == "training":
            # a truncated listing without signals: the wording decides, with less confidence
            findings.append(Finding(source, f"tree listing truncated and without training-code signals: card-only evidence{notes}", conf["card_only"]))
            places.append(_Place(ref.full_name or ref.name, ref.licence, ref.licence_open, "card", conf["card_only"]))
            card_urls.append(ref.url)

    if not places:
        findings.append(Finding("card", not_released_reason(seen.frameworks), 0.7))
        return TrainingCodeEvidence(
            released=False, urls=tuple(card_urls[:MAX_FILES_REPORTED]), repo_files=(seen.scripts + seen.configs)[:MAX_FILES_REPORTED],
            frameworks_mentioned=seen.frameworks, findings=tuple(findings[:60]),
        )
    # Report the best place: open code first, then unknown licence (card-only), then not open; surest first.
    best = sorted(places, key=lambda p: ({True: 0, None: 1, False: 2}[p.licence_open], -p.confidence))[0]
    if best.licence_open is False:
        findings.append(Finding(f"github:{best.repo}" if best.basis == "repo-tree" else "card",
                                f"training code licence {best.licence} is not an open source licence", 0.9))
    repo_urls = [f"https://github.com/{p.repo}" for p in places if p.basis == "repo-tree"]
    return TrainingCodeEvidence(
        released=True,
        urls=tuple(dict.fromkeys(repo_urls + card_urls))[:MAX_FILES_REPORTED],
        repo_files=(seen.scripts + seen.configs)[:MAX_FILES_REPORTED],
        frameworks_mentioned=seen.frameworks,
        findings=tuple(findings[:60]),
        licence=best.licence,
        licence_open=best.licence_open,
        repo=best.repo,
        basis=best.basis,
    )


def _unchecked_note(ref: CodeRepoRef, candidate: bool, snap: StoredCodeRepo | None) -> str:
    if snap is not None and snap.status in ("error", "rate-limited"):
        return f"GitHub check of {ref.name} failed ({snap.status}) - card-only evidence"
    return f"{ref.name}: {UNCHECKED_NOTE if candidate else NOT_NEEDED_NOTE}"
