"""What the compiled build (extract/ compiled by mypyc, setup.py) gives: the same evidence, faster.

    python benchmarks/bench_mypyc.py [--versions 2000] [--rounds 2] [--db /tmp/hubscan-profile.db]
                                     [--pool-db SEED.db]

Builds the compiled wheel from a copy of the checkout (`HUBSCAN_COMPILE=1 pip wheel`, with the
test extras' setuptools and mypy; about three minutes of C compilation on two cores) and unpacks it into a
temporary directory, then in turn, round by round, runs `profile_extract.py` on the Python build
and on the compiled one, and `equivalence.py --check` once on the compiled one; with --pool-db (a database built by
`bench_extract.py --phase build`), also `bench_extract.py --phase run` on a fresh copy of it, the
issue's measure on the pool. The compiled copy is imported, and the pool's forkserver started,
before the script it runs puts the checkout first on its `sys.path` (hubscan/forkserver_path.py:
the forkserver imports by the path of the process that starts it); a worker is asked which build
it imports.
The figures of 2026-12-07: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

POOL_FIGURES = ("extract_per_s", "extract_and_label_per_s", "extract_cpu_ms_per_version", "main_cpu_ms_per_version")

RUNNER = """import sys, runpy
sys.path.insert(0, {compiled!r})
import extract, extract.claims
assert not extract.claims.__file__.endswith(".py"), extract.claims.__file__
from hubscan.extract_guard import GuardedExtractor
pool = GuardedExtractor(2, 1)  # its forkserver, started now with the compiled copy first on the path, serves the script's pools
try:
    in_worker = pool._pool_or_new().submit(eval, "__import__('extract.claims').claims.__file__").result()
finally:
    pool.close()
assert not in_worker.endswith(".py"), "the pool's workers import the Python build: " + in_worker
sys.argv = [{script!r}, *{args!r}]
runpy.run_path({script!r}, run_name="__main__")
"""


def compiled_build(into: Path) -> Path:
    """The checkout built with extract/ compiled (setup.py), unpacked into `into`/site; returns that.
    Built from a copy, so the build's own directories stay out of the checkout."""
    source, wheels = into / "source", into / "wheel"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache", "*.db", "*.so"))
    env = {**os.environ, "HUBSCAN_COMPILE": "1"}
    # with this environment's setuptools and mypy (the test extras): no network, as in the tests
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(source)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the compiled build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    (wheel,) = wheels.glob("hubscan-*.whl")
    if wheel.name.endswith("-none-any.whl"):
        raise SystemExit(f"HUBSCAN_COMPILE=1 built a pure-Python wheel: {wheel.name}")
    site = into / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def run(script: str, args: list[str], compiled: Path | None) -> str:
    """A benchmark script's output, run on the Python build or on the compiled one at `compiled`
    (its workers checked to import it too); fails with the script's output."""
    path = str(ROOT / "benchmarks" / script)
    cmd = [sys.executable, "-c", RUNNER.format(compiled=str(compiled), script=path, args=args)] if compiled else [sys.executable, path, *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if compiled:
        env["PYTHONPATH"] = str(compiled)
    done = subprocess.run(cmd, cwd=compiled or ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--db", default="/tmp/hubscan-profile.db", help="profile_extract's database (built when missing)")
    parser.add_argument("--pool-db", type=Path, help="also bench_extract.py --phase run on a copy of this database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubscan-mypyc-") as tmp:
        compiled = compiled_build(Path(tmp))
        profile = ["--versions", str(args.versions), "--db", args.db, "--passes", "2"]
        for k in range(args.rounds):
            for name, where in (("python", None), ("compiled", compiled)):
                print(f"round {k + 1}, {name}: {run('profile_extract.py', profile, where).splitlines()[0]}", flush=True)
                if args.pool_db:
                    db = Path(tmp) / "pool.db"
                    shutil.copyfile(args.pool_db, db)
                    got = json.loads(run("bench_extract.py", ["--phase", "run", "--db", str(db)], where).strip().splitlines()[-1])
                    db.unlink()
                    print(f"round {k + 1}, {name}, pool: " + ", ".join(f"{key} {got[key]}" for key in POOL_FIGURES), flush=True)
        print("compiled, equivalence: " + run("equivalence.py", ["--check"], compiled).strip().splitlines()[-1])


if __name__ == "__main__":
    main()
