"""Shared test setup: a hermetic huggingface_hub environment and replayhub fixtures.

huggingface_hub reads its environment once, at import (hub_api.md §2.1), so the variables are set
here at module top, before any test module imports it. `HF_ENDPOINT` points at a loopback port
reserved for this session (`HF_ENDPOINT_PORT`): nothing can reach huggingface.co by accident, and a
test that needs the import-time endpoint (e.g. `ModelCard.load`, which takes no `endpoint=`) can
start its hub with `replay_hub(state, port=HF_ENDPOINT_PORT)`. Everything else should pass
`endpoint=hub.url` explicitly.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import tempfile
from pathlib import Path


def _reserve_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_HF_HOME = tempfile.mkdtemp(prefix="hubscan-tests-hf-")
HF_ENDPOINT_PORT = _reserve_port()
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_HOME"] = _HF_HOME  # no saved login token, no shared cache
os.environ["HF_HUB_CACHE"] = os.path.join(_HF_HOME, "hub")
os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{HF_ENDPOINT_PORT}"
# No GitHub token: crawls in tests check no linked repository unless a test starts a loopback GitHub
# and sets GITHUB_TOKEN + HUBSCAN_GITHUB_API itself (api.github.com is never reached).
for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
              "HUGGINGFACE_CO_STAGING", "GITHUB_TOKEN", "HUBSCAN_GITHUB_API"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402

import netguard  # noqa: E402

from replayhub import ReplayHub  # noqa: E402  (replayhub itself never imports huggingface_hub)

# No test reaches beyond loopback (tests/netguard.py): this process, and every Python subprocess
# through netguard_site/sitecustomize.py, refuse and record any other connection.
netguard.install()
os.environ[netguard.LOG_ENV] = os.path.join(_HF_HOME, "netguard.log")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(Path(__file__).resolve().parent / "netguard_site"), *filter(None, [os.environ.get("PYTHONPATH")])]
)


@pytest.fixture(autouse=True)
def no_outbound_connections():
    """Fail the test that tried to connect to a non-loopback address, even if the code swallowed the error."""
    before, before_sub = len(netguard.BLOCKED), len(netguard.blocked_in_subprocesses())
    yield
    tried = netguard.BLOCKED[before:] + ([netguard.blocked_in_subprocesses()[before_sub:]] if len(netguard.blocked_in_subprocesses()) > before_sub else [])
    if tried:
        pytest.fail("outbound connection attempted (only loopback is allowed):\n" + "\n".join(tried), pytrace=False)

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared next to the repository (read-only fixtures and docs); skips when absent."""
    if not (SHARED_DIR / "fixtures").is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_DIR} (expected ../shared next to the repo)")
    return SHARED_DIR


@pytest.fixture(scope="session")
def _dev_hub_text(shared_dir: Path) -> str:
    return (shared_dir / "fixtures" / "dev_hub.json").read_text(encoding="utf-8")


@pytest.fixture
def dev_hub_data(_dev_hub_text: str) -> dict:
    """The parsed dev_hub.json, a fresh deep copy for each test."""
    return copy.deepcopy(json.loads(_dev_hub_text))


@pytest.fixture
def replay_hub():
    """Factory: `replay_hub(state_or_dict, **ReplayHub kwargs)` -> a started hub, stopped at teardown."""
    started: list[ReplayHub] = []

    def start(state_or_dict, **server_kwargs) -> ReplayHub:
        hub = ReplayHub(state_or_dict, **server_kwargs).start()
        started.append(hub)
        return hub

    yield start
    for hub in started:
        hub.stop()


@pytest.fixture(scope="module")
def history(tmp_path_factory, _dev_hub_text):
    """A database with four crawls of a changing dev hub (built once per module; tests only read it)."""
    from test_reports import build_history

    started: list[ReplayHub] = []

    def start(state):
        hub = ReplayHub(state).start()
        started.append(hub)
        return hub

    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HUBSCAN_RETRY_BASE_SECONDS", "0.01")
            db = build_history(tmp_path_factory.mktemp("history"), json.loads(_dev_hub_text), start)
        yield db
    finally:
        for hub in started:
            hub.stop()
