"""directory notices: on PostgreSQL, a write to the tables an actor is read from notifies
`directory_changed` at its commit, for every worker's actor cache (service.db.notices)

Revision ID: 0030_directory_notices
Revises: 0029_dashboard_parts
"""

from alembic import op

revision = "0030_directory_notices"
down_revision = "0029_dashboard_parts"
branch_labels = None
depends_on = None

# what service.operations.actors reads an actor from (its _DIRECTORY_WRITE)
TABLES = ("user_account", "user_role", "agency", "delegation")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no notices: the actor cache asks the database at each request
    # one notice per table and transaction: PostgreSQL folds repeats of the same payload
    op.execute(
        "CREATE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN PERFORM pg_notify('directory_changed', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION directory_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_changed ON {table}")
    op.execute("DROP FUNCTION directory_changed()")
