"""drop ix_evidence_licence: ix_evidence_facts (0014) starts with the same columns and serves its readers

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every evidence write maintained both indexes; the wider one answers the licence lookups of the
    # weekly report and the Parquet history as well (same leading columns, still covering).
    op.drop_index("ix_evidence_licence", table_name="evidence")


def downgrade() -> None:
    op.create_index("ix_evidence_licence", "evidence", ["version_id", "licence", "licence_family"])
