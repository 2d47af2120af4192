"""Page sessions kept on the server: opened at login, checked on every request, ended by
logout, by the user or an administrator, when idle or too old, and when the user is disabled
or given a new password. The cookie carries a random token; only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from service.db.models import LoginSession, SecurityEvent, User
from service.db.uow import UnitOfWork
from service.errors import NotFound, Unauthorized
from service.operations.actors import Actor, password_hasher
from service.permissions import Right, require

# last_seen_at is written at most this often: a request is one indexed read, not a write
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Live:
    """A session that still counts: whose it is, and the epoch it began in."""

    id: int
    user_id: int
    epoch: int


@dataclass(frozen=True)
class SessionRow:
    id: int
    created_at: datetime
    last_seen_at: datetime
    address: str | None
    user_agent: str | None
    current: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    uow: UnitOfWork, actor: Actor, now: datetime, address: str | None, user_agent: str | None
) -> str:
    """A new session of `actor`; returns the token for the cookie (never stored as such)."""
    token = secrets.token_urlsafe(32)
    with uow:
        uow.session.add(
            LoginSession(
                token_hash=_digest(token),
                user_id=actor.user_id,
                epoch=actor.session_epoch,
                created_at=now,
                last_seen_at=now,
                address=address,
                user_agent=(user_agent or "")[:120] or None,
            )
        )
        uow.commit()
    return token


def check(
    read: UnitOfWork,
    write: UnitOfWork,
    token: str,
    now: datetime,
    idle: timedelta,
    lifetime: timedelta,
) -> Live:
    """The live session of `token`, its last use noted (once a minute at most); a session
    unused for `idle` or older than `lifetime` ends here.

    :raise Unauthorized: `session_ended` (unknown token, or ended), `session_expired`.
    """
    with read:
        row = read.session.execute(
            select(
                LoginSession.id,
                LoginSession.user_id,
                LoginSession.epoch,
                LoginSession.created_at,
                LoginSession.last_seen_at,
            ).filter_by(token_hash=_digest(token), ended_at=None)
        ).one_or_none()
    if row is None:
        raise Unauthorized("session_ended", "This session has ended; please log in again.")
    too_old = now - row.created_at > lifetime
    if too_old or now - row.last_seen_at > idle:
        end(write, row.id, now, "expired" if too_old else "idle")
        raise Unauthorized(  # whose it was: the page may keep what they were sending
            "session_expired",
            "Your session has expired; please log in again.",
            user_id=row.user_id,
            epoch=row.epoch,
        )
    if now - row.last_seen_at >= TOUCH_EVERY:
        with write:
            write.session.execute(
                update(LoginSession).filter_by(id=row.id, ended_at=None).values(last_seen_at=now)
            )
            write.commit()
    return Live(row.id, row.user_id, row.epoch)


def end(uow: UnitOfWork, session_id: int, now: datetime, reason: str) -> None:
    with uow:
        uow.session.execute(
            update(LoginSession)
            .filter_by(id=session_id, ended_at=None)
            .values(ended_at=now, ended_reason=reason)
        )
        uow.commit()


def _end_of_user(uow: UnitOfWork, user_id: int, now: datetime, reason: str) -> int:
    """End every live session of a user inside the caller's transaction; how many ended."""
    result = uow.session.execute(
        update(LoginSession)
        .filter_by(user_id=user_id, ended_at=None)
        .values(ended_at=now, ended_reason=reason)
    )
    ended = int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult
    _log(uow, user_id, now, f"{reason}: {ended}")
    return ended


def _log(uow: UnitOfWork, user_id: int, now: datetime, detail: str) -> None:
    """The security log's entry for sessions ended, in the same transaction: this change
    commits (the log's own transaction is for requests that roll back)."""
    uow.session.add(SecurityEvent(at=now, kind="session_ended", user_id=user_id, detail=detail))


def mine(uow: UnitOfWork, actor: Actor, current_id: int | None) -> list[SessionRow]:
    """The actor's live sessions, newest first, the one asking marked."""
    with uow:
        rows = uow.session.scalars(
            select(LoginSession)
            .filter_by(user_id=actor.user_id, ended_at=None)
            .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
        )
        return [
            SessionRow(
                r.id, r.created_at, r.last_seen_at, r.address, r.user_agent, r.id == current_id
            )
            for r in rows
        ]


def end_mine(
    uow: UnitOfWork, actor: Actor, now: datetime, keep: int | None, session_id: int | None = None
) -> int:
    """End one of the actor's own sessions (`session_id`), or all but `keep`; how many ended.

    :raise NotFound: `session_id` is not a live session of the actor.
    """
    with uow:
        query = (
            update(LoginSession)
            .filter_by(user_id=actor.user_id, ended_at=None)
            .values(ended_at=now, ended_reason="ended_by_user")
        )
        if session_id is not None:
            query = query.filter_by(id=session_id)
        elif keep is not None:
            query = query.where(LoginSession.id != keep)
        ended = int(uow.session.execute(query).rowcount)  # type: ignore[attr-defined]
        if session_id is not None and not ended:
            raise NotFound("session_not_found", "No such session of yours.")
        _log(uow, actor.user_id, now, f"ended_by_user: {ended}")
        uow.commit()
        return ended


def _user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalars(select(User).filter_by(username=username)).one_or_none()
    if user is None:
        raise NotFound("user_not_found", "No such user.", username=username)
    return user


def end_user_sessions(uow: UnitOfWork, actor: Actor, username: str, now: datetime) -> int:
    """An administrator ends every session and token of a user; how many sessions ended.

    :raise Forbidden: not an administrator. :raise NotFound: no such user.
    """
    require(actor, Right.END_SESSIONS)
    with uow:
        user = _user(uow, username)
        ended = _end_of_user(uow, user.id, now, "ended_by_admin")
        user.session_epoch += 1  # the bearer tokens too
        uow.record("sessions_ended", actor, data={"user": username, "sessions": ended})
        uow.commit()
        return ended


def end_all_of(uow: UnitOfWork, user: User, now: datetime, reason: str) -> int:
    """Inside the caller's transaction: end every session and token of `user` (disabled, a new
    password, a second factor set up)."""
    user.session_epoch += 1
    return _end_of_user(uow, user.id, now, reason)


def set_password(uow: UnitOfWork, username: str, password: str, now: datetime) -> int:
    """Give a user a new password; every session and token of theirs ends. How many sessions.

    :raise NotFound: no such user.
    """
    with uow:
        user = _user(uow, username)
        user.password_hash = password_hasher().hash(password)
        ended = end_all_of(uow, user, now, "password_changed")
        uow.record("password_changed", None, data={"user": username, "by": "command line"})
        uow.commit()
        return ended
