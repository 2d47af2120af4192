"""dated agencies: administrative-unit codes, validity periods and successor links

Revision ID: 0022_dated_agencies
Revises: 0021_comments
Create Date: 2026-12-02 02:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0022_dated_agencies'
down_revision = '0021_comments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admin_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_to', sa.Date(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_agency_admin_code'), ['admin_code'])
    op.create_table(
        'agency_successor',
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('successor_id', sa.Integer(), nullable=False),
        sa.Column('effective', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('takes_open_work', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ['agency_id'], ['agency.id'], name=op.f('fk_agency_successor_agency_id_agency')
        ),
        sa.ForeignKeyConstraint(
            ['successor_id'], ['agency.id'], name=op.f('fk_agency_successor_successor_id_agency')
        ),
        sa.PrimaryKeyConstraint('agency_id', 'successor_id', name=op.f('pk_agency_successor')),
    )


def downgrade() -> None:
    op.drop_table('agency_successor')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_agency_admin_code'), type_='unique')
        batch_op.drop_column('valid_to')
        batch_op.drop_column('valid_from')
        batch_op.drop_column('admin_code')
