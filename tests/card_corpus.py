"""Model cards for tests that compare a shortcut with the path it replaces: generated and fuzzed
cards (benchmarks/cards.py), the dev hub's real cards (../shared, beside the repository) and the
judged set's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_HUB = ROOT.parent / "shared" / "fixtures" / "dev_hub.json"


def corpus_cards(realistic: int, fuzzed: int) -> list[str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from cards import fuzzed_card, realistic_card

    cards = [realistic_card(i, f"org/model-{i}", None if i % 5 else "") for i in range(realistic)]
    cards += [fuzzed_card(i) for i in range(fuzzed)]
    hubs = [DEV_HUB] if DEV_HUB.exists() else []
    hubs += sorted((ROOT / "benchmarks" / "judged").glob("*/hub.json"))
    for hub in hubs:
        for model in json.loads(hub.read_text(encoding="utf-8")).get("models", []):
            readme = model.get("files", {}).get("README.md")
            if isinstance(readme, str):
                cards.append(readme)
    return cards
