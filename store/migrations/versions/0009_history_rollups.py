"""history rollups: each model's latest observation, and per-run aggregates for the reports

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from store.views import drop_views

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_latest",
        sa.Column("repo_id", sa.String(length=256), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("model_versions.id"), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=True),
        sa.Column("likes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("repo_id"),
    )
    op.create_table(
        "run_rollups",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("models", sa.Integer(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),  # summed over millions of models: beyond 32 bits
        *(sa.Column(name, sa.Integer(), nullable=False) for name in (
            "flagged", "no_licence", "datasets", "training_code", "data_information", "base_model")),
        sa.Column("computed_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "scope", "tier", "label"),
    )
    # the few private models, found without reading every model (the public views leave them out)
    op.create_index("ix_models_private", "models", ["repo_id"], sqlite_where=sa.text("private"), postgresql_where=sa.text("private"))
    # Each model's newest observation, once; from now on the crawl keeps it up to date. The run
    # aggregates are written as reports ask for them (store/rollups.py), not here.
    op.execute(
        "INSERT INTO model_latest (repo_id, run_id, version_id, downloads, likes) "
        "SELECT o.repo_id, o.run_id, o.version_id, o.downloads, o.likes FROM observations o "
        "JOIN (SELECT repo_id, MAX(run_id) AS run_id FROM observations GROUP BY repo_id) last "
        "ON last.repo_id = o.repo_id AND last.run_id = o.run_id"
    )


def downgrade() -> None:
    drop_views(op.get_bind())  # latest_labels reads model_latest; sync_views recreates the views on the next open
    op.drop_index("ix_models_private", table_name="models")
    op.drop_table("run_rollups")
    op.drop_table("model_latest")
