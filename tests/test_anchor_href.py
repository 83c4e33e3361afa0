"""extract/html_anchor.py: `href_of` reads simple <a> tags without BeautifulSoup, and gets what
BeautifulSoup gets from them; other tags still go to BeautifulSoup."""

from __future__ import annotations

import random

from bs4 import BeautifulSoup

from extract.html_anchor import _SIMPLE_ANCHOR, href_of


def _soup_href(tag: str) -> str:
    anchor = BeautifulSoup(tag, "html.parser").find("a")
    href = anchor.get("href") if anchor is not None else None
    return str(href or "")


PIECES = ['<a', '<A', ' ', '  ', '\t', '\n', 'href=', 'HREF=', 'Href=', '"https://e.org/a"', '"x y"', '"&amp;"', '"a&b"', "'q'",
          '"', '=', 'target="_blank"', 'rel="noopener"', 'data-x="1"', 'class="a b"', '"<"', '>', '/>', ' >', 'href="2"', 'é']


def test_simple_tags_read_as_beautifulsoup_reads_them() -> None:
    rng = random.Random(8)
    simple = 0
    for _ in range(6000):
        if rng.random() < 0.5:
            extra = "".join(rng.choice([' target="_blank"', ' rel="x"', ' href="dup"', ' data-a="&"', " ", ' x="é"']) for _ in range(rng.randint(0, 3)))
            tag = '<a href="' + rng.choice(["https://e.org/a", "", "a b", "x&y", "ü", "/rel?q=1#f"]) + '"' + extra + rng.choice([">", " >", "/>"])
        else:
            tag = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8)))
        if _SIMPLE_ANCHOR.fullmatch(tag):
            simple += 1
        assert href_of.__wrapped__(tag) == _soup_href(tag), tag
    assert simple > 500


def test_examples() -> None:
    assert href_of('<a href="https://github.com/org/repo" target="_blank">') == "https://github.com/org/repo"
    assert not _SIMPLE_ANCHOR.fullmatch('<a href="a&amp;b">')  # a character reference: BeautifulSoup decodes it
    assert href_of.__wrapped__('<a href="a&amp;b">') == "a&b"
    assert not _SIMPLE_ANCHOR.fullmatch('<a href="a" href="b">')
