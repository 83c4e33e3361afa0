"""The fast card parser reads cards exactly as the reference parser does.

`extract.markdown_tree` (compiled markdown-it-pyrs) and `extract.markdown_tokens` (markdown-it-py)
must give the same structure; where the two parsers differ the fast one declines the card and
markdown-it-py reads it. The front matter loads through libyaml only where that matches
`yaml.safe_load`. The extractors' shortcuts (framework and claim pre-checks, sentence splitting)
must not drop anything the full checks would find.
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from extract.card import parse_card
from extract.card_structure import Structure
from extract.claims import openness_claims
from extract.front_matter import load_yaml
from extract.markdown_tokens import structure_from_tokens
from extract.markdown_tree import Declined, structure_from_tree
from extract.sentences import _last_word
from extract.training_code import _FRAMEWORKS, _may_name_framework, frameworks_mentioned
from extract.version_input import VersionInput

ROOT = Path(__file__).resolve().parents[1]
WALKERS = pytest.mark.parametrize("walk", [structure_from_tree, structure_from_tokens], ids=["fast", "reference"])

TABLE_WITH_LINKS = """## Evaluation

| Model | Code | Score |
|:------|:----:|------:|
| [Ours](https://github.com/org/ours) | `train.py` | **71.2** |
| Baseline | see https://example.org/base. | 65 |
| Short |
"""

NESTED_LISTS = """Intro paragraph.

- Data: [The Pile](https://pile.eleuther.ai/), deduplicated
  - nested item with `code`
    1. deep ordered
- second item

  with a second paragraph

> quoted [link](https://q.org)
"""

HTML_BLOCKS = """<div align="center">
  <a href="https://github.com/org/repo"><img src="logo.png" alt="logo"></a>
  <p>Code on <a href="https://github.com/org/repo">GitHub</a>.</p>
</div>

<h2>Training <em>data</em></h2>

We used <a href="https://huggingface.co/datasets/org/data">our data</a>.

- <h3>Not a section</h3>
"""

INLINE_FORMS = """# Title ![logo *small*](logo.png)

See <https://example.org/a%20b> and [the paper][paper]. Escaped \\*stars\\* &amp; entities.

[paper]: https://arxiv.org/abs/2401.00001 "Paper"
"""


def _blocks(s: Structure) -> list[tuple[str, str, int]]:
    return [(b.kind, b.text, b.section_index) for b in s.blocks]


def _links(s: Structure) -> list[tuple[str, str, str, str]]:
    return [(link.url, link.text, link.context, link.section) for link in s.links]


@WALKERS
def test_table_with_links_code_and_a_short_row(walk):
    s = walk(TABLE_WITH_LINKS)
    assert [(x.level, x.title) for x in s.sections] == [(2, "Evaluation")]
    (table,) = s.tables
    assert table.header == ("Model", "Code", "Score")
    # markup is dropped, the short row is padded to the header's width
    assert table.rows == (("Ours", "train.py", "71.2"), ("Baseline", "see https://example.org/base.", "65"), ("Short", "", ""))
    assert _blocks(s)[1:3] == [("table_row", "Model | Code | Score", 0), ("table_row", "Ours | train.py | 71.2", 0)]
    assert _links(s) == [
        ("https://github.com/org/ours", "Ours", "Ours | train.py | 71.2", "Evaluation"),
        # a bare URL in a cell is a link too, without the sentence's full stop
        ("https://example.org/base", "https://example.org/base", "Baseline | see https://example.org/base. | 65", "Evaluation"),
    ]


@WALKERS
def test_nested_tight_and_loose_lists_and_a_quote(walk):
    s = walk(NESTED_LISTS)
    assert [(x.level, x.title) for x in s.sections] == [(0, "")]
    assert _blocks(s) == [
        ("paragraph", "Intro paragraph.", 0),
        ("list_item", "Data: The Pile, deduplicated", 0),
        ("list_item", "nested item with code", 0),
        ("list_item", "deep ordered", 0),
        ("list_item", "second item", 0),
        ("list_item", "with a second paragraph", 0),
        ("quote", "quoted link", 0),
    ]
    assert _links(s) == [
        ("https://pile.eleuther.ai/", "The Pile", "Data: The Pile, deduplicated", ""),
        ("https://q.org", "link", "quoted link", ""),
    ]


@WALKERS
def test_html_blocks_links_and_html_headings(walk):
    s = walk(HTML_BLOCKS)
    # a top-level <h2> starts a section; an <h3> inside a list item does not
    assert [(x.level, x.title) for x in s.sections] == [(0, ""), (2, "Training data")]
    assert _blocks(s) == [
        ("html", "Code on GitHub .", 0),
        ("heading", "Training data", 1),
        ("paragraph", "We used our data.", 1),
        ("html", "Not a section", 1),
    ]
    assert _links(s) == [
        ("https://github.com/org/repo", "https://github.com/org/repo", "Code on GitHub .", ""),  # image-only anchor
        ("https://github.com/org/repo", "GitHub", "Code on GitHub .", ""),
        ("https://huggingface.co/datasets/org/data", "our data", "We used our data.", "Training data"),
    ]
    assert s.sections[1].text.startswith("\nWe used <a href=")


@WALKERS
def test_image_alt_autolink_reference_link_escapes_and_entities(walk):
    s = walk(INLINE_FORMS)
    # an image shows its alt text as written; an autolink its URL decoded for reading
    assert [x.title for x in s.sections] == ["Title logo *small*"]
    assert _blocks(s)[1] == ("paragraph", "See https://example.org/a b and the paper. Escaped *stars* & entities.", 0)
    assert [(u, t) for u, t, _, _ in _links(s)] == [
        ("https://example.org/a%20b", "https://example.org/a b"),
        ("https://arxiv.org/abs/2401.00001", "the paper"),
    ]


@pytest.mark.parametrize(
    "body, blocks, links",
    [
        # CommonMark 0.31: a symbol next to "**" makes it punctuation-flanked, so no emphasis here
        ("a**©**b and *x*", [("paragraph", "a**©**b and x")], []),
        # markdown-it-py ends a lazy blockquote paragraph at any list item
        ("> quote\n2) item\n", [("quote", "quote"), ("list_item", "item")], []),
        # hosts are punycoded
        ("[x](https://bücher.example/a)", [("paragraph", "x")], [("https://xn--bcher-kva.example/a", "x")]),
        # "--" inside an HTML comment is allowed (0.31)
        ("p <!-- a -- b --> q", [("paragraph", "p q")], []),
        # code spans with backtick runs of different lengths
        ("``a`` and `b`", [("paragraph", "a and b")], []),
        # markdown-it.rs panics on an unclosed backtick run in a link label: caught, and declined
        ("See [the code ``` here](https://github.com/o/r)", [("paragraph", "See the code ``` here")],
         [("https://github.com/o/r", "the code ``` here")]),
    ],
)
def test_where_the_parsers_differ_the_card_reads_as_markdown_it_py_reads_it(body, blocks, links):
    with pytest.raises(Declined):
        structure_from_tree(body)
    card = parse_card(body.encode())
    assert [(b.kind, b.text) for b in card.blocks] == blocks
    assert [(link.url, link.text) for link in card.links] == links


def test_a_one_column_table_under_a_pipeless_delimiter_row():
    with pytest.raises(Declined):
        structure_from_tree("name|\n---\n")
    card = parse_card(b"name|\n---\n")
    assert [(t.header, t.rows) for t in card.tables] == [(("name",), ())]


def test_real_cards_mostly_take_the_fast_path_and_read_the_same(dev_hub_data):
    fast = 0
    for model in dev_hub_data["models"]:
        body = parse_card(model["files"]["README.md"].encode()).body
        try:
            structure = structure_from_tree(body)
        except Declined:
            continue  # e.g. "vocabulary 2**17 ~= 128k": unpaired '*' and '~' in one paragraph
        fast += 1
        assert structure == structure_from_tokens(body), model["id"]
    assert fast >= 0.9 * len(dev_hub_data["models"])


def test_inputs_that_crash_the_compiled_parsers_are_declined_before_parsing():
    # markdown-it-pyrs and libyaml recurse without a limit: these overflow the C stack (SIGSEGV).
    script = textwrap.dedent(
        """
        from extract.front_matter import load_yaml
        from extract.markdown_tree import Declined, structure_from_tree
        bodies = ["- " * 50_000 + "x", ">" * 100_000, "*" * 60_000 + "a" + "*" * 60_000,
                  "![" * 60_000 + "a" + "](b)" * 60_000]
        for body in bodies:
            try:
                structure_from_tree(body)
            except Declined:
                continue
            raise SystemExit("not declined: " + body[:20])
        from extract.front_matter import FlowTooDeep
        try:
            load_yaml("a: " + "[" * 90_000 + "]" * 90_000)
        except FlowTooDeep:  # PyYAML's scanner, bounded, refuses it at the 65th level
            print("ok")
        """
    )
    run = subprocess.run([sys.executable, "-c", script], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "front, expected, problems",
    [
        ("license: mit\nextra: !\n", {"license": "mit", "extra": None}, []),  # libyaml would read ''
        ("license: mit\ntags:\t\n- a\n", {}, ["yaml-invalid"]),  # PyYAML refuses the tab; libyaml would not
        ("license: mit\nnote: \"\\ud83d\"\n", {"license": "mit", "note": "\ud83d"}, []),  # libyaml refuses
        ("a: " + "[" * 70 + "]" * 70 + "\n", {}, ["yaml-too-complex"]),
        ("license: mit\nbase: &b [x, *b]\n", {}, ["yaml-too-complex"]),  # a cycle through an alias
        ("license: apache-2.0\nmodel-index:\n- name: m\n  results:\n  - metrics: [{type: acc, value: 0.5}]\n",
         {"license": "apache-2.0", "model-index": [{"name": "m", "results": [{"metrics": [{"type": "acc", "value": 0.5}]}]}]}, []),
    ],
)
def test_front_matter_reads_as_yaml_safe_load(front, expected, problems):
    card = parse_card(f"---\n{front}---\n# T\n".encode())
    assert card.front_matter == expected
    assert [p.code for p in card.problems] == problems
    if not problems:
        assert load_yaml(front) == yaml.safe_load(front)



def test_pyyaml_refuses_the_65th_flow_level_and_reads_64_as_safe_load_does():
    from extract.front_matter import MAX_YAML_DEPTH, FlowTooDeep, safe_load

    assert MAX_YAML_DEPTH == 64
    for opener, closer in (("[", "]"), ("{a: ", "}")):
        at_bound = "k: " + opener * MAX_YAML_DEPTH + "x" + closer * MAX_YAML_DEPTH + "\n"
        assert safe_load(at_bound) == yaml.safe_load(at_bound)
        with pytest.raises(FlowTooDeep):
            safe_load("k: " + opener * (MAX_YAML_DEPTH + 1) + "x" + closer * (MAX_YAML_DEPTH + 1) + "\n")
    # depth is what is open at once, not how many: many shallow collections read as before
    flat = "".join(f"k{i}: [a, {{b: [c]}}]\n" for i in range(500))
    assert safe_load(flat) == yaml.safe_load(flat)


@pytest.mark.parametrize("hide, misled", [('a: x "\n', True), ("a: say 'hi\n", True), ("a: it's\n", False), ('a: 5" screen\n', False)])
def test_a_quote_read_as_text_does_not_hide_deep_brackets_from_the_bound(hide, misled):
    """`_flow_depth` reads a '"' after a space as a quote; YAML reads it as text inside a plain scalar,
    so the brackets after it were not counted and PyYAML spent seconds on them. The scanner's own
    bound refuses them as it meets them."""
    from extract.front_matter import _flow_depth, split_front_matter

    front = hide + "b: " + "[" * 3000 + "]" * 3000 + "\n"
    assert (_flow_depth(front) <= 64) is misled  # where the pre-scan is misled, and where it is not
    data, body, problems = split_front_matter(f"---\n{front}---\nbody\n")
    assert (data, body) == ({}, "body\n")
    assert [(p.code, p.message) for p in problems] == [("yaml-too-complex", "front matter nests deeper than 64 brackets")]


def test_framework_precheck_never_hides_a_framework():
    rng = random.Random(5)
    names = ["Megatron-LM", "megatron core", "DeepSpeed", "GPT-NeoX", "NeMo", "TRL", "PyTorch", "JAX", "T5X",
             "LLaMA-Factory", "Colossal-AI", "HF Trainer", "transformers library", "open_lm", "lit-gpt", "kohya",
             "sd-scripts", "ms-swift", "Alignment Handbook", "diffusers", "open-instruct", "contrastors"]
    # case-insensitive matching pairs i/ı and s/ſ, and 'İ' lower-cases to 'i' + a combining dot
    folds = {"i": "ıİ", "s": "ſ", "k": "\u212a"}
    for _ in range(3000):
        name = "".join(rng.choice([c, c.upper(), *folds.get(c.lower(), "")]) for c in rng.choice(names))
        sentence = f"{rng.choice(['We trained it with', 'Training used', '('])} {name}{rng.choice(['.', ' and more', ')', ''])}"
        if any(pattern.search(sentence) for pattern, _ in _FRAMEWORKS):
            assert _may_name_framework(sentence), sentence
    card = parse_card(
        b"## Training\n\nWe trained with Megatron-LM and DeepSpeed on TPUs. An SFT example with TRL is below.\n\n"
        b"The tokenizer is PyTorch-based.\n"
    )
    # TRL only appears in an example; "PyTorch-based" is not the name standing alone
    assert frameworks_mentioned(card)[0] == ["Megatron-LM", "DeepSpeed"]


def test_claims_are_found_in_any_case():
    card = parse_card(b"# M\n\nThis model is FULLY OPEN-SOURCE. Other Open-Source models exist.\n")
    claims = openness_claims(VersionInput(card=card, repo_id="org/m"))
    assert [(c.kind, c.phrase, c.about_self) for c in claims.claims] == [
        ("fully-open", "FULLY OPEN-SOURCE", True),
        ("open-source", "Open-Source", True),  # "other open-source models" presents the model as one (issue 12)
    ]


def test_last_word_before_a_sentence_boundary_is_the_last_whitespace_separated_token():
    rng = random.Random(3)
    pieces = ["word", "e.g.", " ", "  ", "\n", "\u00a0", "(", "x" * 70, "." * 70, " " * 70]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        lo = rng.randint(0, len(text))
        hi = rng.randint(lo, len(text))
        split = text[lo:hi].rsplit(None, 1)
        assert _last_word(text, lo, hi) == (split[-1] if split else "")
