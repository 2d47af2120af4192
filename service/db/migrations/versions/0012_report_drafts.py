"""report drafts: a level's report waits for its head's signature

Revision ID: 0012_report_drafts
Revises: 0011_render_jobs
Create Date: 2026-12-02 00:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0012_report_drafts'
down_revision = '0011_render_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_drafts', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('report_drafts')
