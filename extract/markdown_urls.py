"""Link destinations both Markdown parsers leave as written (extract/markdown_checks.py declines the
rest): markdown-it-py's `normalizeLink`, skipped for URLs it returns unchanged."""

from __future__ import annotations

import re

from markdown_it.common.normalize_url import normalizeLink

from extract.memo import text_memo

_HEAD = re.compile(r"[^/?#]*(?://[^/?#]*)?")  # scheme and authority: where mdurl looks for a host
_EDGE_ESCAPE = re.compile(r"\A%|%[0-9A-Fa-f]{2}\Z")  # may be encoded whitespace that mdurl trims


# An http(s) URL that markdown-it-py's `normalizeLink` returns as it is, recognised without running
# it (about 35 us a URL): a lower-case scheme; a host of lower-case ASCII labels (mdurl keeps them,
# punycode leaves ASCII alone); then only characters mdurl's encoder keeps, no '%'.
# tests/test_unchanged_urls.py compares it with `normalizeLink` on generated URLs.
_UNCHANGED_URL = re.compile(
    r"https?://(?=[a-z0-9.-]{1,253}(?:[/?#]|\Z))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?:[/?#][A-Za-z0-9;/?:@&=+$,\-_.!~*'()#]*)?"
)


def normalised_link(url: str) -> str:
    """markdown-it-py's `normalizeLink(url)`, without running it where the URL stays as it is."""
    return url if _UNCHANGED_URL.fullmatch(url) else normalizeLink(url)


def url_is_plain(url: str) -> bool:
    if _UNCHANGED_URL.fullmatch(url):
        return True  # printable ASCII without spaces or '%', and normalised to itself: `_plain_url`'s tests all hold
    # cached: cards repeat the same badge, repository and paper URLs
    return _plain_url_cached(url) if len(url) <= 500 else _plain_url(url)


def _plain_url(url: str) -> bool:
    """Printable ASCII that both parsers' URL normalisation leaves as it is.

    markdown-it.rs percent-encodes the destination; markdown-it-py also punycodes non-ASCII hosts,
    trims Unicode whitespace and re-assembles the authority. With no escape in the scheme or
    authority, none at either end, and a URL that markdown-it-py's normaliser returns unchanged,
    both give the same href.
    """
    return (
        url.isascii()
        and url.isprintable()
        and " " not in url
        and not _EDGE_ESCAPE.search(url)
        and "%" not in _HEAD.match(url).group()  # type: ignore[union-attr]
        and normalizeLink(url) == url
    )


_plain_url_cached = text_memo(4096)(_plain_url)
