"""directory, definitions, instances, tasks, events, notifications

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 16:23:00.441956
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('abbreviation', sa.String(length=20), nullable=True),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['agency.id'], name=op.f('fk_agency_jurisdiction_id_agency')),
    sa.ForeignKeyConstraint(['parent_id'], ['agency.id'], name=op.f('fk_agency_parent_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('code', name=op.f('uq_agency_code'))
    )
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_jurisdiction_id'), ['jurisdiction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_parent_id'), ['parent_id'], unique=False)

    op.create_table('process_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('bpmn', sa.Text(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definition')),
    sa.UniqueConstraint('process_id', 'sha256', name=op.f('uq_process_definition_process_id_sha256')),
    sa.UniqueConstraint('process_id', 'version', name=op.f('uq_process_definition_process_id_version'))
    )
    op.create_table('role_binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_role_binding_agency_id_agency')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['agency.id'], name=op.f('fk_role_binding_jurisdiction_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_binding')),
    sa.UniqueConstraint('jurisdiction_id', 'role', name=op.f('uq_role_binding_jurisdiction_id_role'))
    )
    with op.batch_alter_table('role_binding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_binding_agency_id'), ['agency_id'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_user_account_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_agency_id'), ['agency_id'], unique=False)

    op.create_table('process_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('bindings', sa.JSON(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('children_open', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadlines', sa.JSON(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('next_timer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_event_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_process_instance_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['agency.id'], name=op.f('fk_process_instance_jurisdiction_id_agency')),
    sa.ForeignKeyConstraint(['parent_id'], ['process_instance.id'], name=op.f('fk_process_instance_parent_id_process_instance')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_process_instance_started_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instance'))
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instance_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_jurisdiction_id'), ['jurisdiction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_next_timer_at'), ['next_timer_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_parent_id'), ['parent_id'], unique=False)

    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_role_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('engine_task_id', sa.String(length=36), nullable=False),
    sa.Column('step', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_soon_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline_state', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_task_agency_id_agency')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['user_account.id'], name=op.f('fk_task_completed_by_id_user_account')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_task_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task')),
    sa.UniqueConstraint('engine_task_id', name=op.f('uq_task_engine_task_id'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_deadline', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_task_inbox', ['agency_id', 'role', 'state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_instance_id'), ['instance_id'], unique=False)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_event_agency_id_agency')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_event_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_event_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('instance_id', 'seq', name=op.f('uq_event_instance_id_seq'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=40), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_notification_agency_id_agency')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_notification_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('task_id', 'rule', 'agency_id', name=op.f('uq_notification_task_id_rule_agency_id'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_task_id'), ['task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_task_id'))
        batch_op.drop_index(batch_op.f('ix_notification_agency_id'))

    op.drop_table('notification')
    op.drop_table('event')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_instance_id'))
        batch_op.drop_index('ix_task_inbox')
        batch_op.drop_index('ix_task_deadline')

    op.drop_table('task')
    op.drop_table('user_role')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instance_parent_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_next_timer_at'))
        batch_op.drop_index(batch_op.f('ix_process_instance_jurisdiction_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_definition_id'))

    op.drop_table('process_instance')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_agency_id'))

    op.drop_table('user_account')
    with op.batch_alter_table('role_binding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_binding_agency_id'))

    op.drop_table('role_binding')
    op.drop_table('process_definition')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_parent_id'))
        batch_op.drop_index(batch_op.f('ix_agency_jurisdiction_id'))

    op.drop_table('agency')
