"""The second factor: TOTP (RFC 6238) enrolment and checks, one-time recovery codes, and the
session epoch that ends every session and token of a user at once."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from service.db.models import RecoveryCode, User
from service.db.uow import UnitOfWork
from service.errors import Conflict, NotFound, Unauthorized
from service.operations.actors import Actor, active_user, actor_of
from service.operations.sessions import end_all_of

ISSUER = "Ngày hội toàn dân bảo vệ ANTQ"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # a phone's clock may be one step early or late
RECOVERY_CODES = 10
_CODE = re.compile(r"\d{6}")
_RECOVERY_CODE = re.compile(r"[0-9a-f]{6}-[0-9a-f]{6}")  # as `enrol` makes them


@cache
def recovery_hasher() -> PasswordHasher:
    """Argon2 for recovery codes, at a cost far below a password's: a code is random (48 bits),
    not chosen by a person, so a small cost keeps guessing it offline out of reach all the
    same. At a password's cost ten codes took one to two seconds to hash, inside the
    enrolment's transaction, and as long to check at every wrong code. A code hashed at that
    cost before still verifies: the hash carries its parameters."""
    return PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to, if it is valid now and newer than the last one used:
    a code seen once is refused for the rest of its window (RFC 6238 §5.2)."""
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _user(uow: UnitOfWork, user_id: int) -> User:
    user = active_user(uow, id=user_id)
    if user is None:
        raise Unauthorized("user_inactive", "This account no longer exists or is disabled.")
    return user


def enrol(uow: UnitOfWork, user_id: int, secret: str, code: str) -> tuple[Actor, list[str]]:
    """Bind `secret` to the user once a first code from it checks, and make fresh recovery
    codes (returned once, stored hashed). Sessions and tokens from before end.

    :raise Unauthorized: the code does not match. :raise Conflict: already enrolled.
    """
    with uow:
        user = _user(uow, user_id)
        if user.totp_enrolled:
            raise Conflict("otp_already_enrolled", "A second factor is already set up.")
        step = _accepted_step(secret, code.strip(), uow.now(), None)
        if step is None:
            raise Unauthorized("otp_invalid", "The code is not valid.")
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
        user.totp_secret = secret
        user.totp_last_step = step
        uow.session.flush()
        uow.session.refresh(user, ["totp_enrolled"])  # computed by the database: now true
        end_all_of(uow, user, uow.now(), "second_factor")
        user.recovery_codes = [RecoveryCode(code_hash=recovery_hasher().hash(c)) for c in codes]
        actor = actor_of(uow, user)
        uow.record("second_factor_enrolled", actor, data={"user": user.username})
        uow.commit()
        return actor, codes


def verify(uow: UnitOfWork, user_id: int, code: str) -> Actor:
    """The actor, once `code` is a fresh 6-digit code or an unused recovery code (then spent).

    :raise Unauthorized: wrong, replayed or spent code, or no second factor set up.
    """
    code = code.strip().lower()
    with uow:
        user = _user(uow, user_id)
        if user.totp_secret is None:  # opened here: KeyMismatch with a wrong APP_TOTP_KEY
            raise Unauthorized("otp_not_enrolled", "No second factor is set up.")
        step = _accepted_step(user.totp_secret, code, uow.now(), user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
        elif not _spend_recovery_code(uow, user, code):
            raise Unauthorized("otp_invalid", "The code is not valid.")
        actor = actor_of(uow, user)
        # the code is spent (its window, or the recovery code): the log says who and with what
        used = "code" if step is not None else "recovery_code"
        uow.record("second_factor_used", actor, data={"user": user.username, "with": used})
        uow.commit()
        return actor


def _spend_recovery_code(uow: UnitOfWork, user: User, code: str) -> bool:
    if not _RECOVERY_CODE.fullmatch(code):  # a mistyped 6-digit code: no hash to try
        return False
    for row in user.recovery_codes:
        try:
            recovery_hasher().verify(row.code_hash, code)
        except (VerificationError, InvalidHashError):
            continue
        uow.session.delete(row)
        return True
    return False


def disable_user(uow: UnitOfWork, username: str) -> None:
    """Disable a user: their sessions and tokens end at their next request.

    :raise NotFound: no such user.
    """
    with uow:
        user = uow.session.scalars(select(User).filter_by(username=username)).one_or_none()
        if user is None:
            raise NotFound("user_not_found", "No such user.")
        user.active = False
        end_all_of(uow, user, uow.now(), "user_disabled")
        uow.record("user_disabled", None, data={"user": username, "by": "command line"})
        uow.commit()
