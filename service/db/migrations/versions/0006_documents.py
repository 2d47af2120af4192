"""documents: registers, signed documents, how agencies head their documents

Revision ID: 0006_documents
Revises: 0005
Create Date: 2026-11-24 09:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0006_documents'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('parent_body', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('head_title', sa.String(length=80), nullable=True))

    op.create_table('register',
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_register_agency_id_agency')),
    sa.PrimaryKeyConstraint('agency_id', 'year', 'kind', name=op.f('pk_register'))
    )
    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('symbol', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=False),
    sa.Column('signing_mark', sa.String(length=120), nullable=True),
    sa.Column('docx_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('docx', sa.LargeBinary(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_document_agency_id_agency')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_document_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user_account.id'], name=op.f('fk_document_signed_by_id_user_account')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_document_task_id_task')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('agency_id', 'year', 'kind', 'number', name=op.f('uq_document_agency_id_year_kind_number')),
    sa.UniqueConstraint('task_id', name=op.f('uq_document_task_id'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_docx_sha256'), ['docx_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_pdf_sha256'), ['pdf_sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_pdf_sha256'))
        batch_op.drop_index(batch_op.f('ix_document_instance_id'))
        batch_op.drop_index(batch_op.f('ix_document_docx_sha256'))

    op.drop_table('document')
    op.drop_table('register')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_column('head_title')
        batch_op.drop_column('parent_body')
        batch_op.drop_column('issuer_name')
