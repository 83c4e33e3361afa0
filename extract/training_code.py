"""Is the code that trained THESE weights published?

Rule. Training code counts as released when the card or the repository points to the code that
produced this checkpoint:

1. a link to a code host (GitHub, GitLab, Codeberg, Bitbucket, sr.ht, Gitee, or a code file / Space
   on the Hugging Face Hub) that the card describes as training, pre-training or fine-tuning code,
   scripts, configs or a recipe - in the link text or in the same clause ("see the X repository,
   which also holds the training code"; "training configs in <url>"), or a link labelled as code
   in a list item about (pre)training ("Pretraining Checkpoints, [Code](..), Data");
2. a training script or training config shipped in the repository (train*.py, finetune*.py,
   pretrain*.py, run_clm.py-style scripts, *train*.yaml): for a fine-tune this is the code that
   made the checkpoint;
3. a sentence saying the (pre)training code is in a repository, when the card links that
   repository ("The pretraining code is in the BERT repository" + a link to it).

Not a release of the training code:

- a general-purpose framework or library the model was trained with (Megatron-LM, GPT-NeoX,
  DeepSpeed, JAX, Nanotron ...), even with a link: it is necessary but it is not this model's
  recipe (data pipeline, configuration, hyper-parameters). Recorded in `frameworks_mentioned`;
- a custom, internal or proprietary codebase ("TII's custom distributed training codebase");
- sample, example, tutorial, cookbook or notebook code that shows users how to fine-tune the model
  further ("sample_finetune.py"): it is not the code that produced the released weights;
- inference, demo, serving, quantisation or evaluation code, and a bare "Repository" link the card
  does not describe as training code.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

from extract.card import Link, ParsedCard, Table
from extract.card_scan import prefilter, skipping_rows
from extract.code_repos import github_repo_name, model_repo_kind
from extract.literals import guarded
from extract.memo import text_memo
from extract.training_frameworks import _FRAMEWORK_CORES, _FRAMEWORKS
from extract.types import Finding, TrainingCodeEvidence
from extract.url_parts import MAX_URLS, parsed_url
from policy import patterns

MAX_SIBLINGS = 20_000
CUSTOM_MARK = "(custom)"  # suffix of a frameworks_mentioned entry naming an in-house, unreleased codebase
MAX_FILES_REPORTED = 20

LinkKind = Literal["training", "example", "inference", "framework", "repository", "not-code"]

_CODE_HOSTS = ("github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "sr.ht", "gitee.com", "gist.github.com")
_HUB_HOSTS = ("huggingface.co", "hf.co")

# The card wording is policy: `card_patterns` in policy/training_code.yaml (each entry says what it
# recognises); those searched over joined block texts are `prefilter`ed (extract/card_scan.py), and
# those a link's text and clause are read with `guarded`, so that one scan of a clause answers them all.
_P = patterns.compiled("training_code")
_TRAINING_EXPLICIT = prefilter(_P["training-explicit"])  # "training code", "fine-tuning recipe"
_TRAINING_WORD = prefilter(_P["training-word"])  # not "training data", "training logs"
_CODE_WORD = guarded(_P["code-word"])
_EXAMPLE = guarded(_P["example"])
_INFERENCE = guarded(_P["inference"])
_LICENCE = guarded(_P["licence"])
_FRAMEWORK_WORD = guarded(_P["framework-word"])
_NEGATED = guarded(_P["negated"])
_FIRST_PARTY = guarded(_P["first-party"])
_AVAILABLE = _P["available"]
_TRAINING_TITLE = _P["training-title"]
_CUSTOM_CODE = prefilter(_P["custom-code"])
_CUSTOM_NAME = _P["custom-name"]
_TRAINING_CONTEXT_LABEL = prefilter(_P["training-context-label"])
_REPOSITORY_WORD = _P["repository-word"]
# Repository files: the path signals are policy too (`signals`, read by extract/code_repos.py).
_TRAINING_CONTENT = _P["training-content"]

# Shapes, not wording (so not policy): a code file's extension, and a file name in a sentence.
_CODE_EXT = re.compile(r"\.(?:py|sh|ipynb|ya?ml|toml|cfg)$", re.I)
_FILE_NAME = prefilter(re.compile(r"\b[\w\-]++\.(?:py|sh|ya?ml)\b"))  # possessive: "." is not in the class, so giving back never helps


@dataclass(frozen=True)
class LinkVerdict:
    kind: LinkKind
    reason: str


@dataclass(frozen=True)
class CardTraining:
    """What the card and the model repository's own files say, before any linked repository is read."""

    urls: tuple[str, ...]  # links the card describes as training code
    scripts: tuple[str, ...]  # training scripts in the model repository
    configs: tuple[str, ...]  # training configs in the model repository
    frameworks: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def open_framework(self) -> bool:
        return any(not f.endswith(CUSTOM_MARK) for f in self.frameworks)

    @property
    def in_model_repo(self) -> bool:
        return bool(self.scripts or (self.configs and self.open_framework))


def training_code(card: ParsedCard, siblings: Sequence[str], files: Mapping[str, bytes] | None = None) -> TrainingCodeEvidence:
    """Decide from the card's wording and the model repository whether the training code is released.

    The card-only rule (module docstring). extract/linked_code.py adds what the linked GitHub
    repositories' trees and licences show, when the crawler could check them.
    """
    seen = card_training_code(card, siblings, files)
    findings = list(seen.findings)
    released = bool(seen.urls) or seen.in_model_repo
    if not released:
        findings.append(Finding("card", not_released_reason(seen.frameworks), 0.7))
    return TrainingCodeEvidence(
        released=released,
        urls=seen.urls[:MAX_FILES_REPORTED],
        repo_files=(seen.scripts + seen.configs)[:MAX_FILES_REPORTED],
        frameworks_mentioned=seen.frameworks,
        findings=tuple(findings[:60]),
        basis=("model-repo" if seen.in_model_repo else "card") if released else None,
    )


def card_training_code(
    card: ParsedCard, siblings: Sequence[str], files: Mapping[str, bytes] | None = None, skip_repos: frozenset[str] = frozenset()
) -> CardTraining:
    """Links, statements and model-repository files; links into `skip_repos` (GitHub repositories whose
    tree was read) are left to their tree."""
    files = files or {}
    findings: list[Finding] = []
    urls: list[str] = []
    repositories: list[Link] = []
    for link in card.links:
        if skip_repos and github_repo_name(link.url) in skip_repos:
            continue
        verdict = classify_link(link)
        if verdict.kind == "not-code":
            continue
        source = f"url:{link.url[:200]}"
        if verdict.kind == "training":
            if link.url not in urls:
                urls.append(link.url)
            findings.append(Finding(source, f"training code linked: {verdict.reason}", 0.9))
        elif verdict.kind == "repository":
            repositories.append(link)
            findings.append(Finding(source, f"code repository linked but not described as training code: \"{_short(link.context)}\"", 0.5))
        else:
            findings.append(Finding(source, f"{verdict.kind} code, not training code: {verdict.reason}", 0.7))

    body_lower = card.body[:500_000].lower()
    scripts, configs, file_findings = _repo_files(siblings, files, body_lower)
    findings.extend(file_findings)

    statement_urls, statement_findings, mentioned_files = _statements(card, repositories, siblings)
    findings.extend(statement_findings)
    for url in statement_urls:
        if url not in urls:
            urls.append(url)
    for path in mentioned_files:
        if path not in scripts and path not in configs:
            scripts.append(path)

    frameworks, framework_findings = frameworks_mentioned(card)
    findings.extend(framework_findings)
    open_framework = any(not f.endswith(CUSTOM_MARK) for f in frameworks)
    if configs and not scripts and not urls:
        why = "training configs in the repo with a named framework" if open_framework else "training configs without code or a framework"
        findings.append(Finding("files", why, 0.5))
    return CardTraining(tuple(urls), tuple(scripts), tuple(configs), tuple(frameworks), tuple(findings))


def not_released_reason(frameworks: Sequence[str]) -> str:
    if frameworks:
        return f"no training code released; the card only names what it was trained with: {', '.join(frameworks[:5])}"
    return "no training code linked or shipped in the repository"


# --- links ------------------------------------------------------------------------------------


_NOT_A_CODE_HOST = LinkVerdict("not-code", "not a code host")


@text_memo(4096, size=lambda link: len(link.url) + len(link.text) + len(link.context) + len(link.section))
def classify_link(link: Link) -> LinkVerdict:
    """What a link points to, judged from its host, its text and the clause it sits in.

    (Cached: a pure function of the link, asked by several extractors and repeated across cards.)
    Only the URL, the text and the clause decide (`link_verdict`): links of table rows differ in
    their context (the row's other cells) but mostly not in their clause (their own cell)."""
    if not _is_code_location(link.url):
        return _NOT_A_CODE_HOST
    return link_verdict(link.url, link.text, _clause(link))


@text_memo(4096)
def link_verdict(url: str, link_text: str, clause: str) -> LinkVerdict:
    """`classify_link` of a link to a code location, from its URL, its text and its clause; once per
    distinct triple (an evaluation table links the same task pages row after row, card after card)."""
    text = link_text.strip()
    path = parsed_url(url).path.lower()
    if _LICENCE.search(text) or _LICENCE.search(posixpath.basename(path)):
        return LinkVerdict("not-code", "a licence text")
    if _EXAMPLE.search(text) or _EXAMPLE.search(path):
        return LinkVerdict("example", f"example/sample code (\"{_short(text)}\")")
    if _NEGATED.search(clause) and _TRAINING_WORD.search(clause):
        return LinkVerdict("repository", f"the card says the training code is not (yet) released: \"{_short(clause)}\"")
    if _TRAINING_EXPLICIT.search(text) or _TRAINING_EXPLICIT.search(clause):
        return LinkVerdict("training", f"\"{_short(clause)}\"")
    text_is_url = text == url.strip()
    named_framework = not text_is_url and bool(_FRAMEWORK_WORD.search(text) or _framework_in(text))
    if (named_framework or _FRAMEWORK_WORD.search(clause)) and _TRAINING_WORD.search(clause) and _FIRST_PARTY.search(clause):
        # a framework the developers say they wrote, linked where they say they trained with it: their
        # training code, if the repository's tree holds it (a third party's framework stays a framework)
        return LinkVerdict("training", f"the developers' own training framework: \"{_short(clause)}\"")
    if named_framework:
        return LinkVerdict("framework", f"a framework the model was trained with, not its training code (\"{_short(clause)}\")")
    code_text = bool(_CODE_WORD.search(text)) or (text_is_url and bool(_CODE_WORD.search(clause)))
    if code_text and _TRAINING_WORD.search(clause) and not _INFERENCE.search(text):
        return LinkVerdict("training", f"code link in a clause about training: \"{_short(clause)}\"")
    if _EXAMPLE.search(clause):
        return LinkVerdict("example", f"\"{_short(clause)}\"")
    if _FRAMEWORK_WORD.search(clause):
        return LinkVerdict("framework", f"a framework the model was trained with, not its training code (\"{_short(clause)}\")")
    if _INFERENCE.search(text) or _INFERENCE.search(clause) or _INFERENCE.search(path):
        return LinkVerdict("inference", f"inference/tooling code (\"{_short(clause)}\")")
    return LinkVerdict("repository", f"\"{_short(clause)}\"")


@text_memo(MAX_URLS)
def _is_code_location(url: str) -> bool:
    """Does the URL point into a code host (or a Space, or a code file on the Hub)? Once per distinct URL."""
    parsed = parsed_url(url.strip())
    if parsed.scheme not in ("http", "https"):
        return False
    host = parsed.netloc.lower().split(":")[0].removeprefix("www.")
    if any(host == h or host.endswith("." + h) for h in _CODE_HOSTS):
        return True
    if host in _HUB_HOSTS:
        parts = [p for p in parsed.path.split("/") if p]
        return (bool(parts) and parts[0] == "spaces") or bool(_CODE_EXT.search(parsed.path))
    return False


_CLAUSE_SEPARATOR = re.compile(r"\s*(?:;|·|\|)\s*")


def _clause(link: Link) -> str:
    """The part of the link's sentence that belongs to it (split at ';', '·' and '|')."""
    context = link.context
    if ";" not in context and "|" not in context and "·" not in context:
        return context  # nothing to split at: the whole sentence is the clause
    pieces = _CLAUSE_SEPARATOR.split(context)
    if len(pieces) == 1:
        return context
    for needle in (link.text, link.url):
        for i, piece in enumerate(pieces):
            if needle and needle in piece:
                if i > 0 and piece.strip() in (link.text.strip(), link.url.strip()):
                    # A table cell holding only the link: its row label ("Training code | <url>") says what it is.
                    return f"{pieces[i - 1]} {piece}"
                return piece
    return context


def _framework_in(text: str) -> str | None:
    if not _may_name_framework(text):
        return None
    for pattern, name in _FRAMEWORKS:
        if pattern.search(text):
            return name
    return None


# --- statements without links ---------------------------------------------------------------


def _statements(card: ParsedCard, repositories: list[Link], siblings: Sequence[str]) -> tuple[list[str], list[Finding], list[str]]:
    """Sentences such as "The pretraining code is in the BERT repository" or "the training script is in this repo"."""
    urls: list[str] = []
    findings: list[Finding] = []
    mentioned: list[str] = []
    sibling_names: dict[str, str] | None = None
    # Block by block: each block's own scan (extract/pattern_scan.py), shared with the other
    # extractors, passes over most blocks before any expression runs; the same two searches over
    # the joined prose ran the expressions over the whole of it.
    for block in card.prose_blocks:
        text = block.text[:10_000]
        if not (_TRAINING_EXPLICIT.search(text) or _FILE_NAME.search(text)):
            continue  # no sentence of it can name training code: skip splitting it
        if sibling_names is None:
            sibling_names = {posixpath.basename(s).lower(): s for s in list(siblings)[:MAX_SIBLINGS]}
        for sentence in block.sentences:
            names_code = _TRAINING_EXPLICIT.search(sentence) or any(
                model_repo_kind(n) == "script" for n in _FILE_NAME.findall(sentence)
            )
            if not names_code:
                continue
            source = f"card:## {card.section_title(block.section_index)}" if card.section_title(block.section_index) else "card"
            if _EXAMPLE.search(sentence):
                continue
            if _NEGATED.search(sentence):
                findings.append(Finding(source, f"card says the training code is not released: \"{_short(sentence)}\"", 0.8))
                continue
            if not _AVAILABLE.search(sentence):
                continue
            files = [sibling_names[n.lower()] for n in _FILE_NAME.findall(sentence) if n.lower() in sibling_names]
            if files:
                mentioned.extend(f for f in files if f not in mentioned)
                findings.append(Finding(source, f"card says the training code is in this repository: \"{_short(sentence)}\"", 0.85))
                continue
            if any(link.context and link.context in sentence for link in card.links if _is_code_location(link.url)):
                continue  # the link itself was judged above
            targets = [link for link in repositories if _REPOSITORY_WORD.search(sentence)]
            if targets:
                for link in targets:
                    if link.url not in urls:
                        urls.append(link.url)
                findings.append(
                    Finding(source, f"card says the training code is in the linked repository: \"{_short(sentence)}\"", 0.6)
                )
            else:
                findings.append(Finding(source, f"card says training code is available but links none: \"{_short(sentence)}\"", 0.4))
    return urls, findings, mentioned


# --- frameworks -------------------------------------------------------------------------------


def frameworks_mentioned(card: ParsedCard) -> tuple[list[str], list[Finding]]:
    """Frameworks and custom codebases the card says the model was trained with."""
    found: list[str] = []
    findings: list[Finding] = []
    training_sections: dict[int, bool] = {}  # section index -> its title is about training

    def in_training(section: int) -> bool:
        known = training_sections.get(section)
        if known is None:
            known = training_sections[section] = bool(_TRAINING_TITLE.search(card.section_title(section)))
        return known

    def may_give(text: str, section: int) -> bool:
        """Can a sentence of `text` name a framework or custom code, in a sentence about training?
        (A sentence cannot match where its block, or the joined rows holding it, do not.)"""
        return bool(
            (in_training(section) or _TRAINING_WORD.search(text) or _TRAINING_CONTEXT_LABEL.search(text))
            # the scan's word on the block is enough here: each sentence is searched below
            and (_FRAMEWORK_NAMES.may_occur_in(text) or _CUSTOM_CODE.search(text))
        )

    def table_may_give(table: Table) -> bool:
        text = table.text  # plain rows as written: a literal's words are in it when a row's text has it
        return (
            in_training(table.section_index)
            or _TRAINING_WORD.may_match_row_source(text)
            or _TRAINING_CONTEXT_LABEL.may_match_row_source(text)
        ) and (_FRAMEWORK_CORES.may_match_row_source(text) or _CUSTOM_CODE.may_match_row_source(text))

    for block in skipping_rows(card.segments, card.row_runs, may_give, table_may_give):
        text = block.text[:10_000]
        title = card.section_title(block.section_index)
        in_training_section = in_training(block.section_index)
        if not may_give(text, block.section_index):
            continue
        for sentence in block.sentences:
            if _EXAMPLE.search(sentence):
                continue  # "an SFT example with TRL" says nothing about how the model was trained
            about_training = in_training_section or _TRAINING_WORD.search(sentence) or _TRAINING_CONTEXT_LABEL.match(sentence)
            if not about_training:
                continue
            if _may_name_framework(sentence):
                for pattern, name in _FRAMEWORKS:
                    if name not in found and pattern.search(sentence):
                        found.append(name)
                        findings.append(Finding(f"card:## {title}" if title else "card", f"trained with {name}: \"{_short(sentence)}\"", 0.7))
            if _CUSTOM_CODE.search(sentence):
                m = _CUSTOM_NAME.search(sentence)
                custom = next((g for g in m.groups() if g), None) if m else None
                label = f"{custom} {CUSTOM_MARK}" if custom else f"training code {CUSTOM_MARK}"
                if label not in found:
                    found.append(label)
                    findings.append(Finding(f"card:## {title}" if title else "card", f"custom training code, not released: \"{_short(sentence)}\"", 0.8))
        if len(found) >= 20:
            break
    return found, findings


def _may_name_framework(sentence: str) -> bool:
    """False only when no `_FRAMEWORKS` pattern can match: their cores (the names without the
    lookarounds), ignoring case, on the text as it is.

    Each framework pattern ignores case (or is stricter: NeMo, TRL), so wherever one matches, its
    core matches at the same place under IGNORECASE, with the same pairs of letters `re` makes
    ('ı' with 'i', 'ſ' with 's'). Searching the text itself, not a lower-cased copy, lets the
    shared scan the block already has (extract/pattern_scan.py) answer first.
    """
    return _FRAMEWORK_NAMES.search(sentence) is not None


_FRAMEWORK_NAMES = prefilter(re.compile(_FRAMEWORK_CORES.pattern, re.I))


# --- repository files -------------------------------------------------------------------------


@text_memo(MAX_URLS)
def _repo_kind(path: str) -> str | None:
    """`model_repo_kind`, once per distinct path: most model repositories hold the same file names
    (config.json, model.safetensors, tokenizer.json), each tried against every path signal."""
    return model_repo_kind(path)


def _repo_files(siblings: Sequence[str], files: Mapping[str, bytes], body_lower: str) -> tuple[list[str], list[str], list[Finding]]:
    scripts: list[str] = []
    configs: list[str] = []
    findings: list[Finding] = []
    for path in list(siblings)[:MAX_SIBLINGS]:
        if not isinstance(path, str):
            continue
        kind = _repo_kind(path)
        if kind is None:
            continue
        if kind == "artefact":
            findings.append(Finding(f"file:{path}", "training run artefact (logs/arguments), not code", 0.4))
            continue
        if kind == "example":
            findings.append(Finding(f"file:{path}", "example fine-tuning code for users, not the code that trained this model", 0.8))
            continue
        lower = posixpath.basename(path).lower()
        content = files.get(path)
        trains = content is not None and bool(_TRAINING_CONTENT.search(content[:200_000].decode("utf-8", "replace")))
        mentioned = lower in body_lower
        confidence = 0.85 if mentioned else 0.75 if trains else 0.6
        why = "training script in the repository" if kind == "script" else "training config in the repository"
        if mentioned:
            why += " (named in the card)"
        findings.append(Finding(f"file:{path}", why, confidence))
        (scripts if kind == "script" else configs).append(path)
    return scripts, configs, findings


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
