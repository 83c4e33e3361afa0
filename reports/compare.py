"""hubscan's labels beside an outside judge's: agreement, confusion matrix, disagreements.

A judge file names Hub repositories and what the judge says about each: a G7 label, a list of
acceptable labels, or a verdict of a scheme in policy/crosswalk.yaml (Model Openness Tool classes,
European Open Source AI Index levels, OSI validation verdicts). hubscan agrees with the judge when
its label is one of the acceptable labels. Models the database does not hold are listed apart, not
counted as disagreements.

    judgements = read_judge_file(Path("judge.csv"))      # JudgeFileError: one line saying what is wrong
    with engine.connect() as conn:
        result = compare_with_judge(conn, judgements)
    print(format_table(result))
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, and_, func, select

from classify.rules import LABELS
from store import schema as s
from store.reviews import has_reviews, published_reviews
from store.textfiles import read_bounded_text

from .crosswalk import CrosswalkError, resolve
from .render import csv_cell

MAX_FILE_BYTES = 50_000_000
MAX_JUDGEMENTS = 200_000
CHUNK = 500
COLUMNS = tuple(reversed(LABELS))  # most open first, as in the reports
SHORT = {"Open Source and Open Data": "OSOD", "Open Source": "OS", "Open Weights": "OW", "Weights Available": "WA", "No Weights": "NW"}
CSV_KEYS = ("repo_id", "label", "expected", "judge", "source", "reason", "judge_label")


class JudgeFileError(ValueError):
    """The judge file cannot be read or a row makes no sense: printed as one line, exit 2."""


@dataclass(frozen=True)
class Judgement:
    repo_id: str
    expected: tuple[str, ...]  # acceptable G7 labels, least open first
    judge_label: str  # what the judge said, as written
    judge: str | None = None
    source: str | None = None
    reason: str | None = None
    crosswalk: str | None = None  # e.g. "mot/class-ii", when the verdict went through the crosswalk
    rationale: str | None = None  # the crosswalk's reason for `expected`
    row: int = 0

    @property
    def expected_text(self) -> str:
        return " | ".join(self.expected)


# --- reading the judge's file -------------------------------------------------------------


def read_judge_file(path: Path) -> list[Judgement]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise JudgeFileError(f"{path.name}: a judge file is .csv (repo_id,label[,judge,source,reason]) or .json (a list of objects with repo_id and label or expected)")
    text = read_bounded_text(path, MAX_FILE_BYTES, JudgeFileError)
    rows = _csv_rows(path.name, text) if suffix == ".csv" else _json_rows(path.name, text)
    judgements: list[Judgement] = []
    seen: dict[tuple[str, str], int] = {}
    unit = "rows" if suffix == ".csv" else "items"
    for number, row in rows:
        judgement = _judgement(path.name, number, row)
        # one verdict per model and judge; several judges may judge the same model (each pair is compared)
        key = (judgement.repo_id.lower(), (judgement.judge or "").casefold())
        if key in seen:
            by = f" by {judgement.judge}" if judgement.judge else ""
            raise JudgeFileError(f"{path.name}: {judgement.repo_id} is judged twice{by} ({unit} {seen[key]} and {number})")
        seen[key] = number
        judgements.append(judgement)
    if not judgements:
        raise JudgeFileError(f"{path.name}: no judgements in the file")
    return judgements


def _csv_rows(name: str, text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if "repo_id" not in header or not ({"label", "expected"} & set(header)):
        raise JudgeFileError(f"{name}: the CSV header must name repo_id and label (optionally judge, source, reason); it has {', '.join(header) or 'nothing'}")
    reader.fieldnames = header
    rows = []
    for number, row in enumerate(reader, 2):  # row 1 is the header
        if len(rows) >= MAX_JUDGEMENTS:
            raise JudgeFileError(f"{name}: more than {MAX_JUDGEMENTS} judgements")
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue  # a blank line
        rows.append((number, {k: v for k, v in row.items() if k in CSV_KEYS}))
    return rows


def _json_rows(name: str, text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JudgeFileError(f"{name}: not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if isinstance(data, dict) and isinstance(data.get("judgements"), list):
        data = data["judgements"]
    if not isinstance(data, list):
        raise JudgeFileError(f"{name}: expected a list of objects with repo_id and label or expected")
    if len(data) > MAX_JUDGEMENTS:
        raise JudgeFileError(f"{name}: more than {MAX_JUDGEMENTS} judgements")
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise JudgeFileError(f"{name}: item {number} is not an object")
    return list(enumerate(data, 1))


def _text(value: Any, limit: int = 2000) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:limit] or None


def _judgement(name: str, number: int, row: dict[str, Any]) -> Judgement:
    where = f"{name}: {'row' if name.lower().endswith('.csv') else 'item'} {number}"
    repo_id = _text(row.get("repo_id"), 256)
    if not repo_id or repo_id.count("/") > 1 or any(c.isspace() for c in repo_id):
        raise JudgeFileError(f"{where}: repo_id {row.get('repo_id')!r} is not a Hub model id (org/name)")
    judge = _text(row.get("judge"), 200)
    expected = row.get("expected")
    label = row.get("label")
    try:
        if expected not in (None, "", []):
            items = expected if isinstance(expected, list) else [expected]
            if not items or not all(isinstance(x, str) for x in items):
                raise CrosswalkError("expected must be a label or a list of labels")
            resolutions = [resolve(x, judge) for x in items]
            labels = tuple(sorted({lab for r in resolutions for lab in r.labels}, key=LABELS.index))
            crosswalked = [r for r in resolutions if r.scheme]
            said = _text(row.get("judge_label")) or _text(label) or " | ".join(items)
            return Judgement(
                repo_id, labels, said, judge, _text(row.get("source"), 500), _text(row.get("reason")),
                "; ".join(f"{r.scheme}/{r.verdict}" for r in crosswalked) or None,
                " ".join(r.rationale for r in crosswalked if r.rationale) or None, number,
            )
        if label in (None, ""):
            raise CrosswalkError("it has neither label nor expected")
        if not isinstance(label, str):
            raise CrosswalkError("label must be text")
        resolution = resolve(label, judge)
    except CrosswalkError as exc:
        raise JudgeFileError(f"{where} ({repo_id}): {exc}") from exc
    return Judgement(
        repo_id, resolution.labels, _text(label) or "", judge, _text(row.get("source"), 500), _text(row.get("reason")),
        f"{resolution.scheme}/{resolution.verdict}" if resolution.scheme else None, resolution.rationale, number,
    )


# --- hubscan's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class HubscanView:
    repo_id: str
    label: str  # published (review applied) or the rules', as asked
    computed_label: str
    rule: str
    reasons: tuple[str, ...]  # the failed gates (or the deciding gate) with their reasons
    reviewed_by: str | None = None
    review_reason: str | None = None


def _reasons(explanation: dict[str, Any] | None, rule: str) -> tuple[str, ...]:
    gates = (explanation or {}).get("gates") or []
    failed = [g for g in gates if not g.get("passed")]
    chosen = failed or [g for g in gates if g.get("rule") == rule] or gates[-1:]
    return tuple(f"{g.get('name')} gate ({g.get('rule')}): {' '.join(str(g.get('reason') or '').split())[:400]}" for g in chosen)


def hubscan_views(conn: Connection, repo_ids: Sequence[str], use_rules: bool = False) -> dict[str, HubscanView]:
    """hubscan's label for each id the database holds (matched case-insensitively), keyed by the lower-cased id."""
    m, lab = s.models, s.labels
    use_rules = use_rules or not has_reviews(conn)  # an older database, opened read-only, has no reviews yet
    rv = published_reviews()
    out: dict[str, HubscanView] = {}
    keys = sorted({r.lower() for r in repo_ids})
    for start in range(0, len(keys), CHUNK):
        part = keys[start : start + CHUNK]
        columns = [m.c.repo_id, lab.c.label, lab.c.rule, lab.c.explanation]
        joined = m.join(lab, lab.c.version_id == m.c.current_version_id)
        if not use_rules:
            columns += [rv.c.label.label("review_label"), rv.c.reviewed_by, rv.c.reason.label("review_reason")]
            joined = joined.outerjoin(rv, and_(rv.c.repo_id == m.c.repo_id, rv.c.sha == m.c.sha))
        rows = conn.execute(select(*columns).select_from(joined).where(func.lower(m.c.repo_id).in_(part)).order_by(m.c.repo_id)).all()
        for r in rows:
            key = r.repo_id.lower()
            if key in out and out[key].repo_id in repo_ids:
                continue  # two stored ids differing only in case: keep the one the judge spelled
            review_label = None if use_rules else r.review_label
            out[key] = HubscanView(
                r.repo_id, review_label or r.label, r.label, r.rule, _reasons(r.explanation, r.rule),
                r.reviewed_by if review_label else None, r.review_reason if review_label else None,
            )
    return out


# --- the comparison -----------------------------------------------------------------------


@dataclass(frozen=True)
class Compared:
    judgement: Judgement
    hubscan: HubscanView | None

    @property
    def agrees(self) -> bool | None:
        return None if self.hubscan is None else self.hubscan.label in self.judgement.expected


@dataclass(frozen=True)
class CompareResult:
    items: tuple[Compared, ...]
    use_rules: bool = False
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # judge's expected -> hubscan label -> models

    @property
    def compared(self) -> tuple[Compared, ...]:
        return tuple(c for c in self.items if c.hubscan is not None)

    @property
    def agreed(self) -> int:
        return sum(1 for c in self.compared if c.agrees)

    @property
    def share(self) -> float | None:
        return 100.0 * self.agreed / len(self.compared) if self.compared else None

    @property
    def disagreements(self) -> tuple[Compared, ...]:
        return tuple(c for c in self.compared if not c.agrees)

    @property
    def absent(self) -> tuple[Compared, ...]:
        return tuple(c for c in self.items if c.hubscan is None)

    def agreement_line(self) -> str:
        if not self.compared:
            return f"agreement: 0/0 (none of the {len(self.items)} judged models is in the database)"
        return f"agreement: {self.agreed}/{len(self.compared)} ({self.share:.1f}%)"


def compare_with_judge(conn: Connection, judgements: Sequence[Judgement], use_rules: bool = False) -> CompareResult:
    views = hubscan_views(conn, [j.repo_id for j in judgements], use_rules)
    items = tuple(Compared(j, views.get(j.repo_id.lower())) for j in judgements)
    confusion: dict[str, dict[str, int]] = {}
    for c in items:
        if c.hubscan is not None:
            row = confusion.setdefault(c.judgement.expected_text, {label: 0 for label in COLUMNS})
            row[c.hubscan.label] = row.get(c.hubscan.label, 0) + 1
    # rows most open first: "Open Source and Open Data", then "Open Source | Open Source and Open Data", ...
    order = sorted(confusion, key=lambda key: sorted(-LABELS.index(x) for x in key.split(" | ")))
    return CompareResult(items, use_rules, {key: confusion[key] for key in order})


# --- output -------------------------------------------------------------------------------


def _judge_said(j: Judgement) -> str:
    """"Open Weights  (Model Openness Tool: Class III - Open Model; crosswalk mot/class-iii)"."""
    said = ": ".join(x for x in (j.judge, j.judge_label if j.judge_label != j.expected_text else None) if x)
    notes = "; ".join(x for x in (said, f"crosswalk {j.crosswalk}" if j.crosswalk else None) if x)
    return j.expected_text + (f"  ({notes})" if notes else "")


def format_table(result: CompareResult) -> str:
    lines = [result.agreement_line()]
    which = "the rules' labels" if result.use_rules else "published labels (reviews applied; --rules for the rules' own)"
    lines.append(f"judged models: {len(result.items)}; in the database: {len(result.compared)}; not in the database: {len(result.absent)}; hubscan side: {which}")
    if result.confusion:
        lines += ["", "confusion matrix (rows: the judge's acceptable labels; columns: hubscan's label)"]
        corner = "judge \\ hubscan"
        width = max(len(corner), *(len(k) for k in result.confusion))
        lines.append(f"{corner:<{width}}  " + "  ".join(f"{SHORT[c]:>4}" for c in COLUMNS) + "  total")
        for key, counts in result.confusion.items():
            lines.append(f"{key:<{width}}  " + "  ".join(f"{counts.get(c, 0):>4}" for c in COLUMNS) + f"  {sum(counts.values()):>5}")
        lines.append("  (" + ", ".join(f"{SHORT[c]} = {c}" for c in COLUMNS) + ")")
    if result.disagreements:
        lines += ["", f"disagreements ({len(result.disagreements)}):"]
        for c in result.disagreements:
            j, h = c.judgement, c.hubscan
            lines.append(f"- {h.repo_id}" + (f"  (judged as {j.repo_id})" if h.repo_id != j.repo_id else ""))
            lines.append(f"    judge:   {_judge_said(j)}")
            if j.source:
                lines.append(f"             source: {j.source}")
            if j.reason:
                lines.append(f"             reason: {j.reason[:300]}")
            review = f" (from a review by {h.reviewed_by}; the rules say {h.computed_label})" if h.reviewed_by else ""
            lines.append(f"    hubscan: {h.label}, rule {h.rule}{review}")
            lines.extend(f"             {reason}" for reason in h.reasons)
    if result.absent:
        lines += ["", f"not in the database ({len(result.absent)}; not counted): " + ", ".join(c.judgement.repo_id for c in result.absent)]
    return "\n".join(lines) + "\n"


def _row(c: Compared) -> dict[str, Any]:
    j, h = c.judgement, c.hubscan
    return {
        "repo_id": h.repo_id if h else j.repo_id,  # as stored (the Hub matches ids case-insensitively)
        "judged_as": j.repo_id,
        "in_database": h is not None,
        "agrees": c.agrees,
        "judge": j.judge,
        "judge_label": j.judge_label,
        "expected": list(j.expected),
        "crosswalk": j.crosswalk,
        "crosswalk_rationale": j.rationale,
        "hubscan_label": h.label if h else None,
        "computed_label": h.computed_label if h else None,
        "reviewed_by": h.reviewed_by if h else None,
        "rule": h.rule if h else None,
        "hubscan_reasons": list(h.reasons) if h else [],
        "source": j.source,
        "reason": j.reason,
    }


def format_csv(result: CompareResult) -> str:
    out = io.StringIO()
    rows = [_row(c) for c in result.items]
    keys = list(_row(result.items[0]).keys()) if result.items else []
    writer = csv.writer(out)
    writer.writerow(keys)
    for row in rows:
        writer.writerow([csv_cell(row[k]) for k in keys])
    return out.getvalue()


def format_json(result: CompareResult) -> str:
    return json.dumps(
        {
            "agreement": {"agreed": result.agreed, "compared": len(result.compared), "share": None if result.share is None else round(result.share, 2)},
            "hubscan_labels": "rules" if result.use_rules else "published",
            "judged": len(result.items),
            "confusion": {"columns": list(COLUMNS), "rows": [{"judge": k, "counts": v} for k, v in result.confusion.items()]},
            "disagreements": [_row(c) for c in result.disagreements],
            "absent": [c.judgement.repo_id for c in result.absent],
            "models": [_row(c) for c in result.items],
        },
        indent=1,
        ensure_ascii=False,
    ) + "\n"
