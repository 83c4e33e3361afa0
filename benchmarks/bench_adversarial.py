"""Benchmark: cards built to be expensive, at growing sizes. Does any cost grow faster than the card?

    python benchmarks/bench_adversarial.py [--sizes 32,128] [--case NAME ...] [--passes 2] [--slow]
    python benchmarks/bench_adversarial.py --search 400 --sizes 48 [--seed 1]   # random shapes, costliest kept

bench_card_size.py checks that realistic cards cost the same per kB small and large. A card on the
Hub is untrusted, so this one tries shapes a real card rarely has but anyone can write: one block of
thousands of links, cue words with no full stop, tables of links, reference definitions, emphasis
soup, thousands of headings. Each case is extracted whole (`extract_model`, the production path
without the pool) at each size, fastest of --passes, and the cost ratio between the largest and the
smallest size is printed beside the size ratio: a ratio well above the size ratio is work that grows
faster than the card. The caps (extract/card_blocks.py: 50,000 characters a block, 5,000 links,
50,000 blocks; 512,000 bytes a card) make every case bounded in the end; this shows where the
growth below them is.

Found with it (2026-12-07): every link of a block looked its sentence up through a list of the
block's sentence ends made again for each link (extract/sentences.py `sentence_in`), so one block
of links and sentences cost in proportion to their product. Found by a random search over
repeated fragments (same day): a pattern that ran from every unclosed "<!--" to the end of the
card (extract/markdown_checks.py), and the SLOW_CASES below. Figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_WORDS = (
    "data dataset corpus tokens documents trained on training fine-tuned pre-trained filtered deduplicated quality "
    "classifier toxic pii crawl scraped collected open source open-source open weights license licence apache mit "
    "weights released published available code github repository pytorch deepspeed megatron transformers trl not "
    "never custom proprietary internal sampled mixture proportion percent tokenized normalized the of and with using "
    "for research only non-commercial quantized version of base model merge lora adapter"
).split()


def _cue_words(chars: int, stop_every: int = 0) -> str:
    rng = random.Random(1)
    words: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(_WORDS)
        if stop_every and (len(words) + 1) % stop_every == 0:
            word += "."
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def _repeat(unit: str, chars: int) -> str:
    return unit * max(1, chars // len(unit))


# name -> a card of about n characters
CASES: dict[str, Callable[[int], str]] = {
    "cue words, one sentence": lambda n: "## Training Data\n\n" + _cue_words(n),
    "cue words, short sentences": lambda n: "## Training Data\n\n" + _cue_words(n, 6),
    "links in one block": lambda n: "## Training\n\n" + _repeat("Trained with [code](https://github.com/o/r) on [data](https://huggingface.co/datasets/o/d). ", n),
    "URL sentences in one block": lambda n: "## Training\n\n" + _repeat("Trained with https://github.com/o/r. ", n),
    "bare URLs": lambda n: "## Training\n\n" + _repeat("trained with https://github.com/o/r and https://huggingface.co/datasets/o/d ", n),
    "HTML anchors": lambda n: "## Training\n\n" + _repeat('<a href="https://github.com/o/r">training code</a> and ', n),
    "reference links": lambda n: "# M\n\n" + "".join(f"[code{i}][r{i}] " for i in range(n // 40)) + "\n\n" + "".join(f"[r{i}]: https://github.com/o/r{i}\n" for i in range(n // 40)),
    "source table": lambda n: "## Training Data\n\n| Source | Tokens | Share | Link |\n|---|---|---|---|\n" + "".join(
        f"| dataset{i} trained on filtered web data | {i}B tokens | {i % 90}% | [d{i}](https://huggingface.co/datasets/o/d{i}) |\n" for i in range(n // 100)),
    "table of links": lambda n: "## Training Data\n\n| a | b |\n|---|---|\n" + _repeat("| [x](https://github.com/o/r) trained | [d](https://huggingface.co/datasets/o/d) 1B tokens |\n", n),
    "list items": lambda n: "## Training Data\n\n" + _repeat("- trained on C4 (1.5T tokens, 30%) with PyTorch, filtered\n", n),
    "headings": lambda n: _repeat("## Training Data\n\ntrained on x.\n\n", n),
    "sections with tables": lambda n: _repeat("## Training Data\n\n| Source | Tokens |\n|---|---|\n| C4 | 1B |\n\n", n),
    "quoted lines": lambda n: "## Training Data\n\n" + _repeat("> trained on C4, filtered for quality.\n", n),
    "code spans": lambda n: "## Training\n\n" + _repeat("`train.py` with `deepspeed` ", n),
    "emphasis soup": lambda n: "# M\n\n" + _repeat("*open _source **weights ", n),
    "enumeration": lambda n: "## Training Data\n\nThe model was trained on " + ", ".join(f"Dataset{i}" for i in range(n // 11)) + " datasets.",
    "sizes": lambda n: "## Training Data\n\n" + _repeat("1.5T tokens, 2B documents, 30% of the data, 10 GB ", n),
    "claims": lambda n: "# M\n\n" + _repeat("This fully open-source model has open weights under an open license and open data ", n),
    "one long word": lambda n: "## Training Data\n\n" + "a" * n,
    "unclosed comments": lambda n: _repeat("<!--", n),
}
# Quadratic in markdown-it-py itself (its blockquote rule, once the card is sent there): 24 kB take
# about 7 s, 48 kB 26 s. Only the pool worker's CPU budget (hubscan/extract_guard.py) stops it, so
# it runs only when asked for (--slow), at the sizes given.
SLOW_CASES: dict[str, Callable[[int], str]] = {
    "quote lines under rules": lambda n: _repeat("apache-2.0 \r\n> ---\n[", n),
    # found by --search --seed 4 (2026-12-07): other checks that send a card to markdown-it-py
    # (a table line right after a blockquote; a pipe-less delimiter row), the same blockquote rule
    "quotes before tables": lambda n: _repeat("### Data\n%</td></tr></table>---\n| a | b |\n|---|---|\n| x | y |\n> ", n),
    "quotes, list items and rows": lambda n: _repeat("- \r\n| [d](https://huggingface.co/datasets/o/d) | 1B tokens |\n> ", n),
}


# Fragments the random search (--search) repeats into cards: markup, cue words, links, tables, HTML.
FRAGMENTS = (
    "# ", "## Training Data\n", "### Data\n", "---\n", "\n", "\n\n", "| a | b |\n|---|---|\n| x | y |\n",
    "| [d](https://huggingface.co/datasets/o/d) | 1B tokens |\n", "[", "]", "(", ")", "](https://github.com/a/b)",
    "https://hf.co/x ", "<a href='https://x.org'>", "</a>", "<h2>", "</h2>", "```python\n", "```\n", "> ", "- ", "* ",
    "1. ", "**", "_", "`", "open-source ", "open weights ", "trained on ", "tokens ", "e.g. ", ". ", "é", "\u200b", "\t",
    "&amp;", "<!--", "-->", "\r\n", ": ", "license: [", "*a ", "- - - ", "filtered ", "deduplicated ", "not released ",
    "training code ", "github.com/o/r ", "The data is ", "We used ", "%", "1.5T ", "30% of the data ", "PyTorch ",
    "DeepSpeed ", "fine-tuned from ", "base model ", "[x][1] ", "[1]: https://github.com/o/r\n", "![img](https://x/y.png) ",
    "<details>", "</details>", "<table><tr><td>", "</td></tr></table>", "Dataset", ", ", "and ", "custom ", "apache-2.0 ",
    "llama ", "cc-by-nc ", "quantized version of ", "merge of ", "LoRA adapter for ",
)


def search(seconds: float, seed: int, size: int, keep: int = 8) -> list[tuple[float, str]]:
    """Cards made of one to six random fragments repeated to `size` characters, for `seconds`: the
    `keep` costliest (ms, the repeated unit). Adversarial shapes come from repetition."""
    rng = random.Random(seed)
    worst: list[tuple[float, str]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        unit = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 6)))
        card = (unit * (size // len(unit) + 1))[:size]
        worst = sorted(worst + [(cost_ms(card, 1), unit)], reverse=True)[:keep]
    return worst


def extract_card(card: str) -> object:
    from extract import extract_model
    from extract.types import StoredVersion

    return extract_model(StoredVersion(repo_id="o/m", sha="0" * 40, readme=card.encode("utf-8"), metadata={"tags": []}))


def cost_ms(card: str, passes: int) -> float:
    best = float("inf")
    for _ in range(passes):
        start = time.process_time()
        extract_card(card)
        best = min(best, time.process_time() - start)
    return 1000.0 * best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="32,128", help="card sizes in thousands of characters, comma-separated")
    parser.add_argument("--case", action="append", choices=sorted(CASES) + sorted(SLOW_CASES), help="only these cases (default: all but the slow)")
    parser.add_argument("--slow", action="store_true", help="add the cases that are quadratic in a parser we use (minutes at 128 kB)")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--search", type=float, metavar="SECONDS", help="instead: a random search for costly cards, this long")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = [int(s) * 1000 for s in args.sizes.split(",")]
    extract_card("# warm-up\n\nTrained on C4 with PyTorch.\n")  # policy files and patterns load once
    if args.search:
        for ms, unit in search(args.search, args.seed, sizes[-1]):
            print(f"{ms:>10.1f} ms  {sizes[-1] // 1000} kB of {unit!r}")
        return 0
    growth = sizes[-1] / sizes[0]
    print(f"{'case':<28}" + "".join(f"{s // 1000:>9} kB" for s in sizes) + f"  cost ratio (size ratio {growth:.0f})")
    every = {**CASES, **SLOW_CASES}
    for name in args.case or list(CASES) + (list(SLOW_CASES) if args.slow else []):
        costs = [cost_ms(every[name](size), args.passes) for size in sizes]
        print(f"{name:<28}" + "".join(f"{c:>9.1f} ms" for c in costs) + f"  {costs[-1] / max(costs[0], 1e-9):>6.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
