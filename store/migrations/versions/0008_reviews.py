"""reviews: reviewers' corrections with provenance (append-only); latest_labels publishes them

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

from store.views import VIEWS, VIEWS_0004

revision = "0008"
# The brief names 0004; this branch already has 0005 (also on 0004), and two heads would stop
# `migrate` from finding one head. The lead re-chains migrations when merging.
down_revision = "0005"
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
    # latest_labels reads reviews, and washing_flags reads latest_labels: recreate them all, in order.
    for view in reversed(VIEWS_0004):
        op.execute(view.drop_sql())
    for view in VIEWS:
        op.execute(view.create_sql())


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(view.drop_sql())
    for view in VIEWS_0004:
        op.execute(view.create_sql())
    op.drop_index("ix_reviews_repo", table_name="reviews")
    op.drop_table("reviews")
