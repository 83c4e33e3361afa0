"""Where extraction's time goes: a stage breakdown per extractor, and optionally a cProfile listing.

    python benchmarks/profile_extract.py [--versions 2000] [--db /tmp/hubscan-profile.db] [--cprofile 40]

Loads N stored versions (realistic generated cards from benchmarks/cards.py, built into --db by
bench_extract's build when the file is missing) the way extraction loads them, then extracts each
one in this process through the production path (`bound_version` + `extract_one`). Each stage of
`extract_model` is timed (ms/version and share of the whole), in the order `extract_model` calls
them. Card-derived data is computed lazily and shared, so a stage's figure includes what it is
the first to ask for (the card's blocks, row runs, sentences); the card parse is `read_version`.

--passes P extracts the same versions P times (bounded caches emptied before each pass) and shows
the fastest pass: on a machine shared with other work, the least disturbed figure.

--cprofile K prints the K functions with the largest cumulative time as well (slower: profiling
overhead roughly doubles the run).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

# The names `extract_model` calls, looked up in extract/__init__'s namespace at call time.
WARM_UP = 20  # versions extracted before timing starts
STAGES = (
    "read_version",
    "licence_evidence",
    "card_terms",
    "with_card_terms",
    "weights_evidence",
    "linked_code_repos",
    "declaration_problems",
    "inference_code",
    "training_code_evidence",
    "datasets_evidence",
    "data_information",
    "base_model_evidence",
    "openness_claims",
)


def load(db: Path, n: int) -> list:
    from extract import EXTRACTOR_VERSION
    from store import analysis_io as a
    from store.db import open_engine

    if not db.exists():
        from bench_extract import build

        build(db, n)
    engine = open_engine(str(db))
    out: list = []
    with engine.connect() as conn:
        for rows in a.evidence_batches(conn, EXTRACTOR_VERSION + 1000):  # a version nobody extracts with: every version
            out += a.load_versions(conn, rows[: n - len(out)])
            if len(out) >= n:
                break
    engine.dispose()
    return out


def timed_stages() -> dict[str, float]:
    """Wrap each stage in extract/__init__'s namespace with a timer; returns the totals (seconds)."""
    import extract

    totals = {name: 0.0 for name in STAGES}

    def wrap(name: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[name] += time.process_time() - start

        return timed

    for name in STAGES:
        setattr(extract, name, wrap(name, getattr(extract, name)))
    return totals


def clear_caches() -> None:
    """Empty extract/'s bounded caches (results per link, per URL, ...); the unbounded ones hold
    policy and compiled patterns, which a worker keeps for its whole life."""
    import gc

    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper) and getattr(obj, "__module__", "").startswith("extract"):
            if obj.cache_parameters().get("maxsize") is not None:
                obj.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-profile.db"))
    parser.add_argument("--cprofile", type=int, default=0, metavar="K", help="also print the K functions with the most cumulative time")
    parser.add_argument("--passes", type=int, default=1, help="extract the versions this many times; the fastest pass is shown")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    args = parser.parse_args()

    from hubscan.extract_guard import bound_version, extract_one

    versions = load(args.db, args.versions + WARM_UP)
    for version in versions[:WARM_UP]:  # policy files, lexicons and compiled patterns: once per process, not per version
        extract_one(bound_version(version)[0])
    from extract.pattern_scan import SCAN

    SCAN.compile()  # the guarded patterns' scan as one database, as the pool's forkserver leaves it
    versions = versions[WARM_UP:]
    n = len(versions)
    totals = timed_stages()
    profiler = cProfile.Profile() if args.cprofile else None
    best: tuple[float, float, dict[str, float]] | None = None
    for _ in range(args.passes):
        clear_caches()  # a pass over the same cards must not find the last pass's results
        for name in totals:
            totals[name] = 0.0
        start, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for version in versions:
            extract_one(bound_version(version)[0])
        if profiler:
            profiler.disable()
        whole, cpu = time.perf_counter() - start, time.process_time() - cpu
        if best is None or cpu < best[1]:
            best = (whole, cpu, dict(totals))
    assert best is not None
    whole, cpu, stages = best
    staged = sum(stages.values())
    # CPU time is the figure to compare on a shared machine (wall time includes waiting for a core);
    # with several passes, the fastest one is shown (the one the other processes disturbed least)
    print(f"{n} versions: {1000 * cpu / n:.2f} ms CPU/version ({n / cpu:.0f} versions/s of one core); wall {whole:.2f}s")
    print(f"{'stage (CPU)':<26} {'ms/version':>10} {'share':>7}")
    for name in sorted(STAGES, key=lambda s: -stages[s]):
        print(f"{name:<26} {1000 * stages[name] / n:>10.3f} {stages[name] / cpu:>7.1%}")
    print(f"{'(bounds, evidence, rest)':<26} {1000 * (cpu - staged) / n:>10.3f} {(cpu - staged) / cpu:>7.1%}")
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.cprofile)


if __name__ == "__main__":
    main()
