"""extract/markdown_checks.py: the URLs recognised as normalised to themselves are exactly that.

`_UNCHANGED_URL` stands in for markdown-it-py's `normalizeLink` (and `_plain_url`'s other tests) on
common http(s) URLs. Every generated URL it accepts must come back from `normalizeLink` unchanged
and pass `_plain_url`; `normalised_link` must equal `normalizeLink` on every URL, accepted or not.
"""

from __future__ import annotations

import random

import pytest
from markdown_it.common.normalize_url import normalizeLink

from extract.markdown_urls import _UNCHANGED_URL, _plain_url, normalised_link, url_is_plain

SCHEMES = ["http://", "https://", "HTTPS://", "Https://", "ftp://", "//", "mailto:", "javascript:", "https:/", ""]
HOSTS = [
    "github.com", "huggingface.co", "hf.co", "a-b.c-d.org", "x", "xn--bcher-kva.example", "Example.org", "a..b",
    "a.", ".a", "-a.org", "a-.org", "bücher.de", "host:8080", "user@host", "u:p@host", "[::1]", "a_b.org", "1.2.3.4",
    "a" * 63 + ".org", "a" * 64 + ".org", ".".join(["abcdefghi"] * 30), "",
]
PATH_PIECES = [
    "/", "org", "repo", "-", "_", ".", "~", "!", "*", "'", "(", ")", ";", ":", "@", "&", "=", "+", "$", ",", "?", "#",
    "%20", "%", "%zz", " ", "|", "[", "]", "{", "}", "\\", "^", "`", '"', "<", ">", "é", "本", "\t", "A", "Z", "09",
]


def _url(rng: random.Random) -> str:
    pieces = PATH_PIECES if rng.random() < 0.5 else PATH_PIECES[:22]  # half of them mostly of kept characters
    tail = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
    lead = rng.choice(["", "/", "?", "#", "/", "/"])
    scheme = rng.choice(SCHEMES if rng.random() < 0.5 else SCHEMES[:2])
    return scheme + rng.choice(HOSTS) + lead + tail


def test_accepted_urls_normalise_to_themselves() -> None:
    rng = random.Random(35)
    accepted = 0
    for _ in range(30_000):
        url = _url(rng)
        assert normalised_link(url) == normalizeLink(url), url
        if _UNCHANGED_URL.fullmatch(url):
            accepted += 1
            assert normalizeLink(url) == url, url
            assert _plain_url(url), url
        assert url_is_plain(url) == _plain_url(url), url
    assert accepted > 3000  # the comparison covered many accepted URLs


@pytest.mark.parametrize(
    "url",
    [
        "https://huggingface.co/org/model/blob/main/config.json",
        "https://github.com/EleutherAI/lm-evaluation-harness/tree/main/lm_eval/tasks/mmlu",
        "http://example.org",
        "https://arxiv.org/abs/2401.00001?x=1&y=2#sec:3",
    ],
)
def test_common_urls_are_accepted(url: str) -> None:
    assert _UNCHANGED_URL.fullmatch(url)
    assert normalizeLink(url) == url


@pytest.mark.parametrize(
    "url",
    ["HTTPS://example.org", "https://Example.org/", "https://example.org/a%20b", "https://bücher.de/", "https://host:8080/",
     "https://u@host/", "https://example.org/a b", "https://example.org/[x]", "https://a" + "b" * 300 + ".org/"],
)
def test_others_are_left_to_normalize_link(url: str) -> None:
    assert not _UNCHANGED_URL.fullmatch(url)
