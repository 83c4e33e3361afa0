"""Benchmark: the nightly crawl under faults and SIGKILLs ends with the database a fault-free crawl makes.

    python benchmarks/bench_faults.py                 # 2,000 models, 10 random SIGKILLs
    python benchmarks/bench_faults.py --models 5000 --kills 10 --seed 3

1. A fault-free crawl (with extraction and labelling) of a generated hub: the reference database.
2. The same hub with 10% 5xx answers, 429 bursts and dropped connections; the crawl is started and
   SIGKILLed at a random moment, `hubscan status` is read while it runs and after each kill, and so
   on `--kills` times; then the faults stop and one more crawl finishes the job.
3. The two databases are compared on natural keys (ids, timestamps and run-local counters aside),
   every table is checked for duplicate rows, and each `status` reading is checked against the
   truth (`running` while the process lives, `interrupted` once it is killed, `ok` + `done` at the end).

The replay hub runs in this process; each crawl runs as its own process, killed with SIGKILL.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hubscan.cli import main  # noqa: E402
from replayhub import FaultPlan, ReplayHub  # noqa: E402
from replayhub.synthetic import synthetic_state  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from crawl_env import scratch_and_env  # noqa: E402

TMP, ENV = scratch_and_env("hubscan-faults-", ROOT, HUBSCAN_RETRY_BASE_SECONDS="0.05")

# Everything a crawl and its analysis store, by natural keys: row ids, timestamps and run-local
# counters differ between two databases that hold the same facts.
CONTENT = {
    "models": "SELECT repo_id, sha, status, gated, private, disabled, created_at, last_modified, pipeline_tag, library_name FROM models",
    "versions": "SELECT repo_id, sha, last_modified, metadata, readme_status, readme, readme_size, readme_error FROM model_versions",
    "files": "SELECT v.repo_id, v.sha, f.path, f.status, f.size, f.content FROM version_files f JOIN model_versions v ON v.id = f.version_id",
    # the run that the kills interrupted; a kill during its analysis makes the next night a new run (below)
    "observations": "SELECT run_id, repo_id, downloads, likes FROM observations WHERE run_id = 1",
    "datasets": "SELECT dataset_id, sha, status, gated, error FROM datasets",
    "dataset_versions": "SELECT dataset_id, sha, last_modified, metadata FROM dataset_versions",
    "links": "SELECT v.repo_id, v.sha, d.dataset_id FROM version_datasets d JOIN model_versions v ON v.id = d.version_id",
    "bases": "SELECT v.repo_id, v.sha, b.base_id, b.relation FROM version_bases b JOIN model_versions v ON v.id = b.version_id",
    "evidence": "SELECT v.repo_id, v.sha, e.extractor_version, e.inputs_digest, e.licence, e.licence_family, e.weights, "
                "e.inference_code, e.training_code, e.datasets_open, e.data_information, e.data_information_score, e.data "
                "FROM evidence e JOIN model_versions v ON v.id = e.version_id",
    "labels": "SELECT v.repo_id, v.sha, l.rule_version, l.inputs_digest, l.label, l.rule, l.open_basis, l.capped_by, l.open_washing, "
              "l.washing_reasons, l.explanation FROM labels l JOIN model_versions v ON v.id = l.version_id",
    "label_events": "SELECT v.repo_id, v.sha, e.run_id, e.label, e.rule, e.rule_version, e.open_washing FROM label_events e "
                    "JOIN model_versions v ON v.id = e.version_id",
}
# Problems are a log: the faulty crawl must record every problem the clean one does, and may add
# the faults it met (a README lost after every retry in one segment, fetched by the next).
PROBLEMS = "SELECT run_id, repo_type, repo_id, sha, stage, code FROM problems WHERE run_id = 1"
FAULT_CODES = ("network", "http-429", "http-500", "http-502", "http-503", "http-504")

# Natural keys that must be unique: a resumed run must never store anything twice.
UNIQUE = {
    "model_versions": "repo_id, sha",
    "observations": "run_id, repo_id",
    "version_files": "version_id, path",
    "version_datasets": "version_id, dataset_id",
    "dataset_versions": "dataset_id, sha",
    "evidence": "version_id",
    "labels": "version_id",
    "label_events": "version_id, run_id",
    "problems": "run_id, repo_id, sha, stage, code",
}


_REQUEST_ID = re.compile(r"Request ID: [^)\s]*")


def content(db: Path) -> dict[str, list[tuple]]:
    def same_text(row: tuple) -> tuple:  # each answer has its own request id; the rest of a message must agree
        return tuple(_REQUEST_ID.sub("Request ID: -", v) if isinstance(v, str) else v for v in row)

    with sqlite3.connect(db) as conn:
        return {name: sorted((same_text(r) for r in conn.execute(sql)), key=repr) for name, sql in CONTENT.items()}


def lock_holder_pid(db: Path) -> int | None:
    with sqlite3.connect(db) as conn:
        try:
            row = conn.execute("SELECT holder, run_id FROM locks").fetchone()
        except sqlite3.OperationalError:  # no schema yet
            return None
    if row is None or row[1] is None:
        return None
    return int(row[0].rpartition(":")[2])


def duplicates(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} GROUP BY {key} HAVING COUNT(*) > 1)").fetchone()[0]
            for table, key in UNIQUE.items()
        }


def crawl_args(hub: ReplayHub, db: Path) -> list[str]:
    return ["crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--workers", "4"]


def run_crawl(hub: ReplayHub, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hubscan", *crawl_args(hub, db)], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def status_rows(db: Path) -> list[list[str]]:
    """`hubscan status` as a user sees it: one list of fields per run line."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["status", "--db", str(db)])
    return [line.split() for line in out.getvalue().splitlines() if line.strip()[:1].isdigit()]


def phase(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT status, listing_done, analysis FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        labels = conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
    if row is None:
        return "start"
    status, listing_done, analysis = row
    if status == "ok":
        return "analysis" if analysis != "done" and labels == 0 else "extraction/labelling" if analysis != "done" else "done"
    return "datasets" if listing_done else "listing+downloads"


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--page", type=int, default=100, help="listing page size the hub allows")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    ref_db, db = TMP / "reference.db", TMP / "faulty.db"
    with ReplayHub(synthetic_state(args.models, seed=args.seed), max_page_size=args.page) as hub:
        start = time.perf_counter()
        proc = run_crawl(hub, ref_db)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"reference crawl failed:\n{err[-2000:]}")
        reference_seconds = time.perf_counter() - start
        reference_requests = len(hub.requests)

    faults = (
        FaultPlan(seed=args.seed)
        .random_errors(0.10, statuses=(500, 502, 503, 504), seed=args.seed + 1)
        .burst_429(every_n=150, length=3, reset_seconds=1)
        .drop_connection(r"/resolve/", times=40)
        .drop_connection(r"^/api/models", times=3)
    )
    truthful = checks = early = 0
    wrong: list[str] = []
    kills: list[str] = []
    with ReplayHub(synthetic_state(args.models, seed=args.seed), max_page_size=args.page, faults=faults) as hub:
        start = time.perf_counter()
        while len(kills) < args.kills:
            proc = run_crawl(hub, db)
            # a random moment: past the interpreter's start, within a third of the clean crawl's time
            deadline = time.monotonic() + 1.5 + rng.uniform(0.05, 1.0) * reference_seconds / 3
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.02)
            if proc.poll() is not None:
                if proc.returncode != 0:
                    raise SystemExit(f"a crawl failed: {proc.stderr.read()[-2000:]}")
                early += 1  # it finished first: the next start is a new night (a later run)
                continue
            holding = lock_holder_pid(db) == proc.pid  # read first: status is read after the process holds its run
            seen = status_rows(db)
            if seen and holding:  # while it lives and holds the run: `running`
                checks += 1
                good = seen[-1][2] == "running" or (seen[-1][2] == "ok" and seen[-1][3] == "pending")
                truthful += good
                if not good:
                    wrong.append(f"alive, read {' '.join(seen[-1][2:4])}")
            where = phase(db)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills.append(where)
            seen = status_rows(db)
            checks += 1  # once killed: `interrupted`, or an `ok` crawl whose analysis is `pending` (no run yet: nothing to show)
            good = not seen or seen[-1][2] == "interrupted" or (seen[-1][2] == "ok" and seen[-1][3] == "pending")
            truthful += good
            if not good:
                wrong.append(f"killed, read {' '.join(seen[-1][2:4])}")
        fired = faults.fired
        faults.clear()  # the Hub recovered: one more night finishes the job
        proc = run_crawl(hub, db)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"the final crawl failed:\n{err[-2000:]}")
        faulty_seconds = time.perf_counter() - start
        served = hub.requests
    final = status_rows(db)
    checks += 1
    truthful += all(row[2:4] == ["ok", "done"] for row in final)
    wrong += [f"final, read {' '.join(row[2:4])}" for row in final if row[2:4] != ["ok", "done"]]

    with sqlite3.connect(db) as conn:
        api, resolver, retries, limited = conn.execute(
            "SELECT SUM(api_calls), SUM(resolver_calls), SUM(retries), SUM(rate_limited) FROM runs").fetchone()
        # a kill after run 1's walk, during its analysis, makes the next crawl a new night of an
        # unchanged hub: it may only add its run and observations equal to run 1's
        later = conn.execute("SELECT COUNT(*) FROM runs WHERE id > 1").fetchone()[0]
        differing = conn.execute(
            "SELECT COUNT(*) FROM observations o JOIN observations f ON f.repo_id = o.repo_id AND f.run_id = 1 "
            "WHERE o.run_id > 1 AND (o.downloads IS NOT f.downloads OR o.likes IS NOT f.likes)").fetchone()[0]
    answered = [r for r in served if r.kind != "cdn"]
    same = content(ref_db) == content(db) and differing == 0
    with sqlite3.connect(ref_db) as ref_conn, sqlite3.connect(db) as conn:
        ref_problems, got_problems = Counter(ref_conn.execute(PROBLEMS).fetchall()), Counter(conn.execute(PROBLEMS).fetchall())
        fetched_later = {r for (r,) in conn.execute("SELECT repo_id FROM model_versions WHERE readme_status NOT IN ('error', 'pending')")}
    extra = got_problems - ref_problems
    problems_ok = not (ref_problems - got_problems) and all(code in FAULT_CODES and repo in fetched_later for (_, _, repo, _, _, code) in extra)
    same = same and problems_ok
    dups = duplicates(db)
    phases = ", ".join(f"{p} {kills.count(p)}" for p in dict.fromkeys(kills))
    rows = [
        ("models in the hub", f"{args.models:,}"),
        ("fault-free crawl + analysis", f"{reference_seconds:.1f} s, {reference_requests:,} requests"),
        ("faults fired", ", ".join(f"{k} {v}" for k, v in sorted(fired.items()))),
        ("SIGKILLs (where)", f"{len(kills)} ({phases})" + (f"; {early} crawl(s) finished before their kill" if early else "")),
        ("faulty crawls + final clean crawl", f"{faulty_seconds:.1f} s, {len(kills) + early + 1} processes, {len(answered):,} requests"),
        ("database equal to the fault-free one", ("yes" if same else "NO") + (f" (+{later} later run of the unchanged hub)" if later else "")),
        ("problems", f"all {sum(ref_problems.values())} of the clean crawl, + {sum(extra.values())} faults met (fetched again later)"
                     + ("" if problems_ok else " MISMATCH")),
        ("duplicate rows (all keyed tables)", str(sum(dups.values()))),
        ("status truthful", f"{truthful} of {checks} readings" + (f" (wrong: {'; '.join(wrong)})" if wrong else "")),
        ("run counters vs requests the hub saw", f"{api + resolver:,} of {len(answered):,} ({100 * (api + resolver) / len(answered):.1f}%)"),
        ("retries / 429s recorded", f"{retries:,} / {limited:,}"),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if not same:
        ref, got = content(ref_db), content(db)
        for name in CONTENT:
            if ref[name] != got[name]:
                print(f"  differs: {name} ({len(ref[name])} vs {len(got[name])} rows)")
    if not same or sum(dups.values()) or truthful != checks:
        raise SystemExit(1)


if __name__ == "__main__":
    main_bench()
