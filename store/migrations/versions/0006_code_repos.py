"""linked code repositories (code_repos, version_code_repos), dataset cards, code licences, GitHub call counts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

from store.views import drop_views

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite >= 3.35 has both), as in 0003.


def upgrade() -> None:
    op.create_table(
        "code_repos",
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("full_name", sa.String(length=256), nullable=True),
        sa.Column("github_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=True),
        sa.Column("fork", sa.Boolean(), nullable=True),
        sa.Column("default_branch", sa.String(length=256), nullable=True),
        sa.Column("licence_spdx", sa.String(length=64), nullable=True),
        sa.Column("licence_key", sa.String(length=64), nullable=True),
        sa.Column("licence_name", sa.String(length=256), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tree_digest", sa.String(length=64), nullable=True),
        sa.Column("tree_entries", sa.Integer(), nullable=True),
        sa.Column("truncated", sa.Boolean(), nullable=True),
        sa.Column("tree", sa.LargeBinary(), nullable=True),
        sa.Column("docs", sa.LargeBinary(), nullable=True),
        sa.Column("state_digest", sa.String(length=64), nullable=True),
        sa.Column("etags", sa.JSON(), nullable=True),
        sa.Column("first_seen_run", sa.Integer(), nullable=False),
        sa.Column("fetched_run", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["first_seen_run"], ["runs.id"]),
        sa.ForeignKeyConstraint(["fetched_run"], ["runs.id"]),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "version_code_repos",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("repo_name", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["model_versions.id"]),
        sa.PrimaryKeyConstraint("version_id", "repo_name"),
    )
    op.create_index("ix_version_code_repos_repo", "version_code_repos", ["repo_name"], unique=False)
    op.add_column("runs", sa.Column("github_calls", sa.Integer(), nullable=True))
    op.add_column("runs", sa.Column("github_not_modified", sa.Integer(), nullable=True))
    op.add_column("dataset_versions", sa.Column("readme_status", sa.String(length=16), nullable=True))
    op.add_column("dataset_versions", sa.Column("readme", sa.LargeBinary(), nullable=True))
    # latest_labels reads these (store.views.sync_views recreates the views after the migrations)
    drop_views(op.get_bind())
    op.add_column("evidence", sa.Column("inference_code_licence", sa.String(length=64), nullable=True))
    op.add_column("evidence", sa.Column("training_code_licence", sa.String(length=64), nullable=True))


def downgrade() -> None:
    drop_views(op.get_bind())
    op.drop_column("evidence", "training_code_licence")
    op.drop_column("evidence", "inference_code_licence")
    op.drop_column("dataset_versions", "readme")
    op.drop_column("dataset_versions", "readme_status")
    op.drop_column("runs", "github_not_modified")
    op.drop_column("runs", "github_calls")
    op.drop_index("ix_version_code_repos_repo", table_name="version_code_repos")
    op.drop_table("version_code_repos")
    op.drop_table("code_repos")
