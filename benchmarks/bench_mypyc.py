"""What compiling extract/ with mypyc would give: the same evidence, and how much faster.

    python benchmarks/bench_mypyc.py [--versions 2000] [--rounds 2] [--db /tmp/hubscan-profile.db]

Copies extract/ into a temporary directory, compiles it there with mypyc (from the test extras'
mypy; about three minutes of C compilation on two cores; the checkout is not touched), then in
turn, round by round, runs `profile_extract.py` on the Python build and on the compiled one, and
`equivalence.py --check` once on the compiled one. The compiled copy is imported before the
script it runs, so that script's own `sys.path` entry for the checkout does not shadow it.
The figures of 2026-12-07 and why hubscan ships no compiled build: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Left in Python, each for a reason mypyc gives: classes it cannot make native as written (a
# subclass of tuple or of libyaml's loader, classes caching into their __dict__), the evidence
# dataclasses (read through __dict__ by the JSON encoder; ParseProblem is pickled by the pool) and
# EvidenceRecord, which the pool's workers send back pickled (a native frozen class cannot be unpickled).
NOT_COMPILED = ("hs_translate", "front_matter", "card_blocks", "card_table", "types", "evidence_record")

RUNNER = """import sys, runpy
sys.path.insert(0, {compiled!r})
import extract, extract.claims
assert not extract.claims.__file__.endswith(".py"), extract.claims.__file__
sys.argv = [{script!r}, *{args!r}]
runpy.run_path({script!r}, run_name="__main__")
"""


def compile_extract(into: Path) -> None:
    shutil.copytree(ROOT / "extract", into / "extract", ignore=shutil.ignore_patterns("__pycache__"))
    files = sorted(f"extract/{p.name}" for p in (into / "extract").glob("*.py") if p.stem not in NOT_COMPILED)
    # (run where no pyproject.toml is: mypyc's build step reads the one in its working directory)
    done = subprocess.run([sys.executable, "-m", "mypyc", "--ignore-missing-imports", *files], cwd=into, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"mypyc failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def run(script: str, args: list[str], compiled: Path | None) -> str:
    path = str(ROOT / "benchmarks" / script)
    cmd = [sys.executable, "-c", RUNNER.format(compiled=str(compiled), script=path, args=args)] if compiled else [sys.executable, path, *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--db", default="/tmp/hubscan-profile.db", help="profile_extract's database (built when missing)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubscan-mypyc-") as tmp:
        compiled = Path(tmp)
        compile_extract(compiled)
        profile = ["--versions", str(args.versions), "--db", args.db, "--passes", "2"]
        for k in range(args.rounds):
            for name, where in (("python", None), ("compiled", compiled)):
                print(f"round {k + 1}, {name}: {run('profile_extract.py', profile, where).splitlines()[0]}", flush=True)
        print("compiled, equivalence: " + run("equivalence.py", ["--check"], compiled).strip().splitlines()[-1])


if __name__ == "__main__":
    main()
