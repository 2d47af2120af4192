"""findable: which user has read which notification (the unread count and "mark as read")

Revision ID: 0020_findable
Revises: 0019_task_drafts
Create Date: 2026-12-02 02:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0020_findable'
down_revision = '0019_task_drafts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notification_read',
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_notification_read_notification_id_notification')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_read_user_id_user_account')),
    sa.PrimaryKeyConstraint('notification_id', 'user_id', name=op.f('pk_notification_read'))
    )


def downgrade() -> None:
    op.drop_table('notification_read')
