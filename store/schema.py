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
    func,
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
    # linked code repositories (migration 0006): GitHub requests sent, and how many answered 304 (no quota)
    Column("github_calls", Integer, default=0),
    Column("github_not_modified", Integer, default=0),
    # resumability (migration 0003): where the listing walk stands, committed with each page
    Column("mode", String(16)),  # full | incremental
    Column("cursor", Text),  # absolute URL of the next listing page; NULL before the first page
    Column("pages", Integer),  # listing pages stored so far
    Column("listing_done", Boolean),
    Column("high_water", String(32)),  # newest lastModified seen: where the next incremental walk may stop
    # lineage closure (migration 0005): bases the listing did not show, asked about one by one
    Column("lineage_calls", Integer, default=0),  # model-info calls for base models
    Column("bases_fetched", Integer, default=0),  # base models stored because a stored model derives from them
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
    # "listing" (NULL in databases from before 0005): a crawl listed it; "lineage": stored only because
    # a stored model derives from it (asked about by id), so reports can tell crawl scope from lineage closure
    Column("origin", String(16)),
)
# The Hub finds "Org/Name" and "org/name" alike: lineage matches base ids case-insensitively.
Index("ix_models_repo_key", func.lower(models.c.repo_id))

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

model_latest = Table(
    "model_latest",
    metadata,
    # each model's newest observation (migration 0009), kept up to date as observations are written:
    # exports and latest_labels read it instead of MAX(run_id) over every observation ever made
    Column("repo_id", String(256), primary_key=True),
    Column("run_id", ForeignKey("runs.id"), nullable=False),
    Column("version_id", ForeignKey("model_versions.id"), nullable=False),
    Column("downloads", Integer),
    Column("likes", Integer),
)

run_rollups = Table(
    "run_rollups",
    metadata,
    # what one finished run saw, aggregated (migration 0009; store/rollups.py): label counts, downloads,
    # open-washing flags and evidence facts per tier, with each version's label as recorded at that run.
    # Written when the run's analysis is done (recomputed if its labels change later): the trend and
    # weekly reports read one small row set per run instead of every observation of every run.
    Column("run_id", ForeignKey("runs.id"), primary_key=True),
    Column("scope", String(8), primary_key=True),  # public (private repos left out) | all
    Column("tier", String(32), primary_key=True),  # all | over-1000 | top-1000
    Column("label", String(32), primary_key=True),  # "" for versions not labelled (yet)
    Column("models", Integer, nullable=False),
    Column("downloads", Integer, nullable=False),
    Column("flagged", Integer, nullable=False),
    Column("no_licence", Integer, nullable=False),
    Column("datasets", Integer, nullable=False),
    Column("training_code", Integer, nullable=False),
    Column("data_information", Integer, nullable=False),
    Column("base_model", Integer, nullable=False),
    Column("computed_at", String(32), nullable=False),
)

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
    # the dataset's own card (migration 0006): data information is often written there
    Column("readme_status", String(16)),  # NULL: not fetched yet | ok | absent | gated | unavailable | error | oversize
    Column("readme", LargeBinary),  # zlib-compressed raw bytes, bounded
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
    # licences of the code (migration 0006): SPDX id, "NOASSERTION", "none", a library's licence; NULL: unknown
    Column("inference_code_licence", String(64)),
    Column("training_code_licence", String(64)),
)

version_bases = Table(
    "version_bases",
    metadata,
    # the base models a version declares (from its evidence): the lineage graph, for SQL and re-labelling
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True),
    Column("base_id", String(256), primary_key=True),
    Column("relation", String(16), nullable=False),  # finetune | adapter | quantized | merge | unspecified
    # migration 0005: how the base was named and what it resolved to
    Column("base_key", String(256)),  # lower-cased id: the Hub matches ids case-insensitively
    Column("kind", String(16)),  # hub-id | local-path | url | invalid
    Column("source", String(256)),  # cardData.base_model, tag:..., file:adapter_config.json, card, ...
    Column("confidence", Float),
    Column("resolved_id", String(256)),  # the stored model it names (after redirects and case), when known
    # ok | pending (not looked up yet) | missing | private | disabled | local-path | url | invalid | error
    Column("status", String(16)),
)
Index("ix_version_bases_base", version_bases.c.base_id)
Index("ix_version_bases_key", version_bases.c.base_key)
Index("ix_version_bases_resolved", version_bases.c.resolved_id)

model_aliases = Table(
    "model_aliases",
    metadata,
    # an old or differently spelled id that the Hub redirected to a stored model: the next lookup is free
    Column("alias_key", String(256), primary_key=True),  # lower-cased
    Column("repo_id", String(256), nullable=False),
    Column("run_id", ForeignKey("runs.id")),
    Column("recorded_at", String(32), nullable=False),
)

base_lookups = Table(
    "base_lookups",
    metadata,
    # the last time a run asked the Hub about a base id no stored model matched, and the answer
    Column("base_key", String(256), primary_key=True),
    Column("asked_id", String(256), nullable=False),
    Column("status", String(16), nullable=False),  # ok | missing | disabled | invalid | error
    Column("repo_id", String(256)),  # the canonical id the Hub answered with, when ok
    Column("run_id", ForeignKey("runs.id")),
    Column("asked_at", String(32), nullable=False),
    Column("error", Text),
)

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

code_repos = Table(
    "code_repos",
    metadata,
    # one row per GitHub repository a candidate model's card links (migration 0006): what GitHub answered
    # when the crawler last checked it, so extraction reads it from the database alone. Never a token.
    Column("name", String(256), primary_key=True),  # "owner/repo" as linked, lower-case
    Column("full_name", String(256)),  # canonical name GitHub reports (differs after a rename)
    Column("github_id", Integer),
    Column("status", String(16), nullable=False),  # ok | renamed | missing | blocked | error | rate-limited
    Column("archived", Boolean),
    Column("fork", Boolean),
    Column("default_branch", String(256)),
    Column("licence_spdx", String(64)),  # license.spdx_id: NOASSERTION when GitHub could not classify the file
    Column("licence_key", String(64)),
    Column("licence_name", String(256)),
    Column("description", Text),
    Column("tree_digest", String(64)),  # sha1 of the stored (path, size) list
    Column("tree_entries", Integer),  # blobs GitHub listed
    Column("truncated", Boolean),  # GitHub (or our bound) cut the listing
    Column("tree", LargeBinary),  # zlib-compressed JSON [[path, size], ...], bounded
    Column("docs", LargeBinary),  # zlib-compressed JSON {path: text}: README and data/training docs, bounded
    Column("state_digest", String(64)),  # everything extraction reads of this row: a change re-extracts its models
    Column("etags", JSON),  # {"repo": etag, "tree:<branch>": etag, "contents:<path>": etag}
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False),
    Column("fetched_run", ForeignKey("runs.id"), nullable=False),  # last run that asked GitHub
    Column("fetched_at", String(32), nullable=False),  # when GitHub last answered (due again after github_refresh_days)
    Column("error", Text),  # the last failure, if the last check failed (the row keeps the earlier answer)
)

version_code_repos = Table(
    "version_code_repos",
    metadata,
    # which GitHub repositories a version's card links as its code (from its evidence): what to check
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True),
    Column("repo_name", String(256), primary_key=True),
    Column("role", String(16), nullable=False),  # training | repository | inference (the card's wording)
)
Index("ix_version_code_repos_repo", version_code_repos.c.repo_name)

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

reviews = Table(
    "reviews",
    metadata,
    # Reviewers' corrections, append-only (migration 0008): `labels` stays what the rules computed; a
    # review publishes its label only while the model's current sha is the one reviewed. Clearing a
    # review appends an `action = 'clear'` row; nothing is updated or deleted, so the provenance stays.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repo_id", String(256), nullable=False),  # no foreign key: a team's review file may be imported before a crawl
    Column("sha", String(64), nullable=False),  # the version reviewed
    Column("action", String(8), nullable=False),  # set | clear
    Column("label", String(32)),  # the reviewer's label (set only)
    Column("reason", Text),  # why (required for set)
    Column("evidence_url", Text),  # where the reviewer saw it; stored without credentials
    Column("reviewed_by", String(128), nullable=False),
    Column("reviewed_at", String(32), nullable=False),  # ISO-8601 UTC; the newest review of a model counts
    Column("recorded_at", String(32), nullable=False),  # when this database got the row (differs after an import)
    Column("origin", String(16), nullable=False),  # cli | import
)
Index("ix_reviews_repo", reviews.c.repo_id)
