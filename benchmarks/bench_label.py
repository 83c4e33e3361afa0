"""Benchmark: labelling alone (`classify_all`), every version of an extracted database labelled again.

    python benchmarks/bench_extract.py --versions 4000 --db /tmp/bx.db    # a database, extracted and labelled
    python benchmarks/bench_label.py --db /tmp/bx.db [--copy /tmp/bx-label.db] [--none]

The database is copied (it is not changed), its labels and label events are deleted, and every
version is labelled again as `hubscan classify` would: lineage order, evidence read back, rules,
labels and events written. Prints the labels written and the CPU milliseconds per version of this
process. `--none` does everything but the labelling (copy, imports, engine), for instruction counts:
run both under `valgrind --tool=cachegrind --cache-sim=no` with `PYTHONHASHSEED=0` and subtract.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def fresh_copy(db: Path, copy: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copy(db, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM labels")
        conn.execute("DELETE FROM label_events")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="an extracted database (bench_extract.py builds one)")
    parser.add_argument("--copy", type=Path, default=None, help="where the copy goes (default: beside it, -label.db)")
    parser.add_argument("--none", action="store_true", help="set up, but do not label")
    args = parser.parse_args()
    copy = args.copy or args.db.with_name(args.db.stem + "-label.db")
    fresh_copy(args.db, copy)

    from hubscan.pipeline import classify_all
    from store.db import open_engine

    engine = open_engine(str(copy))
    try:
        if args.none:
            return
        cpu = time.process_time()
        written, passes = classify_all(engine)
        cpu = time.process_time() - cpu
    finally:
        engine.dispose()
    print(f"labelled {written} versions in {passes} lineage passes: {1000 * cpu / max(written, 1):.3f} ms CPU a version")


if __name__ == "__main__":
    main()
