"""docs/washing-codes.md, written from policy/washing.yaml (the one glossary of open-washing codes).

    python -m classify.washing_glossary > docs/washing-codes.md

tests/test_washing_glossary.py fails when the doc and the YAML disagree.
"""

from __future__ import annotations

from .washing import glossary

_KIND_WORDS = {
    "open-source": "open source",
    "fully-open": "fully open",
    "open-weights": "open weights",
    "open-model": "open model",
    "open-science": "open science",
}


def markdown() -> str:
    lines = [
        "# Open-washing codes",
        "",
        "<!-- Generated from policy/washing.yaml by `python -m classify.washing_glossary`; do not edit by hand. -->",
        "",
        "A model is flagged for open-washing when it claims more openness than its label gives it. Each flag",
        "names one of these codes; the weekly report shows the same table, and `hubscan explain MODEL` prints",
        "the flag with the claim it quotes. How claims are read: [claims.md](claims.md).",
        "",
        "| code | what it means | claims it reads | labels it fires on | fires when | what to do |",
        "|---|---|---|---|---|---|",
    ]
    for c in glossary():
        kinds = ", ".join(f"“{_KIND_WORDS.get(k, k)}”" for k in c["claim_kinds"]) or "–"
        labels = ", ".join(c.get("labels") or ()) or "–"
        lines.append(f"| `{c['code']}` | {c['title']} | {kinds} | {labels} | {_cell(c['rule'])} | {_cell(c['reader_should'])} |")
    lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


if __name__ == "__main__":
    print(markdown(), end="")
