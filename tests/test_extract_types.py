"""extract/ type-checks under mypy. Its modules are pure functions over typed dataclasses; a name
reused with another type (a count, then a list) or a None the annotation does not admit is a bug
waiting for the day a path is taken, and a compiler of annotated Python (mypyc, measured in
docs/benchmarks.md) refuses such a module outright and checks the declared types at run time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_extract_type_checks():
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-incremental", "extract/"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "Success: no issues found" in done.stdout
