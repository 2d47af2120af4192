"""dashboard parts: each instance's share of its campaigns' figures, and the agencies' rows

Revision ID: 0029_dashboard_parts
Revises: 0028_fanout_jobs
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_dashboard_parts"
down_revision = "0028_fanout_jobs"
branch_labels = None
depends_on = None

ORDERS = ("wait_p90", "wait_p50", "open", "overdue", "returns")


def upgrade() -> None:
    # the figures kept so far have no parts: the next pass recomputes every campaign whole
    op.execute("DELETE FROM dashboard_figure")
    op.execute("DELETE FROM dashboard_refresh")
    op.create_table(
        "dashboard_part",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("part", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dashboard_refresh.campaign_id"],
            name=op.f("fk_dashboard_part_campaign_id_dashboard_refresh"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "instance_id", name=op.f("pk_dashboard_part")),
    )
    op.create_table(
        "dashboard_agency",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("wait_p50", sa.Integer(), nullable=True),
        sa.Column("wait_p90", sa.Integer(), nullable=True),
        *(sa.Column(f"{key}_key", sa.Integer(), nullable=False) for key in ORDERS),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("waits", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["dashboard_refresh.campaign_id"],
            name=op.f("fk_dashboard_agency_campaign_id_dashboard_refresh"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "agency_id", name=op.f("pk_dashboard_agency")),
    )
    for key in ORDERS:
        op.create_index(
            f"ix_dashboard_agency_{key}",
            "dashboard_agency",
            ["campaign_id", f"{key}_key", "name_key", "agency_id"],
        )
    op.create_index(
        "ix_dashboard_agency_name", "dashboard_agency", ["campaign_id", "name_key", "agency_id"]
    )


def downgrade() -> None:
    op.drop_table("dashboard_agency")
    op.drop_table("dashboard_part")
