"""SQL views that answer researchers' common questions directly.

Plain SQL that runs unchanged on SQLite (>= 3.25, for window functions) and PostgreSQL: no JSON
functions, no date functions, booleans only tested as predicates. Key evidence comes from the
`evidence` table's columns, never from its JSON.

Each view leaves out private repositories (a crawl with a member's token lists them; they stay in
the tables for lineage) and has an `_all` twin that keeps them, for their owner.

Views hold no data, so they are not migrated: `sync_views`, run right after the migrations each time
a database is opened for writing, compares a digest of every view's SQL with the one it recorded in
`schema_views` and, when they differ, drops the views (in reverse order: `washing_flags` reads
`latest_labels`) and creates them again. Changing a view is a change to this file, nothing more.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import policy
from policy.licence_ranks import OPENNESS_RANK  # not extract/'s: see that module

def _rule_gates() -> dict[str, str]:
    """The gate each deciding rule belongs to (policy/rules.yaml), so SQL users can group by gate."""
    gates: dict[str, str] = {}
    for rule in policy.load("rules")["rules"]:
        gates[rule["code"]] = rule["gate"]
        if "failed_code" in rule:
            gates[rule["failed_code"]] = rule["gate"]
    return gates


RULE_GATES: dict[str, str] = _rule_gates()


def openness_rank_sql(column: str) -> str:
    """A CASE expression ranking a licence-family column by how open it is (policy/licences.yaml `rank`:
    higher is looser, equal ranks are equally open; NULL when the family is unknown to us)."""
    whens = " ".join(f"WHEN '{family}' THEN {rank}" for family, rank in OPENNESS_RANK.items())
    return f"(CASE {column} {whens} END)"


def _confidence_level_sql(column: str) -> str:
    """The confidence level of a score, by the thresholds of policy/confidence.yaml."""
    import policy

    levels = policy.load("confidence")["levels"]
    return f"(CASE WHEN {column} IS NULL THEN NULL WHEN {column} >= {levels['high']} THEN 'high' WHEN {column} >= {levels['medium']} THEN 'medium' ELSE 'low' END)"


def _gate_sql(column: str) -> str:
    whens = " ".join(f"WHEN '{rule}' THEN '{gate}'" for rule, gate in RULE_GATES.items())
    return f"(CASE {column} {whens} END)"


# The latest observation of each model: its downloads and likes as last crawled (migration 0009 keeps
# it in `model_latest` as observations are written, instead of grouping every observation ever made).
_LATEST_OBSERVATION = """
    SELECT ml.repo_id, ml.run_id, ml.downloads, ml.likes
    FROM model_latest ml
"""


@dataclass(frozen=True)
class View:
    name: str
    title: str
    description: str
    sql: str

    def create_sql(self) -> str:
        return f"CREATE VIEW {self.name} AS {self.sql}"

    def drop_sql(self) -> str:
        return f"DROP VIEW IF EXISTS {self.name}"



# Each model's newest review (by reviewed_at, then id) when it sets a label: cleared reviews publish nothing.
CURRENT_REVIEWS = """
    SELECT r.repo_id, r.sha, r.label, r.reason, r.reviewed_by, r.reviewed_at
    FROM reviews r
    WHERE r.action = 'set'
      AND NOT EXISTS (SELECT 1 FROM reviews x
                       WHERE x.repo_id = r.repo_id
                         AND (x.reviewed_at > r.reviewed_at OR (x.reviewed_at = r.reviewed_at AND x.id > r.id)))
"""

# Migration 0008: `label` is the published label, a reviewer's while the reviewed sha is current,
# else the rules' (`computed_label`); a review of an older sha is stale and publishes nothing.
LATEST_LABELS = View(
    "latest_labels",
    "Latest label of every model",
    "One row per model: the published label of its current version (a reviewer's correction while the "
    "reviewed version is current, else the rules' label, which `computed_label` always shows), the deciding "
    "rule and gate, the open-washing flag, the key evidence, and its downloads and likes as last crawled.",
    f"""
SELECT m.repo_id,
       m.author AS organisation,
       m.status,
       m.created_at,
       m.pipeline_tag,
       m.library_name,
       v.id AS version_id,
       v.sha,
       COALESCE(rv.label, l.label) AS label,
       l.rule,
       {_gate_sql("l.rule")} AS deciding_gate,
       l.open_basis,
       l.capped_by,
       l.open_washing,
       l.washing_reasons,
       l.rule_version,
       e.licence,
       e.licence_family,
       e.weights,
       e.inference_code,
       e.training_code,
       e.datasets_open,
       e.data_information,
       e.data_information_score,
       e.inference_code_licence,
       e.training_code_licence,
       (SELECT COUNT(*) FROM version_datasets vd WHERE vd.version_id = v.id) AS datasets_declared,
       (SELECT COUNT(*) FROM version_bases vb WHERE vb.version_id = v.id) AS base_models,
       lo.downloads,
       lo.likes,
       lo.run_id AS last_seen_run,
       l.label AS computed_label,
       rv.reason AS review_reason,
       rv.reviewed_by,
       rv.reviewed_at
FROM models m
JOIN model_versions v ON v.id = m.current_version_id
JOIN labels l ON l.version_id = v.id
LEFT JOIN evidence e ON e.version_id = v.id
LEFT JOIN ({_LATEST_OBSERVATION}) lo ON lo.repo_id = m.repo_id
LEFT JOIN ({CURRENT_REVIEWS}) rv ON rv.repo_id = m.repo_id AND rv.sha = v.sha
""",
)

# A version's label as recorded at a run: its newest label event recorded at or before that run (a
# version first labelled after the run that saw it, e.g. after `crawl --no-analyse`, takes its first).
_LABEL_AS_OF_RUN = """
    le.id = COALESCE(
        (SELECT MAX(x.id) FROM label_events x WHERE x.version_id = o.version_id AND x.run_id <= o.run_id),
        (SELECT MIN(x.id) FROM label_events x WHERE x.version_id = o.version_id))
"""

LABEL_HISTORY = View(
    "label_history",
    "Label of every model at every crawl",
    "One row per model per crawl run: the version the run saw, the label it had then (a version is "
    "relabelled without a new sha when its base, a dataset or the rule set changes), the open-washing "
    "flag, its licence, and the downloads counted that day.",
    f"""
SELECT o.repo_id,
       o.run_id,
       r.started_at AS run_started_at,
       SUBSTR(r.started_at, 1, 10) AS run_date,
       o.version_id,
       v.sha,
       le.label,
       le.rule,
       le.rule_version,
       le.open_washing,
       e.licence,
       e.licence_family,
       o.downloads,
       o.likes
FROM observations o
JOIN runs r ON r.id = o.run_id
JOIN model_versions v ON v.id = o.version_id
LEFT JOIN label_events le ON {_LABEL_AS_OF_RUN}
LEFT JOIN evidence e ON e.version_id = o.version_id
""",
)

WASHING_FLAGS = View(
    "washing_flags",
    "Models flagged for open-washing",
    "Models whose current version claims more openness than its label gives it, with the reasons "
    "(W-OS, W-OW, W-LAUNDER, W-CONFLICT), the deciding gate and the first crawl that saw a flagged version.",
    """
SELECT ll.repo_id,
       ll.organisation,
       ll.label,
       ll.rule,
       ll.deciding_gate,
       ll.licence,
       ll.licence_family,
       ll.capped_by,
       ll.washing_reasons,
       ll.downloads,
       ll.likes,
       (SELECT MIN(o.run_id)
          FROM observations o JOIN labels fl ON fl.version_id = o.version_id
         WHERE o.repo_id = ll.repo_id AND fl.open_washing) AS first_flagged_run
FROM latest_labels ll
WHERE ll.open_washing
""",
)

LICENCE_CHANGES = View(
    "licence_changes",
    "Licence changes between crawls",
    "One row each time a crawl saw a new version of a model whose declared licence differs from the version "
    "seen before it; `direction` says whether the licence became looser or tighter (a rug-pull).",
    f"""
SELECT c.repo_id,
       c.run_id,
       r.started_at AS run_started_at,
       pv.sha AS previous_sha,
       v.sha,
       pe.licence AS previous_licence,
       e.licence,
       pe.licence_family AS previous_licence_family,
       e.licence_family,
       CASE
         WHEN {openness_rank_sql("e.licence_family")} > {openness_rank_sql("pe.licence_family")} THEN 'looser'
         WHEN {openness_rank_sql("e.licence_family")} < {openness_rank_sql("pe.licence_family")} THEN 'tighter'
         ELSE 'same openness'
       END AS direction,
       pl.label AS previous_label,
       l.label
FROM (SELECT o.repo_id, o.run_id, o.version_id,
             LAG(o.version_id) OVER (PARTITION BY o.repo_id ORDER BY o.run_id) AS previous_version_id
        FROM observations o) c
JOIN runs r ON r.id = c.run_id
JOIN model_versions v ON v.id = c.version_id
JOIN model_versions pv ON pv.id = c.previous_version_id
JOIN evidence e ON e.version_id = c.version_id
JOIN evidence pe ON pe.version_id = c.previous_version_id
LEFT JOIN labels l ON l.version_id = c.version_id
LEFT JOIN labels pl ON pl.version_id = c.previous_version_id
WHERE c.previous_version_id <> c.version_id
  AND (e.licence <> pe.licence OR (e.licence IS NULL AND pe.licence IS NOT NULL)
       OR (e.licence IS NOT NULL AND pe.licence IS NULL))
""",
)

LINEAGE = View(
    "lineage",
    "Model lineage: derivative to base",
    "One row per base model of each model's current version: how it was named (declared, adapter or merge "
    "config, config.json, the card's prose) and how sure that is, what it resolved to (after the Hub's "
    "redirects and case) or why it could not be verified, both labels and licences, and whether the derivative's "
    "licence is looser than its base's (licence laundering).",
    f"""
SELECT m.repo_id,
       ml.label,
       me.licence,
       me.licence_family,
       vb.relation,
       vb.base_id,
       vb.source AS base_source,
       vb.confidence AS base_confidence,
       vb.resolved_id AS base_resolved_id,
       COALESCE(vb.status, 'pending') AS base_status,
       CASE WHEN bm.repo_id IS NULL THEN 0 ELSE 1 END AS base_in_db,
       bm.origin AS base_origin,
       bl.label AS base_label,
       be.licence AS base_licence,
       be.licence_family AS base_licence_family,
       CASE WHEN {openness_rank_sql("me.licence_family")} > {openness_rank_sql("be.licence_family")}
            THEN 1 ELSE 0 END AS licence_looser
FROM models m
JOIN version_bases vb ON vb.version_id = m.current_version_id
LEFT JOIN labels ml ON ml.version_id = m.current_version_id
LEFT JOIN evidence me ON me.version_id = m.current_version_id
LEFT JOIN models bm ON bm.repo_id = vb.resolved_id
LEFT JOIN labels bl ON bl.version_id = bm.current_version_id
LEFT JOIN evidence be ON be.version_id = bm.current_version_id
""",
)

# --- private repositories ----------------------------------------------------------------
# A crawl with a member's token also lists that member's private repos. They stay in the tables
# (lineage needs them: a public fine-tune of a private base), but the views a researcher or
# datasette publishes leave them out; each view has an `_all` twin that keeps them, for their owner.

_PRIVATE = "(SELECT repo_id FROM models WHERE private)"
_ALL_NOTE = " This `_all` variant includes private repositories (the plain view leaves them out)."


def _all_variant(view: View, reads: str | None = None) -> View:
    sql = view.sql if reads is None else view.sql.replace(f"FROM {reads} ", f"FROM {reads}_all ")
    return View(f"{view.name}_all", f"{view.title} (private repos included)", view.description + _ALL_NOTE, sql)


def _public(view: View, sql: str) -> View:
    return View(view.name, view.title, view.description + " Private repositories are left out.", sql)


LATEST_LABELS_PUBLIC = _public(LATEST_LABELS, f"SELECT ll.* FROM latest_labels_all ll WHERE ll.repo_id NOT IN {_PRIVATE}")
LABEL_HISTORY_PUBLIC = _public(LABEL_HISTORY, f"SELECT h.* FROM label_history_all h WHERE h.repo_id NOT IN {_PRIVATE}")
# reads the public latest_labels: already without private repos
WASHING_FLAGS_PUBLIC = _public(WASHING_FLAGS, WASHING_FLAGS.sql)
LICENCE_CHANGES_PUBLIC = _public(LICENCE_CHANGES, f"SELECT c.* FROM licence_changes_all c WHERE c.repo_id NOT IN {_PRIVATE}")
# A public derivative keeps its row (its card names the base publicly); a private base's own
# label and licence are not shown.
LINEAGE_PUBLIC = _public(
    LINEAGE,
    f"""
SELECT l.repo_id, l.label, l.licence, l.licence_family, l.relation, l.base_id, l.base_source, l.base_confidence,
       l.base_resolved_id, l.base_status,
       CASE WHEN pb.repo_id IS NULL THEN l.base_in_db ELSE 0 END AS base_in_db,
       CASE WHEN pb.repo_id IS NULL THEN l.base_origin END AS base_origin,
       CASE WHEN pb.repo_id IS NULL THEN l.base_label END AS base_label,
       CASE WHEN pb.repo_id IS NULL THEN l.base_licence END AS base_licence,
       CASE WHEN pb.repo_id IS NULL THEN l.base_licence_family END AS base_licence_family,
       CASE WHEN pb.repo_id IS NULL THEN l.licence_looser ELSE 0 END AS licence_looser
FROM lineage_all l
LEFT JOIN {_PRIVATE} pb ON pb.repo_id = l.base_resolved_id
WHERE l.repo_id NOT IN {_PRIVATE}
""",
)

# Creation order: a view may read only views before it.
VIEWS: tuple[View, ...] = (
    _all_variant(LATEST_LABELS),
    LATEST_LABELS_PUBLIC,
    _all_variant(LABEL_HISTORY),
    LABEL_HISTORY_PUBLIC,
    _all_variant(WASHING_FLAGS, reads="latest_labels"),
    WASHING_FLAGS_PUBLIC,
    _all_variant(LICENCE_CHANGES),
    LICENCE_CHANGES_PUBLIC,
    _all_variant(LINEAGE),
    LINEAGE_PUBLIC,
)
VIEW_NAMES: tuple[str, ...] = tuple(v.name for v in VIEWS)
PUBLIC_VIEW_NAMES: tuple[str, ...] = tuple(v.name for v in VIEWS if not v.name.endswith("_all"))


def view_name(name: str, include_private: bool = False) -> str:
    """The view to read: the public one, or its `_all` twin for the owner of the private repos."""
    return f"{name}_all" if include_private else name


# Views earlier releases created that the current set no longer has (dropped by sync_views).
RETIRED_VIEW_NAMES: tuple[str, ...] = ()


def views_digest() -> str:
    return hashlib.sha1("\n".join(f"{v.name}\n{v.sql}" for v in VIEWS).encode()).hexdigest()


def sync_views(conn) -> bool:
    """Create or replace the views when their SQL changed since the last sync. Returns whether it did."""
    from sqlalchemy import text

    wanted = views_digest()
    stored = conn.execute(text("SELECT digest FROM schema_views WHERE name = '*'")).scalar()
    if stored == wanted:
        return False
    drop_views(conn)
    for view in VIEWS:
        conn.execute(text(view.create_sql()))
    conn.execute(text("DELETE FROM schema_views"))
    conn.execute(text("INSERT INTO schema_views (name, digest) VALUES ('*', :d)"), {"d": wanted})
    return True


def drop_views(conn) -> None:
    """Drop every view hubscan creates, and forget their digest (the next sync creates them again)."""
    from sqlalchemy import inspect, text

    for name in (*reversed(VIEW_NAMES), *RETIRED_VIEW_NAMES):
        conn.execute(text(f"DROP VIEW IF EXISTS {name}"))
    if inspect(conn).has_table("schema_views"):
        conn.execute(text("DELETE FROM schema_views"))


def datasette_metadata(database_names: tuple[str, ...] = ("hubscan", "hubscan-demo")) -> dict:
    """Datasette metadata listing every view with its title and description (store/datasette_metadata.json)."""
    tables = {v.name: {"title": v.title, "description": v.description} for v in VIEWS}
    return {
        "title": "hubscan: how open are the models on the Hugging Face Hub?",
        "description": "Crawl history, evidence and openness labels (Open Source and Open Data / Open Source / "
        "Open Weights / Weights Available / No Weights). Start with the views; docs/schema.md describes every table.",
        "license": "Apache-2.0",
        "databases": {name: {"tables": tables} for name in database_names},
    }
