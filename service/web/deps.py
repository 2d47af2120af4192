"""The only place the pages touch Flask globals for the service: the actor, and the units of
work (service.request_units, shared with the API).

Mirrors `service.api.deps`, with the actor taken from the Flask-Login session instead of a
bearer token.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask_login import UserMixin, current_user
from sqlalchemy.exc import SQLAlchemyError

from service.errors import Unauthorized
from service.operations import security_log, sessions
from service.operations.actors import Actor
from service.request_units import new_uow as new_uow  # one home, handed on
from service.request_units import new_view as new_view


def wall_clock() -> datetime:
    """Sessions and the security log run on real time, not on the business clock that tests
    move by days (`app.extensions["session_clock"]`, replaced by the session tests)."""
    now: datetime = current_app.extensions["session_clock"]()
    return now


class SessionUser(UserMixin):  # type: ignore[misc]  # Flask-Login ships no types
    """The logged-in user as Flask-Login wants it: an id, the actor behind it, and the id of
    the server-side session."""

    def __init__(self, actor: Actor, session_id: int | None = None) -> None:
        self.actor = actor
        self.session_id = session_id

    def get_id(self) -> str:
        return str(self.actor.user_id)


def load_user(user_id: str) -> SessionUser | None:
    """Flask-Login's user loader: the user of the cookie's server-side session, None (logged
    out) once that session has ended or expired, or the user is disabled or gone."""
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    config = current_app.config
    try:
        live = sessions.check(
            new_view(),  # one statement; the session's last use is written by the other unit
            new_uow(),
            token,
            wall_clock(),
            idle=timedelta(seconds=config["IDLE_TIMEOUT_SECONDS"]),
            lifetime=config["PERMANENT_SESSION_LIFETIME"],
        )
        if str(live.user_id) != user_id:
            return None
        actors = current_app.extensions["actors"]
        return SessionUser(actors.load(new_view(), live.user_id, live.epoch), live.id)
    except Unauthorized as err:
        g.session_expired = err.code == "session_expired"
        if g.session_expired:  # once only: the session has ended now (web.tasks.keep_expired)
            g.expired_user = (int(err.params["user_id"]), int(err.params["epoch"]))
        return None


def log_security(
    kind: security_log.Kind,
    *,
    user_id: int | None = None,
    username: str | None = None,
    request_line: bool = False,
    detail: str | None = None,
) -> None:
    """One entry of the security log, in a transaction of its own, with the caller's address
    (and the method and path with `request_line`); a log that cannot be written is reported,
    never a reason to fail the request."""
    try:
        security_log.record(
            new_uow(),
            kind,
            wall_clock(),
            user_id=user_id,
            username=username,
            address=request.remote_addr,
            method=request.method if request_line else None,
            path=request.path if request_line else None,
            detail=detail,
        )
    except SQLAlchemyError:
        current_app.logger.exception("the security log could not be written")


def current_actor() -> Actor:
    """The actor of the session. :raise Unauthorized: nobody is logged in."""
    if not current_user.is_authenticated:
        raise Unauthorized("login_required", "Log in first.")
    actor: Actor = current_user.actor
    return actor
