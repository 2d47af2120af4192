"""claims, signing on behalf, delegations, folded titles

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:32:58.658264
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grantor_id', sa.Integer(), nullable=False),
    sa.Column('substitute_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('starts', sa.Date(), nullable=False),
    sa.Column('ends', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['grantor_id'], ['user_account.id'], name=op.f('fk_delegation_grantor_id_user_account')),
    sa.ForeignKeyConstraint(['substitute_id'], ['user_account.id'], name=op.f('fk_delegation_substitute_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation'))
    )
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegation_grantor_id'), ['grantor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegation_substitute_id'), ['substitute_id'], unique=False)

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_folded', sa.String(length=500), nullable=False, server_default=''))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('on_behalf_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('signing_mark', sa.String(length=120), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_task_on_behalf_of_id_user_account'), 'user_account', ['on_behalf_of_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_task_claimed_by_id_user_account'), 'user_account', ['claimed_by_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_task_claimed_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_task_on_behalf_of_id_user_account'), type_='foreignkey')
        batch_op.drop_column('signing_mark')
        batch_op.drop_column('on_behalf_of_id')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_id')

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('title_folded')

    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegation_substitute_id'))
        batch_op.drop_index(batch_op.f('ix_delegation_grantor_id'))

    op.drop_table('delegation')
