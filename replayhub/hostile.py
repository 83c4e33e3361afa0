"""A hostile hub: every kind of malformed metadata and card the real Hub may serve, seeded and deterministic.

`hostile_hub(seed)` returns a `HubState` of well-formed background models (from the synthetic
generator) plus a few hundred models that each carry one kind of trouble, and the bookkeeping a
test needs: which kind every repo has, which problem codes each kind must leave in `problems`,
which repos are private, which cannot be stored at all. Kinds (`KINDS`): listing fields of the wrong
type or out of range, ids the client refuses or no key column holds, cardData nested 500 deep or not
a mapping, 200,000 tags, invalid YAML and YAML alias bombs, binary and invalid UTF-8 cards, NUL
bytes, 1 MB one-line and 10 MB cards, deep Markdown and HTML, odd dataset ids, licences given as
numbers and mappings, base_model cycles, and HTML/script payloads in cards, ids and licence names.

The payloads set `window.__hubscan_xss`; a report rendered from this hub runs none of them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable

from .state import LEGACY_CREATED_AT, HubState, build_snapshot
from .synthetic import synthetic_state

#: The owner's token: it lists the private repos (a member's view of the Hub).
OWNER_TOKEN = "hf_hostile_owner_token_not_a_secret"
OWNER = {"user": "hostile-owner", "private": ["*"], "gated": []}
XSS_MARK = "window.__hubscan_xss"
SCRIPT = f"<script>{XSS_MARK}=1</script>"
IMG = f"<img src=x onerror={XSS_MARK}=2>"
WEIGHTS = {"model.safetensors": 400_000_000, "config.json": '{"model_type": "llama"}'}


@dataclass(frozen=True)
class Kind:
    name: str
    count: int
    codes: frozenset[str]  # problem codes every model of this kind leaves (empty: must just be stored and labelled)
    make: Callable[[random.Random, int, str], dict[str, Any]]  # (rng, n, repo id) -> model dict
    stage_repo: str = "model"  # "dataset": the codes are recorded on the datasets the model names


@dataclass
class HostileHub:
    state: HubState
    kinds: dict[str, str] = field(default_factory=dict)  # repo id -> kind
    private: set[str] = field(default_factory=set)
    unstorable: set[str] = field(default_factory=set)  # ids no key column holds: skipped with a problem
    odd_datasets: set[str] = field(default_factory=set)
    token: str = OWNER_TOKEN
    tokens: dict[str, dict[str, Any]] = field(default_factory=lambda: {OWNER_TOKEN: OWNER})

    def ids_of(self, kind: str) -> list[str]:
        return [repo_id for repo_id, k in self.kinds.items() if k == kind]


def _card(front: str, body: str) -> str:
    return f"---\n{front}---\n{body}"


def _model(repo_id: str, readme: str | bytes | None, **fields: Any) -> dict[str, Any]:
    files: dict[str, Any] = dict(WEIGHTS)
    if readme is not None:
        files["README.md"] = readme
    return {"id": repo_id, "files": files, "downloads": 1_000, "tags": ["transformers", "safetensors", "region:us"], **fields}


def _plain_card(title: str) -> str:
    return _card("license: apache-2.0\nlibrary_name: transformers\n", f"# {title}\n\nA small model for tests.\n")


def _deep(levels: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    node = root
    for _ in range(levels):
        node["nested"] = {}
        node = node["nested"]
    return root


_YAML_BOMB = "license: mit\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi")
)


def _binary(rng: random.Random, n: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(n))


KINDS: tuple[Kind, ...] = (
    Kind("card-datasets-number", 20, frozenset({"bad-datasets"}),
         lambda r, n, i: _model(i, _plain_card(i), cardData={"license": "mit", "datasets": 7})),
    Kind("downloads-huge", 20, frozenset({"bad-downloads"}), lambda r, n, i: {**_model(i, _plain_card(i)), "downloads": 10**30}),
    Kind("downloads-text", 20, frozenset({"bad-downloads"}), lambda r, n, i: {**_model(i, _plain_card(i)), "downloads": "lots"}),
    Kind("likes-negative", 10, frozenset({"bad-likes"}), lambda r, n, i: _model(i, _plain_card(i), likes=-5)),
    Kind("refused-id", 20, frozenset({"bad-repo-id"}), lambda r, n, i: _model(i, _plain_card(i))),
    Kind("xss-id", 5, frozenset({"bad-repo-id"}), lambda r, n, i: {**_model(i, _plain_card(i)), "downloads": 2_000_000_000 - n}),
    Kind("deep-carddata", 10, frozenset({"carddata-oversize"}), lambda r, n, i: _model(i, _plain_card(i), cardData=_deep(500))),
    Kind("carddata-not-mapping", 10, frozenset({"bad-carddata"}), lambda r, n, i: _model(i, _plain_card(i), cardData=["license", "mit"])),
    Kind("tags-200k", 1, frozenset({"tags-capped"}),
         lambda r, n, i: _model(i, _plain_card(i), tags=[f"dataset:tag-org/ds-{k}" for k in range(200_000)])),
    Kind("tags-2k", 10, frozenset({"tags-capped"}), lambda r, n, i: _model(i, _plain_card(i), tags=[f"t{k}" for k in range(2_000)])),
    Kind("tags-not-list", 10, frozenset({"bad-tags"}), lambda r, n, i: _model(i, _plain_card(i), tags="text-generation")),
    Kind("tags-not-text", 10, frozenset({"bad-tags"}), lambda r, n, i: _model(i, _plain_card(i), tags=[1, {"a": 1}, "ok"])),
    Kind("bad-dates", 10, frozenset({"bad-createdat"}), lambda r, n, i: _model(i, _plain_card(i), createdAt=1234567)),
    Kind("pipeline-not-text", 10, frozenset({"bad-pipeline_tag"}), lambda r, n, i: _model(i, _plain_card(i), pipeline_tag={"task": "x"})),
    Kind("gated-garbage", 5, frozenset({"bad-gated"}), lambda r, n, i: _model(i, _plain_card(i), gated="yes please")),
    Kind("invalid-yaml", 20, frozenset({"yaml-invalid"}),
         lambda r, n, i: _model(i, "---\nlicense: [mit\n  broken: : :\n---\n# Card\n", cardData={"license": "mit"})),
    Kind("yaml-bomb", 10, frozenset({"yaml-too-complex"}), lambda r, n, i: _model(i, f"---\n{_YAML_BOMB}---\n# Bomb\n", cardData={"license": "mit"})),
    Kind("yaml-deep", 5, frozenset({"yaml-too-complex"}),
         lambda r, n, i: _model(i, "---\nlicense: " + "[" * 3_000 + "]" * 3_000 + "\n---\n# Deep\n", cardData={})),
    Kind("binary-card", 20, frozenset({"binary"}), lambda r, n, i: _model(i, _binary(r, 4_096), cardData={"license": "mit"})),
    Kind("invalid-utf8", 20, frozenset({"not-utf8"}),
         lambda r, n, i: _model(i, b"---\nlicense: mit\n---\n# Caf\xe9 model\n\nTrained on caf\xe9 data \xff\xfe here.\n" * 3)),
    Kind("nul-bytes", 10, frozenset({"binary"}),
         lambda r, n, i: _model(i, "---\nlicense: mit\n---\n# Nul\x00 card\n\x00\x00 body\n", pipeline_tag="text\x00generation")),
    Kind("one-line-1mb", 1, frozenset({"oversize"}),
         lambda r, n, i: _model(i, "This model is open source and " + "very " * 199_990 + "fast.", cardData={"license": "mit"})),
    Kind("card-10mb", 2, frozenset({"oversize"}), lambda r, n, i: _model(i, _card("license: mit\n", "Some text here.\n" * 660_000))),
    Kind("deep-markdown", 10, frozenset(), lambda r, n, i: _model(i, _card("license: mit\n", "> " * 20_000 + "quote\n" + "- " * 20_000 + "item\n"))),
    Kind("deep-html", 5, frozenset(), lambda r, n, i: _model(i, _card("license: mit\n", "<div>" * 20_000 + "x" + "</div>" * 20_000 + "\n"))),
    Kind("many-links", 3, frozenset(), lambda r, n, i: _model(i, _card("license: mit\n", "".join(f"[l{k}](https://example.org/{k}) " for k in range(100_000))))),
    Kind("odd-dataset-ids", 10, frozenset({"bad-dataset-id"}),
         lambda r, n, i: _model(i, _plain_card(i), cardData={"license": "mit", "datasets": [f"../../api/models{n}", f"a b {n}", "x" * 120 + str(n), f"--{n}"]}),
         stage_repo="dataset"),
    Kind("many-datasets", 5, frozenset({"datasets-capped"}),
         lambda r, n, i: _model(i, _plain_card(i), cardData={"license": "mit", "datasets": [f"ds-org/d{n}-{k}" for k in range(500)]})),
    Kind("many-bases", 5, frozenset({"bases-capped"}),
         lambda r, n, i: _model(i, _plain_card(i), cardData={"license": "mit", "base_model": [f"base-org/b{n}-{k}" for k in range(100)]})),
    Kind("base-model-malformed", 10, frozenset({"bad-base-model"}),
         lambda r, n, i: _model(i, _plain_card(i), cardData={"license": "mit", "base_model": {"id": "x/y"}})),
    Kind("licence-number", 8, frozenset({"bad-licence"}), lambda r, n, i: _model(i, _plain_card(i), cardData={"license": 7})),
    Kind("licence-mapping", 8, frozenset({"bad-licence"}), lambda r, n, i: _model(i, _plain_card(i), cardData={"license": {"name": "mit"}})),
    Kind("licence-list-of-numbers", 7, frozenset({"bad-licence"}), lambda r, n, i: _model(i, _plain_card(i), cardData={"license": [1, 2]})),
    Kind("base-cycle", 10, frozenset(), lambda r, n, i: _model(i, _plain_card(i))),  # filled in by hostile_hub: A -> B -> A
    Kind("xss-card", 10, frozenset(),
         lambda r, n, i: _model(i, _card("license: other\n", f"# Model {n}\n\nThis model is fully open source. {SCRIPT} {IMG}\n\n{SCRIPT}\n"),
                                cardData={"license": "other"}, downloads=5_000_000 + n)),
    Kind("xss-licence", 10, frozenset(),
         lambda r, n, i: _model(i, _card(f"license: \"{IMG}\"\n", "# Model\n\nThis is an open source model.\n"),
                                cardData={"license": IMG, "license_name": SCRIPT}, downloads=4_000_000 + n)),
    Kind("lone-surrogate", 5, frozenset(),
         lambda r, n, i: _model(i, _plain_card(i), cardData={"license": "mit", "model_name": "bad \ud800 text"}, library_name="tf\udfff")),
    Kind("private", 10, frozenset(), lambda r, n, i: _model(i, _plain_card(i), private=True)),
    Kind("private-garbage", 5, frozenset({"bad-private"}), lambda r, n, i: _model(i, _plain_card(i), private="maybe")),
    Kind("empty-card", 5, frozenset(), lambda r, n, i: _model(i, "")),
)

_ODD_IDS = ("hostile/bad..name-{n}", "hostile/-dash-{n}", "hostile/name with space {n}", "hostile/ends-with-a-dot-{n}.", "hostile/x{n}" + "y" * 100)


def _repo_id(kind: Kind, n: int) -> str:
    if kind.name == "refused-id":
        return _ODD_IDS[n % len(_ODD_IDS)].format(n=n)
    if kind.name == "xss-id":
        return f"<img src=x onerror={XSS_MARK}={n + 3}>/model-{n}"
    return f"hostile-{kind.name}/model-{n}"


def hostile_hub(seed: int = 13, background: int = 150) -> HostileHub:
    """The hostile hub: `background` well-formed synthetic models plus every kind in KINDS."""
    rng = random.Random(seed)
    synthetic = synthetic_state(background, seed=seed)
    models = [synthetic.generated_data(i) for i in range(background)]
    datasets = [synthetic.generated_data(i, "dataset") for i in range(synthetic.n_datasets)]
    hub = HostileHub(HubState())
    for model in models:
        hub.kinds[model["id"]] = "background"
        if model.get("private"):
            hub.private.add(model["id"])
    for kind in KINDS:
        for n in range(kind.count):
            repo_id = _repo_id(kind, n)
            model = kind.make(rng, n, repo_id)
            if kind.name == "base-cycle":
                partner = _repo_id(kind, n + 1 if n % 2 == 0 else n - 1)
                model["cardData"] = {"license": "mit", "base_model": partner}
            models.append(model)
            hub.kinds[repo_id] = kind.name
            if kind.name == "private":
                hub.private.add(repo_id)
            if kind.name == "private-garbage":
                hub.private.add(repo_id)  # an unreadable flag counts as private
            if kind.name == "odd-dataset-ids":
                hub.odd_datasets.update(model["cardData"]["datasets"])
    for n in range(2):  # ids no key column holds
        repo_id = f"hostile-unstorable/{'z' * 300}{n}"
        models.append(_model(repo_id, _plain_card("x")))
        hub.kinds[repo_id] = "unstorable"
        hub.unstorable.add(repo_id)
    hub.state = _load(models, datasets)
    return hub


def _load(models: list[dict[str, Any]], datasets: list[dict[str, Any]]) -> HubState:
    """Like HubState.from_fixture, without deep-copying each repo: copy.deepcopy recurses once per
    level, and cardData nested 500 deep would exhaust Python's recursion limit in the hub itself."""
    state = HubState()
    for repo_type, repos in (("model", models), ("dataset", datasets)):
        for data in repos:
            state._store(build_snapshot(data, repo_type, state._total(repo_type), default_created=LEGACY_CREATED_AT, copy_fields=False))
    return state


def expected_codes() -> dict[str, frozenset[str]]:
    return {kind.name: kind.codes for kind in KINDS}


def dataset_kinds() -> set[str]:
    return {kind.name for kind in KINDS if kind.stage_repo == "dataset"}


__all__ = ["IMG", "KINDS", "OWNER_TOKEN", "SCRIPT", "XSS_MARK", "HostileHub", "dataset_kinds", "expected_codes", "hostile_hub"]
