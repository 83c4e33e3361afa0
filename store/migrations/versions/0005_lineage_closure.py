"""lineage closure: base models asked about by id, aliases, how each base was named and resolved

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from store.views import drop_views

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Views leave the migrations here (store.views.sync_views recreates them after migrating): drop the
    # ones 0002/0004 created, and keep the digest of what sync_views created in `schema_views`.
    drop_views(op.get_bind())
    op.create_table(
        "schema_views",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Plain ADD COLUMN (see 0003): a batch recreate would trip the foreign keys pointing at these tables.
    op.add_column("runs", sa.Column("lineage_calls", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("bases_fetched", sa.Integer(), nullable=True))
    op.add_column("models", sa.Column("origin", sa.String(length=16), nullable=True))
    op.create_index("ix_models_repo_key", "models", [sa.text("lower(repo_id)")], unique=False)
    for name, kind in (
        ("base_key", sa.String(length=256)),
        ("kind", sa.String(length=16)),
        ("source", sa.String(length=256)),
        ("confidence", sa.Float()),
        ("resolved_id", sa.String(length=256)),
        ("status", sa.String(length=16)),
    ):
        op.add_column("version_bases", sa.Column(name, kind, nullable=True))
    # Bases stored before this revision were declared Hub ids: key them so they resolve case-insensitively.
    op.execute("UPDATE version_bases SET base_key = lower(base_id), kind = 'hub-id', source = 'declared', confidence = 1.0")
    op.create_index("ix_version_bases_key", "version_bases", ["base_key"], unique=False)
    op.create_index("ix_version_bases_resolved", "version_bases", ["resolved_id"], unique=False)
    op.create_table(
        "model_aliases",
        sa.Column("alias_key", sa.String(length=256), nullable=False),
        sa.Column("repo_id", sa.String(length=256), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("alias_key"),
    )
    op.create_table(
        "base_lookups",
        sa.Column("base_key", sa.String(length=256), nullable=False),
        sa.Column("asked_id", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("repo_id", sa.String(length=256), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("base_key"),
    )


def downgrade() -> None:
    drop_views(op.get_bind())
    op.drop_table("schema_views")
    op.drop_table("base_lookups")
    op.drop_table("model_aliases")
    op.drop_index("ix_version_bases_resolved", table_name="version_bases")
    op.drop_index("ix_version_bases_key", table_name="version_bases")
    for column in ("status", "resolved_id", "confidence", "source", "kind", "base_key"):
        op.drop_column("version_bases", column)
    op.drop_index("ix_models_repo_key", table_name="models")
    op.drop_column("models", "origin")
    for column in ("bases_fetched", "lineage_calls"):
        op.drop_column("runs", column)
