"""audit: hash-chained events, chain heads, signed checkpoints, append-only triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:00:00

Events already stored are hashed here, in seq order per instance, so the chain starts intact.
Triggers refuse UPDATE and DELETE (and TRUNCATE) on `event` and `checkpoint`. On SQLite a later
`batch_alter_table` on those tables copies them and drops the triggers: recreate them after it.
"""

from typing import Any

from alembic import op
import sqlalchemy as sa

from service.db.base import UTCDateTime
from workflows.audit import GENESIS, event_hash


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The fields an event's hash covers, as of this revision; service.operations.instances hashes
# the same ones (tests/service/test_audit_migration.py checks that the two agree).
HASHED = ('instance_id', 'seq', 'action', 'task_id', 'actor_id', 'agency_id', 'role', 'data',
          'created_at')
APPEND_ONLY = ('event', 'checkpoint')


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_event_hash', sa.String(length=64), nullable=True))
    _hash_existing_events()
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.alter_column('last_event_hash', existing_type=sa.String(length=64), nullable=False)

    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tree_size', sa.Integer(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoint'))
    )
    for table in APPEND_ONLY:
        _refuse_changes(table)
    if op.get_bind().dialect.name == 'postgresql':
        _let_checkpoints_hold_writers()


def downgrade() -> None:
    for table in APPEND_ONLY:
        _allow_changes(table)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION audit_hold_writers()')
        op.execute('DROP FUNCTION audit_append_only()')
    op.drop_table('checkpoint')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_column('last_event_hash')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')


def _let_checkpoints_hold_writers() -> None:
    """A checkpoint locks `event` in SHARE mode (service.operations.audit says why), which
    PostgreSQL allows only to roles that may UPDATE or DELETE it. The service's role should not
    (README, "Audit"), so the lock is taken by a function that runs with the owner's rights."""
    schema = op.get_bind().exec_driver_sql('SELECT quote_ident(current_schema())').scalar()
    op.execute(
        'CREATE FUNCTION audit_hold_writers() RETURNS void LANGUAGE plpgsql SECURITY DEFINER'
        f' SET search_path = {schema}, pg_temp AS $$ BEGIN'
        ' LOCK TABLE event IN SHARE MODE; LOCK TABLE checkpoint IN EXCLUSIVE MODE; END $$'
    )


def _hash_existing_events() -> None:
    conn = op.get_bind()
    columns: dict[str, sa.ColumnClause[Any]] = {name: sa.column(name) for name in HASHED}
    columns['data'] = sa.column('data', sa.JSON())
    columns['created_at'] = sa.column('created_at', UTCDateTime())
    event = sa.table('event', sa.column('id'), sa.column('prev_hash'), sa.column('hash'),
                     *columns.values())
    instance = sa.table('process_instance', sa.column('id'), sa.column('last_event_hash'))
    heads: dict[int, str] = {}
    for row in conn.execute(sa.select(event).order_by(event.c.instance_id, event.c.seq)):
        prev = heads.get(row.instance_id, GENESIS)
        digest = event_hash({name: getattr(row, name) for name in HASHED}, prev)
        conn.execute(event.update().where(event.c.id == row.id).values(prev_hash=prev, hash=digest))
        heads[row.instance_id] = digest
    conn.execute(instance.update().values(last_event_hash=GENESIS))
    for instance_id, head in heads.items():
        conn.execute(instance.update().where(instance.c.id == instance_id)
                     .values(last_event_hash=head))


def _refuse_changes(table: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP"
            " USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}'
                   ' FOR EACH ROW EXECUTE FUNCTION audit_append_only()')
        op.execute(f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()')
        return
    for action in ('UPDATE', 'DELETE'):
        op.execute(f'CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}'
                   f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END")


def _allow_changes(table: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER {table}_append_only ON {table}')
        op.execute(f'DROP TRIGGER {table}_no_truncate ON {table}')
        return
    for action in ('update', 'delete'):
        op.execute(f'DROP TRIGGER {table}_no_{action}')
