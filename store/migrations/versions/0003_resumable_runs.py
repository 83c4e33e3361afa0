"""resumable runs (cursor checkpoint, mode, high-water mark) and the crawl lock

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite >= 3.35 has both): a batch "recreate" of `runs` would trip the
# foreign keys that point at it.


def upgrade() -> None:
    op.add_column("runs", sa.Column("mode", sa.String(length=16), nullable=True))
    op.add_column("runs", sa.Column("cursor", sa.Text(), nullable=True))
    op.add_column("runs", sa.Column("pages", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("listing_done", sa.Boolean(), nullable=True))
    op.add_column("runs", sa.Column("high_water", sa.String(length=32), nullable=True))
    op.create_table(
        "locks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=256), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("acquired_at", sa.String(length=32), nullable=False),
        sa.Column("heartbeat_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("locks")
    for column in ("high_water", "listing_done", "pages", "cursor", "mode"):
        op.drop_column("runs", column)
