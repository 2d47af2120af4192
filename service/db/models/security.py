"""Login sessions kept on the server, and the security log an administrator reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class LoginSession(Base):
    """One page session: the cookie carries its token, the row says whether it still counts.

    Only the token's SHA-256 is stored, so a copy of the database opens no session. A session
    ends by setting `ended_at` (logout, the user or an administrator ending it, idle or too
    old, the user disabled or given a new password); rows stay, for the record.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the per-request lookup
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    epoch: Mapped[int]  # the user's session epoch when it began: a newer one ends it too
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(120))  # a summary, cut to fit


class SecurityEvent(Base):
    """A login, a failed login, a logout, a refused request…: what an administrator reads to
    spot an attack. Written in a transaction of its own, so that it survives the rollback of
    the request it describes. Never a password, code or token."""

    __tablename__ = "security_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    username: Mapped[str | None] = mapped_column(String(80))  # as typed, for failed logins
    address: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str | None] = mapped_column(String(10))
    path: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(String(255))
