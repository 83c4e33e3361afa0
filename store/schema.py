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
    BigInteger,
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
    Column("id", Integer, primary_key=True, comment="The run number."),
    Column("started_at", String(32), nullable=False, comment="When the run started (UTC). Reports place runs in ISO weeks by this date."),
    Column("finished_at", String(32), comment="When it ended (NULL while running)."),
    Column("status", String(16), nullable=False, comment="`running`, `ok`, `failed` or `interrupted`; reports read only `ok` runs."),
    Column("endpoint", Text, nullable=False, comment="The Hub URL crawled."),
    Column("full_sweep", Boolean, nullable=False, comment="Whether the whole listing was walked (no `--limit`, `--author` or `--search`); only then does absence mean disappearance."),
    Column("params", JSON, nullable=False, comment="JSON of the listing filters used (never a token)."),
    Column("models_seen", Integer, nullable=False, default=0, comment="Models listed."),
    Column("versions_new", Integer, nullable=False, default=0, comment="New versions stored."),
    Column("readmes_fetched", Integer, nullable=False, default=0, comment="README files downloaded."),
    Column("files_fetched", Integer, nullable=False, default=0, comment="Licence and policy files downloaded."),
    Column("datasets_fetched", Integer, nullable=False, default=0, comment="Linked datasets fetched."),
    Column("disappeared", Integer, nullable=False, default=0, comment="Models marked disappeared by this run."),
    Column("problems", Integer, nullable=False, default=0, comment="Problems recorded (see `problems`)."),
    Column("api_calls", Integer, nullable=False, default=0, comment="Hub API calls made."),
    Column("resolver_calls", Integer, nullable=False, default=0, comment="File downloads requested."),
    Column("retries", Integer, nullable=False, default=0, comment="Requests retried."),
    Column("rate_limited", Integer, nullable=False, default=0, comment="HTTP 429 answers received."),
    Column("error", Text, comment="Why the run did not finish `ok` (credentials in URLs are never stored)."),
    # linked code repositories (migration 0006): GitHub requests sent, and how many answered 304 (no quota)
    Column("github_calls", Integer, default=0, comment="Requests sent to GitHub's API for linked code repositories (NULL for runs before this column)."),
    Column("github_not_modified", Integer, default=0, comment="Of those, answers 304 Not Modified to a stored ETag: they cost no quota."),
    # resumability (migration 0003): where the listing walk stands, committed with each page
    Column("mode", String(16), comment="`full` or `incremental`."),
    Column("cursor", Text, comment="The absolute URL of the next listing page (without credentials), committed with each page; a resumed run continues here. NULL before the first page and after the last."),
    Column("pages", Integer, comment="Listing pages stored so far."),
    Column("listing_done", Boolean, comment="Whether the listing walk reached its end."),
    Column("high_water", String(32), comment="The newest `lastModified` the run saw: where the next incremental walk may stop."),
    # lineage closure (migration 0005): bases the listing did not show, asked about one by one
    Column("lineage_calls", Integer, default=0, comment="Model-info calls for base models the listing did not show (lineage closure)."),
    Column("bases_fetched", Integer, default=0, comment="Base models stored because a stored model derives from them."),
    # truthful runs (migration 0007)
    Column("analysis", String(16), comment="Where the run's extraction and labelling stand: `pending` (not yet done: killed, or still running), `done`, `failed` (see `analysis_error`) or `skipped` (`--no-analyse`). The next crawl finishes a `pending` or `failed` analysis before it walks the Hub. NULL for runs before migration 0007."),
    Column("analysis_error", Text, comment="Why the analysis failed."),
    Column("incomplete", Integer, comment="Versions whose README was still to be fetched when the run ended (lost to faults after every retry); the next crawl fetches them first. `hubscan status` shows such a run as `ok, N incomplete`."),
    comment="one row per crawl",
)

locks = Table(
    "locks",
    metadata,
    # one row per lock name ("crawl"): inserting it is atomic on every backend, so two cron jobs
    # starting together cannot both win; a stale heartbeat lets a new crawl take over
    Column("name", String(32), primary_key=True, comment="`crawl`, or `crawl:K/N` for shard K of N: inserting the row is atomic on every backend, so two crawls starting together cannot both win."),
    Column("holder", String(256), nullable=False, comment="`host:pid` of the crawl holding it."),
    Column("run_id", Integer, comment="The run it crawls."),
    Column("acquired_at", String(32), nullable=False, comment="When it was taken (UTC)."),
    Column("heartbeat_at", String(32), nullable=False, comment="Refreshed with every listing page; a heartbeat 15 minutes old, or a holder on this host whose pid is gone, lets the next crawl take the lock over."),
    comment="the crawl lock",
)

models = Table(
    "models",
    metadata,
    Column("repo_id", String(256), primary_key=True, comment="The Hub id."),
    Column("author", String(128), comment="The owning user or organisation."),
    Column("sha", String(64), comment="The current version's commit."),
    Column("current_version_id", Integer, comment="The current version's row in `model_versions`."),
    Column("status", String(16), nullable=False, comment="`active` or `disappeared`."),
    Column("gated", String(8), nullable=False, comment="`false`, `auto` or `manual`: whether files need accepting terms."),
    Column("private", Boolean, nullable=False, comment="Whether the repository is private."),
    Column("disabled", Boolean, nullable=False, comment="Whether the Hub disabled it."),
    Column("created_at", String(32), comment="Creation date on the Hub."),
    Column("last_modified", String(32), comment="Last commit date on the Hub."),
    Column("pipeline_tag", String(64), comment="The task tag."),
    Column("library_name", String(64), comment="The library tag."),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False, comment="The run that first listed it."),
    Column("disappeared_run", ForeignKey("runs.id"), comment="The full sweep that first missed it."),
    # "listing" (NULL in databases from before 0005): a crawl listed it; "lineage": stored only because
    # a stored model derives from it (asked about by id), so reports can tell crawl scope from lineage closure
    Column("origin", String(16), comment="`listing` (the crawl listed it) or `lineage` (stored because a stored model derives from it)."),
    comment="one row per model ever seen",
)
# The Hub finds "Org/Name" and "org/name" alike: lineage matches base ids case-insensitively.
Index("ix_models_repo_key", func.lower(models.c.repo_id))
# The few private models, found without reading every model (the public views and reports leave them out).
Index("ix_models_private", models.c.repo_id, sqlite_where=models.c.private, postgresql_where=models.c.private)
# Models by organisation, with their ids (the weekly report reads no model row; the private ones are
# the small set ix_models_private): the leading organisations in one pass, then their own models (migration 0010).
Index("ix_models_author", models.c.author, models.c.repo_id)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, comment="The version's row id."),
    Column("repo_id", String(256), ForeignKey("models.repo_id"), nullable=False, comment="Its model."),
    Column("sha", String(64), nullable=False, comment="The git commit (or a content hash when the listing gave none)."),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False, comment="The run that first saw it."),
    Column("last_modified", String(32), comment="The commit date."),
    Column("metadata", JSON, nullable=False, comment="JSON of the listing item (tags, cardData, file list, ...), without volatile counters."),
    # pending -> ok | absent | gated | unavailable | error | oversize
    Column("readme_status", String(16), nullable=False, comment="`pending`, `ok`, `absent`, `gated`, `unavailable`, `error` or `oversize`."),
    Column("readme", LargeBinary, comment="The README bytes, zlib-compressed."),
    Column("readme_size", Integer, comment="The README's size in bytes."),
    Column("readme_error", Text, comment="Why the README could not be fetched."),
    UniqueConstraint("repo_id", "sha", name="uq_model_versions_repo_sha"),
    comment="one row per model commit",
)
Index("ix_model_versions_readme_status", model_versions.c.readme_status)

version_files = Table(
    "version_files",
    metadata,
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True, comment="The version."),
    Column("path", String(512), primary_key=True, comment="The file's path in the repository (LICENSE, USE_POLICY.md, ...)."),
    Column("status", String(16), nullable=False, comment="`ok`, `gated`, `missing`, `error` or `oversize`."),
    Column("size", Integer, comment="Its size in bytes."),
    Column("content", LargeBinary, comment="Its bytes, zlib-compressed."),
    Column("error", Text, comment="Why it could not be fetched."),
    comment="licence, notice, use-policy and lineage files of a version",
)

observations = Table(
    "observations",
    metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True, comment="The crawl run."),
    Column("repo_id", String(256), primary_key=True, comment="The model."),
    Column("version_id", ForeignKey("model_versions.id"), nullable=False, comment="The version the run saw."),
    Column("downloads", Integer, comment="The Hub's download count that day."),
    Column("likes", Integer, comment="The like count that day."),
    comment="one row per model per crawl",
    # On SQLite the rows are stored in key order (migration 0011): a run's rows are read as one range.
    sqlite_with_rowid=False,
)
Index("ix_observations_repo", observations.c.repo_id)

model_latest = Table(
    "model_latest",
    metadata,
    Column("repo_id", String(256), primary_key=True, comment="The model."),
    Column("run_id", ForeignKey("runs.id"), nullable=False, comment="The newest run that saw it."),
    Column("version_id", ForeignKey("model_versions.id"), nullable=False, comment="The version that run saw."),
    Column("downloads", Integer, comment="The Hub's download count that run."),
    Column("likes", Integer, comment="The like count that run."),
    comment="each model's newest observation (a copy of its `observations` row, kept as they are written)",
)

# Per run, scope, tier and label: what one finished run saw (store/rollups.py), so the trend and weekly
# reports read a few rows per run instead of every observation of every run.
run_rollups = Table(
    "run_rollups",
    metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True, comment="The crawl run."),
    Column("scope", String(8), primary_key=True, comment="`public` (private repositories left out) or `all`."),
    Column("tier", String(32), primary_key=True, comment="`all`, `over-1000` (more than 1,000 downloads that run) or `top-1000` (the 1,000 most downloaded)."),
    Column("label", String(32), primary_key=True, comment="The label as recorded at that run (`label_history`); empty for versions not labelled."),
    Column("models", Integer, nullable=False, comment="Models the run saw with that label."),
    Column("downloads", BigInteger, nullable=False, comment="Their downloads that run, summed."),
    Column("flagged", Integer, nullable=False, comment="Of them, flagged for open-washing at that run."),
    Column("no_licence", Integer, nullable=False, comment="Of them, versions with no licence or an unknown one."),
    Column("datasets", Integer, nullable=False, comment="Of them, versions that name a dataset."),
    Column("training_code", Integer, nullable=False, comment="Of them, versions with training code released."),
    Column("data_information", Integer, nullable=False, comment="Of them, versions with sufficient data information."),
    Column("base_model", Integer, nullable=False, comment="Of them, versions that name a base model."),
    Column("computed_at", String(32), nullable=False, comment="When the row was written."),
    comment="what each finished run saw, aggregated; dropped and written again when a label or privacy it counted changes, corrected in place when evidence does",
)

# Per run and scope: which models made the run's top tier, written and dropped with `run_rollups`, so
# new evidence for a version can move the stored facts of the rows that counted it (store/rollup_deltas.py)
# without sorting each run's models by downloads again.
run_top_models = Table(
    "run_top_models",
    metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True, comment="The crawl run."),
    Column("scope", String(8), primary_key=True, comment="`public` (private repositories left out) or `all`."),
    Column("repo_id", String(256), primary_key=True, comment="One of the run's 1,000 most downloaded models in that scope (ties by repo id)."),
    comment="the models each finished run counted in its `top-1000` tier; written and dropped with `run_rollups`",
)

# Per run and scope: the organisations with the most downloads in it, written with `run_rollups` (and
# dropped with them), so the weekly report's leading organisations are read, not grouped from every model.
run_organisations = Table(
    "run_organisations",
    metadata,
    Column("run_id", ForeignKey("runs.id"), primary_key=True, comment="The crawl run."),
    Column("scope", String(8), primary_key=True, comment="`public` (private repositories left out) or `all`."),
    Column("rank", Integer, primary_key=True, comment="1 for the organisation with the most downloads that run (ties by name); only the first 1,000 are kept."),
    Column("author", String(256), comment="The organisation (the models' `author`); empty (NULL) for models without one."),
    Column("models", Integer, nullable=False, comment="Its models the run saw."),
    Column("downloads", BigInteger, nullable=False, comment="Their downloads that run, summed."),
    comment="the leading organisations of each finished run by downloads; written and dropped with `run_rollups`",
)

# The weekly report's changes (reports/changes.py) between a finished run and the latest run of the
# week before, written when the run's analysis ends and dropped with either run's `run_rollups`, so the
# report reads them rather than looking up both sides of every changed model.
week_change_sets = Table(
    "week_change_sets",
    metadata,
    Column("current_run", ForeignKey("runs.id"), primary_key=True, comment="The run the changes lead to."),
    Column("previous_run", ForeignKey("runs.id"), nullable=False, comment="The latest run of the week before, the changes start from."),
    Column("computed_at", String(32), nullable=False, comment="When the changes were written."),
    comment="which runs' weekly changes are stored in `week_changes`; dropped with either run's `run_rollups`",
)

week_changes = Table(
    "week_changes",
    metadata,
    Column("current_run", ForeignKey("week_change_sets.current_run"), primary_key=True, comment="The run the change leads to."),
    Column("seq", Integer, primary_key=True, comment="The change's place in the report's order (1 first)."),
    Column("kind", String(16), nullable=False, comment="`new flag`, `cleared flag`, `label change`, `licence change`, or `new model` (counted, not listed)."),
    Column("repo_id", String(256), nullable=False, comment="The model (private ones included: a report without them leaves them out when reading)."),
    Column("author", String(256), comment="Its organisation."),
    Column("downloads", BigInteger, nullable=False, comment="Its downloads in the run (the previous run's for a model no longer listed)."),
    Column("before_value", String(256), comment="Label, licence or flag state in the previous run."),
    Column("after_value", String(256), comment="The same in the current run."),
    Column("direction", String(32), comment="up/down for labels, looser/tighter/same openness for licences, what happened for flags."),
    Column("detail", Text, comment="What the report says of it."),
    comment="each stored set's changes, in the report's order (`week_change_sets`)",
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_id", String(256), primary_key=True, comment="The dataset's Hub id."),
    Column("sha", String(64), comment="Its current commit."),
    Column("current_version_id", Integer, comment="Its current row in `dataset_versions`."),
    Column("status", String(16), nullable=False, comment="`ok`, `gated`, `missing`, `private`, `disabled` or `error`."),
    Column("gated", String(8), nullable=False, comment="`false`, `auto` or `manual`."),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False, comment="The run that first fetched it."),
    Column("fetched_run", ForeignKey("runs.id"), nullable=False, comment="The last run that asked the Hub about it."),
    Column("error", Text, comment="Why it could not be fetched."),
    comment="one row per dataset that model cards name",
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("id", Integer, primary_key=True, comment="The version's row id."),
    Column("dataset_id", String(256), ForeignKey("datasets.dataset_id"), nullable=False, comment="Its dataset."),
    Column("sha", String(64), nullable=False, comment="The commit."),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False, comment="The run that first saw it."),
    Column("last_modified", String(32), comment="The commit date."),
    Column("metadata", JSON, nullable=False, comment="JSON of the dataset's Hub record (cardData with its licence, tags, ...)."),
    # the dataset's own card (migration 0006): data information is often written there
    Column("readme_status", String(16), comment="The dataset card (README.md): NULL until fetched, then `ok`, `absent`, `gated`, `unavailable`, `error` or `oversize`."),
    Column("readme", LargeBinary, comment="The dataset card's bytes, zlib-compressed (bounded): data information is often written there."),
    UniqueConstraint("dataset_id", "sha", name="uq_dataset_versions_id_sha"),
    comment="one row per dataset commit",
)

problems = Table(
    "problems",
    metadata,
    Column("id", Integer, primary_key=True, comment="The row id."),
    Column("run_id", ForeignKey("runs.id"), nullable=False, comment="The run that met it."),
    Column("repo_type", String(8), nullable=False, comment="`model`, `dataset` or `github` (a code repository, or the GitHub API itself)."),
    Column("repo_id", String(256), nullable=False, comment="The repository."),
    Column("sha", String(64), comment="The version, when known."),
    Column("stage", String(16), nullable=False, comment="`listing`, `readme`, `file`, `dataset`, `github`, `extract` or `classify`."),
    Column("code", String(32), nullable=False, comment="A short code: `http-404`, `http-503`, `yaml-invalid`, `binary`, `github-unreachable`, ... (see below)."),
    Column("message", Text, nullable=False, comment="What happened, in words (credentials in URLs are blanked)."),
    comment="what went wrong, per run",
)
Index("ix_problems_repo", problems.c.repo_id)

version_datasets = Table(
    "version_datasets",
    metadata,
    # which datasets a version names (cardData.datasets, dataset: tags): "which models use X?"
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True, comment="The model version."),
    Column("dataset_id", String(256), primary_key=True, comment="A dataset its card data or tags name."),
    comment="which datasets a version names",
)
Index("ix_version_datasets_dataset", version_datasets.c.dataset_id)

evidence = Table(
    "evidence",
    metadata,
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True, comment="The version."),
    Column("extractor_version", Integer, nullable=False, comment="The extractor release that produced it."),
    Column("inputs_digest", String(64), nullable=False, comment="A hash of what extraction read; unchanged inputs are not re-extracted."),
    Column("extracted_at", String(32), nullable=False, comment="When it was extracted."),
    # key facts as columns, so SQL users need not dig into JSON
    Column("licence", String(64), comment="The key facts, as in `latest_labels`."),
    Column("licence_family", String(32), comment="The key facts, as in `latest_labels`."),
    Column("weights", Boolean, comment="The key facts, as in `latest_labels`."),
    Column("inference_code", Boolean, comment="The key facts, as in `latest_labels`."),
    Column("training_code", Boolean, comment="The key facts, as in `latest_labels`."),
    Column("datasets_open", Boolean, comment="The key facts, as in `latest_labels`."),
    Column("data_information", Boolean, comment="The key facts, as in `latest_labels`."),
    Column("data_information_score", Integer, comment="The key facts, as in `latest_labels`."),
    Column("data", JSON, nullable=False, comment="JSON of the full evidence, every conclusion with its sources (`extract/types.py`, `ModelEvidence`)."),
    # licences of the code (migration 0006): SPDX id, "NOASSERTION", "none", a library's licence; NULL: unknown
    Column("inference_code_licence", String(64), comment="The key facts, as in `latest_labels`."),
    Column("training_code_licence", String(64), comment="The key facts, as in `latest_labels`."),
    comment="what extraction found in a version",
)
# The facts the run aggregates count for every model of a run (store/rollups.py, migration 0014), and the
# licences the weekly changes and the Parquet history read: from this index (tens of MB), not from a
# page of evidence row per version. It replaced ix_evidence_licence (migration 0010, dropped in 0015),
# whose columns it starts with.
Index("ix_evidence_facts", evidence.c.version_id, evidence.c.licence, evidence.c.licence_family, evidence.c.training_code, evidence.c.data_information)

version_bases = Table(
    "version_bases",
    metadata,
    # the base models a version declares (from its evidence): the lineage graph, for SQL and re-labelling
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True, comment="The derivative version."),
    Column("base_id", String(256), primary_key=True, comment="A declared base model's Hub id."),
    Column("relation", String(16), nullable=False, comment="finetune, adapter, quantized, merge or unspecified."),
    # migration 0005: how the base was named and what it resolved to
    Column("base_key", String(256), comment="The base id lower-cased (the Hub matches ids case-insensitively)."),
    Column("kind", String(16), comment="`hub-id`, `local-path`, `url` or `invalid`: whether the value names a Hub repository one can ask about."),
    Column("source", String(256), comment="Where the base was named: `cardData.base_model`, `tag:...`, `file:adapter_config.json`, `card`, ..."),
    Column("confidence", Float, comment="How sure that evidence is (policy/lineage.yaml)."),
    Column("resolved_id", String(256), comment="The stored model it names, after redirects and case, when known."),
    # ok | pending (not looked up yet) | missing | private | disabled | local-path | url | invalid | error
    Column("status", String(16), comment="`ok`, `pending` (not looked up yet), `missing`, `private`, `disabled`, `local-path`, `url`, `invalid` or `error`."),
    comment="base models a version declares",
)
Index("ix_version_bases_base", version_bases.c.base_id)
Index("ix_version_bases_key", version_bases.c.base_key)
Index("ix_version_bases_resolved", version_bases.c.resolved_id)

model_aliases = Table(
    "model_aliases",
    metadata,
    # an old or differently spelled id that the Hub redirected to a stored model: the next lookup is free
    Column("alias_key", String(256), primary_key=True, comment="An old or differently spelled id, lower-cased, that the Hub redirected to a stored model: the next lookup is free."),
    Column("repo_id", String(256), nullable=False, comment="The stored model it names."),
    Column("run_id", ForeignKey("runs.id"), comment="The run that learnt it."),
    Column("recorded_at", String(32), nullable=False, comment="When."),
    comment="ids the Hub redirects to a stored model",
)

base_lookups = Table(
    "base_lookups",
    metadata,
    # the last time a run asked the Hub about a base id no stored model matched, and the answer
    Column("base_key", String(256), primary_key=True, comment="A base id that no stored model matched, lower-cased (the Hub matches ids case-insensitively)."),
    Column("asked_id", String(256), nullable=False, comment="The id as asked."),
    Column("status", String(16), nullable=False, comment="`ok`, `missing`, `disabled`, `invalid` or `error`."),
    Column("repo_id", String(256), comment="The canonical id the Hub answered with, when `ok` (after redirects)."),
    Column("run_id", ForeignKey("runs.id"), comment="The run that asked."),
    Column("asked_at", String(32), nullable=False, comment="When; the id is asked again only when due (7 days)."),
    Column("error", Text, comment="Why the lookup failed."),
    comment="base ids asked about that no stored model matched",
)

labels = Table(
    "labels",
    metadata,
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True, comment="The version."),
    Column("rule_version", String(16), nullable=False, comment="The rule set used."),
    Column("extractor_version", Integer, nullable=False, comment="The evidence's extractor release."),
    Column("inputs_digest", String(64), nullable=False, comment="A hash of the evidence and base labels used; unchanged inputs are not re-labelled."),
    Column("classified_at", String(32), nullable=False, comment="When it was labelled."),
    Column("label", String(32), nullable=False, comment="As in `latest_labels`."),
    Column("rule", String(64), nullable=False, comment="As in `latest_labels`."),
    Column("open_basis", String(16), comment="As in `latest_labels`."),
    Column("capped_by", String(256), comment="As in `latest_labels`."),
    Column("open_washing", Boolean, nullable=False, comment="As in `latest_labels`."),
    Column("washing_reasons", JSON, nullable=False, comment="As in `latest_labels`."),
    Column("explanation", JSON, nullable=False, comment="JSON of every gate passed or failed, with its reason and evidence (what `hubscan explain` prints)."),
    Column("confidence", Float, comment="Reserved for a confidence score (NULL today)."),
    comment="the label of a version",
)
Index("ix_labels_label", labels.c.label)
# The flagged versions (a few percent of them): the weekly report probes this set in memory instead of
# reading a label per model (migration 0010).
Index("ix_labels_flagged", labels.c.version_id, sqlite_where=labels.c.open_washing, postgresql_where=labels.c.open_washing)

code_repos = Table(
    "code_repos",
    metadata,
    # one row per GitHub repository a candidate model's card links (migration 0006): what GitHub answered
    # when the crawler last checked it, so extraction reads it from the database alone. Never a token.
    Column("name", String(256), primary_key=True, comment="`owner/repo` as the card links it, lower-case."),
    Column("full_name", String(256), comment="The name GitHub reports (differs after a rename or transfer: the crawler followed the 301)."),
    Column("github_id", Integer, comment="GitHub's numeric repository id."),
    Column("status", String(16), nullable=False, comment="`ok`, `renamed`, `missing` (404), `blocked` (451), `error` or `rate-limited` (the check failed and there was no earlier answer)."),
    Column("archived", Boolean, comment="As GitHub reports them."),
    Column("fork", Boolean, comment="As GitHub reports them."),
    Column("default_branch", String(256), comment="The branch whose tree was read."),
    Column("licence_spdx", String(64), comment="GitHub's licence detection: `NOASSERTION`/`other` for a licence file it could not classify, NULL for no licence file."),
    Column("licence_key", String(64), comment="GitHub's licence detection: `NOASSERTION`/`other` for a licence file it could not classify, NULL for no licence file."),
    Column("licence_name", String(256), comment="GitHub's licence detection: `NOASSERTION`/`other` for a licence file it could not classify, NULL for no licence file."),
    Column("description", Text, comment="The repository's description (bounded)."),
    Column("tree_digest", String(64), comment="A hash of the stored file list."),
    Column("tree_entries", Integer, comment="Files GitHub listed."),
    Column("truncated", Boolean, comment="Whether the listing was cut (by GitHub past 100,000 entries, or by hubscan's bound of 20,000)."),
    Column("tree", LargeBinary, comment="JSON `[[path, size], ...]` of the files, zlib-compressed."),
    Column("docs", LargeBinary, comment="JSON `{path: text}` of the README and at most two data or training documents, zlib-compressed."),
    Column("state_digest", String(64), comment="A hash of everything extraction reads of the row: a change re-extracts exactly the versions linking it."),
    Column("etags", JSON, comment="JSON of the ETag of each answer, sent back as `If-None-Match` on the next check."),
    Column("first_seen_run", ForeignKey("runs.id"), nullable=False, comment="The run that first checked it, and the last one that asked GitHub."),
    Column("fetched_run", ForeignKey("runs.id"), nullable=False, comment="The run that first checked it, and the last one that asked GitHub."),
    Column("fetched_at", String(32), nullable=False, comment="When GitHub last answered: due again after `HUBSCAN_GITHUB_REFRESH_DAYS` (default 7)."),
    Column("error", Text, comment="The last failure, when the last check failed (the row keeps the earlier answer)."),
    comment="GitHub repositories that model cards link as their code",
)

version_code_repos = Table(
    "version_code_repos",
    metadata,
    # which GitHub repositories a version's card links as its code (from its evidence): what to check
    Column("version_id", ForeignKey("model_versions.id"), primary_key=True, comment="The model version."),
    Column("repo_name", String(256), primary_key=True, comment="A `code_repos.name`."),
    Column("role", String(16), nullable=False, comment="How the card presents it: `training` (called training code), `repository` (a bare code link) or `inference`."),
    comment="which repositories a version's card gives as its code",
)
Index("ix_version_code_repos_repo", version_code_repos.c.repo_name)

label_events = Table(
    "label_events",
    metadata,
    # `labels` holds a version's label under the newest inputs; a version can be relabelled without a
    # new sha (its base or a dataset changed, a new rule set), so each label a version had is kept here
    # with the run it was recorded in, for history "as labelled then" and the weekly changes feed.
    Column("id", Integer, primary_key=True, autoincrement=True, comment="Order of recording."),
    Column("version_id", ForeignKey("model_versions.id"), nullable=False, comment="The version."),
    Column("run_id", ForeignKey("runs.id"), comment="The crawl run whose analysis recorded it (for a standalone `hubscan classify`, the newest run)."),
    Column("recorded_at", String(32), nullable=False, comment="When it was recorded."),
    Column("label", String(32), nullable=False, comment="As in `labels`."),
    Column("rule", String(64), nullable=False, comment="As in `labels`."),
    Column("rule_version", String(16), nullable=False, comment="As in `labels`."),
    Column("open_washing", Boolean, nullable=False, comment="As in `labels`."),
    Column("washing_reasons", JSON, nullable=False, comment="As in `labels`."),
    comment="every label a version had",
)
Index("ix_label_events_version_run", label_events.c.version_id, label_events.c.run_id)
# The versions (re)labelled between two runs, for the weekly changes (migration 0010).
Index("ix_label_events_run", label_events.c.run_id, label_events.c.version_id)
# The versions ever flagged by an event (a few percent): the models gone since last week that may clear a flag.
Index("ix_label_events_flagged", label_events.c.version_id, sqlite_where=label_events.c.open_washing, postgresql_where=label_events.c.open_washing)

reviews = Table(
    "reviews",
    metadata,
    # Reviewers' corrections, append-only (migration 0008): `labels` stays what the rules computed; a
    # review publishes its label only while the model's current sha is the one reviewed. Clearing a
    # review appends an `action = 'clear'` row; nothing is updated or deleted, so the provenance stays.
    Column("id", Integer, primary_key=True, autoincrement=True, comment="Order of recording."),
    Column("repo_id", String(256), nullable=False, comment="The model (no foreign key: a team's review file may be imported before a crawl)."),
    Column("sha", String(64), nullable=False, comment="The version reviewed."),
    Column("action", String(8), nullable=False, comment="`set` or `clear`."),
    Column("label", String(32), comment="The reviewer's label (`set` only)."),
    Column("reason", Text, comment="Why (required for `set`)."),
    Column("evidence_url", Text, comment="A link to the evidence, stored without credentials."),
    Column("reviewed_by", String(128), nullable=False, comment="Who."),
    Column("reviewed_at", String(32), nullable=False, comment="When the review was made (ISO-8601 UTC; kept from the file on import)."),
    Column("recorded_at", String(32), nullable=False, comment="When this database got the row."),
    Column("origin", String(16), nullable=False, comment="`cli` or `import`."),
    comment="reviewers' corrections, append-only",
)
Index("ix_reviews_repo", reviews.c.repo_id)
