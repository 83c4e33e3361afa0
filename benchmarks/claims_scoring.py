"""Score the claim reader on the labelled corpus (tests/data/claims_corpus.jsonl).

Each corpus line is one sentence from a real model card (or written from its facts), labelled by a
person: `claim` (an openness claim about that model, asserted now), `kind`, `target`, `modality`,
`lang`, and `split` ("dev": tuned on; "held-out": every fifth line of the first batch, kept out of
the first round of tuning; "held-out-2": a second batch written after tuning). Each sentence is
read as a one-sentence card of the model named by `repo_id`, with the `base_model` tag the Hub lists
when the row names one.

Used by benchmarks/bench_claims.py (prints the tables) and tests/test_claims_corpus.py (floors).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extract.card import parse_card  # noqa: E402
from extract.claims import openness_claims  # noqa: E402
from extract.types import Claim  # noqa: E402
from extract.version_input import VersionInput  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "claims_corpus.jsonl"
KINDS = ("open-source", "fully-open", "open-weights", "open-model", "open-science")
TARGETS = ("self", "data", "code", "tool", "other-model", "community", "licence", "name", "quotation")
MODALITIES = ("asserted", "negated", "future", "conditional")
LANGUAGES = ("en", "zh", "ja", "ko", "fr", "de", "es")

Reader = Callable[[str, str, Sequence[str]], Sequence[Claim]]


@dataclass(frozen=True)
class Prediction:
    claim: bool
    kind: str | None
    target: str | None
    modality: str | None


def load(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_sentence(text: str, repo_id: str, tags: Sequence[str] = ()) -> Sequence[Claim]:
    return openness_claims(VersionInput(card=parse_card(text.encode("utf-8")), repo_id=repo_id, tags=list(tags))).claims


def tags_of(row: dict) -> list[str]:
    """The tags the Hub would list for the row's model: its base model, when the card declares one."""
    return [f"base_model:{row['base_model']}"] if row.get("base_model") else []


def predict(row: dict, reader: Reader = read_sentence) -> Prediction:
    claims = [c for c in reader(row["text"], row["repo_id"], tags_of(row)) if c.source != "name"]
    own = [c for c in claims if c.about_self]
    chosen = own[0] if own else (claims[0] if claims else None)
    if chosen is None:
        return Prediction(False, None, None, None)
    return Prediction(bool(own), chosen.kind, getattr(chosen, "target", "self"), getattr(chosen, "modality", "asserted"))


@dataclass(frozen=True)
class Score:
    tp: int
    predicted: int
    gold: int

    @property
    def precision(self) -> float | None:
        return self.tp / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.gold if self.gold else None


def claim_score(pairs: Iterable[tuple[dict, Prediction]], kind: str | None = None) -> Score:
    """Claim detection; with `kind`, a hit needs the kind right too."""
    tp = predicted = gold = 0
    for row, p in pairs:
        g = row["claim"] and (kind is None or row["kind"] == kind)
        q = p.claim and (kind is None or p.kind == kind)
        gold += g
        predicted += q
        tp += g and q
    return Score(tp, predicted, gold)


def label_score(pairs: Iterable[tuple[dict, Prediction]], field: str, value: str) -> Score:
    """Target or modality of the phrase, on sentences that have an openness phrase (gold kind set)."""
    tp = predicted = gold = 0
    for row, p in pairs:
        if row["kind"] is None:
            continue
        g = row[field] == value
        q = getattr(p, field) == value
        gold += g
        predicted += q
        tp += g and q
    return Score(tp, predicted, gold)


def evaluate(rows: Sequence[dict], reader: Reader = read_sentence) -> dict[str, list[tuple[dict, Prediction]]]:
    """Predictions grouped by split ("all", "dev", "held-out", "held-out-2")."""
    out: dict[str, list[tuple[dict, Prediction]]] = defaultdict(list)
    for row in rows:
        pair = (row, predict(row, reader))
        out["all"].append(pair)
        out[row.get("split", "dev")].append(pair)
    return out
