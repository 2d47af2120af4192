"""The security log: logins, failed logins, logouts, second-factor failures, sessions ended,
rate-limit hits and refused requests, for an administrator to read (ASVS 5.0 16.3).

Each entry is written by a unit of work of its own, after the request's own transaction has
ended: a refused request rolls back, its entry stays. Callers pass no password, code or token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import func, select

from service.db.models import SecurityEvent, User
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from service.permissions import Right, require
from workflows.calendar import VIETNAM


class Kind(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    SESSION_ENDED = "session_ended"
    RATE_LIMITED = "rate_limited"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    kind: str
    username: str | None
    address: str | None
    method: str | None
    path: str | None
    detail: str | None


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    total: int
    page: int
    per_page: int


def record(
    uow: UnitOfWork,
    kind: Kind,
    at: datetime,
    *,
    user_id: int | None = None,
    username: str | None = None,
    address: str | None = None,
    method: str | None = None,
    path: str | None = None,
    detail: str | None = None,
) -> None:
    with uow:
        uow.session.add(
            SecurityEvent(
                at=at,
                kind=kind.value,
                user_id=user_id,
                username=None if username is None else username[:80],
                address=None if address is None else address[:64],
                method=method,
                path=None if path is None else path[:255],
                detail=None if detail is None else detail[:255],
            )
        )
        uow.commit()


def read(
    uow: UnitOfWork,
    actor: Actor,
    *,
    kind: Kind | None = None,
    username: str | None = None,
    day: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """The log, newest first, filtered by kind, user (as typed, or the account's) and day
    (in Vietnam). :raise Forbidden: not an administrator."""
    require(actor, Right.READ_SECURITY_LOG)
    query = select(SecurityEvent)
    if kind is not None:
        query = query.where(SecurityEvent.kind == kind.value)
    if username:
        account = select(User.id).where(User.username == username).scalar_subquery()
        query = query.where(
            (SecurityEvent.username == username) | (SecurityEvent.user_id == account)
        )
    if day is not None:
        start = datetime.combine(day, time(), VIETNAM)
        query = query.where(SecurityEvent.at >= start, SecurityEvent.at < start + timedelta(1))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = uow.session.execute(
            query.with_only_columns(SecurityEvent, User.username)
            .outerjoin(User, User.id == SecurityEvent.user_id)
            .order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        entries = [
            Entry(e.id, e.at, e.kind, account or e.username, e.address, e.method, e.path, e.detail)
            for e, account in rows
        ]
    return Page(entries, total, page, per_page)
