"""label events: every label a version had, per run (history as labelled then)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from store.views import VIEWS_0002
from store.views import VIEWS_0004 as VIEWS

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("rule_version", sa.String(length=16), nullable=False),
        sa.Column("open_washing", sa.Boolean(), nullable=False),
        sa.Column("washing_reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_label_events_version_run", "label_events", ["version_id", "run_id"], unique=False)
    # Labels stored before this revision become each version's first event, as of the run that first saw it.
    op.execute(
        "INSERT INTO label_events (version_id, run_id, recorded_at, label, rule, rule_version, open_washing, washing_reasons) "
        "SELECT l.version_id, v.first_seen_run, l.classified_at, l.label, l.rule, l.rule_version, l.open_washing, l.washing_reasons "
        "FROM labels l JOIN model_versions v ON v.id = l.version_id ORDER BY l.version_id"
    )
    for view in reversed(VIEWS_0002):
        op.execute(view.drop_sql())
    for view in VIEWS:
        op.execute(view.create_sql())


def downgrade() -> None:
    for view in reversed(VIEWS):
        op.execute(view.drop_sql())
    for view in VIEWS_0002:
        op.execute(view.create_sql())
    op.drop_index("ix_label_events_version_run", table_name="label_events")
    op.drop_table("label_events")
