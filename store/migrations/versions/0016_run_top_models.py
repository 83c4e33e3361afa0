"""run top models: each stored run's top-tier models, so new evidence updates its aggregates in place

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_top_models",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("repo_id", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "scope", "repo_id"),
    )
    # Aggregates stored before this have no top-tier rows: new evidence for a version they counted
    # drops them as before (store/rollup_deltas.py), and they are written again with their top tier.


def downgrade() -> None:
    op.drop_table("run_top_models")
