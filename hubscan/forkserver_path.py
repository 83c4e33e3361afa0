"""Start the extraction pool's forkserver importing by this process's `sys.path`.

Python 3.11's forkserver imports its preload (hubscan.extract_preload, and with it extract/) by its
own `sys.path`, which begins with the working directory, and every worker forked from it inherits
those modules. Started from a directory that holds another hubscan checkout, the workers would run
that checkout's extraction while this process runs the installed one (and a compiled install's
workers its Python modules). So it is started with this process's path as its PYTHONPATH and
PYTHONSAFEPATH=1 (no working directory): the workers import what this process imports. Once
running, the forkserver serves every later pool of this process.
"""

from __future__ import annotations

import os
import sys
from multiprocessing import forkserver

_KEYS = ("PYTHONPATH", "PYTHONSAFEPATH")


def start_forkserver() -> None:
    """Start the forkserver (set its preload first) unless it runs; a no-op when it does."""
    saved = {key: os.environ.get(key) for key in _KEYS}
    # '' (the working directory, for `python -c`) as the directory it names now
    os.environ["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in sys.path if isinstance(p, str))
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:  # only the forkserver is started with them: later subprocesses get the environment as it was
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
