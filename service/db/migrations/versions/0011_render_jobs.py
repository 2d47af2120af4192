"""render jobs: documents are numbered at signing and rendered by a worker

Revision ID: 0011_render_jobs
Revises: 0010_directory_chain
Create Date: 2026-12-01 22:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0011_render_jobs'
down_revision = '0010_directory_chain'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # documents signed before this revision were rendered at signing: they are ready
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), server_default='ready', nullable=False))
        batch_op.add_column(sa.Column('content', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('rendered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('docx_sha256', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('pdf_sha256', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('docx', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column('pdf', existing_type=sa.LargeBinary(), nullable=True)
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=sa.String(length=10), server_default=None)

    op.create_table('render_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=36), nullable=True),
    sa.Column('taken_by', sa.String(length=120), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_render_job_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_render_job')),
    sa.UniqueConstraint('document_id', name=op.f('uq_render_job_document_id'))
    )
    with op.batch_alter_table('render_job', schema=None) as batch_op:
        batch_op.create_index('ix_render_job_due', ['done_at', 'failed_at', 'run_after'], unique=False)


def downgrade() -> None:
    waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM document WHERE pdf IS NULL")).scalar()
    if waiting:  # the older schema has no place for a document without its files
        raise RuntimeError(f"{waiting} documents are not rendered yet: run the render worker first")
    with op.batch_alter_table('render_job', schema=None) as batch_op:
        batch_op.drop_index('ix_render_job_due')

    op.drop_table('render_job')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('pdf', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('docx', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('pdf_sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('docx_sha256', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('rendered_at')
        batch_op.drop_column('content')
        batch_op.drop_column('state')
