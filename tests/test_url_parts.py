"""extract/url_parts.py and the link readers memoised on it answer exactly as urlparse and the
unmemoised readers do, on odd URLs too, and keep raising where urlparse raises."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from extract.code_repos import github_repo_name
from extract.lineage_ids import normalise_base
from extract.training_code import _is_code_location
from extract.url_parts import MAX_URLS, parsed_url

ODD_URLS = [
    "https://github.com/org/repo",
    "https://user:secret@GitHub.com:443/Org/Repo.git",  # userinfo, port, case, .git
    "http://[::1]:8080/a/b?q=1#frag",  # IPv6 literal
    "https://huggingface.co/org/na%20me/tree/main",  # percent-escape
    "https://huggingface.co/組織/模型",  # non-ASCII
    "https://bücher.example/ä?ö=ü",
    "javascript:alert(1)",
    "mailto:someone@example.org",
    "//github.com/org/repo",  # scheme-relative
    "github.com/org/repo",  # no scheme
    "HTTPS://WWW.GITHUB.COM/ORG/REPO/",
    "https://github.com/org/repo;params?x#y",
    "https://gitlab.com/group/sub/project",
    "https://huggingface.co/spaces/org/demo",
    "https://huggingface.co/org/model/blob/main/train.py",
    " https://github.com/org/repo ",  # spaces around
    "",
    "https://",
    "https://github.com:notaport/org/repo",
]
BROKEN = ["http://[oops", "https://github.com[/org/repo", "https://[::1/x"]


@pytest.mark.parametrize("url", ODD_URLS)
def test_parsed_url_is_urlparse(url: str) -> None:
    assert parsed_url(url) == urlparse(url)
    assert parsed_url(url) == urlparse(url)  # the remembered answer too


@pytest.mark.parametrize("url", ODD_URLS + ["https://github.com/org/" + name for name in ("a", "a.", "..", "-x", "x" * 120)])
def test_the_memoised_readers_answer_as_they_did_unmemoised(url: str) -> None:
    for reader in (github_repo_name, _is_code_location, normalise_base):
        assert reader(url) == reader(url) == reader.__wrapped__(url), (reader.__name__, url)


@pytest.mark.parametrize("url", BROKEN)
def test_a_url_urlparse_rejects_is_rejected_every_time(url: str) -> None:
    with pytest.raises(ValueError):
        urlparse(url)
    for _ in range(2):  # not remembered: the second call raises as well
        with pytest.raises(ValueError):
            parsed_url(url)
        with pytest.raises(ValueError):
            normalise_base(url)
        with pytest.raises(ValueError):
            _is_code_location(url)


def test_the_memo_is_bounded() -> None:
    for reader in (parsed_url, github_repo_name, _is_code_location, normalise_base):
        assert reader.cache_parameters()["maxsize"] == MAX_URLS
    for k in range(MAX_URLS + 10):
        parsed_url(f"https://example.org/{k}")
    assert parsed_url.cache_info().currsize <= MAX_URLS
