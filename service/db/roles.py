"""The PostgreSQL role the service runs as, and the check that production uses one.

Migrations run as the tables' owner; the service runs as a role that owns nothing, so it can
neither drop nor disable the append-only triggers of the audit log, and may only add to it.
"""

from __future__ import annotations

import re

from psycopg import sql
from sqlalchemy import Connection, Engine, text

# Only appended to: UPDATE and DELETE are refused by the grants as well as by the triggers.
APPEND_ONLY = ("event", "checkpoint", "security_event")
# The head of the directory's chain moves with every event of it (no DELETE).
NO_DELETE = ("audit_chain",)
READ_ONLY = ("alembic_version",)
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def grant_app_role(engine: Engine, name: str, password: str) -> None:
    """Create the role `name` (or reset its grants and password when it exists) with rights on
    the current schema's tables and no more. Run as the tables' owner.

    :raise ValueError: not PostgreSQL, a bad name, or the caller's own role.
    """
    if engine.dialect.name != "postgresql":
        raise ValueError("roles are for PostgreSQL; SQLite has none")
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r}: a role name is lower-case letters, digits and _")
    if not password:
        raise ValueError("the role needs a password")
    with engine.begin() as conn:
        if conn.scalar(text("SELECT current_user")) == name:
            raise ValueError(f"{name!r} is the role running this command: the owner")
        exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
        verb = "ALTER" if exists else "CREATE"
        _run(
            conn,
            sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)
            ),
        )
        schema = conn.scalar(text("SELECT current_schema()"))
        tables = list(
            conn.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
            )
        )
        role, where = sql.Identifier(name), sql.Identifier(schema)
        _run(conn, sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(where, role))
        _run(conn, sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(where, role))
        _run(
            conn,
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(where, role),
        )
        for table in tables:
            if table in APPEND_ONLY:
                rights = "SELECT, INSERT"
            elif table in NO_DELETE:
                rights = "SELECT, INSERT, UPDATE"
            elif table in READ_ONLY:
                rights = "SELECT"
            else:
                rights = "SELECT, INSERT, UPDATE, DELETE"
            _run(
                conn,
                sql.SQL("GRANT " + rights + " ON {}.{} TO {}").format(
                    where, sql.Identifier(table), role
                ),
            )


def _run(conn: Connection, statement: sql.Composed) -> None:
    conn.exec_driver_sql(statement.as_string(conn.connection.driver_connection))


def unsafe_role(engine: Engine) -> str | None:
    """Why the database user may rewrite the audit log (it owns the tables, is a superuser,
    or may UPDATE, DELETE or TRUNCATE `event` or `checkpoint`), or None. PostgreSQL only."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT current_user,"
                " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),"
                " EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema()"
                "   AND pg_has_role(current_user, tableowner, 'MEMBER')),"
                " (SELECT bool_or(has_table_privilege(t, p))"
                "   FROM unnest(ARRAY['event', 'checkpoint']) t,"
                "        unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p)"
            )
        ).one()
    user, superuser, owner, rewrite = row
    if superuser:
        return f"the database user {user!r} is a superuser"
    if owner:
        return f"the database user {user!r} owns the tables (or is a member of their owner)"
    if rewrite:
        return f"the database user {user!r} may UPDATE, DELETE or TRUNCATE event or checkpoint"
    return None
