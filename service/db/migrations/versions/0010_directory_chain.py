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
        op.execute(f'CREATE TRIGGER IF NOT EXISTS event_no_{action.lower()} BEFORE {action} ON event'
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
    # the head of directory events already stored (upgrading again after a downgrade)
    event = sa.table('event', sa.column('instance_id'), sa.column('seq'), sa.column('hash'))
    last = op.get_bind().execute(
        sa.select(event.c.seq, event.c.hash).where(event.c.instance_id.is_(None))
        .order_by(event.c.seq.desc()).limit(1)
    ).first()
    op.bulk_insert(chain, [{'name': 'directory', 'last_event_seq': last.seq if last else 0,
                            'last_event_hash': last.hash if last else GENESIS, 'version': 1}])


def downgrade() -> None:
    # Events of no process stay, and so may instance_id be empty: the log is append-only, and
    # upgrading again finds the directory chain's head from them.
    op.drop_table('audit_chain')
