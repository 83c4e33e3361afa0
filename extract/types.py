"""Typed evidence: what extract/ reads from a stored model version, and what it concludes.

Every conclusion carries `Finding`s: where it came from (`source`), how sure we are
(`confidence`, 0..1) and a one-line reason a person can read. The classifier only
looks at these dataclasses, never at raw cards, so a label can always be traced back
to the evidence it used.

Inputs (`StoredVersion`, `StoredDataset`) are plain data assembled by store/ from the
database; extract/ never does I/O.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

# --- inputs -----------------------------------------------------------------------------

#: How the crawler could reach a repository's files.
Access = Literal["public", "gated-auto", "gated-manual", "unavailable"]


@dataclass(frozen=True)
class StoredDataset:
    """A linked dataset as stored by the crawler (from `dataset_info`)."""

    id: str
    status: Literal["ok", "gated", "missing", "private", "disabled", "error"]
    gated: Literal["auto", "manual", False] = False
    card_data: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    description: str | None = None
    readme: bytes | None = None  # the dataset's own card (README.md), when the crawler fetched it
    readme_status: str | None = None  # ok | absent | gated | error | oversize; None: not fetched (yet)


#: What the crawler learnt of a linked GitHub repository (`code_repos.status`).
CodeRepoStatus = Literal["ok", "renamed", "missing", "blocked", "error", "rate-limited"]


@dataclass(frozen=True)
class StoredCodeRepo:
    """A GitHub repository a card links, as the crawler last saw it (a `code_repos` row).

    `tree` holds the blobs of the default branch (path, size), bounded; `truncated` says GitHub
    (or our bound) cut the listing. `docs` holds the README and a few data/training documents
    (path -> text, bounded). `licence_spdx` is GitHub's `license.spdx_id`: "NOASSERTION" for a
    licence file GitHub could not classify, None when it found no licence file.
    """

    name: str  # "owner/repo" as linked, lower-case
    status: CodeRepoStatus
    full_name: str | None = None  # canonical name GitHub reports (differs after a rename)
    archived: bool = False
    fork: bool = False
    default_branch: str | None = None
    licence_spdx: str | None = None
    licence_key: str | None = None
    licence_name: str | None = None
    tree: tuple[tuple[str, int], ...] = ()
    truncated: bool = False
    docs: Mapping[str, str] = field(default_factory=dict)
    fetched_at: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class StoredVersion:
    """One stored model version: everything extraction may look at, and nothing more.

    `metadata` is the Hub listing item as the API returned it (`tags`, `cardData`,
    `siblings`, `gated`, `library_name`, ...). `readme` is the raw README bytes, or None
    when it could not be fetched (`readme_status` says why). `files` holds the small
    licence/policy files the crawler fetched (path -> raw bytes). `datasets` holds the
    stored dataset records for every dataset id the card or tags name.
    """

    repo_id: str
    sha: str | None
    metadata: Mapping[str, Any]
    readme: bytes | None = None
    readme_status: str = "ok"  # ok | absent | gated | unavailable | error | oversize
    files: Mapping[str, bytes] = field(default_factory=dict)
    datasets: Mapping[str, StoredDataset] = field(default_factory=dict)
    access: Access = "public"
    # GitHub repositories the card links, by lower-case "owner/repo"; a linked repository missing
    # here was not checked (no token or network, rate limit, or its label cannot rise above Open Weights)
    code_repos: Mapping[str, StoredCodeRepo] = field(default_factory=dict)


# --- evidence ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One piece of evidence: where it was seen, how sure, and why it matters."""

    source: str  # e.g. "cardData.license", "tag:license:mit", "file:LICENSE", "card:## Training", "url:https://..."
    reason: str
    # `| int`: stored JSON may hold an integer here, read back as written (extract/evidence_json.py)
    confidence: float | int = 1.0


#: Licence families, in policy/licences.yaml's order (most open first; a test keeps the two equal);
#: the classifier's licence gate reads only this and `open_basis`.
LicenceFamily = Literal[
    "osi-permissive",  # OSI-approved, permissive (Apache-2.0, MIT, BSD, ...)
    "open-data",  # open data/content licences (CC0, CC-BY, CC-BY-SA, ODC-BY, ODbL, PDDL, CDLA)
    "osi-copyleft",  # OSI-approved, copyleft (GPL, AGPL, MPL, EPL, EUPL, ...)
    "use-restricted",  # OpenRAIL family, BLOOM RAIL, licences with acceptable-use policies
    "vendor-community",  # Llama, Gemma, Grok, Qwen, DeepSeek, Falcon-180B, NVIDIA, Apple, ...
    "non-commercial",  # CC-BY-NC*, research-only licences
    "unknown",  # missing, "unknown", or "other" we could not resolve
]

#: Why a licence counts as open for the parameters.
OpenBasis = Literal["osi", "open-data"]


@dataclass(frozen=True)
class LicenceEvidence:
    raw: tuple[str, ...]  # every declared value, as written (cardData, tags, license_name)
    hub_id: str | None  # normalised Hub licence id ("apache-2.0", "llama3.2", "other", ...)
    spdx_id: str | None  # SPDX id where one exists
    name: str | None  # human name, e.g. "Llama 3.2 Community License"
    family: LicenceFamily
    osi_approved: bool | None  # from the SPDX list; None when not an SPDX licence
    open_basis: OpenBasis | None  # None when the licence is not open
    file_family: LicenceFamily | None = None  # family recognised from a LICENSE* file's text
    file_name: str | None = None  # what that file's text was recognised as
    conflict: str | None = None  # tag/card vs file disagreement, in words
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class WeightsEvidence:
    present: bool
    files: tuple[str, ...]  # up to 20 weight files, for the explanation
    file_count: int
    formats: tuple[str, ...]  # e.g. ("safetensors", "gguf")
    access: Access
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class InferenceCodeEvidence:
    present: bool
    library: str | None  # transformers, diffusers, sentence-transformers, vllm, gguf, ...
    repo_files: tuple[str, ...]  # modelling/configuration code in the repo
    usage_snippet: bool  # a code block showing how to run the model
    findings: tuple[Finding, ...] = ()
    licence: str | None = None  # licence of the inference code (library, model repo, linked repo); None: unknown
    licence_open: bool | None = None  # OSI-approved; None when unknown
    repo: str | None = None  # where the inference code is: a library, "model repository" or a GitHub owner/repo


@dataclass(frozen=True)
class TrainingCodeEvidence:
    released: bool  # training code (or a full recipe) is published
    urls: tuple[str, ...]  # links described as training code
    repo_files: tuple[str, ...]  # train*.py, training configs in the repo
    frameworks_mentioned: tuple[str, ...]  # "trained with X" without released code
    findings: tuple[Finding, ...] = ()
    licence: str | None = None  # licence of the training code (SPDX id, "NOASSERTION", "none"); None: unknown
    licence_open: bool | None = None  # OSI-approved; False keeps the model below Open Source; None: unknown
    repo: str | None = None  # where it is: a GitHub owner/repo, "model repository", or a linked URL
    basis: str | None = None  # repo-tree | model-repo | card (wording alone, GitHub not consulted)


DatasetAvailability = Literal["open", "gated", "missing", "private", "disabled", "not-on-hub", "unknown"]


@dataclass(frozen=True)
class DatasetRef:
    id: str
    source: str  # "cardData.datasets", "tag:dataset:...", "card link"
    on_hub: bool  # we have a stored record for it
    availability: DatasetAvailability
    licence_id: str | None
    licence_family: LicenceFamily | None
    open: bool | None  # openly published under an open licence; None = cannot tell


@dataclass(frozen=True)
class DatasetsEvidence:
    refs: tuple[DatasetRef, ...]
    all_open: bool | None  # True only if every declared dataset is open; None when none declared
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class DataPoint:
    """Points one kind of detail scored, and the document that gave them."""

    signal: str  # named-sources, size, collection, filtering, ...
    points: int
    source: str  # "model card", "dataset card <id>", "github <owner/repo>:<path>"


@dataclass(frozen=True)
class DataInformationEvidence:
    score: int  # 0..100, how completely the training data is described
    sufficient: bool  # enough to rebuild a substantially equivalent system
    sections: tuple[str, ...]  # card section titles that describe data
    signals: tuple[str, ...]  # what was found: sources, size, filtering, dedup, mixture, ...
    findings: tuple[Finding, ...] = ()
    points: tuple[DataPoint, ...] = ()  # the score, kind by kind, with the document each came from
    documents: tuple[str, ...] = ()  # every document read: model card, dataset cards, repository docs


BaseRelation = Literal["finetune", "adapter", "quantized", "merge", "unspecified"]

#: What a declared base value is: a Hub repository id we can ask about, or something no one can
#: check (a local path such as "./llama-7b", a URL outside the Hub, text that is not an id).
BaseKind = Literal["hub-id", "local-path", "url", "invalid"]


@dataclass(frozen=True)
class BaseRef:
    id: str  # the normalised Hub id ("org/name", or a legacy "name"); the raw value when not a Hub id
    relation: BaseRelation
    source: str  # cardData.base_model | tag:... | file:adapter_config.json | file:mergekit_config.yml | file:config.json | card
    kind: BaseKind = "hub-id"
    confidence: float | int = 1.0
    raw: str | None = None  # as written, when normalising changed it (a huggingface.co URL, a path)
    # a restricted family its name says it belongs to ("llama-7b-hf": LLaMA), used when the base itself
    # cannot be verified (a local path, a deleted repo)
    family: str | None = None
    family_licence: LicenceFamily | None = None


@dataclass(frozen=True)
class BaseModelEvidence:
    bases: tuple[BaseRef, ...]
    # A model family named by a version-specific tag or by the card ("fine-tuned from Llama-2-70B")
    # when no Hub id of a base is found, with the licence family it implies. Caps undeclared fine-tunes.
    inferred_family: str | None = None
    inferred_licence_family: LicenceFamily | None = None
    # The card says the model was pretrained from scratch: a family tag then names only its architecture.
    from_scratch: bool = False
    findings: tuple[Finding, ...] = ()


ClaimKind = Literal["open-source", "fully-open", "open-weights", "open-model", "open-science"]
#: What a phrase is about (policy/claims.yaml `targets`).
ClaimTarget = Literal["self", "data", "code", "tool", "other-model", "community", "licence", "name", "quotation"]
ClaimModality = Literal["asserted", "negated", "future", "conditional"]


@dataclass(frozen=True)
class Claim:
    """An openness phrase and what it says. Fields after `about_self` were added in extractor v2; their
    defaults describe what v1 recorded (every v1 claim was taken as asserted, about `self` if about_self)."""

    kind: ClaimKind
    phrase: str  # the words as written
    sentence: str  # one readable sentence to quote (bounded): never a table fragment
    source: str  # "card", "table", "badge", "name", "tag:..."
    about_self: bool  # a claim about this model, asserted now, confident enough: what open-washing reads
    target: ClaimTarget = "self"
    modality: ClaimModality = "asserted"
    implied: bool = False  # "other open-source models", a badge, a tag: not said in so many words
    confidence: float | int = 1.0  # 0..1, from the rule that decided (policy/claims.yaml `confidence`)
    language: str = "en"  # ISO 639-1 code of the sentence
    rule: str = ""  # the rule that decided target and modality (e.g. "self-explicit", "implied-other")


@dataclass(frozen=True)
class ClaimsEvidence:
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class CodeRepoRef:
    """A GitHub repository the card links, the role the card gives it, and what its check showed."""

    name: str  # "owner/repo" as linked, lower-case
    url: str
    role: str  # training | repository | inference | framework | example (from the card's wording)
    # a CodeRepoStatus; or unchecked (GitHub not consulted: no token/network), not-needed (the label cannot
    # rise above Open Weights), not-fetched (beyond the repositories checked per version, or a role never checked)
    status: str
    full_name: str | None = None
    licence: str | None = None  # SPDX id, "NOASSERTION" (unrecognised licence file) or "none" (no licence file)
    licence_open: bool | None = None
    archived: bool = False
    training_code: bool | None = None  # its tree holds training code; None: not known (unchecked, truncated)
    training_paths: tuple[str, ...] = ()
    inference_code: bool | None = None
    run_configs: bool = False  # its tree holds run configurations (training configs, configs/, models/*.yaml)


@dataclass(frozen=True)
class ParseProblem:
    code: str  # yaml-invalid | yaml-not-mapping | not-utf8 | binary | oversize | truncated | readme-missing | ...
    message: str


@dataclass(frozen=True)
class ModelEvidence:
    repo_id: str
    sha: str | None
    extractor_version: int
    licence: LicenceEvidence
    weights: WeightsEvidence
    inference_code: InferenceCodeEvidence
    training_code: TrainingCodeEvidence
    datasets: DatasetsEvidence
    data_information: DataInformationEvidence
    base_model: BaseModelEvidence
    claims: ClaimsEvidence
    problems: tuple[ParseProblem, ...] = ()
    code_repos: tuple[CodeRepoRef, ...] = ()  # linked GitHub repositories (the crawler checks some of them)

    def to_dict(self) -> dict[str, Any]:
        """`dataclasses.asdict(self)`, without its deep copies (evidence is immutable)."""
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ModelEvidence":
        return _build(cls, data)


# --- (de)serialisation: evidence is stored as JSON and read back typed -------------------

_NESTED: dict[type, dict[str, type]] = {}


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_LEAVES = frozenset({str, int, float, bool, type(None)})


def plain(obj: Any) -> Any:
    """What `dataclasses.asdict` makes of evidence (or of any dataclass of plain values): dataclasses
    as dicts, tuples and lists kept as such, several times faster (field names looked up once per class)."""
    kind = type(obj)
    if kind in _LEAVES:
        return obj
    if kind is tuple or kind is list:
        return kind([v if type(v) in _LEAVES else plain(v) for v in obj])
    if dataclasses.is_dataclass(kind):
        names = _names(kind)
        values = [getattr(obj, name) for name in names]
        return {name: v if type(v) in _LEAVES else plain(v) for name, v in zip(names, values)}  # leaves kept without a call
    if isinstance(obj, dict):
        return type(obj)((plain(k), plain(v)) for k, v in obj.items())
    return copy.deepcopy(obj)  # as asdict does for anything else


def _is_mapping(value: Any) -> bool:
    # JSON gives plain dicts: tested by type first, since the Mapping ABC's check is slow
    kind = type(value)
    return kind is dict or (kind not in _LEAVES and kind is not list and isinstance(value, Mapping))


def _build(cls: type, data: Mapping[str, Any]) -> Any:
    hints = _field_types(cls)
    kwargs = {}
    for name in _names(cls):
        if name not in data:
            continue
        value = data[name]
        if type(value) in _LEAVES:  # most fields: kept as they are
            kwargs[name] = value
            continue
        kind = hints.get(name)
        if kind is not None and _is_mapping(value):
            value = _build(kind, value)
        elif kind is not None and isinstance(value, list):
            value = tuple(_build(kind, v) if _is_mapping(v) else v for v in value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def _field_types(cls: type) -> dict[str, type]:
    """Which fields hold nested evidence dataclasses (directly or in a tuple)."""
    if cls not in _NESTED:
        known = {c.__name__: c for c in _EVIDENCE_CLASSES}
        out: dict[str, type] = {}
        for f in dataclasses.fields(cls):
            text = str(f.type)
            for name, c in known.items():
                if text == name or text.startswith(f"tuple[{name},") or text == f"tuple[{name}, ...]":
                    out[f.name] = c
        _NESTED[cls] = out
    return _NESTED[cls]


_EVIDENCE_CLASSES = (
    Finding,
    LicenceEvidence,
    WeightsEvidence,
    InferenceCodeEvidence,
    TrainingCodeEvidence,
    DatasetRef,
    DatasetsEvidence,
    DataPoint,
    DataInformationEvidence,
    BaseRef,
    BaseModelEvidence,
    Claim,
    ClaimsEvidence,
    CodeRepoRef,
    ParseProblem,
    ModelEvidence,
)
