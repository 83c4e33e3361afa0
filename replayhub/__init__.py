"""replayhub: a loopback imitation of huggingface.co for tests, the demo and benchmarks.

    from replayhub import HubState, ReplayHub
    with ReplayHub(HubState.from_fixture("dev_hub.json")) as hub:
        HfApi(endpoint=hub.url).list_models(expand=["cardData", "sha"])
"""

from .faults import FaultPlan
from .github import GitHubRequest, ReplayGitHub
from .github_state import GitHubRepo, GitHubState
from .server import DATASET_EXPAND, MODEL_EXPAND, ReplayHub, RequestRecord
from .state import Blob, HubState, RepoSnapshot, git_blob_sha1
from .synthetic import SyntheticState, synthetic_state

__all__ = [
    "DATASET_EXPAND",
    "MODEL_EXPAND",
    "Blob",
    "FaultPlan",
    "GitHubRepo",
    "GitHubRequest",
    "GitHubState",
    "HubState",
    "RepoSnapshot",
    "ReplayGitHub",
    "ReplayHub",
    "RequestRecord",
    "SyntheticState",
    "git_blob_sha1",
    "synthetic_state",
]
