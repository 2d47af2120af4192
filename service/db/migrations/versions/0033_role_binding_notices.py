"""role binding notices: on PostgreSQL, a write to role_binding notifies `directory_changed` at
its commit too: every worker keeps the roles each agency fills with its actors
(service.operations.agency_cache), and forgets them on the notice (service.db.notices)

Revision ID: 0033_role_binding_notices
Revises: 0032_reports_counted_once
"""

from alembic import op

revision = "0033_role_binding_notices"
down_revision = "0032_reports_counted_once"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no notices: nothing is kept there
    # the function of migration 0030, as on its tables
    op.execute(
        "CREATE TRIGGER role_binding_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
        " ON role_binding FOR EACH STATEMENT EXECUTE FUNCTION directory_changed()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER role_binding_changed ON role_binding")
