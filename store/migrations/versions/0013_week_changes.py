"""week changes: the weekly report's changes between a finished run and the week before, stored with the runs' aggregates

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "week_change_sets",
        sa.Column("current_run", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("previous_run", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("computed_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("current_run"),
    )
    op.create_table(
        "week_changes",
        sa.Column("current_run", sa.Integer(), sa.ForeignKey("week_change_sets.current_run"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("repo_id", sa.String(length=256), nullable=False),
        sa.Column("author", sa.String(length=256), nullable=True),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.Column("before_value", sa.String(length=256), nullable=True),
        sa.Column("after_value", sa.String(length=256), nullable=True),
        sa.Column("direction", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("current_run", "seq"),
    )
    # Nothing to forget: the sets are written from now on, when a run's analysis ends or a report
    # first computes them.


def downgrade() -> None:
    op.drop_table("week_changes")
    op.drop_table("week_change_sets")
