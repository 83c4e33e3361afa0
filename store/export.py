"""One record per model (its latest version): the stable export format and `explain`'s input.

Keys are stable from rule set 2026.11.1 on: repo_id, sha, label, rule_version, licence, licence_raw,
licence_family, weights, inference_code, training_code, datasets, datasets_open, data_information,
base_model, open_washing, washing_reasons, claims; plus open_basis, rule, status, downloads, likes.
Rule set 2026.12.1 adds lineage_verified (None: no base; False: a base could not be verified) and
origin ("listing", or "lineage" for a model stored only because another derives from it).
Reviews (migration 0008) added computed_label, review_reason, reviewed_by, reviewed_at: `label` is the
published label (a reviewer's while the reviewed sha is current), `computed_label` the rules'.
Rule set 2026.12.2 adds inference_code_licence, training_code_licence (SPDX id, "NOASSERTION", "none",
or null when unknown) and code_repos (the GitHub repositories the card gives as the model's code).
"""

from __future__ import annotations

from typing import Any, Iterator

from sqlalchemy import Connection, Text, and_, cast, false, select

from classify.washing import reason_text

from . import schema as s
from .reviews import published_reviews

CODE_ROLES = ("training", "repository", "inference")  # linked repositories the card gives as the model's own code

EXPORT_KEYS = (
    "repo_id",
    "sha",
    "label",
    "rule_version",
    "rule",
    "open_basis",
    "licence",
    "licence_raw",
    "licence_family",
    "weights",
    "inference_code",
    "training_code",
    "inference_code_licence",
    "training_code_licence",
    "code_repos",
    "datasets",
    "datasets_open",
    "data_information",
    "base_model",
    "lineage_verified",
    "open_washing",
    "washing_reasons",
    "claims",
    "status",
    "downloads",
    "likes",
    "origin",
    "confidence",
    "confidence_score",
    "computed_label",
    "review_reason",
    "reviewed_by",
    "reviewed_at",
)


def latest_popularity():
    """Each model's downloads and likes as last crawled (`model_latest`, kept as observations are written)."""
    ml = s.model_latest
    return select(ml.c.repo_id, ml.c.downloads, ml.c.likes).subquery()


def latest_query(include_private: bool = False, json_as_text: bool = False):
    """One row per labelled model's current version, ordered by repo id: the columns `to_record`
    reads, the JSON ones decoded, or as stored text (`json_as_text`, for store/export_rows.py).

    Private repositories (listed to a member's token) are left out unless `include_private`: an
    export is meant to be shared; their owner asks for them explicitly."""
    m, v, e, lab = s.models, s.model_versions, s.evidence, s.labels
    pop = latest_popularity()
    rv = published_reviews()

    def document(column, name: str):
        return (cast(column, Text) if json_as_text else column).label(name)

    query = (
        select(
            m.c.repo_id, m.c.status, m.c.origin, v.c.sha, lab.c.label, lab.c.rule_version, lab.c.rule, lab.c.open_basis,
            lab.c.open_washing, document(lab.c.washing_reasons, "washing_reasons"), document(lab.c.explanation, "explanation"),
            lab.c.confidence, document(e.c.data, "data"), pop.c.downloads, pop.c.likes,
            rv.c.label.label("review_label"), rv.c.reason.label("review_reason"), rv.c.reviewed_by, rv.c.reviewed_at,
        )
        .join(v, v.c.id == m.c.current_version_id)
        .join(lab, lab.c.version_id == v.c.id)
        .join(e, e.c.version_id == v.c.id)
        .outerjoin(pop, pop.c.repo_id == m.c.repo_id)
        .outerjoin(rv, and_(rv.c.repo_id == m.c.repo_id, rv.c.sha == v.c.sha))
        .order_by(m.c.repo_id)
    )
    return query if include_private else query.where(m.c.private == false())


def latest_records(
    conn: Connection, repo_id: str | None = None, batch: int = 1000, include_private: bool = False
) -> Iterator[dict[str, Any]]:
    """Stream one record per labelled model, ordered by repo id (see `latest_query`)."""
    m = s.models
    last = ""
    while True:
        query = latest_query(include_private).where(m.c.repo_id > last).limit(batch)
        if repo_id is not None:
            query = query.where(m.c.repo_id == repo_id)
        rows = conn.execute(query).all()
        if not rows:
            return
        last = rows[-1].repo_id
        for r in rows:
            yield to_record(r)
        if repo_id is not None:
            return


def to_record(r) -> dict[str, Any]:
    ev = r.data
    lic = ev["licence"]
    return {
        "repo_id": r.repo_id,
        "sha": r.sha,
        "label": r.review_label or r.label,
        "rule_version": r.rule_version,
        "rule": r.rule,
        "open_basis": r.open_basis,
        "licence": lic.get("spdx_id") or lic.get("hub_id"),
        "licence_raw": list(lic.get("raw") or []),
        "licence_family": lic.get("family"),
        "weights": ev["weights"]["present"],
        "inference_code": ev["inference_code"]["present"],
        "training_code": ev["training_code"]["released"],
        # older evidence (extractor v1) has no code licences or linked repositories: None / []
        "inference_code_licence": ev["inference_code"].get("licence"),
        "training_code_licence": ev["training_code"].get("licence"),
        "code_repos": [ref.get("full_name") or ref["name"] for ref in ev.get("code_repos") or () if ref["role"] in CODE_ROLES],
        "datasets": [ref["id"] for ref in ev["datasets"]["refs"]],
        "datasets_open": ev["datasets"]["all_open"],
        "data_information": ev["data_information"]["sufficient"],
        "base_model": [b["id"] for b in ev["base_model"]["bases"]],
        "lineage_verified": lineage_verified(r.explanation, ev),
        "open_washing": bool(r.open_washing),
        "washing_reasons": [reason_text(x) for x in (r.washing_reasons or [])],  # "CODE: text" lines
        "claims": [c["sentence"] for c in ev["claims"]["claims"] if c.get("about_self")],
        "status": r.status,
        "downloads": r.downloads,
        "likes": r.likes,
        "origin": r.origin or "listing",
        "confidence": ((r.explanation or {}).get("confidence") or {}).get("level"),
        "confidence_score": r.confidence,
        "computed_label": r.label,
        "review_reason": r.review_reason,
        "reviewed_by": r.reviewed_by,
        "reviewed_at": r.reviewed_at,
        "_explanation": r.explanation,
        "_evidence": ev,
        "_washing_reasons": list(r.washing_reasons or []),  # as stored: typed objects (or old strings)
    }


def lineage_verified(explanation: dict[str, Any] | None, evidence: dict[str, Any]) -> bool | None:
    """None without bases; False when the label's lineage gate found a base it could not verify (B0)."""
    if not evidence["base_model"]["bases"]:
        return None
    gates = (explanation or {}).get("gates") or ()
    return not any(g.get("rule") == "B0" for g in gates)


def public(record: dict[str, Any]) -> dict[str, Any]:
    """The record without the bulky internals used by `explain`."""
    return {k: record[k] for k in EXPORT_KEYS}


def label_events_of(conn: Connection, repo_id: str) -> list[tuple[Any, str, str, str]]:
    """(run, label, rule, rule set) of each label the model's current version had, oldest first."""
    le, m = s.label_events, s.models
    return [
        tuple(r)
        for r in conn.execute(
            select(le.c.run_id, le.c.label, le.c.rule, le.c.rule_version)
            .select_from(le.join(m, m.c.current_version_id == le.c.version_id))
            .where(m.c.repo_id == repo_id)
            .order_by(le.c.id)
        )
    ]
