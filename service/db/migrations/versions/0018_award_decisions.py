"""award decisions: a document not made by a task (a QĐ khen thưởng), one per plan

Revision ID: 0018_award_decisions
Revises: 0017_issuers
Create Date: 2026-12-03 01:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0018_award_decisions'
down_revision = '0017_issuers'
branch_labels = None
depends_on = None

_ONE_DECISION = sa.text("kind = 'QĐ'")


def upgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('task_id', existing_type=sa.Integer(), nullable=True)
    op.create_index(
        'uq_document_award_decision',
        'document',
        ['instance_id'],
        unique=True,
        sqlite_where=_ONE_DECISION,
        postgresql_where=_ONE_DECISION,
    )


def downgrade() -> None:
    op.drop_index('uq_document_award_decision', table_name='document')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('task_id', existing_type=sa.Integer(), nullable=False)
