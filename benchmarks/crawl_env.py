"""What every benchmark that runs `hubscan crawl` in a subprocess needs: a scratch directory and an
environment with its own Hugging Face cache, no telemetry or progress bars, this checkout on the path
and no token (a benchmark never talks to the real Hub)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def scratch_and_env(prefix: str, root: Path, **extra: str) -> tuple[Path, dict[str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    env = {
        **os.environ,
        "HF_HOME": str(tmp / "hf"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "PYTHONPATH": str(root),
        **extra,
    }
    env.pop("HF_TOKEN", None)
    return tmp, env
