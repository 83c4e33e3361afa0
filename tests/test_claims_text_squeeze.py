"""Two regular expressions replaced by plain string methods on hot paths: `without_gaps` for
`re.sub(r"[\\s_.-]+", "", text)` in the claim checks (a whole table's text at a time) and `one_line`
for `WS.sub(" ", text).strip()` in link contexts. Each must give the same string for every text, so
they rely on str.split and `re`'s \\s agreeing on what whitespace is."""

from __future__ import annotations

import random
import re
import sys

from extract.claims_text import may_mention, without_gaps

_GAPS = re.compile(r"[\s_.-]+")


def test_str_split_and_re_agree_on_every_whitespace_code_point():
    space = re.compile(r"\s")
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        assert (space.fullmatch(ch) is not None) == (len(f"a{ch}b".split()) == 2), hex(code)


def test_without_gaps_is_the_regular_expression_on_any_text():
    rng = random.Random(15)
    alphabet = "ab_.-  \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u3000\u200bé0|"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert without_gaps(text) == _GAPS.sub("", text), repr(text)
    assert without_gaps("Baichuan 2 _ 7b.v-1") == "Baichuan27bv1"


def test_may_mention_finds_a_name_written_with_or_without_gaps_and_nothing_else():
    assert may_mention("| Model | Score |\n| Baichuan 2 | 61 |", ("baichuan2",))
    assert may_mention("| Model |\n| Yi-34B |", ("yi",))
    assert may_mention("a row with llama_3 in it", ("llama3",))
    assert not may_mention("| Model | Score |\n| Mistral | 61 |", ("baichuan2", "yi34b"))


def test_one_line_is_the_collapse_and_strip_it_replaces():
    from extract.sentences import WS, one_line

    rng = random.Random(16)
    alphabet = "ab.  \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2000\u2028\u3000\u200b"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert one_line(text) == WS.sub(" ", text).strip(), repr(text)
    assert one_line("  Trained\n with\u00a0 PyTorch.  ") == "Trained with PyTorch."
