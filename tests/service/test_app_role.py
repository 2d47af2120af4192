"""The PostgreSQL role the service runs as: it owns nothing, only appends to the audit log,
and production refuses to start as the tables' owner or as a role that may rewrite the log
(issue 16). PostgreSQL only: SQLite has no roles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool

from service.app import create_app
from service.config import Settings, UnsafeConfiguration
from service.db.models import Event
from service.db.roles import grant_app_role
from service.db.session import make_session_factory
from service.db.uow import UnitOfWork
from service.operations.actors import SYSTEM, password_hasher
from service.operations.audit import checkpoint
from service.operations.definitions import deploy
from service.operations.directory import load_directory
from tests.conftest import DIRECTORY, ROOT

KEY = "k" * 48
TOTP_KEYS = (Fernet.generate_key(),)  # production seals second factors with its own key
PASSWORD = "app-role-password"  # noqa: S105  # a throwaway test cluster's role
# roles are the cluster's, not the database's: one name per test process
SUFFIX = os.environ.get("PYTEST_XDIST_WORKER", "main")


def as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=PASSWORD).render_as_string(False)


def superuser(url: str, *statements: str) -> None:
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


@contextmanager
def role(url: str, name: str) -> Iterator[str]:
    """A role of the cluster for one test, dropped with its privileges afterwards."""
    name = f"{name}_{SUFFIX}"
    try:
        yield name
    finally:
        superuser(url, f"DROP OWNED BY {name}" if _exists(url, name) else "SELECT 1")
        superuser(url, f"DROP ROLE IF EXISTS {name}")


def _exists(url: str, name: str) -> bool:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        found = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    engine.dispose()
    return bool(found)


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("roles are PostgreSQL's; SQLite has none")
    return database_url


def _real_directory(url: str) -> None:
    """Users with passwords of their own: production refuses the demo password first."""
    engine = create_engine(url, poolclass=NullPool)
    own = password_hasher().hash("a password of its own")
    load_directory(UnitOfWork(make_session_factory(engine)), DIRECTORY, own)
    engine.dispose()


def test_the_app_role_cannot_touch_the_audit_log_and_production_runs_as_it(
    pg_url: str, tmp_path: Path
) -> None:
    owner = create_app(Settings(database_url=pg_url, secret_key=KEY))
    with role(pg_url, "antq_app") as name:
        with owner.app_context():
            result = owner.test_cli_runner().invoke(
                args=["db", "create-app-role", name], input=f"{PASSWORD}\n{PASSWORD}\n"
            )
        assert result.exit_code == 0, result.output
        owner.extensions["db_engine"].dispose()
        _real_directory(pg_url)  # as the owner: events in the directory's chain
        app_url = as_role(pg_url, name)
        engine = create_engine(app_url, poolclass=NullPool)
        refused = (
            "ALTER TABLE event DISABLE TRIGGER USER",
            "ALTER TABLE event DISABLE TRIGGER ALL",
            "DROP TRIGGER event_append_only ON event",
            "UPDATE event SET role = 'auditor'",
            "DELETE FROM event",
            "TRUNCATE event",
            "UPDATE checkpoint SET note = 'x'",
            "DELETE FROM security_event",
            "DROP TABLE user_account",
            "CREATE TRIGGER t BEFORE UPDATE ON task EXECUTE FUNCTION audit_append_only()",
            "ALTER TABLE task ADD COLUMN x integer",
            "UPDATE alembic_version SET version_num = 'x'",
        )
        for statement in refused:
            with engine.connect() as conn, pytest.raises(ProgrammingError) as caught:
                conn.exec_driver_sql(statement)
            assert "permission denied" in str(caught.value) or "must be owner" in str(
                caught.value
            ), statement
        engine.dispose()

        # production starts as the app role, and the service works: the directory's chain
        # takes events (the head moves), a checkpoint locks the log through the owner's function
        app = create_app(
            Settings(database_url=app_url, secret_key=KEY, production=True, totp_keys=TOTP_KEYS)
        )
        factory = app.extensions["session_factory"]
        load_directory(
            UnitOfWork(factory),
            {"user": [{**DIRECTORY["user"][0], "username": "new.clerk"}]},
            password_hasher().hash("another password"),
        )
        bpmn = ROOT / "bpmn" / "plan_chain.bpmn"
        assert deploy(UnitOfWork(factory), SYSTEM, bpmn.name, bpmn.read_bytes())[1]  # an event
        signed = checkpoint(UnitOfWork(factory), SYSTEM, tmp_path / "key.pem", tmp_path / "witness")
        with factory() as session:  # every event so far, as the app role wrote them
            assert signed["tree_size"] == session.scalar(select(func.count()).select_from(Event))
        answer = app.test_client().get("/api/v1/health")
        assert answer.status_code == 200
        app.extensions["db_engine"].dispose()

        # granted again (after a migration), the rights are the same
        with owner.app_context():
            again = owner.test_cli_runner().invoke(
                args=["db", "create-app-role", name], input=f"{PASSWORD}\n{PASSWORD}\n"
            )
        assert again.exit_code == 0, again.output
        owner.extensions["db_engine"].dispose()


def test_production_refuses_the_owner_and_a_role_that_may_rewrite_the_log(pg_url: str) -> None:
    _real_directory(pg_url)
    with pytest.raises(UnsafeConfiguration, match="superuser"):
        create_app(
            Settings(database_url=pg_url, secret_key=KEY, production=True, totp_keys=TOTP_KEYS)
        )
    with role(pg_url, "antq_owner") as owner, role(pg_url, "antq_writer") as writer:
        superuser(
            pg_url,
            f"CREATE ROLE {owner} LOGIN PASSWORD '{PASSWORD}'",
            f"ALTER TABLE event OWNER TO {owner}",
            f"GRANT USAGE ON SCHEMA public TO {owner}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {owner}",
            f"CREATE ROLE {writer} LOGIN PASSWORD '{PASSWORD}'",
            f"GRANT USAGE ON SCHEMA public TO {writer}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {writer}",
        )
        with pytest.raises(UnsafeConfiguration, match="owns the tables") as caught:
            create_app(Settings(as_role(pg_url, owner), KEY, production=True, totp_keys=TOTP_KEYS))
        assert "create-app-role" in str(caught.value)
        with pytest.raises(UnsafeConfiguration, match="may UPDATE, DELETE or TRUNCATE event"):
            create_app(Settings(as_role(pg_url, writer), KEY, production=True, totp_keys=TOTP_KEYS))
        superuser(pg_url, f"ALTER TABLE event OWNER TO {make_url(pg_url).username}")


def test_the_command_refuses_sqlite_and_bad_names(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, secret_key=KEY))
    engine = app.extensions["db_engine"]
    if engine.dialect.name == "sqlite":
        with pytest.raises(ValueError, match="PostgreSQL"):
            grant_app_role(engine, "antq_app", PASSWORD)
    else:
        with pytest.raises(ValueError, match="lower-case"):
            grant_app_role(engine, "app; DROP TABLE event", PASSWORD)
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["db", "create-app-role", "Bad-Name"], input=f"{PASSWORD}\n{PASSWORD}\n"
        )
    assert result.exit_code == 1
    engine.dispose()
