"""reports counted once: the dashboard's kept figures counted a unit's report at each of its
tasks (drafted, signed); they are dropped, and the next pass recounts every campaign whole

Revision ID: 0032_reports_counted_once
Revises: 0031_lz4_compression
"""

from alembic import op

revision = "0032_reports_counted_once"
down_revision = "0031_lz4_compression"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # derived figures only (service.operations.dashboard_figures): nothing is lost; a view
    # answers live until the scheduler's next pass has recounted its campaign
    for table in ("dashboard_part", "dashboard_agency", "dashboard_figure", "dashboard_refresh"):
        op.execute(f"DELETE FROM {table}")


def downgrade() -> None:
    upgrade()  # the older code's counts differ: it recounts them whole too
