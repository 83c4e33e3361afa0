"""Issue 17, part 3: `hubscan compare`, hubscan's labels beside an outside judge's.

The crosswalk boundaries are pinned verdict by verdict (policy/crosswalk.yaml). The comparison runs
on the dev hub crawled through the replay hub, judged by the labels dev_hub.json records for each
model (a list of acceptable labels per model, the judged-set format); the expected agreement is
computed from the `labels` table here, not by reports/compare.py.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from hubscan.cli import main
from replayhub import ReplayHub
from replayhub.state import HubState
from reports.crosswalk import CrosswalkError, resolve

OSOD, OS, OW, WA, NW = "Open Source and Open Data", "Open Source", "Open Weights", "Weights Available", "No Weights"
BERT = "google-bert/bert-base-uncased"


# --- the crosswalk ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "verdict, judge, labels, via",
    [
        ("Open Weights", None, (OW,), None),
        ("open source and open data", "Model Openness Tool", (OSOD,), None),
        ("Open Source | Open Source and Open Data", None, (OS, OSOD), None),
        # Model Openness Tool classes, as the tool writes them and shorter
        ("Class I - Open Science Model", None, (OSOD,), "mot/class-i"),
        ("Class II - Open Tooling Model", None, (OW, OS), "mot/class-ii"),
        ("Class III - Open Model", "MOT", (OW,), "mot/class-iii"),
        ("class 3", None, (OW,), "mot/class-iii"),
        ("Unclassified", None, (WA, OW), "mot/not-classified"),
        ("not classified", "Model Openness Tool", (WA, OW), "mot/not-classified"),
        # OSI validation verdicts
        ("Passed OSAID validation (OLMo)", None, (OS, OSOD), "osi/passed"),
        ("Would pass if it changed its licence (BLOOM)", "OSI validation", (WA,), "osi/would-pass"),
        ("Did not pass OSAID validation (Llama 2)", None, (NW, WA, OW), "osi/did-not-pass"),
    ],
)
def test_verdicts_cross_to_the_labels_they_allow(verdict, judge, labels, via):
    found = resolve(verdict, judge)
    assert found.labels == labels
    assert (f"{found.scheme}/{found.verdict}" if found.scheme else None) == via
    assert via is None or len(found.rationale) > 40


INDEX = "European Open Source AI Index"
ALL_OPEN = {"llmweights": "open", "rlweights": "open", "license": "open", "opencode": "open", "llmdata": "open", "rldata": "open", "datasheet": "open"}


def index_verdict(**changes) -> str:
    return "; ".join(f"{k}={v}" for k, v in {**ALL_OPEN, **changes}.items() if v is not None)


@pytest.mark.parametrize(
    "changes, labels, rule",
    [
        ({}, (OSOD,), 5),
        ({"rldata": "partial"}, (OW, OS), 6),  # data is the least open of base and end data
        ({"llmdata": "closed", "rldata": "closed"}, (OW, OS), 7),  # a datasheet describes the data
        ({"llmdata": "closed", "datasheet": "closed"}, (OW,), 8),
        ({"llmdata": "closed", "datasheet": None}, (OW,), 8),  # no datasheet given meets no condition
        ({"opencode": "partial"}, (OW,), 9),
        ({"license": "partial"}, (WA, OW), 4),
        ({"license": "closed"}, (WA,), 3),
        ({"llmweights": "closed", "rlweights": "partial"}, (WA,), 2),  # weights: the most open release
        ({"llmweights": "closed", "rlweights": "open"}, (OSOD,), 5),
        ({"llmweights": "closed", "rlweights": "closed"}, (NW,), 1),
    ],
)
def test_index_levels_cross_by_the_first_rule_that_holds(changes, labels, rule):
    found = resolve(index_verdict(**changes), INDEX)
    assert (found.labels, found.scheme, found.verdict) == (labels, "eu-index", f"rule {rule}")


def test_index_verdicts_read_aliases_and_notes_and_refuse_what_they_cannot_place():
    found = resolve("data closed, weights open, training code closed, licence open (Apache 2.0)")
    assert (found.labels, found.verdict) == ((OW,), "rule 9")
    with pytest.raises(CrosswalkError, match="lacks code"):
        resolve("weights=open; license=open", INDEX)
    with pytest.raises(CrosswalkError, match="'wieghts=open' is not a dimension"):
        resolve("wieghts=open; license=open", INDEX)
    with pytest.raises(CrosswalkError, match="given twice"):
        resolve("weights=open; llmweights=closed", INDEX)
    with pytest.raises(CrosswalkError, match="neither a G7 label"):
        resolve("Class IV")
    with pytest.raises(CrosswalkError, match="Model Openness Tool crosswalk"):
        resolve("Passed", "Model Openness Tool")  # the judge is named: only its scheme applies


# --- the comparison on a crawled hub ------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory, _dev_hub_text) -> tuple[Path, list[dict]]:
    data = json.loads(_dev_hub_text)
    db = tmp_path_factory.mktemp("compare") / "hubscan.db"
    with ReplayHub(HubState.from_fixture(data)) as hub, pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
        assert main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"]) == 0
    return db, data["models"]


def rules_labels(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT m.repo_id, l.label FROM models m JOIN labels l ON l.version_id = m.current_version_id"))


def judged_set(models: list[dict]) -> list[dict]:
    """dev_hub.json's expected labels in the judged-set format (benchmarks/judged/*/judgements.json)."""
    out = [{"repo_id": m["id"], "expected": m["expected"] if len(m["expected"]) > 1 else m["expected"][0], "judge": "derived",
            "judge_label": "dev hub fixture", "source": "shared/fixtures/dev_hub.json", "reason": m.get("note") or "", "kind": "anchor"}
           for m in models if not m.get("private")]
    out.append({"repo_id": "nobody/not-crawled", "expected": OW, "judge": "derived"})
    # a second judge of the same model, who sees no weights: a disagreement, compared on its own
    out.append({"repo_id": BERT, "expected": NW, "judge": "a contrarian", "judge_label": "no weights anywhere"})
    return out


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["compare", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_agreement_confusion_and_disagreements_on_the_judged_dev_hub(crawled, tmp_path, capsys):
    db, models = crawled
    judged = judged_set(models)
    path = tmp_path / "judgements.json"
    path.write_text(json.dumps(judged), encoding="utf-8")
    labels = rules_labels(db)
    present = [j for j in judged if j["repo_id"] in labels]
    acceptable = [(j["repo_id"], j["expected"] if isinstance(j["expected"], list) else [j["expected"]]) for j in present]
    agreed = [r for r, ok in acceptable if labels[r] in ok]
    disagreed = sorted(r for r, ok in acceptable if labels[r] not in ok)
    assert BERT in disagreed

    code, out, _ = run(capsys, str(path), "--db", str(db))
    assert code == 0
    first = out.splitlines()[0]
    assert first == f"agreement: {len(agreed)}/{len(present)} ({100 * len(agreed) / len(present):.1f}%)"
    assert f"not in the database: 1" in out and "not in the database (1; not counted): nobody/not-crawled" in out

    code, out, err = run(capsys, str(path), "--db", str(db), "--format", "json")
    result = json.loads(out)
    assert err.strip() == first  # the share line goes to standard error, the JSON stays parseable
    assert (result["agreement"]["agreed"], result["agreement"]["compared"]) == (len(agreed), len(present))
    assert sorted(d["repo_id"] for d in result["disagreements"]) == disagreed
    assert result["absent"] == ["nobody/not-crawled"]
    total = {}
    for row in result["confusion"]["rows"]:
        for label, n in row["counts"].items():
            total[label] = total.get(label, 0) + n
    assert sum(total.values()) == len(present)
    assert all(total[label] == sum(1 for r, _ in acceptable if labels[r] == label) for label in total)
    for d in result["disagreements"]:
        assert d["hubscan_label"] == labels[d["repo_id"]] and d["hubscan_label"] not in d["expected"]
        assert d["rule"] and d["hubscan_reasons"] and all("gate (" in reason for reason in d["hubscan_reasons"])


def test_a_list_of_acceptable_labels_agrees_with_any_of_them_and_disagreements_show_the_gates(crawled, tmp_path, capsys):
    db, _ = crawled
    label = rules_labels(db)[BERT]
    other = next(x for x in (OSOD, NW) if x != label)
    path = tmp_path / "judge.csv"
    path.write_text(
        "repo_id,label,judge,source,reason\n"
        f"{BERT},{other} | {label},derived,https://example.org/a,either\n"
        f"qwen/qwen2.5-0.5b,{other},MOT,,\n",  # ids match case-insensitively, as on the Hub
        encoding="utf-8",
    )
    code, out, _ = run(capsys, str(path), "--db", str(db))
    assert code == 0 and out.startswith("agreement: 1/2 (50.0%)\n")
    assert "- Qwen/Qwen2.5-0.5B" in out and f"judge:   {other}  (MOT)" in out
    qwen_label = rules_labels(db)["Qwen/Qwen2.5-0.5B"]
    assert f"hubscan: {qwen_label}, rule " in out and " gate (" in out
    code, out, _ = run(capsys, str(path), "--db", str(db), "--format", "csv")
    rows = {r["repo_id"]: r for r in csv.DictReader(out.splitlines())}
    assert rows[BERT]["agrees"] == "true" and rows["Qwen/Qwen2.5-0.5B"]["agrees"] == "false"
    assert rows[BERT]["expected"] == " | ".join(sorted({other, label}, key=[NW, WA, OW, OS, OSOD].index))


def test_published_labels_apply_reviews_and_rules_compares_the_rules_own(crawled, tmp_path, capsys):
    db, _ = crawled
    copy = tmp_path / "reviewed.db"
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    rules = rules_labels(copy)[BERT]
    assert main(["review", "set", BERT, "--label", OS, "--reason", "training code is in google-research/bert", "--by", "alice", "--db", str(copy)]) == 0
    path = tmp_path / "judge.csv"
    path.write_text(f"repo_id,label\n{BERT},{OS}\n", encoding="utf-8")
    assert run(capsys, str(path), "--db", str(copy))[1].startswith("agreement: 1/1 (100.0%)")
    code, out, _ = run(capsys, str(path), "--db", str(copy), "--rules")
    assert out.startswith("agreement: 0/1 (0.0%)") and f"hubscan: {rules}, rule" in out


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("j.csv", "model,label\na/b,Open Weights\n", "the CSV header must name repo_id and label"),
        ("j.csv", "repo_id,label\na/b,Class IV\n", "j.csv: row 2 (a/b): label 'Class IV' is neither a G7 label"),
        ("j.csv", "repo_id,label\na/b,Open Weights\nA/B,Open Source\n", "A/B is judged twice (rows 2 and 3)"),
        ("j.json", '[{"repo_id": "a/b", "label": "Open Weights", "judge": "MOT"}, {"repo_id": "a/b", "label": "Class I", "judge": "mot"}]', "a/b is judged twice by mot (items 1 and 2)"),
        ("j.csv", "repo_id,label\n", "no judgements in the file"),
        ("j.csv", "repo_id,label\nnot an id,Open Weights\n", "is not a Hub model id"),
        ("j.json", '{"repo_id": "a/b"}', "expected a list of objects"),
        ("j.json", '[{"repo_id": "a/b", "expected": ["Open Weights", "Openish"]}]', "j.json: item 1 (a/b): label 'Openish'"),
        ("j.json", '[{"repo_id": "a/b"}]', "it has neither label nor expected"),
        ("j.json", "[{", "not valid JSON"),
        ("j.txt", "", "a judge file is .csv"),
        ("missing.csv", None, "cannot read"),
    ],
)
def test_a_bad_judge_file_is_one_clear_line_and_exit_2(crawled, tmp_path, capsys, name, text, message):
    db, _ = crawled
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, str(path), "--db", str(db))
    assert code == 2 and out == ""
    assert err.startswith("hubscan: ") and message in err and len(err.strip().splitlines()) == 1


def test_judge_files_in_the_crosswalk_formats(crawled, tmp_path, capsys):
    db, _ = crawled
    labels = rules_labels(db)
    path = tmp_path / "mot.json"
    path.write_text(json.dumps([
        {"repo_id": "meta-llama/Llama-3.2-1B", "label": "Unclassified", "judge": "Model Openness Tool"},
        {"repo_id": BERT, "label": "llmweights=open; license=open; opencode=open; llmdata=open; datasheet=partial", "judge": INDEX},
    ]), encoding="utf-8")
    code, out, _ = run(capsys, str(path), "--db", str(db), "--format", "json")
    models = {m["repo_id"]: m for m in json.loads(out)["models"]}
    assert models["meta-llama/Llama-3.2-1B"]["expected"] == [WA, OW] and models["meta-llama/Llama-3.2-1B"]["crosswalk"] == "mot/not-classified"
    assert models["meta-llama/Llama-3.2-1B"]["agrees"] == (labels["meta-llama/Llama-3.2-1B"] in (WA, OW))
    assert models[BERT]["expected"] == [OSOD] and models[BERT]["crosswalk"] == "eu-index/rule 5"
    assert models[BERT]["crosswalk_rationale"].startswith("Open weights, open code and open training data")
