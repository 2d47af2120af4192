"""Idempotency keys: a retried POST finds the answer its first attempt committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class IdempotencyKey(Base):
    """One key a user sent, the request it came with, and the result it produced.

    Written in the same transaction as the change itself, so a key is stored exactly when its
    effect is: a retry after a lost answer, a killed worker or a database restart replays.
    """

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(index=True)  # forgotten after KEEP_KEYS
