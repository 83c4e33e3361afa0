"""Realistic generated model cards for the speed benchmarks and the equivalence checks.

    from benchmarks.cards import realistic_card, fuzzed_card

`realistic_card(seed, repo_id, ...)` writes a card the way real Hub cards look: YAML front matter,
long paragraphs (claims, training data and training code prose, multilingual sentences), big
evaluation and data-mixture tables (numbers, bold scores, links, code spans, underscores, model
names as columns, ✅ marks), lists, code fences, HTML badges and citations. Every card differs in
its words and numbers (nothing is cached between cards), and about half of the bytes are table
rows (issue 15 measured two thirds on the Hub's cards: tables dominate).

`fuzzed_card(seed)` stitches Markdown fragments that parsers read differently (escaped pipes,
tables inside lists and quotes, tables interrupting paragraphs, ragged rows, fences, HTML blocks,
emphasis runs, entities, tabs) into a card: the equivalence checks run both on these.

Deterministic: the same seed gives the same card on every run and machine.
"""

from __future__ import annotations

import random

_WORDS = (
    "model data training tokens corpus language quality code reasoning math web pages books papers instruction "
    "alignment evaluation benchmark context multilingual safety bias license research weights checkpoint "
    "architecture layers vocabulary tokenizer optimizer hardware gpus memory quantization adapter dataset "
    "mixture domain chat assistant release version community"
).split()
# Plain English around the domain words, as cards are written: most words of a sentence are common ones.
_SUBJECTS = ("The model", "This checkpoint", "Our team", "The authors", "Users", "This version", "The release",
             "Each example", "The tokenizer", "The base model", "We", "It", "The card", "Most answers")
_VERBS = ("is designed for", "was evaluated on", "should be used with", "performs well on", "may produce",
          "can be combined with", "was released with", "does not support", "works best with", "is intended for",
          "was compared against", "tends to repeat", "has been tested on", "is not suitable for", "relies on")
_OBJECTS = ("short answers in English", "questions about everyday topics", "longer documents and reports",
            "a small number of examples", "the prompt format shown below", "tasks that need careful checking",
            "creative writing and summaries", "most common programming languages", "simple arithmetic problems",
            "the default generation settings", "a single consumer GPU", "conversations with several turns",
            "text in languages other than English", "factual questions without a source", "the original weights")
_TAILS = ("", "", "", " in most cases", " when the input is clear", " without further changes", " for now",
          " according to our own tests", " at the time of writing", " with some limitations", " as described below")
_NAMES = (
    "Llama", "Mistral", "Qwen", "Gemma", "Phi", "OLMo", "Falcon", "BLOOM", "Pythia", "StarCoder", "Mixtral",
    "DeepSeek", "Yi", "InternLM", "Baichuan", "GPT-J", "MPT", "Zephyr", "Vicuna", "Orca", "Aya", "SmolLM",
)
_SOURCES = (
    "Common Crawl", "C4", "The Pile", "RedPajama", "Dolma", "FineWeb", "FineWeb-Edu", "The Stack v2", "Wikipedia",
    "arXiv", "PubMed", "StackExchange", "Project Gutenberg", "OpenWebMath", "peS2o", "SlimPajama", "RefinedWeb",
    "Cosmopedia", "UltraChat", "OpenHermes", "MetaMathQA", "Alpaca", "ShareGPT", "OASST1", "Tulu-v2-mix",
)
_FRAMEWORKS = ("Megatron-LM", "DeepSpeed", "PyTorch", "JAX", "TRL", "Axolotl", "Unsloth", "LLaMA-Factory",
               "GPT-NeoX", "Nanotron", "the HF Trainer", "PEFT", "FSDP", "Accelerate")
_TASKS = ("arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc2", "winogrande", "gsm8k", "humaneval", "mbpp",
          "bbh", "drop", "ifeval", "math_hard", "gpqa", "musr", "mmlu_pro", "piqa", "boolq", "lambada_openai")
_CLAIMS = (
    "{name} is a fully open-source model: we release the weights, the training code and the data.",
    "We believe in open science, so {name} is an open model with open weights under a permissive licence.",
    "This is an open-weights research release; see the licence for the terms that apply to commercial use.",
    "Unlike other open-source models of its size, {name} was trained only on permissively licensed data.",
    "The weights are available for research purposes only and may not be used in commercial products.",
    "Ce modèle est entièrement open source et peut être utilisé librement, y compris à des fins commerciales.",
    "Dieses Modell ist ein Open-Source-Modell, das unter der Apache-Lizenz veröffentlicht wurde.",
    "本模型是完全开源的，权重、代码和数据均已公开。",
)


def _sentence(rng: random.Random, lo: int = 8, hi: int = 28) -> str:
    """One sentence of ordinary prose, now and then naming a model, an amount of data or a domain word."""
    if rng.random() < 0.25:  # a word-list sentence: domain terms in an ordinary frame
        words = [rng.choice(_WORDS) for _ in range(rng.randint(max(2, lo // 3), max(3, hi // 3)))]
        text = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {' and '.join(words[:2])}" + (f" of {' '.join(words[2:])}" if words[2:] else "")
    else:
        text = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}{rng.choice(_TAILS)}"
    if rng.random() < 0.15:
        text += f", like {rng.choice(_NAMES)}-{rng.randint(1, 9)}"
    if rng.random() < 0.1:
        text += f" ({rng.randint(1, 900)}{rng.choice(('B', 'M', 'k', 'T'))} tokens)"
    return text + rng.choice((".", ".", ".", "!", "?"))


def _paragraph(rng: random.Random, sentences: tuple[int, int] = (3, 9)) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(*sentences)))


def _link(rng: random.Random, org: str) -> str:
    kind = rng.random()
    if kind < 0.3:
        return f"[{rng.choice(_WORDS)} {rng.choice(_WORDS)}](https://github.com/{org}/{rng.choice(_WORDS)}-{rng.randint(1, 99)})"
    if kind < 0.5:
        return f"[the paper](https://arxiv.org/abs/{rng.randint(2001, 2412)}.{rng.randint(10000, 99999)})"
    if kind < 0.7:
        return f"[{rng.choice(_SOURCES)}](https://huggingface.co/datasets/{org}/{rng.choice(_WORDS)}-{rng.randint(1, 999)})"
    if kind < 0.85:
        return f"https://{rng.choice(_WORDS)}.example.org/{rng.choice(_WORDS)}"
    return f"<a href=\"https://{org}.example.com/{rng.choice(_WORDS)}\">{rng.choice(_WORDS)}</a>"


def _prose(rng: random.Random, org: str) -> str:
    """A long paragraph with links in it."""
    parts = [_sentence(rng) for _ in range(rng.randint(3, 10))]
    for _ in range(rng.randint(0, 3)):
        i = rng.randrange(len(parts))
        parts[i] = parts[i][:-1] + f" (see {_link(rng, org)})."
    return " ".join(parts)


def _score(rng: random.Random) -> str:
    value = f"{rng.uniform(10, 95):.{rng.choice((1, 2))}f}"
    return f"**{value}**" if rng.random() < 0.08 else value


def _eval_table(rng: random.Random, title: str) -> str:
    """A leaderboard: tasks as rows, this model and others as columns (some bold, some linked)."""
    others = rng.sample(_NAMES, k=rng.randint(1, 5))
    columns = [title] + [f"{n}-{rng.choice(('7B', '8B', '3B', '13B'))}" for n in others]
    header = "| Benchmark | " + " | ".join(columns) + " |"
    align = "|" + "|".join(rng.choice(("---", ":---", ":---:", "---:")) for _ in range(len(columns) + 1)) + "|"
    rows = []
    for _ in range(rng.randint(6, 60)):
        task = rng.choice(_TASKS)
        if rng.random() < 0.1:
            task = f"[{task}](https://github.com/EleutherAI/lm-evaluation-harness/tree/main/lm_eval/tasks/{task})"
        elif rng.random() < 0.1:
            task = f"`{task}` ({rng.randint(0, 25)}-shot)"
        rows.append(f"| {task} | " + " | ".join(_score(rng) for _ in columns) + " |")
    return header + "\n" + align + "\n" + "\n".join(rows)


def _mixture_table(rng: random.Random) -> str:
    """A data mixture: sources with token counts and proportions."""
    sources = rng.sample(_SOURCES, k=rng.randint(4, 14))
    shares = [rng.random() for _ in sources]
    total = sum(shares)
    rows = [f"| {s} | {rng.randint(1, 900)}B | {100 * w / total:.1f}% | {rng.choice(('web', 'code', 'academic', 'books', 'math'))} |"
            for s, w in zip(sources, shares)]
    return "| Source | Tokens | Proportion | Domain |\n|---|---:|---:|---|\n" + "\n".join(rows)


def _comparison_table(rng: random.Random, title: str) -> str:
    """Openness of this model and others: ✅ / ❌ marks."""
    columns = ("Open Weights", "Open Source", "Open Data", "Training Code")
    rows = []
    for name in [title] + rng.sample(_NAMES, k=rng.randint(2, 6)):
        rows.append(f"| {name} | " + " | ".join(rng.choice(("✅", "❌", "partial")) for _ in columns) + " |")
    return "| Model | " + " | ".join(columns) + " |\n|---|" + "---|" * len(columns) + "\n" + "\n".join(rows)


def _hyperparameters(rng: random.Random) -> str:
    items = [
        f"- learning_rate: {rng.choice(('1e-05', '2e-05', '5e-05', '0.0002'))}",
        f"- train_batch_size: {rng.choice((4, 8, 16, 32))}",
        f"- seed: {rng.randint(0, 9999)}",
        f"- optimizer: {rng.choice(('AdamW', 'Adam', 'Lion'))} with betas=(0.9,0.999) and epsilon=1e-08",
        f"- lr_scheduler_type: {rng.choice(('cosine', 'linear', 'constant'))}",
        f"- num_epochs: {rng.randint(1, 5)}",
        f"- Framework: {rng.choice(_FRAMEWORKS)} {rng.randint(1, 4)}.{rng.randint(0, 40)}",
    ]
    return "## Training hyperparameters\n\n" + "\n".join(rng.sample(items, k=rng.randint(3, len(items))))


def realistic_card(
    seed: int | str,
    repo_id: str = "org/model",
    front_matter: str | None = None,
    base_model: str | None = None,
    datasets: list[str] | None = None,
    target_bytes: int | None = None,
) -> str:
    """A model card of about 0.2-25 kB (log-uniform), with front matter unless `front_matter` is "".

    `target_bytes` asks for a card of at least that size instead (the same card up to where the
    usual one would stop, then more sections of the same kinds)."""
    rng = random.Random(f"card:{seed}")
    org, title = repo_id.split("/", 1) if "/" in repo_id else ("org", repo_id)
    target = int(10 ** rng.uniform(2.3, 4.4))  # drawn either way: the cards without a target stay as they were
    if target_bytes is not None:
        target = target_bytes
    parts = [f"# {title}"]
    if rng.random() < 0.4:
        badges = " ".join(
            f"[![{label}](https://img.shields.io/badge/{label.replace(' ', '%20')}-{value}-blue)](https://github.com/{org}/{title})"
            for label, value in rng.sample((("license", "Apache--2.0"), ("open source", "yes"), ("paper", "arXiv"),
                                            ("demo", "Space"), ("discord", "join")), k=rng.randint(1, 4))
        )
        parts.append(badges if rng.random() < 0.7 else f"<div align=\"center\">\n<img src=\"logo.png\" alt=\"{title} logo\">\n</div>")
    intro = f"{title} is a {rng.choice(('7B', '1.5B', '13B', '70B'))} {rng.choice(('causal', 'chat', 'instruction-tuned'))} language model"
    intro += f" fine-tuned from [{base_model}](https://huggingface.co/{base_model})." if base_model else f" trained by {org}."
    parts.append(intro + " " + _paragraph(rng))
    if rng.random() < 0.4:
        parts.append(rng.choice(_CLAIMS).format(name=title) + " " + _paragraph(rng, (1, 3)))
    if rng.random() < 0.6:
        used = datasets or rng.sample(_SOURCES, k=rng.randint(1, 4))
        parts.append(
            "## Training Data\n\n"
            + f"The model was trained on {', '.join(used[:-1]) + ' and ' + used[-1] if len(used) > 1 else used[0]}. "
            + _prose(rng, org)
            + ("\n\n" + _mixture_table(rng) if rng.random() < 0.4 else "")
            + ("\n\n" + "\n".join(f"- {s}: {rng.randint(1, 500)}B tokens, {_sentence(rng, 4, 10)}" for s in rng.sample(_SOURCES, k=3))
               if rng.random() < 0.4 else "")
        )
    if rng.random() < 0.5:
        fw = rng.choice(_FRAMEWORKS)
        parts.append(
            "## Training procedure\n\n"
            + rng.choice((
                f"The training code is available at https://github.com/{org}/{title.lower()} under the Apache-2.0 licence.",
                f"We trained with {fw} on {rng.randint(8, 1024)} H100 GPUs; our custom training codebase is not released.",
                f"See `train.py` in this repository for the exact fine-tuning script. Trained using {fw}.",
                f"Fine-tuning used {fw} with LoRA adapters; the recipe will be released soon.",
            ))
            + " " + _prose(rng, org)
        )
        if rng.random() < 0.6:
            parts.append(_hyperparameters(rng))
    if rng.random() < 0.5:
        parts.append(
            "## How to use\n\n```python\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n"
            f"model = AutoModelForCausalLM.from_pretrained(\"{repo_id}\")\ntokenizer = AutoTokenizer.from_pretrained(\"{repo_id}\")\n```"
        )
    size = sum(len(p) for p in parts)
    while size < target:
        roll = rng.random()
        if roll < 0.7:
            part = f"## {rng.choice(('Evaluation', 'Results', 'Benchmarks', 'Open LLM Leaderboard'))}\n\n" + _eval_table(rng, title)
        elif roll < 0.75:
            part = "## Comparison\n\n" + _comparison_table(rng, title)
        elif roll < 0.9:
            part = f"## {rng.choice(('Limitations', 'Intended use', 'Bias, Risks, and Limitations', 'Model details', 'Notes'))}\n\n" + _prose(rng, org)
        elif roll < 0.97:
            part = "\n".join(f"- {_sentence(rng, 3, 14)}" for _ in range(rng.randint(2, 8)))
        else:
            part = (f"## Citation\n\n```bibtex\n@misc{{{org}{rng.randint(2020, 2025)},\n  title={{{title}}},\n"
                    f"  author={{{org} team}},\n  year={{{rng.randint(2020, 2025)}}}\n}}\n```")
        parts.append(part)
        size += len(part)
    body = "\n\n".join(parts) + "\n"
    if front_matter is None:
        front_matter = "license: apache-2.0\nlanguage:\n- en\npipeline_tag: text-generation\n"
    return ("---\n" + front_matter + "---\n\n" if front_matter else "") + body


# --- fuzzing ---------------------------------------------------------------------------------------

_FRAGMENTS = (
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "| a | b |\n|---|---|\n| x \\| y | `c|d` |",
    "a | b\n--- | ---\nc | d",
    "Text right before\n| a | b |\n|---|---|\n| 1 | 2 |",
    "| a | b |\n|---|---|\n| 1 | 2 | 3 |\n| only |",
    "| a |\n|---|\n| 1 |\nnot a row",
    "- item\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |",
    "> | a | b |\n> |---|---|\n> | 1 | 2 |",
    "    | indented | code |\n    |---|---|",
    "```\n| a | b |\n|---|---|\n```",
    "<div>\n| a | b |\n|---|---|\n</div>",
    "<!--\n| a | b |\n|---|---|\n-->",
    "| **bold** | _it_ | [l](https://x.org/a_b) |\n|:-|:-:|-:|\n| ![img](i.png) | <b>x</b> | &amp; |",
    "| a_b | c_d_e | snake_case_name |\n|---|---|---|\n| x_1 | y_2 | z |",
    "|a|b|\n|-|-|\n|1|2|",
    "| a | b |\n| --- | --- |\n\n| c | d |",
    "| a | b |\n|---|---|\n| 1 | 2 |\n- list after",
    "| a | b |\n|---|---|\n| 1 | 2 |\n# heading after",
    "| a | b |\n|---|---|\n| 1 | 2 |\n---",
    "| a | b |\n|---|---|\n| 1 |\t2 |",
    "| a | b |\n|---|---|\n|  | |",
    "| a | b |\n|---|---|\n| 1 | 2 |\n> quote",
    "| a | b |\n|---|---|\n| 1 | 2 |\n    indented",
    "| α | β |\n|---|---|\n| ünï | cödé |",
    "[ref]: https://example.org/ref\n\n| [x][ref] | y |\n|---|---|\n| [ref] | z |",
    "Setext\n===\n\n| a |\n|---|",
    "*emphasis* and **strong** and ***both*** and ~~strike~~",
    "Links: <https://auto.link/x> and [text](https://t.org \"title\") and https://bare.url/path_(x).",
    "1. one\n2. two\n   - nested `code`\n\n3) three",
    "<h2>HTML heading</h2>\n\nafter",
    "Trailing spaces  \nhard break\\\nand more",
    "&copy; &#123; &#x41; &bogus;",
    "***\n___\n- - -",
    "\ttab indented\n\n  two spaces",
    "Open source 開源 オープンソース 오픈 소스 código abierto.",
    "| Model | Open Source |\n|---|---|\n| ThisModel | ✅ |\n| Other | ❌ |",
    "| **a** | ** b** | **c ** | *d* | ***e*** | **f*g** |\n|---|---|---|---|---|---|\n| `h` | ` i ` | `  ` | ``j`` | `k | l` |",
    "| [t](https://x.org/a_b) | [u](javascript:x) | [ ](https://e.org) | [v](<w>) | [x](y \"t\") | [y](HTTPS://Ex.ORG/%7e) |\n|-|-|-|-|-|-|",
    "| **https://bold.url/x** | *[l](https://i.org)* | **a**b | [a](b)c | **(x)** | *ü* | **★** |\n|-|-|-|-|-|-|-|",
)


def fuzzed_card(seed: int | str) -> str:
    """Markdown fragments, realistic prose and random separators stitched into one card."""
    rng = random.Random(f"fuzz:{seed}")
    pieces = []
    for _ in range(rng.randint(2, 14)):
        roll = rng.random()
        if roll < 0.6:
            piece = rng.choice(_FRAGMENTS)
        elif roll < 0.75:
            piece = _eval_table(rng, "ThisModel")
        elif roll < 0.9:
            piece = _prose(rng, "org")
        else:
            piece = f"## {rng.choice(_WORDS).title()} {rng.choice(('Data', 'Training', 'Results'))}"
        if rng.random() < 0.2:  # a random character somewhere inside
            at = rng.randrange(len(piece) + 1)
            piece = piece[:at] + rng.choice("|\\`*_[]<>!&#-\t \n:") + piece[at:]
        pieces.append(piece)
        pieces.append(rng.choice(("\n\n", "\n\n", "\n", "\n\n\n", " \n\n")))
    return "".join(pieces)
