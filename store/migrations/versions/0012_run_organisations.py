"""run organisations: each finished run's leading organisations by downloads, stored with its aggregates

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_organisations",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=256), nullable=True),
        sa.Column("models", sa.Integer(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "scope", "rank"),
    )
    # A run's stored aggregates now include its organisations: the runs stored before are forgotten,
    # so that every stored run has both (they are caches, written again when a report next needs them).
    op.execute("DELETE FROM run_rollups")


def downgrade() -> None:
    op.drop_table("run_organisations")
