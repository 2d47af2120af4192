"""fan-out jobs: a plan signed to many units is issued to them by the worker, in batches

Revision ID: 0028_fanout_jobs
Revises: 0026_notification_text
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_fanout_jobs"
down_revision = "0027_dashboard_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fanout_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_agency_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_fanout_job_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_fanout_job_actor_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["actor_agency_id"], ["agency.id"], name=op.f("fk_fanout_job_actor_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fanout_job")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_fanout_job_instance_id")),
    )
    op.create_index("ix_fanout_job_due", "fanout_job", ["done_at", "run_after"], unique=False)


def downgrade() -> None:
    waiting = op.get_bind().execute(
        sa.text("SELECT count(*) FROM fanout_job WHERE done_at IS NULL")
    ).scalar()
    if waiting:  # the older schema starts every unit at signing: it has no place for the rest
        raise RuntimeError(f"{waiting} plans are still being issued: run the worker first")
    op.drop_index("ix_fanout_job_due", table_name="fanout_job")
    op.drop_table("fanout_job")
