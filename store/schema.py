"""The database schema, as SQLAlchemy Core tables.

Design choices, briefly:
- History is kept by *version* (a model's git `sha`): a version row is written once, the first time a
  crawl sees that sha, and never updated afterwards except to fill in what was downloaded for it.
  So a second crawl of an unchanged hub changes nothing but `runs` and `observations`.
- Volatile numbers (downloads, likes) live in `observations`, one row per model per run: they give
  trends, download weighting and "which version was current at run N".
- Raw README and licence files are stored zlib-compressed so extraction and classification can be
  re-run from the database alone, with no network.
- JSON columns use the portable `JSON` type (SQLite JSON1 / PostgreSQL json).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", String(32), nullable=False),  # ISO-8601 UTC
    Column("finished_at", String(32)),
    Column("status", String(16), nullable=False),  # running | ok | failed | interrupted
    Column("endpoint", Text, nullable=False),
    Column("full_sweep", Boolean, nullable=False),  # unfiltered listing: absence means disappearance
    Column("params", JSON, nullable=False),  # limit/author/search; never a token
    Column("models_seen", Integer, nullable=False, default=0),
    Column("versions_new", Integer, nullable=False, default=0),
    Column("readmes_fetched", Integer, nullable=False, default=0),
    Column("files_fetched", Integer, nullable=False, default=0),
    Column("datasets_fetched", Integer, nullable=False, default=0),
    Column("disappeared", Integer, nullable=False, default=0),
    Column("problems", Integer, nullable=False, default=0),
    Column("api_calls", Integer, nullable=False, default=0),
    Column("resolver_calls", Integer, nullable=False, default=0),
    Column("retries", Integer, nullable=False, default=0),
    Column("rate_limited", Integer, nullable=False, default=0),  # 429 answers
    Column("error", Text),
    # resumability (migration 0003): where the listing walk stands, committed with each page
    Column("mode", String(16)),  # full | incremental
    Column("cursor", Text),  # absolute URL of the next listing page; NULL before the first page
    Column("pages", Integer),  # listing pages stored so far
    Column("listing_done", Boolean),
    Column("high_water", String(32)),  # newest lastModified seen: where the next incremental walk may stop
    # truthful runs (migration 0007)
    Column("analysis", String(16)),  # pending | done | failed | skipped: the run's extraction and labelling
    Column("analysis_error", Text),  # why the analysis failed
    Column("incomplete", Integer),  # versions whose README was still to fetch when the run ended
)

locks = Table(
    "locks",
    metadata,
    # one row per lock name ("crawl"): inserting it is atomic on every backend, so two cron jobs
    # starting together cannot both win; a stale heartbeat lets a new crawl take over
    Column("name", String(32), primary_key=True),
    Column("holder", String(256), nullable=False),  # host:pid
    Column("run_id", Integer),
    Column("acquired_at", String(32), nullable=False),
    Column("heartbeat_at", String(32), nullable=False),
)

models = Table(
    "models",
    metadata,
    Column("repo_id", String(256), primary_key=True),
    Column("author", String(128)),
    Column("sha", String(64)),  # current version
    Column("current_version_id", Integer),
    Column("status", String(16), nullable=False),  # active | disappeared
    Column("gated", String(8), nullable=False),  # "false" | "auto" | "manual"
    Column("private", Boolean, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", String(32)),
    Column("last_modified", String(32)),
    Column("pipeline_tag", String(64)),
    Column("library_name", String(64)),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False),
    Column("disappeared_run", ForeignKey("runs.id")),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("repo_id", String(256), ForeignKey("models.repo_id"), nullable=False),
    Column("sha", String(64), nullable=False),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False),
    Column("last_modified", String(32)),
    Column("metadata", JSON, nullable=False),  # the listing item, minus volatile counters
    # pending -> ok | absent | gated | unavailable | error | oversize
    Column("readme_status", String(16), nullable=False),
    Column("readme", LargeBinary),  # zlib-compressed raw bytes
    Column("readme_size", Integer),
    Column("readme_error", Text),
    UniqueConstraint("repo_id", "sha", name="uq_model_versions_repo_sha"),
)
Index("ix_model_versions_readme_status", model_versions.c.readme_status)

version_files = Table(
    "version_files",
    metadata,
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True),
    Column("path", String(512), primary_key=True),
    Column("status", String(16), nullable=False),  # ok | gated | missing | error | oversize
    Column("size", Integer),
    Column("content", LargeBinary),  # zlib-compressed
    Column("error", Text),
)

observations = Table(
    "observations",
    metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True),
    Column("repo_id", String(256), primary_key=True),
    Column("version_id", ForeignKey("model_versions.id"), nullable=False),
    Column("downloads", Integer),
    Column("likes", Integer),
)
Index("ix_observations_repo", observations.c.repo_id)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_id", String(256), primary_key=True),
    Column("sha", String(64)),
    Column("current_version_id", Integer),
    Column("status", String(16), nullable=False),  # ok | gated | missing | private | disabled | error
    Column("gated", String(8), nullable=False),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False),
    Column("fetched_run", ForeignKey("runs.id"), nullable=False),  # last run that asked the Hub
    Column("error", Text),
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dataset_id", String(256), ForeignKey("datasets.dataset_id"), nullable=False),
    Column("sha", String(64), nullable=False),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False),
    Column("last_modified", String(32)),
    Column("metadata", JSON, nullable=False),
    UniqueConstraint("dataset_id", "sha", name="uq_dataset_versions_id_sha"),
)

problems = Table(
    "problems",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("runs.id"), nullable=False),
    Column("repo_type", String(8), nullable=False),  # model | dataset
    Column("repo_id", String(256), nullable=False),
    Column("sha", String(64)),
    Column("stage", String(16), nullable=False),  # listing | readme | file | dataset | extract | classify
    Column("code", String(32), nullable=False),  # http-404, http-503, yaml-invalid, binary, ...
    Column("message", Text, nullable=False),
)
Index("ix_problems_repo", problems.c.repo_id)

version_datasets = Table(
    "version_datasets",
    metadata,
    # which datasets a version names (cardData.datasets, dataset: tags): "which models use X?"
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True),
    Column("dataset_id", String(256), primary_key=True),
)
Index("ix_version_datasets_dataset", version_datasets.c.dataset_id)

evidence = Table(
    "evidence",
    metadata,
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True),
    Column("extractor_version", Integer, nullable=False),
    Column("inputs_digest", String(64), nullable=False),  # what extraction read; same digest = no-op
    Column("extracted_at", String(32), nullable=False),
    # key facts as columns, so SQL users need not dig into JSON
    Column("licence", String(64)),
    Column("licence_family", String(32)),
    Column("weights", Boolean),
    Column("inference_code", Boolean),
    Column("training_code", Boolean),
    Column("datasets_open", Boolean),
    Column("data_information", Boolean),
    Column("data_information_score", Integer),
    Column("data", JSON, nullable=False),  # the full ModelEvidence
)

version_bases = Table(
    "version_bases",
    metadata,
    # the base models a version declares (from its evidence): the lineage graph, for SQL and re-labelling
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True),
    Column("base_id", String(256), primary_key=True),
    Column("relation", String(16), nullable=False),  # finetune | adapter | quantized | merge | unspecified
)
Index("ix_version_bases_base", version_bases.c.base_id)

labels = Table(
    "labels",
    metadata,
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True),
    Column("rule_version", String(16), nullable=False),
    Column("extractor_version", Integer, nullable=False),
    Column("inputs_digest", String(64), nullable=False),  # evidence + lineage inputs; same digest = no-op
    Column("classified_at", String(32), nullable=False),
    Column("label", String(32), nullable=False),
    Column("rule", String(64), nullable=False),  # id of the deciding rule
    Column("open_basis", String(16)),  # osi | open-data, for Open Weights and above
    Column("capped_by", String(256)),  # base model that lowered the label, if any
    Column("open_washing", Boolean, nullable=False),
    Column("washing_reasons", JSON, nullable=False),
    Column("explanation", JSON, nullable=False),  # gates passed/failed with evidence
    Column("confidence", Float),
)
Index("ix_labels_label", labels.c.label)

label_events = Table(
    "label_events",
    metadata,
    # `labels` holds a version's label under the newest inputs; a version can be relabelled without a
    # new sha (its base or a dataset changed, a new rule set), so each label a version had is kept here
    # with the run it was recorded in, for history "as labelled then" and the weekly changes feed.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version_id", ForeignKey("model_versions.id"), nullable=False),
    Column("run_id", ForeignKey("runs.id")),  # the run whose analysis (or the newest run, for `classify`) recorded it
    Column("recorded_at", String(32), nullable=False),
    Column("label", String(32), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("rule_version", String(16), nullable=False),
    Column("open_washing", Boolean, nullable=False),
    Column("washing_reasons", JSON, nullable=False),
)
Index("ix_label_events_version_run", label_events.c.version_id, label_events.c.run_id)
