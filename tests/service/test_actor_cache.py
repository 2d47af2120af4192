"""The caller's actor is loaded once for a run of requests, and a change to the directory
reaches the next request of this worker at once (service.operations.actors.ActorCache)."""

from __future__ import annotations

import select as select_module

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from service.db.models import User
from service.db.uow import UnitOfWork
from service.operations.actors import Actor, load_actor
from service.operations.users import set_active, set_roles
from tests.conftest import ApiClient
from tests.service.test_statement_counts import counting

FINANCE = "thanhhoa.taichinh"


def uow(app: Flask) -> UnitOfWork:
    return UnitOfWork(app.extensions["session_factory"], clock=app.extensions["clock"])


def admin(app: Flask) -> Actor:
    with app.extensions["session_factory"]() as session:
        user_id = session.scalar(select(User.id).filter_by(username="admin"))
    assert user_id is not None
    return load_actor(uow(app), user_id)


def test_the_second_request_of_a_token_reads_only_the_user_row(app: Flask, api: ApiClient) -> None:
    """The first loads the actor (user, roles, agency, grants); the next only checks that the
    user is active and the session epoch unchanged: on SQLite in one light statement, on
    PostgreSQL by reading the directory's notices off the connection, with none."""
    api.login(FINANCE)
    with counting(app) as seen:
        assert api.get("/api/v1/me", FINANCE).status_code == 200
        first = seen()
    with counting(app) as seen:
        assert api.get("/api/v1/me", FINANCE).status_code == 200
        assert seen() == (0 if _postgresql(app) else 1)
    assert first > 1


def test_a_user_disabled_by_another_process_is_refused_at_once(
    app: Flask, api: ApiClient, database_url: str
) -> None:
    """Another engine (another worker, the command line): this worker's cache never saw the
    write, and still refuses the token at the next request (on PostgreSQL, once the commit's
    notice has reached the connection: it is sent at the commit, before the writer answers)."""
    assert api.get("/api/v1/me", FINANCE).status_code == 200
    _write_elsewhere(database_url, _DISABLE)
    _notice_arrived(app)
    answer = api.get("/api/v1/me", FINANCE)
    assert (answer.status_code, answer.json["error"]) == (401, "user_inactive")


def test_a_connection_opened_after_a_change_does_not_keep_a_stale_actor(
    app: Flask, api: ApiClient, database_url: str
) -> None:
    """A new connection never hears what was notified before it listened: a worker whose
    connections were all replaced (restart of the database, recycling) forgets every actor."""
    if not _postgresql(app):
        pytest.skip("PostgreSQL's notices")
    assert api.get("/api/v1/me", FINANCE).status_code == 200
    app.extensions["db_engine"].dispose()  # the pool's connections, and the notices they hold
    _write_elsewhere(database_url, _DISABLE)
    answer = api.get("/api/v1/me", FINANCE)
    assert (answer.status_code, answer.json["error"]) == (401, "user_inactive")


def test_sessions_ended_by_another_process_end_at_once(
    app: Flask, api: ApiClient, database_url: str
) -> None:
    """Ending a user's sessions elsewhere (a new password, new roles) refuses their token."""
    assert api.get("/api/v1/me", FINANCE).status_code == 200
    _write_elsewhere(database_url, _END_SESSIONS)
    _notice_arrived(app)
    answer = api.get("/api/v1/me", FINANCE)
    assert (answer.status_code, answer.json["error"]) == (401, "session_ended")


_DISABLE = "UPDATE user_account SET active = false WHERE username = :u"
_END_SESSIONS = "UPDATE user_account SET session_epoch = session_epoch + 1 WHERE username = :u"


def _write_elsewhere(database_url: str, statement: str) -> None:
    """`statement` for FINANCE through an engine of its own, as another worker or the command
    line would write: this app's engine never sees it."""
    other = create_engine(database_url)
    try:
        with other.begin() as conn:
            conn.execute(text(statement), {"u": FINANCE})
    finally:
        other.dispose()


def _postgresql(app: Flask) -> bool:
    return bool(app.extensions["db_engine"].dialect.name == "postgresql")


def _notice_arrived(app: Flask) -> None:
    """On PostgreSQL, wait until the pooled connection the next request takes has something
    to read (the notice), as a worker's next request would come after it; SQLite: nothing."""
    if not _postgresql(app):
        return
    with app.extensions["db_engine"].connect() as connection:
        socket = connection.connection.driver_connection.pgconn.socket  # type: ignore[union-attr]
        readable, _, _ = select_module.select([socket], [], [], 30)
    assert readable, "no notice within 30 s"


def test_changed_roles_apply_to_the_next_request(app: Flask, api: ApiClient) -> None:
    """Changing roles ends the user's sessions: the old token is refused at once, a new
    one carries the new roles."""
    assert "finance" in api.get("/api/v1/me", FINANCE).json["roles"]
    set_roles(uow(app), admin(app), FINANCE, ["supervisor"])
    answer = api.get("/api/v1/me", FINANCE)
    assert (answer.status_code, answer.json["error"]) == (401, "session_ended")
    del api.tokens[FINANCE]
    assert api.get("/api/v1/me", FINANCE).json["roles"] == ["supervisor"]


def test_a_disabled_user_is_refused_at_once(app: Flask, api: ApiClient) -> None:
    assert api.get("/api/v1/me", FINANCE).status_code == 200
    set_active(uow(app), admin(app), FINANCE, False)
    answer = api.get("/api/v1/me", FINANCE)
    assert (answer.status_code, answer.json["error"]) == (401, "user_inactive")


def test_a_write_outside_the_operations_also_applies_at_once(app: Flask, api: ApiClient) -> None:
    """Any committed write to the directory's tables through this engine, raw SQL included."""
    assert api.get("/api/v1/me", FINANCE).status_code == 200
    with app.extensions["db_engine"].begin() as conn:
        conn.execute(
            text("UPDATE user_account SET active = false WHERE username = :u"), {"u": FINANCE}
        )
    assert api.get("/api/v1/me", FINANCE).status_code == 401


def test_a_rolled_back_write_keeps_nothing_stale(app: Flask, api: ApiClient) -> None:
    """A rolled-back change is forgotten with the cache, and the actor read afresh is the
    unchanged one."""
    assert api.get("/api/v1/me", FINANCE).status_code == 200
    with app.extensions["db_engine"].connect() as conn:
        conn.execute(
            text("UPDATE user_account SET active = false WHERE username = :u"), {"u": FINANCE}
        )
        conn.rollback()
    assert api.get("/api/v1/me", FINANCE).status_code == 200
