"""The only place the pages touch Flask globals for the service: the unit of work and the actor.

Mirrors `service.api.deps`, with the actor taken from the Flask-Login session instead of a
bearer token.
"""

from __future__ import annotations

from flask import current_app, session
from flask_login import UserMixin, current_user

from service.db.uow import UnitOfWork
from service.errors import Unauthorized
from service.operations.actors import Actor, load_actor


def new_uow(*, write: bool = True) -> UnitOfWork:
    return UnitOfWork(
        current_app.extensions["session_factory"],
        write=write,
        clock=current_app.extensions["clock"],
    )


class SessionUser(UserMixin):  # type: ignore[misc]  # Flask-Login ships no types
    """The logged-in user as Flask-Login wants it: an id, and the actor behind it."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor

    def get_id(self) -> str:
        return str(self.actor.user_id)


def load_user(user_id: str) -> SessionUser | None:
    """Flask-Login's user loader: None (logged out) once the user is disabled or gone, or their
    sessions were ended."""
    try:
        epoch = int(session.get("epoch", -1))
        return SessionUser(load_actor(new_uow(write=False), int(user_id), epoch))
    except (Unauthorized, ValueError):
        return None


def current_actor() -> Actor:
    """The actor of the session. :raise Unauthorized: nobody is logged in."""
    if not current_user.is_authenticated:
        raise Unauthorized("login_required", "Log in first.")
    actor: Actor = current_user.actor
    return actor
