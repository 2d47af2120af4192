"""issuers: the TM. line of an agency's documents and the other bodies it issues as

Revision ID: 0017_issuers
Revises: 0015_sessions
Create Date: 2026-12-02 01:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0017_issuers'
down_revision = '0015_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collective', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('issuers', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_column('issuers')
        batch_op.drop_column('collective')
