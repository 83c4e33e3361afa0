"""Render a model's label and its reasons for a terminal."""

from __future__ import annotations

import textwrap
from typing import Any, Sequence


def render_explanation(record: dict[str, Any], events: Sequence[tuple[Any, str, str, str]] = (), review: Any = None) -> str:
    """The label, its gates and evidence; `events` (run, label, rule, rule set) show relabels of this sha;
    `review` (store.reviews.ReviewState) the model's newest review, when it has one."""
    ex = record["_explanation"]
    ev = record["_evidence"]
    lines = [f"{record['repo_id']} @ {str(record['sha'])[:12]}"]
    rules = f"rule {ex['rule']}, rule set {ex['rule_version']}, extractor v{ev['extractor_version']}"
    if record.get("reviewed_by"):
        lines.append(f"  label: {record['label']}   (published from a review by {record['reviewed_by']}, {record['reviewed_at']})")
        lines.append(f"  rules' label: {record['computed_label']}   ({rules})")
        lines.extend(textwrap.wrap(" ".join(str(record["review_reason"]).split()), width=110, initial_indent="  review reason: ", subsequent_indent="    "))
        if review is not None and review.review.evidence_url:
            lines.append(f"  review evidence: {review.review.evidence_url}")
    else:
        lines.append(f"  label: {record['label']}   ({rules})")
        if review is not None and review.state == "stale":
            old = review.review
            lines.extend(textwrap.wrap(
                f"stale review: {old.reviewed_by} labelled sha {old.sha[:12]} {old.label} on {old.reviewed_at} "
                f"({' '.join(str(old.reason).split())}); the model has changed since, so the rules' label is published",
                width=110, initial_indent="  ", subsequent_indent="    ",
            ))
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
