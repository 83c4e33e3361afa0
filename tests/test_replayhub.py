"""replayhub against the real huggingface_hub 2.4.0 client, over real loopback HTTP."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, ModelCard, constants, get_hf_file_metadata, hf_hub_download, hf_hub_url
from huggingface_hub.errors import (
    BadRequestError,
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import parse_ratelimit_headers

from replayhub import FaultPlan, HubState, git_blob_sha1, synthetic_state

REPO_ROOT = Path(__file__).resolve().parents[1]
LLAMA = "meta-llama/Llama-3.2-1B"  # gated: manual
FALCON = "tiiuae/falcon-7b"
PRIVATE = "runwayml/stable-diffusion-v1-5"


def _models(data: dict, id_: str) -> dict:
    return next(m for m in data["models"] if m["id"] == id_)


def _api(hub, token=False) -> HfApi:
    return HfApi(endpoint=hub.url, token=token)


# --- listing -------------------------------------------------------------------------------------


def test_list_models_walks_cursor_pages_with_absolute_links(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data, default_page_size=6)
    public = [m["id"] for m in dev_hub_data["models"] if not m.get("private")]

    models = list(_api(hub).list_models(expand=["sha", "gated", "cardData"]))

    assert [m.id for m in models] == public  # creation order, private repo left out
    assert hub.count("models.list") == math.ceil(len(public) / 6)
    pages = [r for r in hub.requests if r.kind == "models.list"]
    assert "cursor" not in pages[0].query
    assert all("cursor" in r.query and r.query["expand"] == ["sha", "gated", "cardData"] for r in pages[1:])

    # The Link header is absolute, repeats the original query, and disappears on the last page.
    url, seen, links = f"{hub.url}/api/models?limit=8&expand=sha", [], []
    while url:
        response = httpx2.get(url)
        assert response.status_code == 200
        seen += [item["id"] for item in response.json()]
        links.append(response.headers.get("link"))
        url = response.links.get("next", {}).get("url")
    assert seen == public
    assert links[-1] is None and len(links) == math.ceil(len(public) / 8)
    assert links[0].startswith(f"<{hub.url}/api/models?limit=8&expand=sha&cursor=") and links[0].endswith('rel="next"')


def test_cursor_walk_stays_stable_while_repos_change(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data)
    public = [m["id"] for m in dev_hub_data["models"] if not m.get("private")]
    with httpx2.Client() as client:
        first = client.get(f"{hub.url}/api/models?limit=5")
        assert [m["id"] for m in first.json()] == public[:5]
        hub.state.delete_repo(public[1])  # already seen
        hub.state.delete_repo(public[6])  # not yet seen
        hub.state.add_repo({"id": "late/arrival", "files": {}})
        rest, url = [], first.links["next"]["url"]
        while url:
            page = client.get(url)
            rest += [m["id"] for m in page.json()]
            url = page.links.get("next", {}).get("url")
    assert rest == public[5:6] + public[7:] + ["late/arrival"]

    by_likes = synthetic_state(400, seed=2)
    hub = replay_hub(by_likes)
    walked = [m.likes for m in _api(hub).list_models(sort="likes", expand=["likes"], limit=400)]
    assert hub.count("models.list") == 1  # limit=400 is one page; now force several:
    with httpx2.Client() as client:
        url, likes = f"{hub.url}/api/models?sort=likes&limit=64&expand=likes", []
        while url:
            page = client.get(url)
            likes += [m["likes"] for m in page.json()]
            url = page.links.get("next", {}).get("url")
    assert likes == walked == sorted(likes, reverse=True) and len(likes) == sum(
        1 for _, snap in by_likes.scan("model") if not snap.private)


def test_list_models_limit_stops_after_n_items(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data)
    models = list(_api(hub).list_models(limit=7, filter="text-generation", sort="downloads"))
    assert len(models) == 7
    assert hub.count("models.list") == 1 and hub.requests[0].query["limit"] == ["7"]
    downloads = [m.downloads for m in models]
    assert downloads == sorted(downloads, reverse=True)
    assert all("text-generation" in m.tags for m in models)


def test_list_filters_and_search(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data)
    api = _api(hub)
    apache_tg = {m.id for m in api.list_models(filter=["license:apache-2.0", "text-generation"])}
    expected = {m["id"] for m in dev_hub_data["models"] if not m.get("private")
                and {"license:apache-2.0", "text-generation"} <= set(m["tags"])}
    assert apache_tg == expected and len(expected) >= 3
    assert {m.id for m in api.list_models(author="allenai")} == {"allenai/OLMoE-1B-7B-0924"}
    assert {m.id for m in api.list_models(search="gguf")} == {
        "TheBloke/Mistral-7B-Instruct-v0.2-GGUF", "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"}
    gated = {m.id for m in api.list_models(gated=True)}
    assert gated == {m["id"] for m in dev_hub_data["models"] if m.get("gated")}


def test_expand_returns_only_requested_fields(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data)
    hub.state.update(FALCON, cardData=None)  # a repo without card metadata

    items = httpx2.get(f"{hub.url}/api/models?expand=gated&expand[]=sha&expand=cardData").json()
    by_id = {item["id"]: item for item in items}
    assert set(by_id[LLAMA]) == {"_id", "id", "gated", "sha", "cardData"}
    assert by_id[LLAMA]["gated"] == "manual" and re.fullmatch(r"[0-9a-f]{40}", by_id[LLAMA]["sha"])
    assert set(by_id[FALCON]) == {"_id", "id", "gated", "sha"}  # missing, not null

    via_client = {m.id: m for m in _api(hub).list_models(expand=["gated", "likes"])}
    assert via_client[LLAMA].gated == "manual" and via_client[LLAMA].likes == _models(dev_hub_data, LLAMA)["likes"]
    assert via_client[LLAMA].downloads is None and via_client[LLAMA].sha is None

    default = httpx2.get(f"{hub.url}/api/models").json()[0]
    assert "downloads" in default and "sha" not in default and "cardData" not in default
    full = httpx2.get(f"{hub.url}/api/models?full=true&cardData=true").json()[0]
    assert {"sha", "siblings", "cardData", "lastModified"} <= set(full)
    assert not {"expected", "washing", "note", "files"} & set(full)


def test_unknown_expand_is_a_bad_request(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data)
    with pytest.raises(BadRequestError):
        list(_api(hub).list_models(expand=["sha", "no-such-field"]))
    with pytest.raises(BadRequestError):
        _api(hub).model_info(FALCON, expand=["no-such-field"])
    response = httpx2.get(f"{hub.url}/api/datasets?expand=safetensors")  # a model-only field
    assert response.status_code == 400 and "error" in response.json()


# --- single repos --------------------------------------------------------------------------------


def test_model_info_of_gated_repo_is_public(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data)
    info = _api(hub).model_info(LLAMA)
    fixture = _models(dev_hub_data, LLAMA)
    assert info.gated == "manual"
    assert info.card_data.license == fixture["cardData"]["license"]
    assert sorted(s.rfilename for s in info.siblings) == sorted(fixture["files"])
    assert info.tags == fixture["tags"] and info.downloads == fixture["downloads"]
    raw = httpx2.get(f"{hub.url}/api/models/{LLAMA}").json()
    assert not {"expected", "washing", "note", "files"} & set(raw)
    assert raw["_id"] and raw["modelId"] == LLAMA and raw["usedStorage"] > 2_000_000_000

    sized = _api(hub).model_info(LLAMA, files_metadata=True)
    weights = next(s for s in sized.siblings if s.rfilename == "model.safetensors")
    assert weights.size == fixture["files"]["model.safetensors"] and weights.lfs.sha256


def test_legacy_id_and_encoded_revisions(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data)
    api = _api(hub)
    assert api.model_info("bert-base-uncased").id == "google-bert/bert-base-uncased"
    assert hub.count("models.info", status=307) == 1

    sha = hub.state.add_ref(FALCON, "refs/pr/1")
    assert api.model_info(FALCON, revision="refs/pr/1").sha == sha
    assert any("/revision/refs%2Fpr%2F1" in r.path for r in hub.requests)
    assert api.model_info(FALCON, revision=sha).sha == sha
    with pytest.raises(RevisionNotFoundError):
        api.model_info(FALCON, revision="0" * 40)


def test_private_repo_is_not_found_without_access(replay_hub, dev_hub_data, tmp_path):
    tokens = {"hf_reader": {"user": "carol"}, "hf_owner": {"user": "dan", "private": [PRIVATE]}}
    hub = replay_hub(dev_hub_data, tokens=tokens)
    with pytest.raises(RepositoryNotFoundError) as anonymous:
        _api(hub).model_info(PRIVATE)
    assert anonymous.value.response.status_code == 401
    with pytest.raises(RepositoryNotFoundError) as reader:
        _api(hub, token="hf_reader").model_info(PRIVATE)
    assert reader.value.response.status_code == 404
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(PRIVATE, "README.md", endpoint=hub.url, token=False, cache_dir=tmp_path)
    with pytest.raises(RepositoryNotFoundError) as missing:
        _api(hub).model_info("nobody/nothing-here")
    assert missing.value.response.headers["X-Error-Code"] == "RepoNotFound"

    assert _api(hub, token="hf_owner").model_info(PRIVATE).private is True
    assert PRIVATE not in {m.id for m in _api(hub).list_models()}
    assert PRIVATE in {m.id for m in _api(hub, token="hf_owner").list_models()}

    with pytest.raises(HfHubHTTPError) as bad:
        _api(hub, token="hf_forged").model_info(FALCON)
    assert bad.value.response.status_code == 401
    assert bad.value.response.headers["X-Error-Message"] == "Invalid credentials in Authorization header"
    assert all("hf_" not in repr(r) for r in hub.requests)  # token values are never recorded
    assert {r.token_present for r in hub.requests} == {True, False}


def test_dataset_info_listing_and_card(replay_hub, dev_hub_data, tmp_path):
    hub = replay_hub(dev_hub_data)
    api = _api(hub)
    info = api.dataset_info("bigscience/xP3")
    assert info.card_data.license == _dataset_licence(dev_hub_data)
    assert {s.rfilename for s in info.siblings} >= {"README.md", "en/xp3_0.jsonl"}
    assert [d.id for d in api.list_datasets()] == [d["id"] for d in dev_hub_data["datasets"]]
    path = hf_hub_download("bigscience/xP3", "README.md", repo_type="dataset", endpoint=hub.url, token=False,
                           cache_dir=tmp_path)
    assert Path(path).read_text() == next(d for d in dev_hub_data["datasets"]
                                          if d["id"] == "bigscience/xP3")["files"]["README.md"]
    assert hub.count("datasets.resolve") == 2 and hub.count("datasets.info") == 1


def _dataset_licence(data: dict) -> str:
    return next(d for d in data["datasets"] if d["id"] == "bigscience/xP3")["cardData"]["license"]


# --- downloads -----------------------------------------------------------------------------------


def test_hf_hub_download_readme_head_then_get(replay_hub, dev_hub_data, tmp_path):
    hub = replay_hub(dev_hub_data)
    readme = _models(dev_hub_data, FALCON)["files"]["README.md"]
    path = hf_hub_download(FALCON, "README.md", endpoint=hub.url, token=False, cache_dir=tmp_path)
    assert Path(path).read_text(encoding="utf-8") == readme
    assert hub.count("models.resolve", method="HEAD") == 1 and hub.count("models.resolve", method="GET") == 1

    meta = get_hf_file_metadata(hf_hub_url(FALCON, "README.md", endpoint=hub.url), token=False)
    assert meta.commit_hash == _api(hub).model_info(FALCON).sha
    assert meta.etag == git_blob_sha1(readme.encode("utf-8")) and meta.size == len(readme.encode("utf-8"))

    hub.reset_counts()
    hf_hub_download(FALCON, "README.md", endpoint=hub.url, token=False, cache_dir=tmp_path)  # cached
    assert hub.count("models.resolve", method="HEAD") == 1 and hub.count("models.resolve", method="GET") == 0

    ranged = httpx2.get(f"{hub.url}/{FALCON}/resolve/main/README.md", headers={"Range": "bytes=4-11"})
    assert ranged.status_code == 206 and ranged.content == readme.encode()[4:12]
    assert ranged.headers["Content-Range"] == f"bytes 4-11/{len(readme.encode())}"
    head = httpx2.head(f"{hub.url}/{FALCON}/resolve/main/README.md")
    assert head.headers["Content-Length"] == str(len(readme.encode())) and head.content == b""


def test_gated_files_need_an_approved_token(replay_hub, dev_hub_data, tmp_path):
    tokens = {"hf_approved": {"user": "alice", "gated": [LLAMA]}, "hf_pending": {"user": "bob"}}
    hub = replay_hub(dev_hub_data, tokens=tokens)
    with pytest.raises(GatedRepoError) as anonymous:
        hf_hub_download(LLAMA, "README.md", endpoint=hub.url, token=False, cache_dir=tmp_path)
    assert anonymous.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as pending:
        hf_hub_download(LLAMA, "README.md", endpoint=hub.url, token="hf_pending", cache_dir=tmp_path)
    assert pending.value.response.status_code == 403
    path = hf_hub_download(LLAMA, "LICENSE.txt", endpoint=hub.url, token="hf_approved", cache_dir=tmp_path)
    assert Path(path).read_text() == _models(dev_hub_data, LLAMA)["files"]["LICENSE.txt"]


def test_missing_file_is_entry_not_found_with_commit(replay_hub, dev_hub_data, tmp_path):
    hub = replay_hub(dev_hub_data)
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download(FALCON, "LICENSE", endpoint=hub.url, token=False, cache_dir=tmp_path)
    head = httpx2.head(f"{hub.url}/{FALCON}/resolve/main/LICENSE")
    assert head.status_code == 404 and head.headers["X-Error-Code"] == "EntryNotFound"
    assert head.headers["X-Repo-Commit"] == hub.state.get(FALCON).sha


def test_lfs_files_redirect_to_another_origin(replay_hub, dev_hub_data, tmp_path):
    hub = replay_hub(dev_hub_data)
    olmoe = _models(dev_hub_data, "allenai/OLMoE-1B-7B-0924")
    meta = get_hf_file_metadata(hf_hub_url(FALCON, "model-00001-of-00002.safetensors", endpoint=hub.url),
                                token=False)
    assert meta.size == _models(dev_hub_data, FALCON)["files"]["model-00001-of-00002.safetensors"]
    assert re.fullmatch(r"[0-9a-f]{64}", meta.etag) and meta.location.startswith(f"http://localhost:{hub.port}/cdn/")

    logo = hf_hub_download(olmoe["id"], "olmoe-logo.png", endpoint=hub.url, token=False, cache_dir=tmp_path)
    assert os.path.getsize(logo) == olmoe["files"]["olmoe-logo.png"]
    assert hub.count("cdn") == 1
    started = time.monotonic()
    with pytest.raises(HfHubHTTPError) as refused:  # multi-GB payloads are HEAD-only by design
        hf_hub_download(FALCON, "model-00001-of-00002.safetensors", endpoint=hub.url, token=False,
                        cache_dir=tmp_path)
    assert refused.value.response.status_code == 403 and time.monotonic() - started < 5


def test_model_card_load_through_import_time_endpoint(replay_hub, dev_hub_data):
    if constants.ENDPOINT != os.environ.get("HF_ENDPOINT"):
        pytest.skip("huggingface_hub was imported before tests/conftest.py set HF_ENDPOINT")
    replay_hub(dev_hub_data, port=int(constants.ENDPOINT.rsplit(":", 1)[1]))
    card = ModelCard.load(FALCON)
    assert card.data.license == "apache-2.0" and "Falcon-7B" in card.text


# --- tree ----------------------------------------------------------------------------------------


def test_tree_listing_paginates_and_decodes_paths(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data)
    api = _api(hub)
    polyglot = _models(dev_hub_data, "EleutherAI/polyglot-ko-12.8b")
    entries = list(api.list_repo_tree(polyglot["id"], recursive=True, expand=True))
    assert {e.path for e in entries} == set(polyglot["files"])
    assert hub.count("models.tree") == math.ceil(len(polyglot["files"]) / 50) == 2
    shard = next(e for e in entries if e.path == "model-00001-of-00028.safetensors")
    assert shard.lfs.size == polyglot["files"][shard.path] and shard.last_commit is not None

    hub.reset_counts()
    flat = list(api.list_repo_tree(polyglot["id"]))
    assert len(flat) == len(polyglot["files"]) and hub.count("models.tree") == 1

    bert = "google-bert/bert-base-uncased"
    nested = list(api.list_repo_tree(bert, path_in_repo="coreml/fill-mask"))
    assert [e.path for e in nested] == ["coreml/fill-mask/float32_model.mlpackage"]
    assert any(r.path.endswith("/tree/main/coreml%2Ffill-mask") for r in hub.requests)
    with pytest.raises(RemoteEntryNotFoundError):
        list(api.list_repo_tree(bert, path_in_repo="no/such/folder"))


# --- rate limits and faults ----------------------------------------------------------------------


def test_rate_limit_headers_and_429(replay_hub, dev_hub_data):
    hub = replay_hub(dev_hub_data, rate_limits={"api": (3, 5.0), "resolvers": (100, 60.0)})
    remaining = [parse_ratelimit_headers(httpx2.get(f"{hub.url}/api/models/{FALCON}").headers).remaining
                 for _ in range(3)]
    assert remaining == [2, 1, 0]
    with pytest.raises(HfHubHTTPError) as limited:
        _api(hub).model_info(FALCON)  # model_info does not retry
    response = limited.value.response
    info = parse_ratelimit_headers(response.headers)
    assert response.status_code == 429 and info is not None
    assert (info.resource_type, info.remaining, info.limit, info.window_seconds) == ("api", 0, 3, 5)
    assert 1 <= info.reset_in_seconds <= 5 and response.headers["Retry-After"] == str(info.reset_in_seconds)

    head = httpx2.head(f"{hub.url}/{FALCON}/resolve/main/README.md")  # another bucket
    assert head.status_code == 200 and parse_ratelimit_headers(head.headers).resource_type == "resolvers"

    # Paginated calls retry after t+1 seconds and then complete.
    hub.set_rate_limits({"api": (1, 2.0)})
    assert httpx2.get(f"{hub.url}/api/models/{FALCON}").status_code == 200  # uses up the new window
    assert len(list(_api(hub).list_models(limit=3))) == 3
    assert hub.count("models.list", status=429) == 1 and hub.count("models.list", status=200) == 1


def test_fault_plan_rules(replay_hub, dev_hub_data):
    plan = (FaultPlan()
            .fail(r"^/api/models$", 503, times=1)
            .drop_connection(r"^/api/models/tiiuae", times=1)
            .burst_429(every_n=2, length=1, reset_seconds=3, path_regex=r"^/api/models/google-bert")
            .latency(0.3, path_regex=r"/resolve/"))
    hub = replay_hub(dev_hub_data, faults=plan)
    api = _api(hub)

    assert len(list(api.list_models(limit=2))) == 2  # one 503, retried by the client
    assert hub.count("models.list", status=503) == 1 and hub.count("models.list", status=200) == 1

    with pytest.raises(httpx2.HTTPError):  # dropped without an answer; model_info does not retry
        api.model_info(FALCON)
    assert api.model_info(FALCON).id == FALCON
    assert [r.status for r in hub.requests if r.kind == "models.info"] == [0, 200]

    statuses = [httpx2.get(f"{hub.url}/api/models/google-bert/bert-base-uncased") for _ in range(6)]
    assert [r.status_code for r in statuses] == [200, 200, 429, 200, 200, 429]
    burst = parse_ratelimit_headers(statuses[2].headers)
    assert (burst.remaining, burst.reset_in_seconds) == (0, 3)

    started = time.monotonic()
    httpx2.head(f"{hub.url}/{FALCON}/resolve/main/README.md")
    assert time.monotonic() - started >= 0.3
    assert plan.fired == {"fail#0": 1, "drop#1": 1, "burst_429#2": 2, "latency#3": 1}

    plan.reset()  # re-armed: the one-shot 503 fires again
    assert httpx2.get(f"{hub.url}/api/models").status_code == 503
    assert httpx2.get(f"{hub.url}/api/models").status_code == 200
    plan.fail(r"^/api/models$", 500)
    assert httpx2.get(f"{hub.url}/api/models").status_code == 500
    plan.clear()  # the hub recovers
    assert httpx2.get(f"{hub.url}/api/models").status_code == 200 and plan.fired == {}


def test_random_errors_are_deterministic(replay_hub, dev_hub_data):
    def run(seed: int) -> list[int]:
        hub = replay_hub(dev_hub_data, faults=FaultPlan().random_errors(0.5, seed=seed))
        with httpx2.Client() as client:
            return [client.get(f"{hub.url}/api/models/{FALCON}").status_code for _ in range(24)]

    first, again, other = run(7), run(7), run(8)
    assert first == again and first != other
    assert 200 in first and set(first) - {200} <= {500, 502, 503} and len(set(first)) > 1


# --- state ---------------------------------------------------------------------------------------


def test_mutations_change_sha_and_keep_history(replay_hub, dev_hub_data, tmp_path):
    hub = replay_hub(dev_hub_data)
    api = _api(hub)
    assert HubState.from_fixture(dev_hub_data).get(FALCON).sha == hub.state.get(FALCON).sha  # deterministic
    before = api.model_info(FALCON)
    original = _models(dev_hub_data, FALCON)["files"]["README.md"]

    hub.state.set_file(FALCON, "README.md", original + "\nNew section.\n")
    after = api.model_info(FALCON)
    assert after.sha != before.sha and after.last_modified > before.last_modified
    old = hf_hub_download(FALCON, "README.md", revision=before.sha, endpoint=hub.url, token=False,
                          cache_dir=tmp_path)
    assert Path(old).read_text() == original
    new = hf_hub_download(FALCON, "README.md", endpoint=hub.url, token=False, cache_dir=tmp_path)
    assert Path(new).read_text().endswith("New section.\n")

    hub.state.set_file(FALCON, "README.md", original)
    assert hub.state.get(FALCON).sha == before.sha  # identical content, identical sha
    hub.state.update(FALCON, downloads=1)
    assert hub.state.get(FALCON).sha == before.sha  # counters are not commits
    hub.state.update(FALCON, gated="auto")
    assert api.model_info(FALCON).gated == "auto" and hub.state.get(FALCON).sha != before.sha

    hub.state.add_repo({"id": "newcomer/tiny", "cardData": {"license": "mit"},
                        "files": {"README.md": "---\nlicense: mit\n---\n"}})
    listed = [m.id for m in api.list_models(expand=["tags"])]
    assert listed[-1] == "newcomer/tiny" and "license:mit" in api.model_info("newcomer/tiny").tags
    hub.state.remove_file("newcomer/tiny", "README.md")
    assert api.model_info("newcomer/tiny").siblings == []
    hub.state.delete_repo("newcomer/tiny")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("newcomer/tiny")


# --- synthetic hub -------------------------------------------------------------------------------


def test_synthetic_hub_serves_100k_models_quickly(replay_hub):
    hub = replay_hub(synthetic_state(100_000, seed=1))
    api = _api(hub)
    started = time.monotonic()
    models = list(api.list_models(expand=["sha", "gated", "cardData", "siblings", "tags"], limit=2500))
    elapsed = time.monotonic() - started
    assert len(models) == 2500 and len({m.id for m in models}) == 2500
    assert hub.count("models.list") == 3 and elapsed < 20
    capped = httpx2.get(f"{hub.url}/api/models?limit=5000")
    assert len(capped.json()) == 1000 and "link" in capped.headers

    last = hub.state.repo_id_at(99_999)
    info = api.model_info(last)
    assert info.id == last and info.sha == hub.state.get(last).sha
    assert hub.state.materialised == 0  # nothing held in memory per repo


def test_synthetic_state_is_deterministic_and_realistic():
    first, second, other = synthetic_state(3000, seed=3), synthetic_state(3000, seed=3), synthetic_state(3000, seed=4)
    ids = [s.repo_id for _, s in zip(range(50), (snap for _, snap in first.scan("model")))]
    assert ids == [s.repo_id for _, s in zip(range(50), (snap for _, snap in second.scan("model")))]
    assert [first.get(i).sha for i in ids] == [second.get(i).sha for i in ids]
    assert ids != [s.repo_id for _, s in zip(range(50), (snap for _, snap in other.scan("model")))]

    snaps = [snap for _, snap in first.scan("model")]
    licences = Counter()
    for snap in snaps:
        card = snap.fields.get("cardData") or {}
        licence = card.get("license")
        licences[licence if isinstance(licence, str) else ("list" if licence else None)] += 1
    assert licences[None] > 0.2 * len(snaps)
    assert licences.most_common(3)[0][0] is None and {"apache-2.0", "mit"} <= {k for k, _ in licences.most_common(4)}
    assert any(str(k).startswith("llama") for k in licences) and licences["gemma"] and licences["cc-by-nc-4.0"]
    assert any("openrail" in str(k) for k in licences) and licences["list"]
    others = [s for s in snaps if (s.fields.get("cardData") or {}).get("license") == "other"]
    assert others and all(s.fields["cardData"].get("license_name") for s in others)

    readme_sizes = [len(s.files["README.md"]) for s in snaps if "README.md" in s.files]
    assert min(readme_sizes) < 200 and 10_000 < max(readme_sizes) <= 25_000
    assert any("README.md" not in s.files for s in snaps)
    weightless = [s for s in snaps if not any(isinstance(c, int) for c in s.files.values())]
    assert 0.03 * len(snaps) < len(weightless) < 0.3 * len(snaps)
    assert any(p.endswith(".gguf") for s in snaps for p in s.files)
    assert any(re.match(r"model-\d{5}-of-\d{5}\.safetensors", p) for s in snaps for p in s.files)
    assert 0.01 * len(snaps) < sum(bool(s.gated) for s in snaps) < 0.15 * len(snaps)
    assert any(s.private for s in snaps)

    finetunes = [s for s in snaps if (s.fields.get("cardData") or {}).get("base_model")]
    assert len(finetunes) > 0.2 * len(snaps)
    base = finetunes[0].fields["cardData"]["base_model"]
    assert first.get(base if isinstance(base, str) else base[0]) is not None
    linked = [d for s in snaps for d in (s.fields.get("cardData") or {}).get("datasets", [])]
    assert sum(first.get(d, "dataset") is not None for d in linked) > 0.8 * len(linked) > 0


def test_synthetic_million_models_stay_small():
    tracemalloc.start()
    try:
        state = synthetic_state(1_000_000, seed=0)
        page = [snap for _, snap in zip(range(1000), (s for _, s in state.scan("model", after=(998_000,))))]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(page) == 1000 and page[0].index == 998_001
    assert peak < 150 * 1024 * 1024


# --- command line --------------------------------------------------------------------------------


@pytest.mark.slow
def test_main_serves_a_fixture(shared_dir):
    command = [sys.executable, "-m", "replayhub", "serve", "--fixture", str(shared_dir / "fixtures" / "dev_hub.json"),
               "--rate-limit-api", "100/10"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url), process.stderr.read() if not url else url
        response = httpx2.get(f"{url}/api/models")
        assert response.status_code == 200 and len(response.json()) == 20
        assert response.headers["RateLimit-Policy"] == '"fixed window";"api";q=100;w=10'
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sort_downloads_direction_minus_one_walks_a_keyset_like_the_hub(replay_hub):
    """hub_api.md §1.1: `sort=downloads` is descending (`direction=-1`, the default, is accepted and
    changes nothing); the cursor is a keyset position on (downloads, creation), so a walk that runs
    while counts change skips a model that rose past it and shows one that fell twice."""
    state = synthetic_state(300, seed=9)
    hub = replay_hub(state)
    client_order = [(m.id, m.downloads) for m in _api(hub).list_models(sort="downloads", expand=["downloads"])]
    assert [d for _, d in client_order] == sorted((d for _, d in client_order), reverse=True)
    assert hub.requests[0].query["sort"] == ["downloads"] and "direction" not in hub.requests[0].query

    def walk(url, client, between=None):
        seen, first = [], True
        while url:
            page = client.get(url)
            assert page.status_code == 200
            assert first or ("sort=downloads" in url and "direction=-1" in url)  # the Link repeats both
            seen += [m["id"] for m in page.json()]
            url, first = page.links.get("next", {}).get("url"), False
            if between and url:
                between(len(seen))
                between = None
        return seen

    with httpx2.Client() as client:
        start = f"{hub.url}/api/models?sort=downloads&direction=-1&limit=64&expand=downloads"
        assert walk(start, client) == [i for i, _ in client_order]
        order = [i for i, _ in client_order]
        risen, fallen = order[-1], order[0]

        def counts_move(shown: int) -> None:
            state.update(risen, downloads=10**12)  # now first: before the cursor
            state.update(fallen, downloads=0)  # now last: after the cursor again

        moved = walk(start, client, counts_move)
    assert risen not in moved and moved.count(fallen) == 2
    assert sorted(set(moved) | {risen}) == sorted(order)
