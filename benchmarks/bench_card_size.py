"""Is every extractor linear in the card's size? CPU per kB of card, by stage, from 2 kB to 500 kB.

    python benchmarks/bench_card_size.py [--sizes 2000,8000,32000,128000,500000] [--kb 400]

Generates realistic cards (benchmarks/cards.py, `target_bytes`) of each size, about `--kb` kB of
cards per size (at least two), and extracts each through the production path (`bound_version` +
`extract_one`) in this process, timing every stage of `extract_model` as `profile_extract.py` does
(process CPU time). Prints milliseconds per kB of card for each stage at each size, and for each
stage the ratio of its cost per kB at the largest size to that at the second-smallest (the smallest
carries a version's fixed costs): about 1 or below for a linear stage, the size ratio (60 from
8 kB to 500 kB) for a quadratic one. 500 kB is about where cards are cut (extract/card.py,
512,000 bytes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def versions(size: int, kb: int) -> list:
    from cards import realistic_card
    from extract.types import StoredVersion

    count = max(2, kb * 1000 // size)
    out = []
    for i in range(count):
        repo = f"org/model-{size}-{i}"
        card = realistic_card(f"size:{size}:{i}", repo, target_bytes=size)
        meta = {"id": repo, "tags": ["license:apache-2.0"], "cardData": {"license": "apache-2.0"},
                "siblings": [{"rfilename": p} for p in ("README.md", "config.json", "model.safetensors")]}
        out.append(StoredVersion(repo_id=repo, sha=f"{i:040x}", metadata=meta, readme=card.encode()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,8000,32000,128000,500000")
    parser.add_argument("--kb", type=int, default=400, help="about this many kB of cards per size")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    from hubscan.extract_guard import bound_version, extract_one
    from profile_extract import STAGES, timed_stages

    from extract.pattern_scan import SCAN

    for version in versions(4000, 40):  # policy, lexicons and compiled patterns: once per process
        extract_one(bound_version(version)[0])
    SCAN.compile()  # the guarded patterns' scan as one database, as the pool's forkserver leaves it
    totals = timed_stages()
    per_kb: dict[int, dict[str, float]] = {}
    for size in sizes:
        batch = [bound_version(v)[0] for v in versions(size, args.kb)]
        kb = sum(len(v.readme or b"") for v in batch) / 1000
        for name in totals:
            totals[name] = 0.0
        start = time.process_time()
        for version in batch:
            extract_one(version)
        whole = time.process_time() - start
        row = {name: 1000 * totals[name] / kb for name in STAGES}
        row["(rest)"] = 1000 * (whole - sum(totals.values())) / kb
        row["all"] = 1000 * whole / kb
        per_kb[size] = row
        print(f"{size:>8} B: {len(batch)} cards, {kb:.0f} kB, {1000 * whole / len(batch):.1f} ms a card", file=sys.stderr)

    names = ["all", *sorted(STAGES, key=lambda s: -per_kb[sizes[-1]][s]), "(rest)"]
    base = sizes[1] if len(sizes) > 2 else sizes[0]
    print(f"{'ms per kB of card':<26}" + "".join(f"{s // 1000:>8} kB" for s in sizes) + f"{'growth':>10}")
    for name in names:
        growth = per_kb[sizes[-1]][name] / per_kb[base][name] if per_kb[base][name] else float("nan")
        print(f"{name:<26}" + "".join(f"{per_kb[s][name]:>11.3f}" for s in sizes) + f"{growth:>10.2f}")
    print(f"(growth: cost per kB at {sizes[-1] // 1000} kB over that at {base // 1000} kB; linear about 1, quadratic {sizes[-1] / base:.0f})")


if __name__ == "__main__":
    main()
