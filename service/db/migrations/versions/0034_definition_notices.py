"""definition notices: on PostgreSQL, a write to process_definition (a deploy) notifies
`directory_changed` at its commit too: every worker keeps the newest version of each process
with its actors (service.operations.agency_cache), and forgets it on the notice
(service.db.notices)

Revision ID: 0034_definition_notices
Revises: 0033_role_binding_notices
"""

from alembic import op

revision = "0034_definition_notices"
down_revision = "0033_role_binding_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no notices: nothing is kept there
    # the function of migration 0030, as on its tables
    op.execute(
        "CREATE TRIGGER process_definition_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
        " ON process_definition FOR EACH STATEMENT EXECUTE FUNCTION directory_changed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER process_definition_changed ON process_definition")
