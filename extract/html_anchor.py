"""The href of an inline <a ...> tag in a card (a link opened by HTML inside Markdown text).

BeautifulSoup (html.parser) reads any tag as a browser would; the common simple forms are read by
one pattern to the same answer (tests/test_anchor_href.py compares the two).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from extract.memo import text_memo

# An opening tag whose href html.parser reads as written: one double-quoted href first, then only
# double-quoted lower-case attributes, single spaces, no character reference ('&') in any value.
_SIMPLE_ANCHOR = re.compile(r'<a href="([^"&<>\s]*)"(?: (?!href=)[a-z][a-z0-9_-]*="[^"&<>]*")* ?>')


@text_memo(1024)
def href_of(tag: str) -> str:
    """href of an opening <a ...> tag (cached: badge-heavy cards repeat the same tags)."""
    simple = _SIMPLE_ANCHOR.fullmatch(tag)
    if simple:
        return simple.group(1)  # what BeautifulSoup gives, without building a soup (about 0.1 ms)
    anchor = BeautifulSoup(tag, "html.parser").find("a")
    href = anchor.get("href") if anchor is not None else None
    return str(href or "")
