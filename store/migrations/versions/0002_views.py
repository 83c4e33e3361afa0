"""researcher views (now created by store.views.sync_views after the migrations)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

This revision first created the views. Views hold no data, so since 0005 they are kept out of the
migrations: `store.db.open_engine` runs `store.views.sync_views` after migrating, which creates them,
or replaces them when their SQL changed. A database that ran the original 0002 had its views dropped
by 0005 and recreated by that sync; the end state is the same.
"""

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
