"""Who is acting: a user with their agency, its jurisdiction and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.db.models import User
from service.db.uow import UnitOfWork
from service.errors import Unauthorized

OVERSEER_ROLES = frozenset({"supervisor", "auditor", "admin"})


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    full_name: str
    agency_id: int
    agency_name: str
    jurisdiction_id: int | None
    roles: frozenset[str]


@lru_cache(maxsize=1)
def password_hasher() -> PasswordHasher:
    return PasswordHasher()


def _actor(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        agency_id=user.agency_id,
        agency_name=user.agency.name,
        jurisdiction_id=user.agency.jurisdiction_id,
        roles=frozenset(r.role for r in user.roles),
    )


def _active_user(uow: UnitOfWork, **where: object) -> User | None:
    query = (
        select(User)
        .filter_by(active=True, **where)
        .options(joinedload(User.roles), joinedload(User.agency))  # one round trip per request
    )
    return uow.session.scalars(query).unique().one_or_none()


def authenticate(uow: UnitOfWork, username: str, password: str) -> Actor:
    """The actor for a username and password; the same 401 whichever of the two is wrong."""
    with uow:
        user = _active_user(uow, username=username)
        try:
            if user is None:
                raise VerificationError
            password_hasher().verify(user.password_hash, password)
        except (VerificationError, InvalidHashError) as err:
            raise Unauthorized("bad_credentials", "Wrong username or password.") from err
        return _actor(user)


def load_actor(uow: UnitOfWork, user_id: int) -> Actor:
    """The actor behind a token; 401 once the user is disabled or gone."""
    with uow:
        user = _active_user(uow, id=user_id)
        if user is None:
            raise Unauthorized("user_inactive", "This account no longer exists or is disabled.")
        return _actor(user)
