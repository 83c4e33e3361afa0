"""The fourth round of speed work on the card parse and the link readers gives the same answers.

Each shortcut is compared with the path it replaced, on real cards (the dev hub and the judged
set), realistic generated cards and fuzzed cards (benchmarks/cards.py), and on random text built to
hit the shortcut's edges.
"""

from __future__ import annotations

import functools
import json
import random
import re
import sys
from pathlib import Path

import pytest

from extract.card import parse_card
from extract.training_code import _clause, _is_code_location, classify_link, link_verdict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
from card_corpus import DEV_HUB, corpus_cards  # noqa: E402


@functools.cache
def _cards() -> tuple[bytes, ...]:
    return tuple(card.encode("utf-8", "surrogatepass") for card in corpus_cards(60, 60))


def test_the_corpus_has_real_generated_and_fuzzed_cards() -> None:
    cards = _cards()
    assert len(cards) > 150  # 120 generated and fuzzed, the rest real
    assert sum(len(parse_card(c).links) for c in cards) > 1000


# --- links: the clause, and the verdict once per (url, text, clause) ---------------------------


def _clause_by_split(link) -> str:  # type: ignore[no-untyped-def]
    """The clause as it was found before: the context always split with the pattern."""
    context = link.context
    pieces = re.split(r"\s*(?:;|·|\|)\s*", context)
    if len(pieces) == 1:
        return context
    for needle in (link.text, link.url):
        for i, piece in enumerate(pieces):
            if needle and needle in piece:
                if i > 0 and piece.strip() in (link.text.strip(), link.url.strip()):
                    return f"{pieces[i - 1]} {piece}"
                return piece
    return context


def _links():  # type: ignore[no-untyped-def]
    for card in _cards():
        yield from parse_card(card).links


def test_clause_without_a_separator_is_the_context_as_before() -> None:
    from extract.card import Link

    rng = random.Random(15)
    alphabet = ["a", " ", ";", "·", "|", "\t", "\n", "x y", "code", "https://github.com/o/r", "\u00a0", "\u2003"]
    links = list(_links())
    for _ in range(3000):
        context = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        text = rng.choice(["code", "x y", "", " ", "https://github.com/o/r"])
        links.append(Link("https://github.com/o/r", text, context, ""))
    for link in links:
        assert _clause(link) == _clause_by_split(link), link


def test_a_link_verdict_depends_on_its_url_text_and_clause_only() -> None:
    """Every link of the corpus is judged as the uncached rule judges it from its own url, text and
    clause: a verdict remembered for one link is never handed to a link it would not fit."""
    classify_link.cache_clear()
    link_verdict.cache_clear()
    judged = 0
    for link in _links():
        got = classify_link(link)
        if not _is_code_location(link.url):
            assert got.kind == "not-code" and got.reason == "not a code host"
            continue
        judged += 1
        assert got == link_verdict.__wrapped__(link.url, link.text, _clause_by_split(link)), link
    assert judged > 500
    assert link_verdict.cache_info().hits > 0  # the corpus repeats (url, text, clause): the memo is used


@pytest.mark.parametrize(
    ("row", "kind"),
    [("Training code | repo", "training"), ("Demo | repo", "example"), ("Weights | repo", "repository")],
)
def test_links_of_one_clause_share_a_verdict_whatever_the_rest_of_the_row(row: str, kind: str) -> None:
    from extract.card import Link

    url = "https://github.com/org/repo"
    link_verdict.cache_clear()
    short, long = Link(url, "repo", row, ""), Link(url, "repo", row + " | 12.5 | 99", "")
    assert _clause(short) == _clause(long)
    assert classify_link(short).kind == classify_link(long).kind == kind
    assert link_verdict.cache_info().hits == 1  # the second row's link reused the first one's verdict


# --- lineage statements: the cue and from-scratch patterns behind the shared scan ---------------


def _prose_texts() -> list[str]:
    from extract.card_structure import Table

    texts = []
    for card in _cards():
        for block in parse_card(card).segments:
            if not isinstance(block, Table):
                texts.append(block.text)
    return texts


def test_guarded_lineage_patterns_find_what_the_plain_patterns_find() -> None:
    from extract.lineage_text import rules

    r = rules()
    rng = random.Random(6)
    phrases = ["fine-tuned version of", "GGUF quants of", "based on", "trained from scratch", "Fine tuned from",
               "a merge of", "LoRA adapter for", "built upon", "pre-trained from scratch", "quantised model of"]
    texts = _prose_texts()
    for text in list(texts[:400]):  # the same prose with cues dropped in at random places
        at = rng.randint(0, len(text))
        texts.append(text[:at] + " " + rng.choice(phrases) + " org/base-7b " + text[at:])
    found = 0
    for guarded_pattern in (r.cue, r.from_scratch):
        plain = re.compile(guarded_pattern.pattern, guarded_pattern.flags)
        for text in texts:
            want = [(m.span(), m.group(0)) for m in plain.finditer(text)]
            assert [(m.span(), m.group(0)) for m in guarded_pattern.finditer(text)] == want, text[:200]
            found += bool(want)
    assert found > 300


# --- frameworks: the pre-check on the text as it is --------------------------------------------


def test_framework_precheck_never_changes_what_a_card_is_said_to_be_trained_with(monkeypatch: pytest.MonkeyPatch) -> None:
    """The names found with the pre-check are those found when every block and sentence is tried
    with every framework pattern (the pre-check answering True throughout)."""
    import extract.training_code as tc

    cards = [parse_card(c) for c in _cards()]
    extra = [
        b"## Training\n\nTrained with Megatron\xe2\x80\x90LM? No: with MEGATRON-LM and DeepSpeed, on \xc4\xb0nfra.\n",
        b"## Setup\n\nWe fine-tuned it with TRL and PEFT (trained on 8 GPUs) using Hugging Face Accelerate.\n",
        "## Training\n\nTrained with ſentence-transformers and Nemo; the NeMo framework; trl.\n".encode(),
        "## Training\n\nTrained with JAX, fairſeq and megatron deepſpeed; FSDP in PyTorch.\n".encode(),
    ]
    cards += [parse_card(c) for c in extra]
    fast = [tc.frameworks_mentioned(card) for card in cards]
    monkeypatch.setattr(tc, "_may_name_framework", lambda text: True)
    assert [tc.frameworks_mentioned(card) for card in cards] == fast
    assert sum(bool(names) for names, _ in fast) > 10


def test_framework_precheck_holds_wherever_a_framework_pattern_matches() -> None:
    from extract.training_code import _FRAMEWORKS, _may_name_framework

    rng = random.Random(7)
    sentences = [s for card in _cards() for block in parse_card(card).blocks for s in block.sentences]
    folds = {"i": "ıİ", "s": "ſ", "k": "\u212a"}
    for _ in range(3000):
        name = rng.choice(["Megatron-LM", "deepspeed", "NeMo", "TRL", "jax", "fairseq", "sentence transformers", "kohya", "ms-swift"])
        name = "".join(rng.choice([c, c.upper(), *folds.get(c.lower(), "")]) for c in name)
        sentences.append(f"{rng.choice(['Trained with', '(', '-', 'x'])}{rng.choice([' ', ''])}{name}{rng.choice(['.', ')', '-x', ''])}")
    hits = 0
    for sentence in sentences:
        if any(pattern.search(sentence) for pattern, _ in _FRAMEWORKS):
            hits += 1
            assert _may_name_framework(sentence), sentence
    assert hits > 500


# --- the builder: a row's links, and sentences split once ----------------------------------------


def _row_links_as_before(row):  # type: ignore[no-untyped-def]
    """The links (url, text, context) of a row and its text, made as before: each cell's spans
    shifted into the row's text, the context clipped for each link."""
    from extract.sentences import MAX_CONTEXT_CHARS, clip

    pieces, shifted, offset = [], [], 0
    for i, (cell, spans) in enumerate(row):
        if i:
            pieces.append(" | ")
            offset += 3
        pieces.append(cell)
        shifted.extend((url, s + offset, e + offset) for url, s, e in spans)
        offset += len(cell)
    text = "".join(pieces)
    return text, [(url, text[s:e].strip() or url, clip(text, MAX_CONTEXT_CHARS)) for url, s, e in shifted]


def test_row_links_as_before() -> None:
    from extract.card_structure import MAX_TITLE_CHARS, StructureBuilder
    from extract.sentences import clip

    rng = random.Random(11)
    words = ["", " ", "a", "hellaswag", "**71.2**", "x\ty", "  spaced  ", "é", "本", "|", "https://e.org/a", "long " * 80]
    for _ in range(3000):
        row = []
        for _ in range(rng.randint(1, 5)):
            cell = "".join(rng.choice(words) for _ in range(rng.randint(0, 4)))
            spans = []
            for _ in range(rng.choice((0, 0, 1, 2))):
                s = rng.randint(0, len(cell))
                spans.append((rng.choice(["https://github.com/o/r", " https://x.org "]), s, rng.randint(s, len(cell))))
            row.append((cell, spans))
        builder = StructureBuilder("")
        text = builder._row_links(row)
        want_text, want_links = _row_links_as_before(row)
        assert text == want_text
        assert [(link.url, link.text, link.context) for link in builder.links] == [
            (url.strip()[:2000], clip(t, MAX_TITLE_CHARS), c) for url, t, c in want_links if url.strip()
        ]


def test_sentences_kept_from_the_parse_are_the_blocks_own() -> None:
    from extract.sentences import split_sentences

    kept = 0
    for card in _cards():
        for block in parse_card(card).blocks:
            kept += block.sentence_spans is not None
            assert block.sentences == split_sentences(block.text[:10_000]), block.text[:200]
    assert kept > 100  # blocks with links: their sentences were split while their links were read


def test_sentence_stops_found_by_the_class_first_pattern_are_the_plain_patterns() -> None:
    """`_BOUNDARY` opens with `[.!?][.!?]*` so that `re` skips ahead; `[.!?]+` gives the same matches."""
    from extract.sentences import _BOUNDARY

    plain = re.compile(r"[.!?]+[\"')\]]*\s+(?=[\"'(\[*_`]*[A-Z0-9])")
    texts = [card.decode("utf-8", "surrogatepass") for card in _cards()]
    rng = random.Random(11)
    texts += ["".join(rng.choice(".!?\"')] \n\tAb1*_(") for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    found = 0
    for text in texts:
        spans = [m.span() for m in _BOUNDARY.finditer(text)]
        assert spans == [m.span() for m in plain.finditer(text)], text[:200]
        found += len(spans)
    assert found > 2000  # stops in the cards and in the random texts alike


class _NotWalked(list):
    """Spans that may be indexed (as a binary search does) but not walked whole."""

    def __iter__(self):  # type: ignore[override]
        raise AssertionError("sentence_in walked every span of the block")


def test_a_links_sentence_is_found_without_walking_every_sentence_of_its_block() -> None:
    """`sentence_in` runs once per link: a walk over all the block's sentences each time made a block
    with thousands of links and sentences quadratic. The answer is the one the list of ends gave."""
    from bisect import bisect_right

    from extract.sentences import sentence_in, sentence_spans, window

    def as_before(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
        i = bisect_right([e for _, e in spans], start - 2)
        if i < len(spans) and spans[i][0] <= start:
            s, e = spans[i]
            return window(text[s:e], start - s, end - s)
        return window(text, start, end)

    rng = random.Random(5)
    texts = [card.decode("utf-8", "surrogatepass")[:10_000] for card in _cards()[:40]]
    texts += ["".join(rng.choice(("Trained on C4. ", "See [x](https://a.b). ", "e.g. this ", "A", " ", "! ", "\n")) for _ in range(rng.randint(0, 80))) for _ in range(300)]
    checked = 0
    for text in texts:
        plain = sentence_spans(text)
        spans = _NotWalked(plain)
        for _ in range(20):
            start = rng.randint(0, len(text))
            end = rng.randint(start, min(len(text), start + 40))
            assert sentence_in(text, spans, start, end) == as_before(text, plain, start, end)
            checked += 1
    assert checked > 6000


def test_a_comment_holding_dashes_is_found_as_the_lazy_pattern_finds_it() -> None:
    """`_comment_holds_dashes` (str.find, linear) answers as `<!--(.*?)-->` over finditer did (its
    lazy group made unclosed openers cost the square of the text)."""
    from extract.markdown_checks import _comment_holds_dashes

    pattern = re.compile(r"<!--(.*?)-->", re.S)
    rng = random.Random(17)
    texts = [card.decode("utf-8", "surrogatepass") for card in _cards()]
    texts += ["".join(rng.choice(("<!--", "-->", "--", "-", ">", "<", "!", "a", "\n", "<!-->", "<!--->")) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    held = 0
    for text in texts:
        expected = any("--" in m.group(1) for m in pattern.finditer(text))
        assert _comment_holds_dashes(text) is expected, text[:200]
        held += expected
    assert 500 < held < len(texts) - 500  # both answers, many times


# --- training-code statements: block by block, not over the joined prose ---------------------------


def test_statement_blocks_are_those_the_joined_prose_pointed_to() -> None:
    """Reading every prose block with its own check finds exactly the blocks the joined-prose search
    used to hand over (the joined search was a pre-check only)."""
    from extract.training_code import _FILE_NAME, _TRAINING_EXPLICIT

    read = 0
    for raw in _cards():
        card = parse_card(raw)
        prose = card.prose
        pointed = set(prose.candidates(_TRAINING_EXPLICIT)) | set(prose.candidates(_FILE_NAME))
        for k, block in enumerate(card.prose_blocks):
            text = block.text[:10_000]
            if _TRAINING_EXPLICIT.search(text) or _FILE_NAME.search(text):
                read += 1
                assert k in pointed, text[:200]
    assert read > 50


def test_repository_file_kinds_remembered_per_path_are_the_kinds() -> None:
    from extract.code_repos import model_repo_kind
    from extract.training_code import _repo_kind

    hub = json.loads(DEV_HUB.read_text(encoding="utf-8")) if DEV_HUB.exists() else {"models": []}
    paths = [name for model in hub["models"] for name in model.get("files", {})]
    rng = random.Random(4)
    stems = ["train", "finetune", "run_clm", "sample_finetune", "config", "trainer_state", "examples/train", "scripts/pretrain"]
    paths += [f"{rng.choice(['', 'src/', 'examples/'])}{rng.choice(stems)}{rng.choice(['.py', '.yaml', '.json', '.sh', ''])}" for _ in range(500)]
    _repo_kind.cache_clear()
    for path in paths + paths:  # the second time from the memo
        assert _repo_kind(path) == model_repo_kind(path), path
    assert _repo_kind.cache_info().hits >= len(paths)
    assert {model_repo_kind(p) for p in paths} >= {"script", "config", "example", None}


# --- table cells: a quick cell read once per distinct cell ---------------------------------------------


def test_quick_cells_remembered_are_read_as_before_and_not_shared() -> None:
    from extract.markdown_tables import _quick_cell, _quick_cell_read, _read_quick_cell

    rng = random.Random(5)
    pieces = ["**71.2**", "*x*", "`bbh`", " (3-shot)", "[hellaswag](https://github.com/EleutherAI/lm-evaluation-harness)",
              "[a b](http://e.org/x y)", "[t](javascript:alert(1))", "**", "`", "[", "](", ")", "x", " ", "é", "_y_"]
    cells = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))) for _ in range(4000)]
    _quick_cell_read.cache_clear()
    seen_links = 0
    for cell in cells + cells:
        got = _quick_cell(cell)
        assert got == _read_quick_cell(cell), cell
        if got is not None and got[1]:
            seen_links += 1
            got[1].append(("mutated", 0, 0))  # a reader changing its list changes no other answer
            assert _quick_cell(cell) == _read_quick_cell(cell)
    assert _quick_cell_read.cache_info().hits > 4000
    assert seen_links > 100


def test_collapsed_block_text_is_the_substitution() -> None:
    from extract.card_structure import _collapse
    from extract.sentences import WS

    rng = random.Random(9)
    pieces = ["a", " ", "  ", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\u00a0", "\u2028", "é", "x y"]
    texts = [block.text for card in _cards()[:80] for block in parse_card(card).blocks]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 10))) for _ in range(20000)]
    texts += [chr(c) + "a" + chr(c) for c in range(0x3000)]
    for text in texts:
        assert _collapse(text) == WS.sub(" ", text).strip(), repr(text)


# --- the walk: runs of plain text rendered without InlineText -------------------------------------------


def _structure_seen(structure):  # type: ignore[no-untyped-def]
    return (
        [(b.kind, b.text, b.section_index) for b in structure.blocks],
        [(link.url, link.text, link.context, link.section, link.section_index) for link in structure.links],
        [(s.level, s.title, s.text) for s in structure.sections],
        [(t.header, t.rows) for t in structure.tables],
    )


def test_plain_runs_render_as_inline_text_renders_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import extract.markdown_tree as mt
    from extract.card import _decode
    from extract.front_matter import split_front_matter

    rng = random.Random(21)
    words = ["word", "https://e.org/a.", "http://x.y/(b)", "  ", "\n", "  \n", "\\\n", "&amp;", "&#x41;", "\\*", "é", "x://y", ".", " "]
    bodies = []
    for raw in _cards():
        text, _ = _decode(raw, 512_000)
        if text is not None:
            bodies.append(split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))[1])
    bodies += ["# T\n\n" + "".join(rng.choice(words) for _ in range(rng.randint(1, 30))) + "\n" for _ in range(1500)]

    def read_all() -> list:  # type: ignore[type-arg]
        out = []
        for body in bodies:
            try:
                out.append(_structure_seen(mt.structure_from_tree(body)))
            except mt.Declined:
                out.append(None)
        return out

    fast = read_all()
    monkeypatch.setattr(mt, "_plain_run", lambda nodes: None)
    assert read_all() == fast
    assert sum(s is not None and bool(s[1]) for s in fast) > 100  # bare URLs among them


def test_a_text_block_is_a_value_of_its_kind_text_and_section() -> None:
    """`TextBlock` was a frozen dataclass; as a class with slots it still compares, hashes and shows
    by (kind, text, section_index) alone, whatever it has cached (the parser's sentence spans, its
    sentences)."""
    from extract.card_blocks import TextBlock

    a, b = TextBlock("paragraph", "One. Two.", 1), TextBlock("paragraph", "One. Two.", 1)
    b.sentence_spans = [(0, 4), (5, 9)]
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert b.sentences == a.sentences == ["One.", "Two."] and b.sentence_spans is None  # spans read once
    assert a == b  # caches do not take part
    for other in (TextBlock("list_item", "One. Two.", 1), TextBlock("paragraph", "One.", 1), TextBlock("paragraph", "One. Two.", 2)):
        assert a != other
    assert a != ("paragraph", "One. Two.", 1)
    assert repr(a) == "TextBlock(kind='paragraph', text='One. Two.', section_index=1)"
