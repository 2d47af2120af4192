"""Administrators keep the users: create one in an agency with roles, change their roles,
disable them, give a new one-time password or reset their second factor. Each change ends the
user's sessions where it should and is recorded on the directory's audit chain with who did it.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import undefer
from sqlalchemy.orm.attributes import flag_modified

from service.db.models import RecoveryCode, User, UserRole
from service.db.sealed import is_sealed, opens
from service.db.uow import UnitOfWork
from service.errors import Invalid, Message, NotFound
from service.operations.actors import Actor, SystemActor, password_hasher
from service.operations.registers import agency_by_code
from service.operations.sessions import end_all_of
from service.permissions import Right, Role, require

# The roles an administrator hands out: every role but the command line's.
GIVEN_ROLES = tuple(r.value for r in Role if r is not Role.SYSTEM)


def _user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalars(select(User).filter_by(username=username)).one_or_none()
    if user is None:
        raise NotFound("user_not_found", "No such user.")
    return user


def _check_roles(roles: list[str]) -> None:
    unknown = sorted(set(roles) - set(GIVEN_ROLES))
    if unknown:
        raise Invalid(
            {"roles": [Message("unknown_role", "Not a role: %(roles)s.", roles=", ".join(unknown))]}
        )


def _record(uow: UnitOfWork, action: str, actor: Actor | SystemActor, **data: Any) -> None:
    uow.record(action, actor, data=data | {"by": actor.username})


def one_time_password() -> str:
    """A password the administrator passes on, for the user to change."""
    return secrets.token_urlsafe(12)


def create_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    username: str,
    full_name: str,
    agency: str,
    roles: list[str],
    title: str = "",
) -> str:
    """Create the user in `agency` with `roles`; return their one-time password.

    :raise Invalid: (`username`) taken, (`agency`) unknown or ended, (`roles`) unknown.
    """
    require(actor, Right.MANAGE_USERS)
    _check_roles(roles)
    with uow:
        if uow.session.scalars(select(User.id).filter_by(username=username)).first():
            raise Invalid(
                {
                    "username": [
                        Message(
                            "username_taken", "%(username)s is already taken.", username=username
                        )
                    ]
                }
            )
        try:
            home = agency_by_code(uow, agency)
        except NotFound:
            raise Invalid(
                {
                    "agency": [
                        Message("unknown_agency", "No agency has the code %(code)s.", code=agency)
                    ]
                }
            ) from None
        if home.valid_to is not None:
            raise Invalid(
                {
                    "agency": [
                        Message(
                            "agency_ended",
                            "%(name)s ended on %(day)s.",
                            name=home.name,
                            day=home.valid_to,
                        )
                    ]
                }
            )
        password = one_time_password()
        uow.session.add(
            User(
                username=username,
                full_name=full_name,
                title=title,
                password_hash=password_hasher().hash(password),
                agency=home,
                roles=[UserRole(role=r) for r in sorted(set(roles))],
            )
        )
        _record(uow, "user_created", actor, user=username, agency=agency, roles=sorted(set(roles)))
        uow.commit()
        return password


def set_roles(uow: UnitOfWork, actor: Actor, username: str, roles: list[str]) -> None:
    """Give the user exactly `roles` in their agency; their sessions end (rights changed)."""
    require(actor, Right.MANAGE_USERS)
    _check_roles(roles)
    with uow:
        user = _user(uow, username)
        old = sorted(r.role for r in user.roles)
        user.roles = [UserRole(role=r) for r in sorted(set(roles))]
        end_all_of(uow, user, uow.now(), "roles_changed")
        _record(uow, "user_roles_set", actor, user=username, old=old, new=sorted(set(roles)))
        uow.commit()


def set_active(uow: UnitOfWork, actor: Actor, username: str, active: bool) -> None:
    """Disable the user (their sessions and tokens end) or enable them again."""
    require(actor, Right.MANAGE_USERS)
    with uow:
        user = _user(uow, username)
        if user.id == actor.user_id and not active:
            raise Invalid({"username": [Message("disable_self", "You cannot disable yourself.")]})
        user.active = active
        if not active:
            end_all_of(uow, user, uow.now(), "user_disabled")
        _record(uow, "user_disabled" if not active else "user_enabled", actor, user=username)
        uow.commit()


def reset_password(uow: UnitOfWork, actor: Actor, username: str) -> str:
    """A new one-time password for the user (returned once); their sessions end."""
    require(actor, Right.MANAGE_USERS)
    with uow:
        user = _user(uow, username)
        password = one_time_password()
        user.password_hash = password_hasher().hash(password)
        end_all_of(uow, user, uow.now(), "password_changed")
        _record(uow, "password_changed", actor, user=username)
        uow.commit()
        return password


def reset_second_factor(uow: UnitOfWork, actor: Actor | SystemActor, username: str) -> None:
    """Forget the user's second factor and recovery codes (a lost phone): they enrol again at
    their next login; their sessions end."""
    require(actor, Right.MANAGE_USERS)
    with uow:
        user = _user(uow, username)
        user.totp_secret, user.totp_last_step = None, None
        for code in uow.session.scalars(select(RecoveryCode).filter_by(user_id=user.id)):
            uow.session.delete(code)
        end_all_of(uow, user, uow.now(), "second_factor_reset")
        _record(uow, "second_factor_reset", actor, user=username)
        uow.commit()


def second_factors_opening(uow: UnitOfWork) -> tuple[int, int]:
    """How many stored TOTP seeds the configured keys open, of how many: a start-up check that
    APP_TOTP_KEY is the key they were sealed with (service.app)."""
    with uow:
        stored = uow.session.scalars(
            select(type_coerce(User.totp_secret, String)).where(User.totp_secret.is_not(None))
        ).all()
    return sum(opens(seed) for seed in stored), len(stored)


def seal_second_factors(uow: UnitOfWork, actor: Actor | SystemActor) -> dict[str, int]:
    """Seal every TOTP seed under the newest key of APP_TOTP_KEY (service.db.sealed): the
    clear ones stored before sealing, and those sealed under an older key (key rotation).
    Codes keep working: the seeds stay the same."""
    require(actor, Right.MANAGE_USERS)
    with uow:
        stored = uow.session.execute(
            select(User.id, type_coerce(User.totp_secret, String)).where(
                User.totp_secret.is_not(None)
            )
        ).all()
        clear = sum(not is_sealed(seed) for _, seed in stored)
        enrolled = (
            select(User).where(User.totp_secret.is_not(None)).options(undefer(User.totp_secret))
        )
        for user in uow.session.scalars(enrolled):
            flag_modified(user, "totp_secret")  # written again: sealed under the newest key
        counts = {"sealed": clear, "renewed": len(stored) - clear}
        _record(uow, "second_factors_sealed", actor, **counts)
        uow.commit()
        return counts
