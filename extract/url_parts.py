"""A card's link URLs parsed once: `urllib.parse.urlparse` behind a bounded memo.

Every extractor that judges a link by its host or path used to parse it again (about 40 parses per
card, issue 15), and evaluation tables link the same pages card after card. The memo is keyed by
the URL string and holds `urlparse`'s own immutable result, so every answer is `urlparse`'s; an
input `urlparse` rejects (ValueError, e.g. an unclosed IPv6 bracket) is not remembered and raises
again on every call, as before.
"""

from __future__ import annotations

from urllib.parse import ParseResult, urlparse

from extract.memo import text_memo

MAX_URLS = 4096  # distinct URLs remembered per process


@text_memo(MAX_URLS)
def parsed_url(url: str) -> ParseResult:
    """`urlparse(url)`, once per distinct URL."""
    return urlparse(url)
