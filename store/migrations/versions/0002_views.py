"""researcher views: latest_labels, label_history, washing_flags, licence_changes, lineage

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op

from store.views import VIEWS_0002 as VIEWS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for view in VIEWS:
        op.execute(view.create_sql())


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(view.drop_sql())
