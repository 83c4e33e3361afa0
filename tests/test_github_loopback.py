"""The loopback GitHub (replayhub/github.py) through hubscan's real httpx client (crawler/github.py)."""

from __future__ import annotations

import base64
import socket
import time

import httpx
import pytest

from crawler.code_repo_check import documents_to_fetch, fetch_repo
from crawler.github import (
    GitHubClient,
    GitHubPolicy,
    GitHubSettings,
    GitHubUnreachable,
    RateLimitStop,
    decode_content,
    settings_from_env,
)
from extract.code_repos import code_licence, read_tree
from extract.types import StoredCodeRepo
from github_fixtures import TOKEN, github_data
from replayhub.github import ReplayGitHub
from store.code_repo_rows import RepoSeen, LastCheck

FAST = GitHubPolicy(attempts=3, base_seconds=0.01, secondary_seconds=0.05, max_wait_seconds=5.0, timeout_seconds=5.0)


@pytest.fixture
def github():
    with ReplayGitHub(github_data()) as server:
        yield server


def client_for(server, token: str | None = TOKEN, policy: GitHubPolicy = FAST, **kwargs) -> GitHubClient:
    return GitHubClient(GitHubSettings(api=server.url, token=token, policy=policy), **kwargs)


def stored(name: str, seen: RepoSeen) -> LastCheck:
    return LastCheck(name, seen.status, seen.full_name, seen.github_id, seen.default_branch, seen)


def stored_code_repo(name: str, seen: RepoSeen) -> StoredCodeRepo:
    return StoredCodeRepo(name=name, status=seen.status, full_name=seen.full_name, archived=bool(seen.archived),
                            licence_spdx=seen.licence_spdx, licence_key=seen.licence_key, licence_name=seen.licence_name,
                            tree=tuple(seen.tree), truncated=seen.truncated, docs=seen.docs)


def test_a_present_repository_gives_licence_tree_and_documents(github):
    with client_for(github) as client:
        seen = fetch_repo(client, "acme/forge", None)
    assert (seen.status, seen.full_name, seen.github_id, seen.default_branch) == ("ok", "acme/forge", 1001, "main")
    assert (seen.licence_spdx, seen.licence_key, seen.archived, seen.fork) == ("Apache-2.0", "apache-2.0", False, False)
    paths = {p for p, _ in seen.tree}
    assert {"scripts/train.py", "configs/pretrain/base.yaml", "README.md", "docs/data.md"} <= paths
    assert not any(p in ("scripts", "configs") for p in paths)  # blobs only, folders are implied
    assert seen.docs["README.md"].startswith("# acme forge") and "MinHash" in seen.docs["docs/data.md"]
    assert set(seen.etags) == {"repo", "tree:main", "contents:README.md", "contents:docs/data.md"}
    # one request per route: metadata, recursive tree, two documents
    assert [r.kind for r in github.requests] == ["repo", "tree", "contents", "contents"]
    assert github.requests[1].query == {"recursive": ["1"]}
    assert all(r.token_present and r.counted and r.status == 200 for r in github.requests)
    verdict = read_tree(p for p, _ in seen.tree)
    assert verdict.training_code and "training-entry-point" in verdict.signals
    assert "examples/finetune_demo.py" not in verdict.paths and verdict.excluded >= 1


def test_contents_are_base64_with_a_newline_every_60_characters(github):
    with httpx.Client(base_url=github.url, headers={"User-Agent": "t"}) as raw:
        item = raw.get("/repos/acme/forge/contents/docs/data.md").json()
        listing = raw.get("/repos/acme/forge/contents/docs").json()
        huge = raw.get("/repos/acme/huge/contents/BIG.md").json()
    lines = item["content"].split("\n")
    assert item["encoding"] == "base64" and all(len(line) == 60 for line in lines[:-2]) and lines[-1] == ""
    assert base64.b64decode(item["content"]).decode().startswith("# Data preparation")
    assert decode_content(item, 10) == b"# Data pre"
    assert [e["path"] for e in listing] == ["docs/data.md"] and listing[0]["type"] == "file"
    assert huge["encoding"] == "none" and huge["content"] == "" and huge["size"] > 1_000_000
    assert decode_content(huge, 1000) is None


def test_names_are_case_insensitive_and_unknown_routes_answer_404(github):
    with client_for(github) as client:
        assert client.get("/repos/ACME/Forge").data["full_name"] == "acme/forge"
        missing = client.get("/repos/acme/forge/issues")
    assert missing.status == 404 and missing.data["message"] == "Not Found"


def test_a_renamed_repository_is_followed_and_its_new_name_remembered(github):
    with client_for(github) as client:
        seen = fetch_repo(client, "acme/old-name", None)
    assert (seen.status, seen.full_name) == ("renamed", "acme/new-name")
    first = github.requests[0]
    assert (first.path, first.status) == ("/repos/acme/old-name", 301)
    assert github.requests[1].path == "/repositories/1002" and github.requests[1].status == 200
    github.reset_counts()
    with client_for(github) as client:  # the next check asks for the new name directly: no 301
        fetch_repo(client, "acme/old-name", stored("acme/old-name", seen))
    assert github.count(status=301) == 0 and github.requests[0].path == "/repos/acme/new-name"


def test_the_301_keeps_the_path_suffix_and_query(github):
    with httpx.Client(base_url=github.url, headers={"User-Agent": "t"}) as raw:
        answer = raw.get("/repos/acme/old-name/git/trees/main", params={"recursive": "1"})
        assert answer.status_code == 301
        assert answer.headers["location"] == f"{github.url}/repositories/1002/git/trees/main?recursive=1"
        assert [e["path"] for e in raw.get(answer.headers["location"]).json()["tree"]] == ["LICENSE", "README.md", "train.py"]


def test_missing_blocked_archived_unlicensed_and_custom_licences(github):
    with client_for(github) as client:
        missing = fetch_repo(client, "acme/never-existed", None)
        blocked = fetch_repo(client, "acme/blocked", None)
        attic = fetch_repo(client, "acme/attic", None)
        unlicensed = fetch_repo(client, "acme/unlicensed", None)
        custom = fetch_repo(client, "acme/odd-trainer", None)
    assert (missing.status, missing.tree) == ("missing", [])
    assert github.requests[0].status == 404
    assert blocked.status == "blocked"
    assert attic.archived is True and code_licence(stored_code_repo("acme/attic", attic)).open
    assert unlicensed.licence_spdx is None
    lic = code_licence(stored_code_repo("acme/unlicensed", unlicensed))
    assert (lic.label, lic.open) == ("none", False) and "all rights reserved" in lic.reason
    assert (custom.licence_spdx, custom.licence_key) == ("NOASSERTION", "other")
    lic = code_licence(stored_code_repo("acme/odd-trainer", custom))
    assert (lic.label, lic.open) == ("NOASSERTION", False)


def test_a_truncated_tree_is_recorded_and_unknown_is_not_none(github):
    with client_for(github) as client:
        seen = fetch_repo(client, "acme/huge", None)
    assert seen.truncated is True
    assert read_tree((p for p, _ in seen.tree), seen.truncated).training_code is None  # nothing found in part of a tree
    assert "BIG.md" not in seen.docs  # over the documents' size bound: not fetched


def test_a_304_costs_no_quota_and_keeps_what_was_seen(github):
    with client_for(github) as client:
        first = fetch_repo(client, "acme/forge", None)
    used = github.count(counted=True)
    github.reset_counts()
    with client_for(github) as client:
        again = fetch_repo(client, "acme/forge", stored("acme/forge", first))
        assert client.stats.not_modified == client.stats.calls == 4
    assert [r.status for r in github.requests] == [304, 304, 304, 304]
    assert github.count(counted=True) == 0 and used == 4
    assert (again.tree, again.docs, again.licence_spdx, again.etags) == (first.tree, first.docs, first.licence_spdx, first.etags)
    # and a change is seen: the licence file changed, so the metadata answers 200 again
    github.state.update("acme/forge", license={"key": "other", "name": "Other", "spdx_id": "NOASSERTION"})
    with client_for(github) as client:
        changed = fetch_repo(client, "acme/forge", stored("acme/forge", first))
    assert changed.licence_spdx == "NOASSERTION" and changed.tree == first.tree


def test_an_anonymous_304_still_counts(github):
    with client_for(github, token=None) as client:
        first = client.get("/repos/acme/attic")
        again = client.get("/repos/acme/attic", etag=first.etag)
    assert again.status == 304 and github.requests[-1].counted and not github.requests[-1].token_present


def test_rate_limit_headers_on_every_answer(github):
    github.set_quota(3, window_seconds=60)
    with httpx.Client(base_url=github.url, headers={"User-Agent": "t", "Authorization": f"Bearer {TOKEN}"}) as raw:
        answers = [raw.get(path) for path in ("/repos/acme/attic", "/repos/acme/none", "/repos/acme/attic", "/repos/acme/attic")]
    assert [a.status_code for a in answers] == [200, 404, 200, 403]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a.headers["x-ratelimit-limit"] == "3" and a.headers["x-ratelimit-resource"] == "core" for a in answers)
    assert int(answers[0].headers["x-ratelimit-reset"]) >= int(time.time())
    assert "rate limit" in answers[3].json()["message"]


def test_the_primary_limit_is_waited_out_until_reset(github):
    github.set_quota(2, window_seconds=1.5, limit_status=429)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with client_for(github, sleep=sleep) as client:
        names = [client.get(f"/repos/acme/{n}").data["full_name"] for n in ("attic", "forge", "new-name")]
    assert names == ["acme/attic", "acme/forge", "acme/new-name"]
    assert len(waits) == 1 and 0 < waits[0] <= 3.5  # until X-RateLimit-Reset, not a blind backoff
    assert github.count(status=429) == 0  # the client saw Remaining 0 and waited before asking again


def test_a_primary_limit_resetting_too_late_stops_checking(github):
    github.set_quota(1, window_seconds=3600)
    with client_for(github, policy=GitHubPolicy(attempts=3, base_seconds=0.01, max_wait_seconds=2.0)) as client:
        client.get("/repos/acme/attic")
        with pytest.raises(RateLimitStop, match="resets in"):
            client.get("/repos/acme/forge")
    assert github.count() == 1  # the spent quota was known: no request wasted on a 403


def test_a_primary_403_is_recognised_without_a_previous_answer(github):
    github.set_quota(0, window_seconds=3600)
    with client_for(github, policy=GitHubPolicy(attempts=3, base_seconds=0.01, max_wait_seconds=2.0)) as client:
        with pytest.raises(RateLimitStop):
            client.get("/repos/acme/attic")
        assert client.stats.rate_limited == 1
    assert github.requests[0].status == 403 and not github.requests[0].counted


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_limit_waits_as_retry_after_asks(github, status):
    github.secondary_limit(2, status=status, retry_after=1)
    waits: list[float] = []
    with client_for(github, sleep=waits.append) as client:
        answer = client.get("/repos/acme/attic")
        assert client.stats.rate_limited == 2
    assert answer.status == 200 and waits == [1.0, 1.0]
    assert [r.fault for r in github.requests] == ["secondary", "secondary", None]


def test_a_secondary_limit_without_retry_after_backs_off_from_a_minute(github):
    github.secondary_limit(2, retry_after=None)
    waits: list[float] = []
    policy = GitHubPolicy(attempts=4, base_seconds=1.0, secondary_seconds=60.0, max_wait_seconds=900.0)
    with client_for(github, policy=policy, sleep=waits.append) as client:
        assert client.get("/repos/acme/attic").status == 200
    assert waits == [60.0, 120.0]


def test_transient_errors_and_dropped_connections_are_retried(github):
    github.fail(1, status=502)
    github.fail(1, drop=True)
    with client_for(github) as client:
        answer = client.get("/repos/acme/attic")
        assert client.stats.retries == 2
    assert answer.status == 200 and [r.fault for r in github.requests] == ["http-502", "drop", None]


def test_no_network_means_unreachable_quickly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        settings = GitHubSettings(api=f"http://127.0.0.1:{port}", token=TOKEN, policy=FAST)
        started = time.monotonic()
        with GitHubClient(settings) as client, pytest.raises(GitHubUnreachable) as err:
            client.get("/repos/acme/forge")
    assert time.monotonic() - started < 5
    assert TOKEN not in str(err.value)


def test_a_request_without_user_agent_is_refused(github):
    with httpx.Client(base_url=github.url, headers={"User-Agent": ""}) as raw:
        answer = raw.get("/repos/acme/attic")
    assert answer.status_code == 403 and "User-Agent" in answer.json()["message"]


def test_the_client_sends_githubs_headers_and_never_keeps_the_token(github):
    with client_for(github) as client:
        client.get("/repos/acme/attic")
        assert TOKEN not in repr(client.settings)
    assert github.requests[0].token_present
    assert TOKEN not in repr(github.requests)
    with ReplayGitHub(github_data(), tokens={"other"}) as strict, client_for(strict) as client:
        answer = client.get("/repos/acme/attic")
    assert answer.status == 401 and answer.data["message"] == "Bad credentials" and TOKEN not in repr(answer)


def test_settings_need_a_token():
    assert settings_from_env({}) is None
    assert settings_from_env({"GITHUB_TOKEN": "  "}) is None
    settings = settings_from_env({"GITHUB_TOKEN": TOKEN, "HUBSCAN_GITHUB_API": "http://127.0.0.1:9/", "HUBSCAN_RETRY_BASE_SECONDS": "0.01"})
    assert settings.api == "http://127.0.0.1:9" and settings.token == TOKEN
    assert settings.policy.secondary_seconds == pytest.approx(0.6)
    assert settings_from_env({"GITHUB_TOKEN": "x"}).api == "https://api.github.com"


def test_documents_to_fetch_are_the_readme_and_a_few_small_data_docs():
    tree = [("README.md", 3000), ("docs/data.md", 2000), ("docs/training.md", 2000), ("docs/dataset_card.md", 900),
            ("examples/data.md", 100), ("docs/huge_data.md", 10_000_000), ("src/data.py", 100)]
    assert documents_to_fetch(tree) == ["README.md", "docs/data.md", "docs/dataset_card.md"]


@pytest.mark.slow
def test_replayhub_serves_a_loopback_github_next_to_the_hub(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    fixture = tmp_path / "github.json"
    fixture.write_text(json.dumps(github_data()))
    command = [sys.executable, "-m", "replayhub", "serve", "--synthetic", "3", "--github", str(fixture), "--github-quota", "7"]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hub_url = process.stdout.readline().strip()
        github_url = process.stdout.readline().strip()
        assert hub_url.startswith("http://127.0.0.1:") and github_url.startswith("http://127.0.0.1:"), process.stderr.read()
        answer = httpx.get(f"{github_url}/repos/acme/forge", headers={"User-Agent": "t", "Authorization": "Bearer x"})
        assert answer.json()["license"]["spdx_id"] == "Apache-2.0" and answer.headers["x-ratelimit-limit"] == "7"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_quota_still_spent_after_its_reset_stops_rather_than_looping(github):
    github.set_quota(0, window_seconds=0.3)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with client_for(github, sleep=sleep) as client, pytest.raises(RateLimitStop, match="still spent"):
        client.get("/repos/acme/attic")
    assert len(waits) == 2 and github.count() == 3


def test_a_malformed_api_url_is_a_clear_setting_error():
    with pytest.raises(ValueError, match="HUBSCAN_GITHUB_API must be an http"):
        settings_from_env({"GITHUB_TOKEN": "x", "HUBSCAN_GITHUB_API": "api.github.com"})
