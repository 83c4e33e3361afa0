"""reviews: reviewers' corrections with provenance (append-only); latest_labels publishes them

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

from store.views import drop_views

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("repo_id", sa.String(length=256), nullable=False),
        sa.Column("sha", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=128), nullable=False),
        sa.Column("reviewed_at", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reviews_repo", "reviews", ["repo_id"], unique=False)
    # (latest_labels, which reads reviews, is recreated by store.views.sync_views after the migrations)


def downgrade() -> None:
    drop_views(op.get_bind())  # latest_labels reads reviews; sync_views recreates the views on the next open
    op.drop_index("ix_reviews_repo", table_name="reviews")
    op.drop_table("reviews")
