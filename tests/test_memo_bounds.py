"""The extractors' memos bound how much they hold: a call with a long key is answered by the function
itself and not remembered, a short one is remembered, and the answers are the function's either way."""

from __future__ import annotations

import pytest

from extract import code_repos, html_anchor, lineage_ids, markdown_tables, markdown_urls, training_code, url_parts
from extract.card_structure import Link
from extract.memo import MAX_KEY_CHARS, text_memo

LONG = "https://github.com/acme/trainer/" + "x" * (MAX_KEY_CHARS + 10)

TEXT_MEMOS = [
    (url_parts.parsed_url, LONG),
    (markdown_tables._normalised, LONG),
    (markdown_tables._quick_cell_read, "**71.2**" + " " * MAX_KEY_CHARS),
    (lineage_ids.normalise_base, LONG),
    (training_code._is_code_location, LONG),
    (training_code._repo_kind, "train/" + "x" * MAX_KEY_CHARS + ".py"),
    (code_repos.github_repo_name, LONG),
    (markdown_urls._plain_url_cached, LONG),
    (html_anchor.href_of, f'<a href="{LONG}">'),
]


@pytest.mark.parametrize("memo, long_key", TEXT_MEMOS, ids=lambda m: getattr(m, "__name__", "key"))
def test_a_long_key_is_answered_but_not_remembered(memo, long_key):
    memo.cache_clear()
    assert memo(long_key) == memo.__wrapped__(long_key)
    assert memo.cache_info().currsize == 0
    short = long_key[: MAX_KEY_CHARS // 4]
    assert memo(short) == memo.__wrapped__(short)
    assert memo(short) == memo.__wrapped__(short)
    assert (memo.cache_info().currsize, memo.cache_info().hits) == (1, 1)


def test_link_memos_count_every_text_of_the_link():
    for memo in (training_code.classify_link, training_code.link_verdict):
        memo.cache_clear()
    short = Link("https://github.com/acme/trainer", "training code", "Training code is here.", "Training")
    long_text = Link(short.url, "training code " + "x" * MAX_KEY_CHARS, short.context, short.section)
    assert training_code.classify_link(long_text) == training_code.classify_link.__wrapped__(long_text)
    assert training_code.classify_link.cache_info().currsize == 0
    assert training_code.link_verdict.cache_info().currsize == 0  # its (url, text, clause) key is long too
    assert training_code.classify_link(short).kind == "training"
    assert training_code.classify_link.cache_info().currsize == 1
    assert training_code.link_verdict.cache_info().currsize == 1


def test_the_bound_is_the_key_length_and_a_given_size():
    calls = []

    @text_memo(8, max_key=5)
    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert [upper("abcde"), upper("abcde"), upper("abcdef"), upper("abcdef")] == ["ABCDE", "ABCDE", "ABCDEF", "ABCDEF"]
    assert calls == ["abcde", "abcdef", "abcdef"]  # 5 characters remembered, 6 not

    @text_memo(8, max_key=2, size=lambda paths, flag: len(paths))
    def count(paths: tuple[str, ...], flag: bool) -> int:
        calls.append(paths)
        return len(paths)

    calls.clear()
    assert [count(("a", "b"), True), count(("a", "b"), True), count(("a", "b", "c"), True), count(("a", "b", "c"), True)] == [2, 2, 3, 3]
    assert calls == [("a", "b"), ("a", "b", "c"), ("a", "b", "c")]


def test_many_long_keys_leave_the_memo_empty():
    url_parts.parsed_url.cache_clear()
    for i in range(200):
        url_parts.parsed_url(f"https://example.org/{i}/" + "y" * 100_000)
    assert url_parts.parsed_url.cache_info().currsize == 0
