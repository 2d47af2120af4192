"""task drafts: a task's form as last saved, not yet sent

Revision ID: 0019_task_drafts
Revises: 0018_award_decisions
Create Date: 2026-12-02 02:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0019_task_drafts'
down_revision = '0018_award_decisions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('task_draft',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('saved_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['saved_by_id'], ['user_account.id'], name=op.f('fk_task_draft_saved_by_id_user_account')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_draft_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_task_draft'))
    )


def downgrade() -> None:
    op.drop_table('task_draft')
