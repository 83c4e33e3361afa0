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
    confidence = ex.get("confidence")
    if confidence:
        lines.append(f"  confidence: {confidence['level']} ({confidence['score']:.2f})")
        for why in confidence.get("why") or ():
            lines.extend(textwrap.wrap(why, width=110, initial_indent="    - ", subsequent_indent="      "))
    lines.append("  gates:")
    for gate in ex["gates"]:
        mark = "PASS" if gate["passed"] else "FAIL"
        lines.append(f"    [{mark}] {gate['name']:<22} {gate['rule']:<3} {gate['reason']}")
        if gate["evidence"]:
            lines.append(f"           evidence: {', '.join(gate['evidence'])}")
    for note in ex.get("notes") or ():
        lines.append(f"  note: {note}")
    lines.extend(_problem_lines(ev))
    lic = ev["licence"]
    lines.append(f"  licence: {lic.get('name') or lic.get('hub_id')} [{lic['family']}] raw={list(lic['raw'])}")
    if lic.get("conflict"):
        lines.append(f"  licence conflict: {lic['conflict']}")
    lines.extend(_code_lines(ev))
    lines.extend(_data_lines(ev))
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


MAX_PROBLEMS_SHOWN = 5  # a version rarely has more; the problems table keeps them all


def _problem_lines(ev: dict[str, Any]) -> list[str]:
    """What could not be read of this version (a front matter that does not parse, a card past its
    budget ...): a reviewer sees why evidence is missing before reading the gates' reasons. Messages
    can quote the card, so control characters are shown as "?" rather than sent to the terminal."""
    problems = ev.get("problems") or ()
    if not problems:
        return []
    lines = ["  reading problems:"]
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        message = "".join(ch if ch.isprintable() else "?" for ch in " ".join(str(p.get("message", "")).split()))
        lines.extend(textwrap.wrap(f"{p.get('code')}: {message}", width=110, initial_indent="    - ", subsequent_indent="      "))
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"    ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (hubscan query \"SELECT * FROM problems\")")
    return lines


def _code_lines(ev: dict[str, Any]) -> list[str]:
    """Code licences, and the GitHub repositories the card links with what their check showed."""
    lines: list[str] = []
    inference, training = ev["inference_code"], ev["training_code"]
    if inference.get("present") or training.get("released"):
        parts = []
        if inference.get("present"):
            parts.append(f"inference {inference.get('licence') or 'unknown'}" + (f" ({inference['repo']})" if inference.get("repo") else ""))
        if training.get("released"):
            basis = {"repo-tree": "by its tree", "model-repo": "files in the model repository", "card": "the card's wording alone"}.get(training.get("basis") or "", "")
            where = ", ".join(x for x in (training.get("repo"), basis) if x)
            parts.append(f"training {training.get('licence') or 'unknown'}" + (f" ({where})" if where else ""))
        lines.append("  code licences: " + "; ".join(parts))
    for ref in ev.get("code_repos") or ():
        if ref["role"] not in ("training", "repository", "inference"):
            continue
        lines.append(f"  github {ref['name']} ({ref['role']}): {_repo_state(ref)}")
    return lines


def _repo_state(ref: dict[str, Any]) -> str:
    status = ref["status"]
    if status == "unchecked":
        return "GitHub not checked (no network/token) - card-only evidence"
    if status in ("error", "rate-limited"):
        return f"GitHub check failed ({status}) - card-only evidence"
    if status == "missing":
        return "not found on GitHub (404)"
    if status == "blocked":
        return "blocked on GitHub (451)"
    if status == "not-needed":
        return "not checked: the label cannot rise above Open Weights"
    if status == "not-fetched":
        return "not checked (the card links more repositories than are checked)"
    name = ref.get("full_name") or ref["name"]
    bits = [f"{name}" + (" (renamed)" if status == "renamed" else ""), f"licence {ref.get('licence')}" + ("" if ref.get("licence_open") else " (not open)")]
    if ref.get("archived"):
        bits.append("archived")
    if ref.get("training_code"):
        bits.append("training code: " + ", ".join(ref.get("training_paths") or ())[:120])
    elif ref.get("training_code") is False:
        bits.append("no training code in its tree")
    else:
        bits.append("tree truncated: training code unknown")
    return "; ".join(bits)


def _data_lines(ev: dict[str, Any]) -> list[str]:
    """The data-information score, kind by kind, with the document that supplied each."""
    info = ev["data_information"]
    points = info.get("points") or ()
    if not points:
        return []
    by_source: dict[str, list[str]] = {}
    shared: list[str] = []
    for point in points:
        if "; " in point["source"]:  # sources named across documents: "model card (8); dataset card X (15)"
            shared.append(f"    {point['signal']} {point['points']} from {point['source']}")
            continue
        by_source.setdefault(point["source"], []).append(f"{point['signal']} {point['points']}")
    head = f"  data information {info['score']}/100 ({'sufficient' if info['sufficient'] else 'insufficient'}), from:"
    return [head, *shared] + [f"    {source}: {', '.join(items)}" for source, items in by_source.items()]
