"""Benchmark: how well the claim reader reads the labelled corpus, and that it stays linear.

    python benchmarks/bench_claims.py [--split all|dev|held-out] [--errors N] [--no-timing]

Prints precision and recall of claim detection (overall, per kind, per language), and of the
target and modality of each phrase, for the whole corpus and each part of it: "dev" (the phrase
lists were tuned on it), "held-out" (every fifth line of the first batch: not looked at during the
first round of tuning, looked at once after it) and "held-out-2" (a second batch written after
tuning, read by the reader only for the final figures); then the time the reader takes per kB on
cards of 1, 10, 100 and 1000 kB (not a test: performance claims live here).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from claims_scoring import KINDS, LANGUAGES, MODALITIES, TARGETS, Score, claim_score, evaluate, label_score, load  # noqa: E402

from extract.card import parse_card  # noqa: E402
from extract.claims import read_claims  # noqa: E402


def fmt(score: Score) -> str:
    p = "  -  " if score.precision is None else f"{100 * score.precision:5.1f}"
    r = "  -  " if score.recall is None else f"{100 * score.recall:5.1f}"
    return f"P {p}  R {r}  (tp {score.tp}, predicted {score.predicted}, gold {score.gold})"


def report(name: str, pairs) -> None:
    print(f"\n== {name}: {len(pairs)} sentences")
    print(f"  {'claims, overall':<28} {fmt(claim_score(pairs))}")
    for kind in KINDS:
        print(f"  {'kind ' + kind:<28} {fmt(claim_score(pairs, kind))}")
    for lang in LANGUAGES:
        sub = [(r, p) for r, p in pairs if r["lang"] == lang]
        print(f"  {'language ' + lang:<28} {fmt(claim_score(sub))}")
    for target in TARGETS:
        print(f"  {'target ' + target:<28} {fmt(label_score(pairs, 'target', target))}")
    for modality in MODALITIES:
        print(f"  {'modality ' + modality:<28} {fmt(label_score(pairs, 'modality', modality))}")


def errors(pairs, limit: int) -> None:
    wrong = [(r, p) for r, p in pairs if r["claim"] != p.claim]
    print(f"\n== {len(wrong)} claim errors (first {limit})")
    for r, p in wrong[:limit]:
        tag = "missed" if r["claim"] else "false claim"
        print(f"  [{r['id']}] {tag} ({r['lang']}, gold {r['kind']}/{r['target']}/{r['modality']}, read {p.kind}/{p.target}/{p.modality}): {r['text'][:140]}")


def timing(rows) -> None:
    print("\n== linear time: the reader on cards of growing size (parse excluded)")
    rng = random.Random(7)
    sentences = [r["text"] for r in rows]
    for kb in (1, 10, 100, 1000):
        parts, size = [], 0
        while size < kb * 1024:
            s = rng.choice(sentences)
            parts.append(s)
            size += len(s.encode()) + 2
        card = parse_card("\n\n".join(parts).encode(), max_bytes=4_000_000)
        start = time.perf_counter()
        _, work = read_claims(card, "org/some-model-7b", [])
        took = time.perf_counter() - start
        print(f"  {kb:>5} kB: {1000 * took:8.1f} ms, {1000 * took / kb:6.3f} ms/kB, {work.chars} chars read, {work.judged} phrases judged")
    one_line = ("open source " * 90_000).encode()
    card = parse_card(one_line, max_bytes=4_000_000)
    start = time.perf_counter()
    _, work = read_claims(card, "org/m", [])
    print(f"  1 MB one-line card of phrases: {1000 * (time.perf_counter() - start):.1f} ms, {work.judged} phrases judged (capped)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=("all", "dev", "held-out", "held-out-2"), default=None, help="report only this part")
    ap.add_argument("--errors", type=int, default=0, help="list this many misread sentences (of --split, default dev)")
    ap.add_argument("--no-timing", action="store_true")
    args = ap.parse_args()
    rows = load()
    parts = evaluate(rows)
    for name in ([args.split] if args.split else ["all", "dev", "held-out", "held-out-2"]):
        report(name, parts[name])
    if args.errors:
        errors(parts[args.split or "dev"], args.errors)
    if not args.no_timing:
        timing(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
