"""How often hubscan agrees with outside judges, on real Hub repositories.

    python benchmarks/agreement.py [--parts mot,index,tail] [--score PARTS] [--db FILE] [--json FILE] [--misses N]

The judged set (`benchmarks/judged/<part>/`: hub.json, github.json, judgements.json; the format is in
benchmarks/judged/README.md) holds real models with the labels the OSI validation, the European Open
Source AI Index and the Model Openness Tool give them, and long-tail derivatives whose label follows
from a judged base. This script serves the merged hub with the loopback Hub (and the linked GitHub
repositories with the loopback GitHub, when this hubscan has one), runs the real `hubscan crawl`
against it (a crawler account that accepted every gate, as the demo's), and compares.

It prints: agreement overall, per judge, per kind and per part; the confusion matrix (expected ->
hubscan); washing agreement where the judges say; labels above the judge and restricted licences
labelled Open Weights or above (the goal for both is none); and every miss with hubscan's deciding
rule and gate reasons.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
JUDGED = ROOT / "benchmarks" / "judged"
sys.path.insert(0, str(ROOT))

LABELS = ("No Weights", "Weights Available", "Open Weights", "Open Source", "Open Source and Open Data")
SHORT = {"No Weights": "NW", "Weights Available": "WA", "Open Weights": "OW", "Open Source": "OS", "Open Source and Open Data": "OSOD"}
TOKEN = "hf_hubscan_benchmark_not_a_secret"
GITHUB_TOKEN = "ghp_hubscan_benchmark_not_a_secret"  # opens only the loopback GitHub


def load_parts(parts: list[str]) -> tuple[dict, dict, list[dict]]:
    """Merged hub fixture, merged GitHub fixture and every judgement row (with its part)."""
    models: dict[str, dict] = {}
    datasets: dict[str, dict] = {}
    repos: dict[str, dict] = {}
    rows: list[dict] = []
    for part in parts:
        folder = JUDGED / part
        hub = json.loads((folder / "hub.json").read_text(encoding="utf-8"))
        for m in hub.get("models", []):
            models.setdefault(m["id"].lower(), m)  # the first part's record of a shared model wins
        for d in hub.get("datasets", []):
            datasets.setdefault(d["id"].lower(), d)
        github = folder / "github.json"
        if github.exists():
            for r in json.loads(github.read_text(encoding="utf-8")).get("repos", []):
                repos.setdefault(r["full_name"].lower(), r)
        for row in json.loads((folder / "judgements.json").read_text(encoding="utf-8")):
            rows.append({**row, "part": part})
    return {"models": list(models.values()), "datasets": list(datasets.values())}, {"repos": list(repos.values())}, rows


@contextlib.contextmanager
def loopback_github(fixture: dict) -> Iterator[str | None]:
    """The loopback GitHub on the judged repositories, when this hubscan has one (else None)."""
    try:
        from replayhub.github import ReplayGitHub  # type: ignore[import-not-found]
    except ImportError:
        yield None
        return
    with ReplayGitHub(fixture) as github:
        yield github.url


def crawl(hub_fixture: dict, github_fixture: dict, db: Path, github: bool = True) -> float:
    from hubscan.cli import main
    from replayhub import ReplayHub
    from replayhub.state import HubState

    state = HubState.from_fixture(hub_fixture)
    started = time.perf_counter()
    with ReplayHub(state, tokens={TOKEN: {"user": "hubscan-benchmark", "gated": ["*"]}}) as hub, loopback_github(github_fixture) as gh:
        env = {"HF_TOKEN": TOKEN, "HUBSCAN_RETRY_BASE_SECONDS": "0.01"}
        if gh is not None and github:  # the loopback GitHub checks only with a token, as GitHub's quota needs one
            env["HUBSCAN_GITHUB_API"] = gh
            env["GITHUB_TOKEN"] = GITHUB_TOKEN
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = main(["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full"])
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    if code != 0:
        raise SystemExit(f"hubscan crawl failed with exit code {code}:\n{out.getvalue()}")
    return time.perf_counter() - started


def hubscan_records(db: Path) -> dict[str, dict]:
    from store.db import open_engine
    from store.export import latest_records

    engine = open_engine(str(db))
    try:
        with engine.connect() as conn:
            return {r["repo_id"].lower(): r for r in latest_records(conn)}
    finally:
        engine.dispose()


def expected_of(row: dict) -> list[str]:
    value = row["expected"]
    return list(value) if isinstance(value, list) else [value]


def restricted(record: dict) -> bool:
    """Its own licence, or its evidence of a restricted base family, is not open."""
    from extract.licence_catalog import OPEN_FAMILIES  # policy/licences.yaml

    ev = record["_evidence"]
    inferred = ev["base_model"].get("inferred_licence_family")
    return ev["licence"]["family"] not in OPEN_FAMILIES or (inferred is not None and inferred not in OPEN_FAMILIES)


def compare(rows: list[dict], records: dict[str, dict]) -> dict[str, Any]:
    result: dict[str, Any] = {"rows": len(rows), "missing": [], "misses": [], "agree": 0}
    by_judge: dict[str, Counter] = defaultdict(Counter)
    by_kind: dict[str, Counter] = defaultdict(Counter)
    by_part: dict[str, Counter] = defaultdict(Counter)
    confusion: Counter = Counter()
    washing = Counter()
    washing_misses = []
    over_open = []
    above = []  # more open than every label the judge accepts: the costly error (a restricted derivative as Open Weights)
    for row in rows:
        record = records.get(row["repo_id"].lower())
        if record is None:
            result["missing"].append(row["repo_id"])
            continue
        expected = expected_of(row)
        got = record["label"]
        ok = got in expected
        result["agree"] += ok
        for table, key in ((by_judge, row.get("judge", "?")), (by_kind, row.get("kind", "?")), (by_part, row.get("part", "?"))):
            table[key]["agree" if ok else "miss"] += 1
        confusion[(expected[0] if len(expected) == 1 or got not in expected else got, got)] += 1
        if not ok:
            result["misses"].append({
                "repo_id": row["repo_id"], "judge": row.get("judge"), "part": row["part"], "expected": expected, "got": got,
                "rule": record["rule"], "gates": [g for g in record["_explanation"]["gates"] if not g["passed"]] or record["_explanation"]["gates"][-1:],
                "judge_reason": row.get("reason", ""),
            })
        if "washing" in row:
            agree = bool(row["washing"]) == bool(record["open_washing"])
            washing["agree" if agree else "miss"] += 1
            if not agree:
                washing_misses.append({"repo_id": row["repo_id"], "judge_says": row["washing"], "hubscan": record["washing_reasons"]})
        if "Weights Available" in expected and LABELS.index(got) >= LABELS.index("Open Weights") and restricted(record):
            over_open.append({"repo_id": row["repo_id"], "got": got, "licence": record["licence"]})
        if LABELS.index(got) > max(LABELS.index(e) for e in expected):
            above.append({"repo_id": row["repo_id"], "got": got, "expected": expected})
    judged = result["rows"] - len(result["missing"])
    result.update(
        judged=judged,
        agreement=result["agree"] / judged if judged else 0.0,
        by_judge={k: dict(v) for k, v in by_judge.items()},
        by_kind={k: dict(v) for k, v in by_kind.items()},
        by_part={k: dict(v) for k, v in by_part.items()},
        confusion={f"{SHORT[e]}->{SHORT[g]}": n for (e, g), n in sorted(confusion.items())},
        confusion_pairs=confusion,
        washing=dict(washing),
        washing_misses=washing_misses,
        restricted_over_open=over_open,
        above_judge=above,
    )
    return result


def share(counter: dict) -> str:
    total = sum(counter.values())
    return f"{counter.get('agree', 0)}/{total} ({100 * counter.get('agree', 0) / total:.1f}%)" if total else "-"


def render(result: dict, seconds: float, misses: int) -> str:
    lines = [
        f"judged rows: {result['rows']} ({result['judged']} labelled by hubscan, {len(result['missing'])} not in the database)",
        f"agreement: {result['agree']}/{result['judged']} ({100 * result['agreement']:.1f}%)   [crawl + analysis {seconds:.0f} s]",
        "by judge: " + "; ".join(f"{k} {share(v)}" for k, v in sorted(result["by_judge"].items())),
        "by kind:  " + "; ".join(f"{k} {share(v)}" for k, v in sorted(result["by_kind"].items())),
        "by part:  " + "; ".join(f"{k} {share(v)}" for k, v in sorted(result["by_part"].items())),
        f"washing flags where the judge says: {share(result['washing'])}",
        f"labels above the judge (more open than every label it accepts): {len(result['above_judge'])}"
        + "".join(f"\n    {x['repo_id']}: {x['got']} (judge: {' or '.join(x['expected'])})" for x in result["above_judge"]),
        f"restricted licences labelled Open Weights or above: {len(result['restricted_over_open'])}"
        + "".join(f"\n    {x['repo_id']}: {x['got']} (licence {x['licence']})" for x in result["restricted_over_open"]),
        "",
        "confusion matrix (rows: expected, the label hubscan gave when two were acceptable; columns: hubscan):",
    ]
    header = "          " + "".join(f"{SHORT[g]:>6}" for g in LABELS)
    lines.append(header)
    pairs = result["confusion_pairs"]
    for e in LABELS:
        counts = [pairs.get((e, g), 0) for g in LABELS]
        if any(counts):
            lines.append(f"  {SHORT[e]:<8}" + "".join(f"{n:>6}" for n in counts))
    if result["missing"]:
        lines.append("\nnot in the database: " + ", ".join(result["missing"]))
    lines.append(f"\nmisses ({len(result['misses'])}):")
    for miss in result["misses"][:misses]:
        lines.append(f"  {miss['repo_id']} [{miss['judge']}]: expected {' or '.join(miss['expected'])}, hubscan {miss['got']} (rule {miss['rule']})")
        for gate in miss["gates"]:
            lines.append(f"      {gate['rule']}: {gate['reason'][:220]}")
        lines.append(f"      judge: {miss['judge_reason'][:220]}")
    if result["washing_misses"]:
        lines.append(f"\nwashing disagreements ({len(result['washing_misses'])}):")
        for w in result["washing_misses"]:
            codes = sorted({str(r).split(":", 1)[0] for r in w["hubscan"]})
            lines.append(f"  {w['repo_id']}: judge {'flags' if w['judge_says'] else 'does not flag'}; hubscan {codes or 'no flag'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default=",".join(sorted(p.name for p in JUDGED.iterdir() if (p / "judgements.json").exists())))
    parser.add_argument("--score", help="score only these parts' judgements (comma-separated); every part in --parts is still "
                        "crawled, so a derivative's base judged in another part is there (e.g. a held-out part)")
    parser.add_argument("--db", help="keep the crawled database here (default: a temporary file)")
    parser.add_argument("--json", help="also write the full result as JSON to this file")
    parser.add_argument("--misses", type=int, default=200, help="how many misses to print (default 200)")
    parser.add_argument("--no-github", action="store_true", help="crawl without the loopback GitHub (card-only code evidence)")
    args = parser.parse_args(argv)
    hub_fixture, github_fixture, rows = load_parts([p for p in args.parts.split(",") if p])
    if args.score:
        scored = {p for p in args.score.split(",") if p}
        rows = [row for row in rows if row["part"] in scored]
    with tempfile.TemporaryDirectory(prefix="hubscan-agreement-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "judged.db"
        if db.exists():
            db.unlink()
        seconds = crawl(hub_fixture, {"repos": []} if args.no_github else github_fixture, db, github=not args.no_github)
        result = compare(rows, hubscan_records(db))
    print(f"hubscan judged benchmark, {time.strftime('%Y-%m-%d')}: {len(hub_fixture['models'])} models, "
          f"{len(github_fixture['repos'])} GitHub repositories, parts {args.parts}")
    print(render(result, seconds, args.misses))
    if args.json:
        out = {k: v for k, v in result.items() if k != "confusion_pairs"}
        Path(args.json).write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
