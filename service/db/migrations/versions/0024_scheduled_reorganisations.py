"""scheduled reorganisations: asked for ahead of their date, applied by the scheduler

Revision ID: 0024_scheduled_reorganisations
Revises: 0023_register_symbol
Create Date: 2026-12-02 04:20:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0024_scheduled_reorganisations"
down_revision = "0023_register_symbol"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scheduled_reorganisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('agency', sa.String(length=80), nullable=False),
        sa.Column('arguments', sa.JSON(), nullable=False),
        sa.Column('effective', sa.Date(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('refused', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ['requested_by_id'],
            ['user_account.id'],
            name=op.f('fk_scheduled_reorganisation_requested_by_id_user_account'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_reorganisation')),
    )
    with op.batch_alter_table('scheduled_reorganisation', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_scheduled_reorganisation_effective'), ['effective'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('scheduled_reorganisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduled_reorganisation_effective'))
    op.drop_table('scheduled_reorganisation')
