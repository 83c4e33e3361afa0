"""evidence facts index: a run's aggregates read each model's licence, training code and data information from an index, not its evidence row

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An evidence row carries the whole evidence document (a few KB, a page of its own): reading it for
    # each of a run's models made writing the run's aggregates grow faster than the run (store/rollups.py).
    op.create_index(
        "ix_evidence_facts", "evidence", ["version_id", "licence", "licence_family", "training_code", "data_information"]
    )


def downgrade() -> None:
    op.drop_index("ix_evidence_facts", table_name="evidence")
