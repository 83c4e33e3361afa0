"""What a version may cost at a goal rate, against what its parts cost today (issue 15, part 1).

    python benchmarks/budget.py [--versions 1000] [--db /tmp/hubscan-profile.db] [--rate 1000]
                                [--bench-json RUN.json | --main-ms 0.5 --label-ms 0.35] [--passes 3]

At R versions/s on C cores a version may take C/R seconds of CPU in all processes together. The
main process (reading, bounding, writing: `main_cpu_ms_per_version` of bench_extract.py) and
labelling (1000 / `classify_per_s`) take their share of that; what is left is the worker's budget
for one version. Milliseconds depend on how busy the machine is, so take those two from a
bench_extract run made just before (`bench_extract.py --phase run --db COPY > RUN.json`, then
`--bench-json RUN.json`): the figures then come from one state of the machine, and the pool's own
worker cost a version is printed beside this process's. This script measures, in one process, on the same stored versions (realistic
generated cards, built by bench_extract when --db is missing), the fastest of --passes:

- `extract`: a version through the production path (`bound_version` + `extract_one`);
- `parse`: the card alone read into its structure (`extract.card.parse_card`), which any design that
  reads cards as markdown needs before it can look for anything;
- `scan`: one Hyperscan pass over the whole card for every pattern the guarded scan holds today
  (extract/pattern_scan.py), reporting every match and where it ends: the floor of finding cues in
  one pass, as a one-pass reader would (it would look for more patterns than these).

and prints each beside the worker's budget. Nothing is timed in a test; the figures are in
docs/benchmarks.md with their date.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

WARM_UP = 20  # versions extracted before timing: policy files, lexicons and patterns load once


@dataclass(frozen=True)
class Budget:
    """CPU milliseconds a version may take at `rate` versions/s on `cores` cores."""

    rate: float
    cores: int
    main_ms: float
    label_ms: float

    @property
    def total_ms(self) -> float:
        return 1000.0 * self.cores / self.rate

    @property
    def worker_ms(self) -> float:
        """What is left for the extraction worker once the main process and labelling are paid."""
        return self.total_ms - self.main_ms - self.label_ms

    def rate_for(self, worker_ms: float) -> float:
        """Versions/s the cores would give if a worker spent `worker_ms` on each version."""
        return 1000.0 * self.cores / (worker_ms + self.main_ms + self.label_ms)


def fastest_ms(run: Callable[[], object], count: int, passes: int) -> float:
    """Milliseconds of CPU per item of the fastest of `passes` runs (the least disturbed one). The
    bounded memos are emptied before each run: a run must not find the last run's answers."""
    from profile_extract import clear_caches

    best = float("inf")
    for _ in range(passes):
        clear_caches()
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return 1000.0 * best / count


def every_match_scanner() -> Callable[[Sequence[bytes]], int]:
    """Scan texts with every pattern the guarded scan holds, every match reported (not one per
    pattern, as the guard needs); returns a function giving the number of matches found."""
    import hyperscan

    from extract.pattern_scan import SCAN

    SCAN.compile()
    expressions = {slot: SCAN._expressions[slot] for slot in sorted(SCAN._live)}
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[e.encode("utf-8") for e in expressions.values()],
        ids=list(expressions),
        elements=len(expressions),
        flags=[hyperscan.HS_FLAG_PREFILTER] * len(expressions),
    )

    def on_match(slot: int, _start: int, end: int, _flags: int, found: list) -> None:
        found.append((slot, end))

    def scan(texts: Sequence[bytes]) -> int:
        found: list = []
        for data in texts:
            database.scan(data, on_match, 0, found)
        return len(found)

    scan.patterns = len(expressions)  # type: ignore[attr-defined]
    return scan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-profile.db"))
    parser.add_argument("--rate", type=float, default=1000.0, help="the goal, versions/s")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--main-ms", type=float, default=0.5, help="main process CPU ms a version (bench_extract.py)")
    parser.add_argument("--label-ms", type=float, default=0.35, help="labelling CPU ms a version (bench_extract.py)")
    parser.add_argument("--bench-json", type=Path, help="bench_extract.py --phase run output: main process and labelling costs from it")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args(argv)
    pool_worker_ms = None
    if args.bench_json:
        run = json.loads(args.bench_json.read_text())
        args.main_ms = run["main_cpu_ms_per_version"]
        args.label_ms = 1000.0 / run["classify_per_s"]  # labelling runs in one process, busy throughout
        pool_worker_ms = run["extract_cpu_ms_per_version"] - args.main_ms

    from profile_extract import load

    from extract.card import parse_card
    from extract.pattern_scan import SCAN
    from hubscan.extract_guard import bound_version, extract_one

    versions = load(args.db, args.versions + WARM_UP)
    for version in versions[:WARM_UP]:
        extract_one(bound_version(version)[0])
    bounded = [bound_version(v)[0] for v in versions[WARM_UP:]]
    n = len(bounded)
    scanner = every_match_scanner()
    alphabet = SCAN._alphabet
    texts = [(v.readme or b"").decode("utf-8", "replace") for v in bounded]
    data = [t.encode("ascii") if t.isascii() else alphabet.transcode(t) for t in texts]

    budget = Budget(args.rate, args.cores, args.main_ms, args.label_ms)
    measured = {
        "extract": fastest_ms(lambda: [extract_one(bound_version(v)[0]) for v in versions[WARM_UP:]], n, args.passes),
        "parse": fastest_ms(lambda: [parse_card(v.readme) for v in bounded], n, args.passes),
        "scan": fastest_ms(lambda: scanner(data), n, args.passes),
    }
    print(f"{n} versions, {sum(map(len, texts)) / n / 1000:.1f} kchars a card; {scanner(data) / n:.0f} matches a card "
          f"for the {scanner.patterns} patterns of the guarded scan")  # type: ignore[attr-defined]
    print(f"at {args.rate:.0f} versions/s on {args.cores} cores: {budget.total_ms:.2f} ms a version in all; "
          f"main process {args.main_ms:.2f}, labelling {args.label_ms:.2f}; worker budget {budget.worker_ms:.2f} ms")
    print(f"{'part (CPU, one process)':<26} {'ms/version':>10} {'of budget':>10} {'rate if only this':>18}")
    for name, ms in measured.items():
        print(f"{name:<26} {ms:>10.3f} {ms / budget.worker_ms:>10.0%} {budget.rate_for(ms):>16.0f}/s")
    if pool_worker_ms is not None:
        print(f"{'(pool worker, bench run)':<26} {pool_worker_ms:>10.3f} {pool_worker_ms / budget.worker_ms:>10.0%} {budget.rate_for(pool_worker_ms):>16.0f}/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
