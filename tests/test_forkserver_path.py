"""The extraction pool's workers import what the process that owns the pool imports, whatever the
working directory holds (hubscan/forkserver_path.py). Python 3.11's forkserver would import its
preload from the working directory first, and the workers inherit it: a crawl started inside
another hubscan checkout would run that checkout's extraction in its workers. Run in a fresh process, since a forkserver, once running, serves every
later pool of its process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RUNNER = """
from hubscan.extract_guard import GuardedExtractor

if __name__ == "__main__":
    extractor = GuardedExtractor(2, 1)
    try:  # the pool as extraction starts it; one of its workers says where `extract` comes from
        print(extractor._pool_or_new().submit(eval, "__import__('extract').__file__").result())
    finally:
        extractor.close()
"""


@pytest.mark.slow
def test_pool_workers_do_not_import_a_checkout_in_the_working_directory(tmp_path):
    decoy = tmp_path / "elsewhere"  # a directory holding another checkout's `extract` package
    (decoy / "extract").mkdir(parents=True)
    (decoy / "extract" / "__init__.py").write_text("# not hubscan's: a worker that imports this runs other code\n")
    runner = tmp_path / "runner" / "run_pool.py"
    runner.parent.mkdir()
    runner.write_text(RUNNER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONSAFEPATH", None)
    done = subprocess.run([sys.executable, str(runner)], cwd=decoy, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == str(ROOT / "extract" / "__init__.py")
