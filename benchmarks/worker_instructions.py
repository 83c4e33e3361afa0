"""What one extraction worker executes per version, for counting instructions under cachegrind.

    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \\
        python benchmarks/worker_instructions.py --versions 100
    valgrind ... python benchmarks/worker_instructions.py --versions 0

(I refs of the first run - I refs of the second) / 100 = instructions per version. The script does
what a pool worker does: the forkserver's preload (hubscan/extract_preload.py: warm-up, the
compiled pattern scan, frozen collector generation), 30 more versions to warm up, then each stored
version bounded, extracted and its record pickled for the trip back. Instruction counts do not
depend on what else the machine is doing, unlike CPU time on a shared machine. The versions are
those profile_extract.py uses (realistic generated cards, built into --db when it is missing).
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

WARM_UP = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100, help="versions extracted after the warm-up (0: none)")
    parser.add_argument("--db", type=Path, default=Path("/tmp/hubscan-profile.db"))
    args = parser.parse_args()

    import hubscan.extract_preload  # noqa: F401 - the forkserver's warm-up, as a worker inherits it
    from extract.evidence_record import record_outcome
    from hubscan.extract_guard import bound_version, extract_one
    from profile_extract import load

    versions = [bound_version(v)[0] for v in load(args.db, WARM_UP + 200)]
    for version in versions[:WARM_UP]:
        extract_one(version)
    gc.collect()
    gc.freeze()
    out = [pickle.dumps(record_outcome(extract_one(v)), 5) for v in versions[WARM_UP : WARM_UP + args.versions]]
    print(f"{len(out)} versions extracted")


if __name__ == "__main__":
    main()
