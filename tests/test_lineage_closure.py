"""Lineage that follows the base model wherever it lives (issue 10), end to end on the replay hub.

A small hub where the models of one author ("me") derive from bases under other accounts: a
restricted root, a renamed repo (an old id that answers 307), a legacy id without a namespace, a case
variant, a deleted base, an adapter naming its base only in adapter_config.json, a merge naming its
parts only in its mergekit config, a quantisation, a base named only in the card's prose, a local
path, and a from-scratch model that carries a family tag. A crawl of "me" alone must label and flag
every one of them exactly as a full crawl does, asking the Hub about each distinct base once.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import yaml

from hubscan.cli import main
from replayhub.state import HubState

FULL = ["--mode", "full"]


def repo(repo_id: str, licence: str = "apache-2.0", body: str = "", files: dict | None = None, **card) -> dict:
    front = {"license": licence, **card}
    readme = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n\n# " + repo_id.split("/")[-1] + "\n\n" + body + "\n"
    return {"id": repo_id, "files": {"README.md": readme, "model.safetensors": 1_000_000, **(files or {})}}


def lineage_hub() -> HubState:
    bases = [
        repo("vendor/restricted-7b", "llama3.1", "The vendor's model under its community licence."),
        repo("otherorg/mid-ft", "apache-2.0", "An instruction tune.", base_model="vendor/restricted-7b"),
        dict(repo("newname/base-v1", "apache-2.0", "Weights only."), aliases=["oldname/base-v1"]),
        repo("FacebookAI/roberta-large", "mit", "An encoder."),
        repo("grand/root", "cc-by-nc-4.0", "Research only."),
        repo("parent/of-me", "mit", "Derived from a research model.", base_model="grand/root"),
    ]
    mine = [
        repo("me/ft-of-mid", "apache-2.0", "Further tuned.", base_model="otherorg/mid-ft"),
        repo("me/lora", "mit", "A LoRA adapter.", files={
            "adapter_config.json": json.dumps({"base_model_name_or_path": "Vendor/Restricted-7B", "peft_type": "LORA"}),
            "adapter_model.safetensors": 20_000,
        }),
        repo("me/merge", "apache-2.0", "A merge.", files={
            "mergekit_config.yml": "models:\n  - model: newname/base-v1\n  - model: oldname/base-v1\nmerge_method: slerp\nbase_model: newname/base-v1\n",
        }),
        repo("me/quant", "apache-2.0", "GGUF files.", base_model="oldname/base-v1", base_model_relation="quantized"),
        repo("me/prose", "apache-2.0", "This model is fine-tuned from Llama-2-70B on our chat data."),
        repo("me/legacy", "mit", "Classifier head.", base_model="roberta-large"),
        repo("me/orphan", "apache-2.0", "Its base was deleted.", base_model="gone/deleted-base"),
        repo("me/local", "apache-2.0", "Trained from a local checkpoint.", base_model="./checkpoints/base"),
        repo("me/local-llama", "apache-2.0", "Tuned from weights on our disk.", base_model="/data/llama-7b-hf"),
        repo("me/scratch", "apache-2.0", "A Llama-architecture model pretrained from scratch on open data.", tags=["llama-3"]),
        repo("me/grandchild", "mit", "Tuned again.", base_model="parent/of-me"),
    ]
    state = HubState.from_fixture({"models": bases + mine, "datasets": []})
    return state


def crawl(db, hub, *extra) -> None:
    assert main(["crawl", "--endpoint", hub.url, "--db", str(db), *extra]) == 0


def labels(db, prefix: str = "me/") -> dict[str, tuple]:
    from store.db import open_engine
    from store.export import latest_records

    engine = open_engine(str(db))
    try:
        with engine.connect() as conn:
            out = {}
            for r in latest_records(conn):
                if r["repo_id"].startswith(prefix):
                    codes = tuple(sorted(reason.split(":", 1)[0] for reason in r["washing_reasons"]))
                    out[r["repo_id"]] = (r["label"], r["rule"], codes)
            return out
    finally:
        engine.dispose()


EXPECTED = {
    "me/ft-of-mid": ("Weights Available", "B1", ("W-LAUNDER",)),  # root restricted two levels up
    "me/lora": ("Weights Available", "B1", ("W-LAUNDER",)),  # base named only in adapter_config.json, in another case
    "me/merge": ("Open Weights", "S0", ()),  # both parts resolve to one open base (one through its old name)
    "me/quant": ("Open Weights", "S0", ()),  # quantised re-upload of an open base under its old name
    "me/prose": ("Weights Available", "L2", ("W-LAUNDER",)),  # "fine-tuned from Llama-2-70B"
    "me/legacy": ("Open Weights", "S0", ()),  # roberta-large -> FacebookAI/roberta-large
    "me/orphan": ("Open Weights", "S0", ()),  # deleted base: unverifiable, not raised (B0 in the gates)
    "me/local": ("Open Weights", "S0", ()),  # a local path: unverifiable
    "me/local-llama": ("Weights Available", "L2", ("W-LAUNDER",)),  # unverifiable, but its name says LLaMA 7B
    "me/scratch": ("Open Weights", "S0", ()),  # the llama-3 tag names only the architecture
    "me/grandchild": ("Weights Available", "B1", ("W-LAUNDER",)),  # non-commercial grandparent
}


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")


def test_a_crawl_of_one_author_labels_like_a_full_crawl(tmp_path, replay_hub, fast_retries, capsys):
    full_hub = replay_hub(lineage_hub())
    crawl(tmp_path / "full.db", full_hub, *FULL)
    full = labels(tmp_path / "full.db")
    assert full == EXPECTED

    hub = replay_hub(lineage_hub())
    crawl(tmp_path / "mine.db", hub, "--author", "me")
    assert labels(tmp_path / "mine.db") == full

    # each distinct base id was asked about once: one answer per id, after the redirects the client followed
    info = [r for r in hub.requests if r.kind == "models.info"]
    answers = [r for r in info if r.status != 307]
    redirected = Counter(r.path for r in info if r.status == 307)
    # a renamed repo, a legacy id and a case variant (one key with the lower-case spelling another model uses)
    assert redirected == Counter({"/api/models/oldname/base-v1": 1, "/api/models/roberta-large": 1, "/api/models/Vendor/Restricted-7B": 1})
    # bases of bases were followed: the restricted root and the non-commercial grandparent are stored
    from store.db import open_engine

    engine = open_engine(str(tmp_path / "mine.db"))
    with engine.connect() as conn:
        origin = dict(conn.exec_driver_sql("SELECT repo_id, origin FROM models").all())
        aliases = dict(conn.exec_driver_sql("SELECT alias_key, repo_id FROM model_aliases").all())
        run = conn.exec_driver_sql("SELECT lineage_calls, bases_fetched FROM runs").one()
    engine.dispose()
    assert origin["vendor/restricted-7b"] == origin["grand/root"] == "lineage"
    assert origin["me/lora"] == "listing"
    assert aliases["oldname/base-v1"] == "newname/base-v1" and aliases["roberta-large"] == "FacebookAI/roberta-large"
    assert run.bases_fetched == 6 and run.lineage_calls == len(answers) == 8
    assert "lineage: " in capsys.readouterr().out


def test_a_second_run_asks_nothing_again_until_due(tmp_path, replay_hub, fast_retries):
    hub = replay_hub(lineage_hub())
    crawl(tmp_path / "db", hub, "--author", "me")
    hub.reset_counts()
    crawl(tmp_path / "db", hub, "--author", "me")
    # aliases and stored bases answer for themselves; the deleted base is not due again for a week
    assert hub.count("models.info") == 0
    assert labels(tmp_path / "db") == EXPECTED


def test_explain_names_the_unverifiable_base_and_why(tmp_path, replay_hub, fast_retries, capsys):
    hub = replay_hub(lineage_hub())
    crawl(tmp_path / "db", hub, "--author", "me")
    capsys.readouterr()
    assert main(["explain", "me/orphan", "--db", str(tmp_path / "db")]) == 0
    out = capsys.readouterr().out
    assert "B0" in out and "gone/deleted-base" in out and "does not exist on the Hub" in out
    assert main(["explain", "me/local", "--db", str(tmp_path / "db")]) == 0
    assert "local path" in capsys.readouterr().out


def test_a_base_that_later_turns_restricted_reaches_every_descendant_in_one_crawl(tmp_path, replay_hub, fast_retries):
    state = HubState.from_fixture({"models": [repo("r/root", "apache-2.0")] + [
        repo(f"c/m{i}", "apache-2.0", base_model="r/root" if i == 0 else f"c/m{i - 1}") for i in range(40)
    ], "datasets": []})
    hub = replay_hub(state)
    crawl(tmp_path / "db", hub, *FULL)
    assert set(label for label, _rule, _codes in labels(tmp_path / "db", "c/").values()) == {"Open Weights"}
    state.update("r/root", cardData={"license": "llama3.1"})
    state.set_file("r/root", "README.md", "---\nlicense: llama3.1\n---\n# root\n")
    crawl(tmp_path / "db", hub, *FULL)
    after = labels(tmp_path / "db", "c/")
    assert {label for label, _rule, _codes in after.values()} == {"Weights Available"}
    assert after["c/m0"][2] == ("W-LAUNDER",) and after["c/m39"][2] == ("W-LAUNDER",)


def test_a_lineage_cycle_is_reported_and_not_followed(tmp_path, replay_hub, fast_retries):
    state = HubState.from_fixture({"models": [
        repo("loop/a", "apache-2.0", base_model="loop/b"),
        repo("loop/b", "apache-2.0", base_model="loop/a"),
        repo("loop/child", "mit", base_model="loop/a"),
    ], "datasets": []})
    hub = replay_hub(state)
    crawl(tmp_path / "db", hub, *FULL)
    got = labels(tmp_path / "db", "loop/")
    assert {k: v[0] for k, v in got.items()} == {"loop/a": "Open Weights", "loop/b": "Open Weights", "loop/child": "Open Weights"}
    from store.db import open_engine

    engine = open_engine(str(tmp_path / "db"))
    with engine.connect() as conn:
        problems = {r[0] for r in conn.exec_driver_sql("SELECT repo_id FROM problems WHERE code = 'lineage-cycle'")}
    engine.dispose()
    assert problems == {"loop/a", "loop/b"}


@pytest.mark.slow
def test_a_thousand_deep_chain_is_capped_in_one_crawl(tmp_path, replay_hub, fast_retries):
    depth = 1000
    models = [repo("deep/root", "llama3.1")] + [
        repo(f"deep/m{i:04d}", "apache-2.0", base_model="deep/root" if i == 0 else f"deep/m{i - 1:04d}") for i in range(depth)
    ]
    hub = replay_hub(HubState.from_fixture({"models": models, "datasets": []}))
    crawl(tmp_path / "db", hub, *FULL)
    got = labels(tmp_path / "db", "deep/m")
    assert len(got) == depth
    assert Counter(v[:2] for v in got.values()) == Counter({("Weights Available", "B1"): depth})


@pytest.mark.slow
def test_a_partial_crawl_of_a_chain_tip_fetches_every_base_to_the_root(tmp_path, replay_hub, fast_retries):
    depth = 150
    models = [repo("deep/root", "gemma")] + [
        repo(f"deep/m{i:04d}", "apache-2.0", base_model="deep/root" if i == 0 else f"deep/m{i - 1:04d}") for i in range(depth)
    ]
    hub = replay_hub(HubState.from_fixture({"models": models, "datasets": []}))
    crawl(tmp_path / "db", hub, "--search", f"m{depth - 1:04d}")
    got = labels(tmp_path / "db", "deep/")
    assert len(got) == depth + 1  # the tip, and every base up to the root
    assert got[f"deep/m{depth - 1:04d}"][:2] == ("Weights Available", "B1")
    assert hub.count("models.info") == depth  # each base once


@pytest.mark.slow
def test_a_ten_thousand_model_fan_out_is_labelled_in_one_crawl(tmp_path, replay_hub, fast_retries):
    fan = 10_000
    models = [repo("fan/root", "llama3.2")] + [repo(f"fan/child-{i:05d}", "mit", base_model="fan/root") for i in range(fan)]
    hub = replay_hub(HubState.from_fixture({"models": models, "datasets": []}))
    crawl(tmp_path / "db", hub, *FULL)
    got = labels(tmp_path / "db", "fan/child-")
    assert len(got) == fan
    assert Counter(got.values()) == Counter({("Weights Available", "B1", ("W-LAUNDER",)): fan})


def test_the_weekly_report_counts_models_whose_base_no_one_could_verify(tmp_path, replay_hub, fast_retries):
    from reports import write_washing_report
    from store.db import open_engine

    hub = replay_hub(lineage_hub())
    crawl(tmp_path / "db", hub, *FULL)
    engine = open_engine(str(tmp_path / "db"))
    try:
        files = write_washing_report(engine, tmp_path / "out")
    finally:
        engine.dispose()
    markdown = files["markdown"].read_text(encoding="utf-8")
    # me/orphan (deleted base), me/local (a local path), me/local-llama (a local path named like LLaMA)
    assert "Derive from a base no one could verify (capped at Open Weights, rule B0): **3**" in markdown
