"""truthful runs (analysis state, incomplete downloads) and views without private repositories

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

from store.views import VIEWS, VIEWS_0004

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, as in 0003: a batch "recreate" of `runs` would trip the foreign keys.


def upgrade() -> None:
    op.add_column("runs", sa.Column("analysis", sa.String(length=16), nullable=True))
    op.add_column("runs", sa.Column("analysis_error", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("incomplete", sa.Integer(), nullable=True))
    # Runs before this revision keep NULL: nobody recorded how their analysis went.
    for view in reversed(VIEWS_0004):
        op.execute(view.drop_sql())
    for view in VIEWS:
        op.execute(view.create_sql())


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(view.drop_sql())
    for view in VIEWS_0004:
        op.execute(view.create_sql())
    for column in ("incomplete", "analysis_error", "analysis"):
        op.drop_column("runs", column)
