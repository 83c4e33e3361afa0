"""Benchmark: the nightly crawl against a loopback replay hub of generated models.

    python benchmarks/bench_crawl.py                      # 100,000 models, quota run, naive baseline
    python benchmarks/bench_crawl.py --models 20000 --skip-quota --skip-naive
    python benchmarks/bench_crawl.py --listing-rss 1000000  # peak RSS of a 1M-model listing sweep
    python benchmarks/bench_crawl.py --models 0 --skip-quota --skip-naive --first-crawl 20000
        # calls per model of a first crawl and of a nightly incremental one, and what the Hub's
        # free and PRO quotas make of them for a hub of --hub-models (docs/benchmarks.md)

The replay hub runs in this process (threads); every hubscan command runs as its own process, so its
CPU time and peak RSS are its own. Prints a table with the targets of issue #6 beside the measures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from replayhub import ReplayHub  # noqa: E402
from replayhub.synthetic import synthetic_state  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from crawl_env import scratch_and_env  # noqa: E402

TMP, ENV = scratch_and_env("hubscan-bench-", ROOT)


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    output: str


def hubscan(*args: str, env: dict | None = None) -> Run:
    """Run a hubscan command in its own process; wall time and that process's peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "hubscan", *args], env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"hubscan {' '.join(args)} failed:\n{err[-3000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, out.strip().splitlines()[-1] if out.strip() else "")


def listed(state) -> int:
    return sum(1 for repo_id in state.repo_ids("model") if not state.get(repo_id).private)


def table(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'measured':>22}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>22}  {target}")


def full_sweep(n: int, workers: int, analyse: bool = True) -> list[tuple[str, str, str]]:
    state = synthetic_state(n, seed=42)
    db = TMP / f"sweep-{n}.db"
    rows = []
    with ReplayHub(state) as hub:
        models = listed(state)
        crawl = hubscan("crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse", "--workers", str(workers))
        api, resolver = hub.count(kind=None) - hub.count("models.resolve") - hub.count("cdn"), hub.count("models.resolve")
        versions = models  # first sweep: every listed model is a new version
        if analyse:
            analyse_x = hubscan("extract", "--db", str(db))
            analyse_c = hubscan("classify", "--db", str(db))
        hub.reset_counts()
        again = hubscan("crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse", "--workers", str(workers))
        second_downloads = hub.count("models.resolve")
        second_api = hub.count() - hub.count("models.resolve") - hub.count("cdn")
    rows += [
        (f"models listed (of {n:,} generated)", f"{models:,}", ""),
        ("API calls per model, full sweep", f"{api / models:.5f}", "<= 0.0011"),
        ("resolver calls per changed model", f"{resolver / versions:.3f}", "<= 1.05"),
        ("second, unchanged sweep: downloads", f"{second_downloads}", "0"),
        ("second, unchanged sweep: API calls per model", f"{second_api / models:.5f}", ""),
        ("crawl (listing + downloads + store), models/s", f"{models / crawl.seconds:,.0f}", ""),
        ("unchanged full sweep (listing + store), models/s", f"{models / again.seconds:,.0f}", ""),
        (f"peak RSS of the crawl at {n:,}", f"{crawl.peak_rss_mb:.0f} MB", "<= 300 MB"),
    ]
    if not analyse:
        return rows
    analyse_again = hubscan("extract", "--db", str(db))  # after the unchanged sweep: the digest check only
    total = crawl.seconds + analyse_x.seconds + analyse_c.seconds
    return rows + [
        ("extract, versions/s", f"{models / analyse_x.seconds:,.0f}", ""),
        ("classify, versions/s", f"{models / analyse_c.seconds:,.0f}", ""),
        ("end to end (crawl+extract+classify), models/s", f"{models / total:,.0f}", ">= 2,000"),
        ("unchanged sweep + extract digest check, models/s", f"{models / (again.seconds + analyse_again.seconds):,.0f}", ""),
        (f"peak RSS extract / classify at {n:,}", f"{analyse_x.peak_rss_mb:.0f} / {analyse_c.peak_rss_mb:.0f} MB", "<= 300 MB"),
    ]


def listing_rss(n: int) -> list[tuple[str, str, str]]:
    """A full sweep whose downloads all fail fast (404), so only listing + store is measured at scale."""
    from replayhub import FaultPlan

    state = synthetic_state(n, seed=43)
    db = TMP / f"listing-{n}.db"
    faults = FaultPlan().fail(r"/resolve/", 404, error_code="EntryNotFound")
    env = {**ENV, "HUBSCAN_RETRY_ATTEMPTS": "1"}
    with ReplayHub(state, faults=faults) as hub:
        run = hubscan("crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse", "--workers", "8", env=env)
    return [
        (f"listing + store sweep of {n:,} models", f"{run.seconds:,.0f} s", ""),
        (f"peak RSS of that crawl at {n:,}", f"{run.peak_rss_mb:.0f} MB", "<= 300 MB"),
    ]


def quota(n: int, quota_calls: int, window: float) -> list[tuple[str, str, str]]:
    state = synthetic_state(n, seed=44)
    db = TMP / "quota.db"
    limits = {"api": (quota_calls, window), "resolvers": (quota_calls, window)}
    with ReplayHub(state, rate_limits=limits) as hub:
        start = time.monotonic()
        hubscan("crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse", "--workers", "4")
        elapsed = time.monotonic() - start
        resolver = [r for r in hub.requests if r.bucket == "resolvers"]
        answered_429 = sum(1 for r in hub.requests if r.status == 429)
        total = len([r for r in hub.requests if r.bucket in ("api", "resolvers")])
    # the crawl is resolver-bound: quota use = resolver calls / (quota per window x windows spanned)
    windows = max(1.0, elapsed / window)
    used = len(resolver) / (quota_calls * windows)
    return [
        (f"rate-limited hub ({quota_calls} calls / {window:g} s), {n:,} models", f"{elapsed:,.0f} s", ""),
        ("share of the resolver quota used", f"{used:.1%}", ">= 90%"),
        ("share of calls answered 429", f"{answered_429 / total:.2%}", "<= 1%"),
    ]


# The baseline: model_info per model (retried on 429 as http_backoff would: sleep t+1), then
# hf_hub_download of the README (HEAD+GET, retried by huggingface_hub itself).
NAIVE = """
import sys, time
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import parse_ratelimit_headers
api = HfApi(endpoint=sys.argv[1])
for repo_id in sys.argv[2:]:
    for attempt in range(10):
        try:
            api.model_info(repo_id)
            break
        except HfHubHTTPError as exc:
            if exc.response is None or exc.response.status_code != 429:
                break
            info = parse_ratelimit_headers(exc.response.headers)
            time.sleep((info.reset_in_seconds if info else 1) + 1)
    try:
        hf_hub_download(repo_id, "README.md", endpoint=sys.argv[1])
    except Exception:
        pass
"""


def naive(n: int, quota_calls: int, window: float) -> list[tuple[str, str, str]]:
    """The baseline a first crawler writes: model_info + hf_hub_download per model."""
    rows = []
    for limits, label in ((None, "unthrottled"), ({"api": (quota_calls, window), "resolvers": (quota_calls, window)}, "rate-limited")):
        state = synthetic_state(n, seed=45)
        ids = [r for r in state.repo_ids("model") if not state.get(r).private]
        with ReplayHub(state, rate_limits=limits) as hub:
            start = time.monotonic()
            subprocess.run([sys.executable, "-c", NAIVE, hub.url, *ids], env={**ENV, "HF_ENDPOINT": hub.url}, capture_output=True, check=False)
            naive_s = time.monotonic() - start
            naive_api = hub.count() - hub.count("models.resolve") - hub.count("cdn")
            naive_res = hub.count("models.resolve")
            naive_429 = hub.count(status=429)
            hub.reset_counts()
            db = TMP / f"naive-compare-{label}.db"
            start = time.monotonic()
            hubscan("crawl", "--endpoint", hub.url, "--db", str(db), "--mode", "full", "--no-analyse")
            ours_s = time.monotonic() - start
            ours_api = hub.count() - hub.count("models.resolve") - hub.count("cdn")
            ours_res = hub.count("models.resolve")
        rows += [
            (f"naive vs hubscan, {len(ids):,} models, {label}: API calls/model", f"{naive_api / len(ids):.3f} vs {ours_api / len(ids):.4f}", ""),
            (f"  resolver calls/model ({label})", f"{naive_res / len(ids):.2f} vs {ours_res / len(ids):.2f}", ""),
            (f"  wall time ({label})", f"{naive_s:,.0f} s vs {ours_s:,.0f} s", ""),
        ]
        if limits:
            rows.append(("  naive calls answered 429", f"{naive_429}", ""))
    return rows


# The Hub's published quotas, requests per fixed 5-minute window (hub_api.md §3.1, from hub-docs
# docs/hub/rate-limits.md @ 242f4a1e, "current rate limits (in September '25)").
WINDOW_SECONDS = 300
QUOTAS = {"free": {"api": 1_000, "resolvers": 5_000}, "PRO": {"api": 2_500, "resolvers": 12_000}}


@dataclass
class Calls:
    api: int
    resolvers: int
    by_kind: dict

    @classmethod
    def of(cls, hub) -> "Calls":
        kinds: dict[str, int] = {}
        for r in hub.requests:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
        return cls(sum(1 for r in hub.requests if r.bucket == "api"), sum(1 for r in hub.requests if r.bucket == "resolvers"), kinds)


def night_of_changes(state, changed: int, seed: int = 47) -> list[str]:
    """A night on the Hub: half the changes are edited cards of existing models, half new models."""
    import random

    rng = random.Random(seed)
    edited = rng.sample([r for r in state.repo_ids("model") if not state.get(r).private], changed // 2)
    for repo_id in edited:
        state.set_file(repo_id, "README.md", f"---\nlicense: apache-2.0\n---\n# {repo_id}\n\nRetrained last night.\n")
    new = [f"night-owl/model-{i:05d}" for i in range(changed - len(edited))]
    for repo_id in new:
        state.add_repo({"id": repo_id, "downloads": 0, "cardData": {"license": "mit"},
                        "files": {"README.md": "---\nlicense: mit\n---\n# new\n", "model.safetensors": 1000}})
    return edited + new


def quota_hours(calls_api: float, calls_res: float, plan: str) -> tuple[float, str]:
    """Hours the quota alone allows for these calls (buckets are independent), and which bucket binds."""
    api = calls_api / QUOTAS[plan]["api"] * WINDOW_SECONDS / 3600
    res = calls_res / QUOTAS[plan]["resolvers"] * WINDOW_SECONDS / 3600
    return max(api, res), ("resolvers" if res >= api else "api")


def first_crawl(n: int, workers: int, hub_models: int, changed_share: float, night_hours: float) -> list[tuple[str, str, str]]:
    """A first crawl (popularity walk + completion walk, with the analysis inside the crawl), then a
    nightly incremental crawl after a night of changes; calls per model, and the quota arithmetic."""
    state = synthetic_state(n, seed=46)
    db = TMP / f"first-{n}.db"
    with ReplayHub(state) as hub:
        models = listed(state)
        hubscan("crawl", "--endpoint", hub.url, "--db", str(db), "--workers", str(workers))  # auto: the first sweep
        first = Calls.of(hub)
        hub.reset_counts()
        changed = max(2, round(models * changed_share))
        night_of_changes(state, changed)
        hubscan("crawl", "--endpoint", hub.url, "--db", str(db), "--workers", str(workers))  # auto: incremental
        night = Calls.of(hub)
    import sqlite3

    with sqlite3.connect(db) as conn:
        modes = conn.execute("SELECT mode, full_sweep, analysis FROM runs ORDER BY id").fetchall()
    assert modes == [("full", 1, "done"), ("incremental", 0, "done")], modes
    api_pm, res_pm = first.api / models, first.resolvers / models
    api_pc, res_pc = night.api / changed, night.resolvers / changed
    kinds = lambda c: ", ".join(f"{k} {v:,}" for k, v in sorted(c.by_kind.items()))  # noqa: E731
    rows = [
        (f"first crawl of {models:,} models: API / resolver calls", f"{first.api:,} / {first.resolvers:,}", kinds(first)),
        ("  per model: API / resolver", f"{api_pm:.5f} / {res_pm:.3f}", ""),
        (f"nightly crawl, {changed:,} changed ({changed_share:.1%}): API / resolver calls", f"{night.api:,} / {night.resolvers:,}", kinds(night)),
        ("  per changed model: API / resolver", f"{api_pc:.4f} / {res_pc:.3f}", ""),
    ]
    windows = night_hours * 3600 / WINDOW_SECONDS
    for plan in QUOTAS:
        hours, binding = quota_hours(api_pm * hub_models, res_pm * hub_models, plan)
        per_night = min(QUOTAS[plan]["api"] * windows / api_pc, QUOTAS[plan]["resolvers"] * windows / res_pc)
        rows += [
            (f"{plan}: first crawl of {hub_models:,} models (quota bound)", f"{hours:,.1f} h = {hours / 24:.1f} d", f"{binding}-bound"),
            (f"{plan}: changed models a {night_hours:g} h night allows", f"{per_night:,.0f}", ""),
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100_000, help="models in the full-sweep measures (0 skips them)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--listing-rss", type=int, default=0, help="also sweep N models listing-only for peak RSS (e.g. 1000000)")
    parser.add_argument("--quota-models", type=int, default=3000)
    parser.add_argument("--quota", type=int, default=300, help="calls per window per bucket for the rate-limited runs")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--naive-models", type=int, default=1000)
    parser.add_argument("--skip-quota", action="store_true")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--no-analyse", action="store_true", help="measure the crawl only (extraction: bench_extract.py)")
    parser.add_argument("--first-crawl", type=int, default=0, help="models in a first crawl + nightly crawl call count (0 skips it)")
    parser.add_argument("--hub-models", type=int, default=3_000_000, help="hub size the quota arithmetic is for")
    parser.add_argument("--changed-share", type=float, default=0.01, help="share of the models that change in the measured night")
    parser.add_argument("--night-hours", type=float, default=8.0, help="length of the nightly crawl's window")
    args = parser.parse_args()
    rows = full_sweep(args.models, args.workers, analyse=not args.no_analyse) if args.models else []
    if args.listing_rss:
        rows += listing_rss(args.listing_rss)
    if not args.skip_quota:
        rows += quota(args.quota_models, args.quota, args.window)
    if not args.skip_naive:
        rows += naive(args.naive_models, args.quota, args.window)
    if args.first_crawl:
        rows += first_crawl(args.first_crawl, args.workers, args.hub_models, args.changed_share, args.night_hours)
    table(rows)


if __name__ == "__main__":
    main()
