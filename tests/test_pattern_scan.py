"""The one Hyperscan scan for all guarded patterns (extract/pattern_scan.py, extract/hs_translate.py)
never hides a match from `re`.

For every pattern the product routes through the scan, over real card text (the dev hub, the
judged set's cards, the claims corpus), generated and fuzzed cards (benchmarks/cards.py), and
adversarial Unicode (matches found in that text rewritten with the characters Python's `re` takes
for ASCII ones: dotted and dotless i, long s, the Kelvin sign, non-ASCII spaces and digits,
combining marks and non-ASCII letters beside a word boundary), `Guarded` answers exactly what the
bare pattern answers, and the scan never says "cannot match" where `re` matches.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import hyperscan
import pytest

from extract import hs_translate as T
from extract.literals import Guarded
from extract.pattern_scan import SCAN, PatternSet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
from card_corpus import corpus_cards  # noqa: E402

ALL_CHARS = "".join(map(chr, range(0x110000)))  # lone surrogates included: a str may hold them


def _cards() -> list[str]:
    cards = corpus_cards(40, 25)
    claims = (ROOT / "tests" / "data" / "claims_corpus.jsonl").read_text(encoding="utf-8").splitlines()
    cards.append("\n\n".join(json.loads(line)["text"] for line in claims if line.strip()))
    return cards


def _pieces(card: str) -> list[str]:
    """The card, its paragraphs and lines, and joined rows as the extractors search them."""
    paragraphs = [p for p in re.split(r"\n\s*\n", card) if p.strip()]
    lines = [line for line in card.splitlines() if len(line.strip()) > 3]
    return [card, "\0".join(paragraphs[:20]), *paragraphs, *lines]


# Python's IGNORECASE and Unicode classes take these for the ASCII characters on the left.
_SWAPS = {
    "i": ["İ", "ı"], "I": ["İ"], "s": ["ſ"], "S": ["ſ"], "k": ["\u212a"], "K": ["\u212a"],
    " ": ["\u00a0", "\u2003", "\x1c", "\u3000"], "0": ["\u0660", "\uff10"], "1": ["\u0661", "\u0967"],
    "2": ["\u0662"], "5": ["\u0665"], "7": ["\u0967"],
}


def _adversarial(texts: list[str], patterns: list[re.Pattern[str]]) -> list[str]:
    """Matches found in `texts`, rewritten character by character with what Python takes for ASCII
    (each variant is kept whether or not it still matches: both ways must agree), and
    non-ASCII word characters and combining marks put next to each match's ends."""
    out: list[str] = [
        "Straße training code", "STRASSE", "the TRAİNİNG CODE is released", "trainıng scrıpts",
        "ſource code for pre-training", "1.2 \u212aB of data", "about 30 mıllion tokens",
        "7\u00a0B tokens", "٣٠٠B tokens", "３００B tokens", "caf\u0065\u0301 training code",
        "ätraining code", "training codeä", "trainingé scripts", "\u0301training code",
        "données d'entraînement", "オープンソースのモデル", "完全に開放", "오픈 소스", "ÖFFEN",
    ]
    for pattern in patterns:
        found = 0
        for text in texts:
            for m in pattern.finditer(text):
                if not m.group(0) or found >= 6:
                    continue
                found += 1
                word = m.group(0)
                for ch, subs in _SWAPS.items():
                    if ch in word:
                        for sub in subs:
                            out.append(word.replace(ch, sub))
                            out.append(word.replace(ch, sub, 1))
                out += [f"é{word}", f"{word}é", f"\u0301{word}", f"{word}\u0301", f"x{word}x", f"日{word}本"]
            if found >= 6:
                break
    return out


@pytest.fixture(scope="module")
def routed() -> list[Guarded]:
    """Every guarded pattern of the product, after extraction has made those built on first use."""
    from equivalence import generated_snapshots

    from hubscan.extract_guard import bound_version, extract_one

    for version in generated_snapshots(12, fuzzed=False) + generated_snapshots(6, fuzzed=True):
        extract_one(bound_version(version)[0])
    SCAN.compile()
    guards = {}
    for route in SCAN.routes():
        if route.way == "scan":
            pattern = re.compile(route.pattern, route.flags)
            guards[(route.pattern, route.flags)] = Guarded(pattern)
    return list(guards.values())


def test_the_product_patterns_go_through_the_scan(routed: list[Guarded]) -> None:
    refused = [(r.pattern[:60], r.reason) for r in SCAN.routes() if r.way != "scan"]
    assert len(routed) >= 30
    assert all(g.slot is not None for g in routed)
    # a product pattern may fall back (it keeps its literal guard), but that should be a choice:
    assert refused == [], refused


def test_scan_with_re_gives_exactly_what_re_gives(routed: list[Guarded]) -> None:
    cards = _cards()
    texts = [piece for card in cards for piece in _pieces(card)]
    texts += _adversarial(texts[:4000], [g._pattern for g in routed])
    texts += [text.upper() for text in texts[:3000]] + [text.swapcase() for text in texts[:1500]]
    skipped = matched = 0
    for guard in routed:
        pattern = guard._pattern
        for text in texts:
            expected = pattern.search(text)
            verdict = SCAN.may_match(guard.slot, text)
            if expected is not None:
                matched += 1
                assert verdict is not False, (pattern.pattern[:80], text[:200])
            elif verdict is False:
                skipped += 1
            got = guard.search(text)
            assert (got and (got.span(), got.groups())) == (expected and (expected.span(), expected.groups()))
    assert matched > 2000  # the corpus exercises the patterns
    assert skipped > 10 * matched  # and the scan spares `re` most texts that do not match


def test_findall_and_finditer_agree(routed: list[Guarded]) -> None:
    texts = [piece for card in _cards()[:30] for piece in _pieces(card)[:40]]
    for guard in routed:
        for text in texts:
            assert guard.findall(text) == guard._pattern.findall(text)
            assert [m.span() for m in guard.finditer(text)] == [m.span() for m in guard._pattern.finditer(text)]


@pytest.mark.parametrize(
    "source",
    [r"\w", r"\W", r"\d", r"\D", r"\s", r"\S", r".", r"(?s).", r"[^\w\-]", r"[^\W\d]", r"(?i)k", r"(?i)i", r"(?i)s",
     r"(?i)[^k]", r"(?i)[a-z]", r"(?i)[h-l]", r"(?i)ß", r"(?i)σ", r"(?i)\u0130", r"(?i)\u212a", r"(?a)\w", r"[–-]",
     r"(?i)[^\W_]", r"(?i)ǅ", r"(?i)µ"],
)
def test_one_character_classes_take_every_character_python_takes(source: str) -> None:
    """Over all 1,114,112 code points: the class Hyperscan is given takes (the byte of) every
    character Python's class takes."""
    pattern = re.compile(source)
    rewrite = T.translate(pattern)
    alphabet = T.Alphabet(T.named_characters(rewrite))
    data = alphabet.transcode(ALL_CHARS)
    assert len(data) == len(ALL_CHARS)
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=[T.render(rewrite, alphabet).encode()], ids=[0], elements=1, flags=[0])
    ends: list[int] = []
    db.scan(data, match_event_handler=lambda _i, _f, end, _fl, _c: ends.append(end - 1))
    python = {m.start() for m in pattern.finditer(ALL_CHARS)}
    assert python, source
    missing = python - set(ends)
    assert not missing, [hex(code) for code in sorted(missing)[:10]]


def test_case_partners_are_pythons_own() -> None:
    for ch in "abcikstyzIKSßσςθµǅǆΩωſı\u0130\u212a\u212bå":
        python = {m.start() for m in re.finditer(re.escape(ch), ALL_CHARS, re.I)}
        assert python <= T.case_partners(ord(ch)), ch
        assert T.case_partners(ord(ch)) - python <= {ord(ch)}, ch  # nothing Python would not take


def test_a_pattern_hyperscan_refuses_falls_back() -> None:
    scan = PatternSet()
    good = re.compile(r"\btraining code\b", re.I)
    empty = re.compile(r"(?:ab)?c?")  # matches the empty string: Hyperscan will not compile it
    backref = re.compile(r"(\w+) \1")
    slots = [scan.route(good), scan.route(empty), scan.route(backref)]
    assert slots[0] is not None and slots[1] is not None and slots[2] is None
    assert scan.may_match(slots[0], "the Training Code is here") is True
    assert scan.may_match(slots[0], "the training data is here") is False  # the good one still filters
    assert scan.may_match(slots[1], "abc") is None  # refused at compile: `re` decides
    routes = {r.pattern: r for r in scan.routes()}
    assert routes[empty.pattern].way == "literals" and "Hyperscan refused" in routes[empty.pattern].reason
    assert routes[backref.pattern].way == "literals" and "back-reference" in routes[backref.pattern].reason
    assert routes[good.pattern].way == "scan" and routes[good.pattern].expression


def test_guarded_patterns_hyperscan_refuses_answer_as_re() -> None:
    for source in (r"x?y?", r"(\w)\1", r"(?:ab)*"):
        pattern = re.compile(source)
        guard = Guarded(pattern)
        for text in ("", "aa", "xy", "hello world " * 40, "abab"):
            got, expected = guard.search(text), pattern.search(text)
            assert (got and got.span()) == (expected and expected.span())
        SCAN.compile()
        route = next(r for r in SCAN.routes() if r.pattern == source)
        assert route.way == "literals" and route.reason


def test_patterns_offered_after_the_first_scan_are_compiled_too() -> None:
    scan = PatternSet()
    first = scan.route(re.compile(r"\bdeepspeed\b", re.I))
    assert scan.may_match(first, "trained with DeepSpeed") is True
    later = scan.route(re.compile(r"megatron[- ]lm", re.I))
    assert scan.may_match(later, "Megatron-LM and DeepSpeed") is True
    assert scan.may_match(later, "DeepSpeed alone") is False
    assert scan.may_match(first, "DeepSpeed alone") is True
    scan.compile()  # the two databases become one, with the same answers
    assert len(scan._dbs) == 1
    assert scan.may_match(later, "megatron lm") is True and scan.may_match(first, "megatron lm") is False


def test_held_scan_compiles_nothing_and_answers_nothing() -> None:
    scan = PatternSet()
    slot = scan.route(re.compile(r"open[- ]source", re.I))
    with scan.held():
        assert scan.may_match(slot, "an open-source model") is None
        assert scan._dbs == []
    assert scan.may_match(slot, "an open-source model") is True


def test_the_cache_is_bounded() -> None:
    from extract import pattern_scan

    scan = PatternSet()
    slot = scan.route(re.compile(r"\bcorpus\b"))
    for i in range(pattern_scan.CACHE_TEXTS * 3):
        scan.may_match(slot, f"text number {i} without the word")
    assert len(scan._cache) <= pattern_scan.CACHE_TEXTS
    assert scan._cached_chars == sum(len(t) for t in scan._cache)
    huge = "corpus " * (pattern_scan.CACHE_CHARS // 7 + 1)
    assert scan.may_match(slot, huge) is True
    assert huge not in scan._cache


def test_without_hyperscan_every_pattern_keeps_its_literal_guard_and_answers_as_re(monkeypatch) -> None:
    # a platform without a hyperscan wheel (Linux on ARM): the scan refuses every pattern, and each
    # guarded search is the literal guard plus `re`, as before the scan existed
    from extract import pattern_scan

    monkeypatch.setattr(pattern_scan, "hyperscan", None)
    scan = PatternSet()
    monkeypatch.setattr("extract.literals.SCAN", scan)
    sources = (r"\btraining code\b", r"\b(?:open[- ]source|fully open)\b", r"\bdata(?:set)?s? (?:card|sheet)\b")
    for source in sources:
        pattern = re.compile(source, re.I)
        guard = Guarded(pattern)
        assert guard.slot is None
        for text in ("We release the training code.", "fully open weights", "see the dataset card", "nothing here " * 30, ""):
            got, expected = guard.search(text), pattern.search(text)
            assert (got and got.span()) == (expected and expected.span())
    assert {r.way for r in scan.routes()} == {"literals"}
    assert all(r.reason == pattern_scan.NO_ENGINE for r in scan.routes())
