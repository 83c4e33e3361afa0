"""The optional compiled build of extract/ (mypyc); everything else is in pyproject.toml.

    HUBSCAN_COMPILE=1 pip install .        # extract/ compiled to C extensions (needs a C compiler)
    pip install .                          # Python only: the default, the same evidence

mypyc compiles the type-annotated modules as they are written, so there is one source of truth:
the compiled build gives every version the evidence the Python one gives
(tests/test_compiled_extract.py). The modules left in Python, each with its reason, are listed in
pyproject.toml under [tool.hubscan.compile]. Figures: docs/benchmarks.md (benchmarks/bench_mypyc.py).
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
COMPILE = os.environ.get("HUBSCAN_COMPILE") == "1"


def compiled_modules() -> list[str]:
    python_only = set(tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hubscan"]["compile"]["python_only"])
    return sorted(f"extract/{p.name}" for p in (HERE / "extract").glob("*.py") if p.stem not in python_only)


def ext_modules() -> list:
    if not COMPILE:
        return []
    if "editable_wheel" in sys.argv:
        # an edited .py beside its compiled module would not be the code that runs
        raise SystemExit("HUBSCAN_COMPILE=1 compiles into a normal install: pip install . (not pip install -e .)")
    try:
        from mypyc.build import mypycify
    except ImportError:
        # pip's first pass over this file only asks for the build's requirements (setup() then
        # raises with setup_requires below); the build itself runs with mypy installed
        return []
    # (yaml's and jsonschema's stubs are not build requirements: extract/ needs no types from them)
    return mypycify(["--ignore-missing-imports", *compiled_modules()], opt_level="3")


setup(
    ext_modules=ext_modules(),
    # setuptools' PEP 517 backend reports setup_requires as the build's own requirements: mypy is
    # fetched only for a compiled build
    setup_requires=["mypy>=1.13,<3"] if COMPILE else [],
)
