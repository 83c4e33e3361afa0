"""Benchmark: what a card past the CPU budget costs a batch on the pool.

    python benchmarks/bench_slow_card.py [--versions 2000] [--slow 2] [--budget 5] [--jobs 2]

A batch of realistic generated versions (benchmarks/cards.py) with `--slow` cards that make
markdown-it-py work in proportion to the square of their length (48 kB: about 26 s, so past any
budget given here) spread through it, extracted by the crawl's `GuardedExtractor` on a pool of
`--jobs` workers with a CPU budget of `--budget` seconds (the crawl's is 30 s; a smaller one keeps
the run short, and the cost of a slow card scales with it). Prints the batch's wall time, the same
batch's without the slow cards, and what each slow card came out as.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.cards import realistic_card  # noqa: E402
from extract.types import StoredVersion  # noqa: E402
from hubscan.extract_guard import GuardedExtractor  # noqa: E402

FILES = {"siblings": [{"rfilename": "model.safetensors"}, {"rfilename": "README.md"}], "tags": ["transformers"]}
SLOW_CARD = "apache-2.0 \r\n> ---\n[" * 2_000  # 48 kB of the blockquote shape (bench_adversarial.py SLOW_CASES)


def versions(n: int, slow: int) -> list[StoredVersion]:
    out = [StoredVersion(f"org/m{i}", f"{i:040x}", dict(FILES), realistic_card(i, f"org/m{i}").encode(), "ok") for i in range(n)]
    for k in range(slow):
        at = (k + 1) * n // (slow + 1)
        out.insert(at, dataclasses.replace(out[at], repo_id=f"org/slow{k}", readme=SLOW_CARD.encode()))
    return out


def timed(batch: list[StoredVersion], jobs: int, budget: float) -> tuple[float, list]:
    guard = GuardedExtractor(jobs=jobs, min_parallel=1, cpu_budget=budget)
    guard([batch[0]] * (jobs * 8))  # the pool started and warm before the clock starts
    start = time.perf_counter()
    outcomes = guard(batch)
    wall = time.perf_counter() - start
    guard.close()
    return wall, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--slow", type=int, default=2)
    parser.add_argument("--budget", type=float, default=5.0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    batch = versions(args.versions, args.slow)
    plain = [v for v in batch if not v.repo_id.startswith("org/slow")]
    plain_wall, _ = timed(plain, args.jobs, args.budget)
    wall, outcomes = timed(batch, args.jobs, args.budget)
    slow_codes = Counter(
        ",".join(p.code for p in problems) for v, (_, problems) in zip(batch, outcomes) if v.repo_id.startswith("org/slow")
    )
    others_with_problems = sum(1 for v, (_, problems) in zip(batch, outcomes) if problems and not v.repo_id.startswith("org/slow"))
    print(json.dumps({
        "versions": len(plain), "slow_cards": args.slow, "budget_s": args.budget, "jobs": args.jobs,
        "wall_without_slow_s": round(plain_wall, 2), "wall_with_slow_s": round(wall, 2),
        "extra_s_per_slow_card": round((wall - plain_wall) / max(1, args.slow), 2),
        "slow_cards_came_out_as": dict(slow_codes), "other_versions_with_problems": others_with_problems,
    }))


if __name__ == "__main__":
    main()
