"""Weekly changes to a replay hub: the demo's history (data/demo_history.json).

A history is a list of weeks, each with a date and the changes to apply before that week's crawl.
Changes are cumulative and bounded to three operations:

- `add`: a new repo, given as in a fixture (`HubState.add_repo`);
- `readme`: a new README for a repo; its `cardData` and `tags` follow the front matter, as the Hub
  derives them from the card;
- `downloads`: new download counts (no new commit, as on the Hub).

`expect` maps repo ids to the [label, flagged] a crawl of that week must produce: the story's
facts, checked by the tests, never read by the product.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Mapping

from .state import HubState, card_data_from_readme, tags_from_card

DEMO_HISTORY = Path(__file__).with_name("data") / "demo_history.json"
MAX_WEEKS = 104  # two years of weekly crawls: a bound on what a history file can ask for


@dataclass(frozen=True)
class Week:
    date: date
    what: str
    changes: tuple[Mapping[str, Any], ...]
    expect: Mapping[str, tuple[str, bool]] = field(default_factory=dict)

    @property
    def iso_week(self) -> str:
        year, week, _ = self.date.isocalendar()
        return f"{year}-W{week:02d}"


def load_history(path: str | Path = DEMO_HISTORY) -> tuple[Week, ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    weeks = data.get("weeks") if isinstance(data, dict) else None
    if not isinstance(weeks, list) or not weeks or len(weeks) > MAX_WEEKS:
        raise ValueError(f"{path}: expected 1 to {MAX_WEEKS} weeks under 'weeks'")
    out = []
    for item in weeks:
        expect = {repo: (label, bool(flagged)) for repo, (label, flagged) in (item.get("expect") or {}).items()}
        out.append(Week(date.fromisoformat(item["date"]), item.get("what", ""), tuple(item.get("changes") or ()), expect))
    if [w.date for w in out] != sorted({w.date for w in out}):
        raise ValueError(f"{path}: weeks must have distinct dates in increasing order")
    return tuple(out)


def apply_week(state: HubState, week: Week) -> None:
    """Apply one week's changes to the hub, in order."""
    for change in week.changes:
        (op,) = change.keys()
        value = change[op]
        if op == "add":
            state.add_repo(value)
        elif op == "readme":
            set_readme(state, value["repo"], value["text"])
        elif op == "downloads":
            for repo_id, downloads in value.items():
                state.update(repo_id, downloads=int(downloads))
        else:
            raise ValueError(f"unknown change {op!r} in the week of {week.date}")


def set_readme(state: HubState, repo_id: str, text: str) -> None:
    """A new card, with the metadata the Hub derives from its front matter."""
    snap = state.get(repo_id)
    if snap is None:
        raise KeyError(f"no model {repo_id} to change")
    card = card_data_from_readme(text) or {}
    state.update(repo_id, cardData=card or None, tags=tags_from_card(card, snap.fields))
    state.set_file(repo_id, "README.md", text)
