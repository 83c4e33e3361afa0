"""weekly report indexes: what a week's changes, flags and top organisations read, without a pass per part

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the versions (re)labelled between two runs: the weekly changes read this range, not every event
    op.create_index("ix_label_events_run", "label_events", ["run_id", "version_id"])
    # the versions ever flagged by an event: the models gone since last week that may clear a flag
    op.create_index("ix_label_events_flagged", "label_events", ["version_id"], sqlite_where=sa.text("open_washing"), postgresql_where=sa.text("open_washing"))
    # the flagged versions (a few percent): one set probed in memory instead of a label read per model
    op.create_index("ix_labels_flagged", "labels", ["version_id"], sqlite_where=sa.text("open_washing"), postgresql_where=sa.text("open_washing"))
    # models by organisation, with their ids (the weekly report reads no model row; the private ones
    # are the small set ix_models_private): the leading organisations in one pass, then their own models
    op.create_index("ix_models_author", "models", ["author", "repo_id"])
    # a version's licence without its evidence document (a few KB a row), for the changed models
    op.create_index("ix_evidence_licence", "evidence", ["version_id", "licence", "licence_family"])


def downgrade() -> None:
    op.drop_index("ix_evidence_licence", table_name="evidence")
    op.drop_index("ix_models_author", table_name="models")
    op.drop_index("ix_labels_flagged", table_name="labels")
    op.drop_index("ix_label_events_flagged", table_name="label_events")
    op.drop_index("ix_label_events_run", table_name="label_events")
