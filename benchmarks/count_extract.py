"""Instructions a pool worker executes per version, counted by cachegrind (deterministic on a shared machine).

    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/tmp/cg.A \\
        python benchmarks/count_extract.py --versions 100
    valgrind ... python benchmarks/count_extract.py --versions 100 --none   # the same set-up, nothing extracted

Does what a pool worker does (hubscan/extract_guard.py, hubscan/pipeline.py): imports and warms
extraction as the forkserver does (`hubscan.extract_preload`, collector frozen), then for each of
N stored versions (realistic generated cards, `benchmarks/cards.py`; the database is built by
bench_extract's build when missing) bounds it, extracts it, turns the outcome into the record the
store writes, and pickles the result for the trip back. With --none it loads the same versions
and stops there; (instructions of the first run - the second) / N is the worker's cost per version.

--main counts the main process of `extract_all` instead (valgrind follows only it; the pool's
workers are separate programs): a copy of a database of N versions (built when missing) is
extracted with 2 workers; with --none the same copy is opened and not extracted. The main
process reads the versions, bounds them, sends them, receives the records and writes them.

Run both with PYTHONHASHSEED=0: set and dict orders then repeat, and so does the count.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-count.db"))
    parser.add_argument("--none", action="store_true", help="load the versions and extract none (the baseline)")
    parser.add_argument("--main", action="store_true", help="count extract_all's main process instead of a worker's work")
    args = parser.parse_args()
    if args.main:
        main_process(args.db, args.versions, args.none)
        return

    from profile_extract import load

    versions = load(args.db, args.versions)
    import hubscan.extract_preload  # noqa: F401 - the forkserver's warm-up and frozen collector
    from extract.evidence_record import record_outcome
    from hubscan.extract_guard import _extract_chunk, bound_version

    if args.none:
        return
    total = 0
    for version in versions:
        # one version per chunk: a worker's chunk is a list, its result pickled whole; per version the same work
        total += len(pickle.dumps(_extract_chunk([bound_version(version)], finish=record_outcome), protocol=pickle.HIGHEST_PROTOCOL))
    print(f"{len(versions)} versions, {total} bytes pickled")


def main_process(db: Path, n: int, none: bool) -> None:
    import shutil

    from hubscan.pipeline import extract_all
    from store.db import open_engine

    if not db.exists():
        from bench_extract import build

        build(db, n)
    copy = db.with_name(db.stem + "-run" + db.suffix)
    shutil.copyfile(db, copy)  # every run starts from the same unextracted versions
    engine = open_engine(str(copy))
    if not none:
        print(f"{extract_all(engine, jobs=2)} versions extracted")
    engine.dispose()


if __name__ == "__main__":
    main()
