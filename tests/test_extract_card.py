"""parse_card: structure of real-looking cards, and robustness on hostile input."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest

from extract.card import ParsedCard, parse_card, split_sentences

FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "dev_hub.json"

PYTHIA_LIKE = """---
language:
- en
tags:
- pytorch
- causal-lm
- pythia
license: apache-2.0
datasets:
- EleutherAI/the_pile_deduplicated
---

The *Pythia Scaling Suite* is a collection of models developed to facilitate
interpretability research. All Pythia models are available
[on Hugging Face](https://huggingface.co/EleutherAI).

## Pythia-160M-deduped

### Model Details

- Developed by: [EleutherAI](http://eleuther.ai)
- Learn more: [Pythia's GitHub repository](https://github.com/EleutherAI/pythia)
  for training procedure, config files, and details on how to use.
- Library: [GPT-NeoX](https://github.com/EleutherAI/gpt-neox)

### Training

Pythia models were trained on the Pile after the dataset was globally deduplicated (see
https://pile.eleuther.ai/). Each model saw 299,892,736,000 tokens.

| Pythia model | Layers | Model Dim |
|---|---|---|
| 70M | 6 | 512 |
| 160M | 12 | 768 |

```python
from transformers import GPTNeoXForCausalLM
model = GPTNeoXForCausalLM.from_pretrained("EleutherAI/pythia-160m-deduped")
```
"""


def test_readme_missing_is_a_problem_not_an_error():
    card = parse_card(None)
    assert isinstance(card, ParsedCard)
    assert [p.code for p in card.problems] == ["readme-missing"]
    assert card.body == "" and card.sections == () and card.front_matter == {}


def test_front_matter_sections_and_levels():
    card = parse_card(PYTHIA_LIKE.encode())
    assert card.problems == ()
    assert card.front_matter["license"] == "apache-2.0"
    assert card.front_matter["datasets"] == ["EleutherAI/the_pile_deduplicated"]
    assert not card.body.startswith("---")
    titles = [(s.level, s.title) for s in card.sections]
    # the text before the first heading is a level-0 section with no title
    assert titles == [(0, ""), (2, "Pythia-160M-deduped"), (3, "Model Details"), (3, "Training")]
    training = card.sections[3]
    assert "299,892,736,000 tokens" in training.text
    assert "Model Details" not in training.text
    assert card.ancestors(3) == (1,)
    assert card.subtree(1) == (1, 2, 3)


def test_links_carry_text_sentence_and_section():
    card = parse_card(PYTHIA_LIKE.encode())
    by_url = {link.url: link for link in card.links}
    repo = by_url["https://github.com/EleutherAI/pythia"]
    assert repo.text == "Pythia's GitHub repository"
    assert "for training procedure, config files" in repo.context
    assert repo.section == "Model Details"
    bare = by_url["https://pile.eleuther.ai/"]  # bare URL, trailing ")." trimmed
    assert bare.text == "https://pile.eleuther.ai/"
    assert bare.section == "Training"
    assert by_url["https://huggingface.co/EleutherAI"].section == ""  # preamble


def test_code_blocks_and_tables():
    card = parse_card(PYTHIA_LIKE.encode())
    assert [(b.lang, "from_pretrained" in b.text) for b in card.code_blocks] == [("python", True)]
    assert card.code_blocks[0].lang == "python"  # a NamedTuple: also usable as (lang, text)
    (table,) = card.tables
    assert table.header == ("Pythia model", "Layers", "Model Dim")
    assert table.rows == (("70M", "6", "512"), ("160M", "12", "768"))
    assert card.sections[table.section_index].title == "Training"


def test_inline_html_links_and_html_headings():
    raw = (
        "## Llamacpp imatrix Quantizations\n\n"
        'Using <a href="https://github.com/ggerganov/llama.cpp/">llama.cpp</a> release '
        '<a href="https://github.com/ggerganov/llama.cpp/releases/tag/b3472">b3472</a> for quantization.\n\n'
        "<h2>Training data</h2>\n\n"
        "<p>See <a href='https://example.org/datasheet.pdf'>the datasheet</a>.</p>\n"
    ).encode()
    card = parse_card(raw)
    links = {link.url: link for link in card.links}
    llama = links["https://github.com/ggerganov/llama.cpp/"]
    assert llama.text == "llama.cpp"
    assert llama.context == "Using llama.cpp release b3472 for quantization."
    assert [s.title for s in card.sections] == ["Llamacpp imatrix Quantizations", "Training data"]
    sheet = links["https://example.org/datasheet.pdf"]
    assert sheet.text == "the datasheet" and sheet.section == "Training data"


def test_reference_links_and_autolinks():
    raw = b"# Sources\n\nCode is on [GitHub][gh] and <https://codeberg.org/x/y>.\n\n[gh]: https://github.com/a/b\n"
    urls = [link.url for link in parse_card(raw).links]
    assert urls == ["https://github.com/a/b", "https://codeberg.org/x/y"]


def test_broken_yaml_still_parses_the_body():
    raw = b"---\nlicense: [apache-2.0\ntags: {oops\n---\n# Model\n\nTrained on [data](https://x.org).\n"
    card = parse_card(raw)
    assert [p.code for p in card.problems] == ["yaml-invalid"]
    assert card.front_matter == {}
    assert [s.title for s in card.sections] == ["Model"]
    assert card.links[0].url == "https://x.org"


def test_yaml_that_is_not_a_mapping():
    card = parse_card(b"---\n- apache-2.0\n- mit\n---\n# Title\n")
    assert [p.code for p in card.problems] == ["yaml-not-mapping"]
    assert card.front_matter == {}
    assert card.sections[0].title == "Title"


def test_front_matter_that_never_closes():
    card = parse_card(b"---\nlicense: mit\n\n# Model card\n\nSome text.\n")
    assert [p.code for p in card.problems] == ["yaml-unclosed"]
    assert card.front_matter == {}
    assert "Model card" in [s.title for s in card.sections]


def test_yaml_alias_bomb_is_refused_and_dates_become_strings():
    layers = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefg", "bcdefgh"):
        layers.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    bomb = ("---\n" + "\n".join(layers) + "\n---\n# Body\n").encode()
    card = parse_card(bomb)
    assert [p.code for p in card.problems] == ["yaml-too-complex"]
    assert card.sections[0].title == "Body"
    dated = parse_card(b"---\nrelease: 2024-09-25\nyes_key: 1\n---\ntext\n")
    assert dated.front_matter["release"] == "2024-09-25"


def test_binary_readme_is_not_parsed():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    card = parse_card(png)
    assert [p.code for p in card.problems] == ["binary"]
    assert card.body == "" and card.sections == () and card.links == ()


def test_mostly_non_text_without_nul_is_binary():
    rng = random.Random(7)
    noise = bytes(rng.choice(range(0x80, 0x100)) for _ in range(4000))
    assert [p.code for p in parse_card(noise).problems][-1] == "binary"


def test_latin1_card_is_decoded_with_replacement():
    raw = "# Modèle\n\nEntraîné sur des données publiques.\n".encode("latin-1")
    card = parse_card(raw)
    assert [p.code for p in card.problems] == ["not-utf8"]
    assert card.sections[0].title.startswith("Mod")
    assert "\ufffd" in card.body


def test_utf16_card_with_bom_is_decoded():
    card = parse_card("# Model\n\nText.\n".encode("utf-16"))  # the codec writes a BOM
    assert [p.code for p in card.problems] == ["not-utf8"]
    assert card.sections[0].title == "Model"


def test_utf8_bom_does_not_hide_front_matter():
    card = parse_card(b"\xef\xbb\xbf---\nlicense: mit\n---\n# T\n")
    assert card.front_matter == {"license": "mit"} and card.problems == ()


def test_oversize_is_truncated_on_a_character_boundary():
    text = "# Title\n\n" + "é" * 1000  # two bytes each
    raw = text.encode()
    card = parse_card(raw, max_bytes=100)  # 9 ASCII bytes + 45.5 characters: cut inside a character
    assert [p.code for p in card.problems] == ["oversize"]
    assert "\ufffd" not in card.body
    assert len(card.body.encode()) <= 100
    assert card.body.endswith("é")


def test_sentences_do_not_break_on_abbreviations():
    text = "It outperforms comparable open-source models (e.g. MPT-7B, StableLM), thanks to data. Next one."
    assert split_sentences(text) == [
        "It outperforms comparable open-source models (e.g. MPT-7B, StableLM), thanks to data.",
        "Next one.",
    ]


def test_random_bytes_never_raise():
    rng = random.Random(20240925)
    start = time.process_time()  # CPU seconds: the bound is on work done, not on how busy the machine is
    for i in range(400):
        raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 3000)))
        if i % 3 == 0:
            raw = b"---\n" + raw  # exercise the front matter path too
        card = parse_card(raw, max_bytes=rng.choice([50, 2000, 512_000]))
        assert isinstance(card, ParsedCard)
    assert time.process_time() - start < 60


MARKDOWN_PIECES = [
    "# ", "## ", "---\n", "\n", "\n\n", "| a | b |\n|---|---|\n| x | y |\n", "[", "]", "(", ")", "](https://github.com/a/b)",
    "https://hf.co/x ", "<a href='https://x.org'>", "</a>", "<h2>", "</h2>", "```python\n", "```\n", "> ", "- ", "* ",
    "1. ", "**", "_", "`", "open-source ", "trained on ", "tokens ", "e.g. ", ". ", "é", "\u200b", "\t", "&amp;", "<!--",
    "-->", "\r\n", ": ", "license: [", "*a ", "- - - ", "\x00",
]


def test_random_markdown_never_raises():
    rng = random.Random(99)
    for _ in range(300):
        text = "".join(rng.choice(MARKDOWN_PIECES) for _ in range(rng.randint(0, 400)))
        card = parse_card(text.encode("utf-8", "surrogatepass"))
        assert isinstance(card, ParsedCard)
        for link in card.links:
            assert len(link.context) <= 600


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b"> " * 50_000 + b"x",
        b"- " * 50_000 + b"x",
        b"*a " * 100_000,
        b"---\na: " + b"[" * 3000 + b"]" * 3000 + b"\n---\nx\n",
        b"---\n" + b"k: v\n" * 60_000 + b"---\n",
    ],
)
def test_pathological_inputs_are_bounded(raw):
    # CPU seconds of this process, not the wall clock: a loaded machine made the wall-clock bound flaky.
    # Each of these takes 1-3 s; a rule gone quadratic on them takes minutes.
    start = time.process_time()
    card = parse_card(raw)
    assert isinstance(card, ParsedCard)
    assert time.process_time() - start < 20


def _fixture_models():
    if not FIXTURE.exists():
        pytest.skip(f"shared fixture not found at {FIXTURE} (CI provides ../shared)")
    return json.loads(FIXTURE.read_text())["models"]


def test_every_fixture_card_parses_cleanly():
    for model in _fixture_models():
        readme = model["files"]["README.md"]
        card = parse_card(readme.encode())
        assert card.problems == (), model["id"]
        assert card.sections, model["id"]
        # the parsed front matter agrees with the Hub's cardData on the licence
        if "license" in model["cardData"]:
            assert card.front_matter.get("license") == model["cardData"]["license"], model["id"]
