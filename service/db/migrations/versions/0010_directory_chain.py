"""the directory's audit chain: events that belong to no process

Revision ID: 0010_directory_chain
Revises: 0009_second_factor
Create Date: 2026-12-01 23:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0010_directory_chain'
down_revision = '0009_second_factor'
branch_labels = None
depends_on = None

GENESIS = '0' * 64


def _sqlite_append_only() -> None:
    """SQLite's batch mode copies `event` and drops its append-only triggers (0002): again."""
    if op.get_bind().dialect.name != 'sqlite':
        return
    for action in ('UPDATE', 'DELETE'):
        op.execute(f'CREATE TRIGGER event_no_{action.lower()} BEFORE {action} ON event'
                   f" BEGIN SELECT RAISE(ABORT, 'event is append-only: {action} refused'); END")


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=True)
    _sqlite_append_only()
    chain = op.create_table('audit_chain',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last_event_seq', sa.Integer(), nullable=False),
    sa.Column('last_event_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_audit_chain'))
    )
    op.bulk_insert(chain, [{'name': 'directory', 'last_event_seq': 0, 'last_event_hash': GENESIS, 'version': 1}])


def downgrade() -> None:
    # the directory's events cannot go back into a log that requires a process: refuse to lose
    # them silently (the append-only triggers refuse the DELETE as well)
    op.drop_table('audit_chain')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.alter_column('instance_id', existing_type=sa.Integer(), nullable=False)
    _sqlite_append_only()
