"""dashboard figures: each campaign's view rows, refreshed by the scheduler

Revision ID: 0027_dashboard_figures
Revises: 0028_fanout_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_dashboard_figures"
down_revision = "0026_notification_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # empty: a campaign without rows is computed live until the scheduler's next pass
    op.create_table(
        "dashboard_refresh",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["process_instance.id"],
            name=op.f("fk_dashboard_refresh_campaign_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_dashboard_refresh")),
    )
    op.create_table(
        "dashboard_figure",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dashboard_refresh.campaign_id"],
            name=op.f("fk_dashboard_figure_campaign_id_dashboard_refresh"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "view", "position", name=op.f("pk_dashboard_figure")),
    )


def downgrade() -> None:
    op.drop_table("dashboard_figure")
    op.drop_table("dashboard_refresh")
