"""Render a model's label and its reasons for a terminal."""

from __future__ import annotations

import textwrap
from typing import Any, Sequence


def render_explanation(record: dict[str, Any], events: Sequence[tuple[Any, str, str, str]] = ()) -> str:
    """The label, its gates and evidence; `events` (run, label, rule, rule set) show relabels of this sha."""
    ex = record["_explanation"]
    ev = record["_evidence"]
    lines = [
        f"{record['repo_id']} @ {str(record['sha'])[:12]}",
        f"  label: {record['label']}   (rule {ex['rule']}, rule set {ex['rule_version']}, extractor v{ev['extractor_version']})",
    ]
    if record.get("open_basis"):
        lines.append(f"  open basis: {record['open_basis']}")
    lines.append("  gates:")
    for gate in ex["gates"]:
        mark = "PASS" if gate["passed"] else "FAIL"
        lines.append(f"    [{mark}] {gate['name']:<22} {gate['rule']:<3} {gate['reason']}")
        if gate["evidence"]:
            lines.append(f"           evidence: {', '.join(gate['evidence'])}")
    for note in ex.get("notes") or ():
        lines.append(f"  note: {note}")
    lic = ev["licence"]
    lines.append(f"  licence: {lic.get('name') or lic.get('hub_id')} [{lic['family']}] raw={list(lic['raw'])}")
    if lic.get("conflict"):
        lines.append(f"  licence conflict: {lic['conflict']}")
    if record["base_model"]:
        lines.append(f"  base model: {', '.join(record['base_model'])}")
    if record["datasets"]:
        lines.append(f"  datasets: {', '.join(record['datasets'][:8])}{' ...' if len(record['datasets']) > 8 else ''} (all open: {record['datasets_open']})")
    if len(events) > 1:  # the same sha was labelled differently before: its base, a dataset or the rules moved
        steps = [f"run {run}: {label} ({rule}, {rules})" for run, label, rule, rules in events]
        lines.extend(textwrap.wrap("  labels of this version: " + " -> ".join(steps), width=110, subsequent_indent="    "))
    own = [c for c in (ev.get("claims") or {}).get("claims", []) if c.get("about_self")]
    if own:
        lines.append(f"  openness claims about itself: {len(own)}")
        for c in own[:5]:
            how = f"{c.get('source', 'card')}, {c.get('rule') or 'v1 reader'}, confidence {c.get('confidence', 1.0):.2f}"
            lines.extend(textwrap.wrap(f"{c['kind']} ({how}): \"{c.get('sentence', '')}\"", width=110,
                                       initial_indent="    - ", subsequent_indent="      "))
    if record["open_washing"]:
        from classify.washing import WashingReason, glossary

        titles = {g["code"]: g["title"] for g in glossary()}
        lines.append("  OPEN-WASHING:")
        for stored in record.get("_washing_reasons", record["washing_reasons"]):
            reason = WashingReason.from_stored(stored)
            lines.extend(textwrap.wrap(str(reason), width=110, initial_indent="    - ", subsequent_indent="      "))
            if reason.code in titles:
                lines.append(f"      {reason.code} = {titles[reason.code]} (rule: docs/washing-codes.md)")
    return "\n".join(lines)
