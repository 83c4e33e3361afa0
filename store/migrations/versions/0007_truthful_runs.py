"""truthful runs (analysis state, incomplete downloads) and views without private repositories

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

from store.views import drop_views

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, as in 0003: a batch "recreate" of `runs` would trip the foreign keys.


def upgrade() -> None:
    op.add_column("runs", sa.Column("analysis", sa.String(length=16), nullable=True))
    op.add_column("runs", sa.Column("analysis_error", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("incomplete", sa.Integer(), nullable=True))
    # Runs before this revision keep NULL: nobody recorded how their analysis went.
    # (the views that leave private repositories out are created by store.views.sync_views)


def downgrade() -> None:
    drop_views(op.get_bind())
    for column in ("incomplete", "analysis_error", "analysis"):
        op.drop_column("runs", column)
