"""report rounds

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:42:10.956148
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_round',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.String(length=40), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_report_round_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('instance_id', 'round', name=op.f('pk_report_round'))
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reports', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.drop_column('report')
        batch_op.drop_column('children_open')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('report_round', sa.String(length=40), nullable=True))
    op.execute("UPDATE task SET form = step")  # until now every step had the form of its name



def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('report_round')
        batch_op.drop_column('form')

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('children_open', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('report', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.drop_column('reports')

    op.drop_table('report_round')
