"""Idempotency keys, after the IETF draft "The Idempotency-Key HTTP Header Field"
(draft-ietf-httpapi-idempotency-key-header): a client names each attempt of a POST with a key;
the first attempt's result is stored with the change it made, and every retry with the same key
and the same request gets that result instead of a second change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db.models import IdempotencyKey
from service.db.uow import UnitOfWork
from service.errors import Conflict, DomainError

# How long a key is remembered: the draft leaves expiry to the server; a client retries within
# minutes, and after a day a retried completion finds its task done anyway (409).
KEEP_KEYS = timedelta(hours=24)


class KeyReused(DomainError):
    """The draft's 422: the key was first sent with another request."""

    status = 422


@dataclass(frozen=True)
class Idempotency:
    user_id: int
    key: str
    fingerprint: str  # of the request: a retry must send the same one


def recall(uow: UnitOfWork, request: Idempotency) -> dict[str, Any] | None:
    """The result stored for this key, or None if no attempt has committed yet.

    :raise KeyReused: the key came first with a different request.
    """
    with uow:
        row = uow.session.scalars(
            select(IdempotencyKey).filter_by(user_id=request.user_id, key=request.key)
        ).one_or_none()
        if row is None:
            return None
        if row.fingerprint != request.fingerprint:
            raise KeyReused(
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request.",
            )
        return row.result


def remember(
    session: Session, request: Idempotency | None, result: dict[str, Any], now: datetime
) -> None:
    """Store the result in the caller's transaction, so it commits exactly with the change.

    :raise Conflict: another attempt with this key committed meanwhile (the caller recalls it).
    """
    if request is None:
        return
    session.add(
        IdempotencyKey(
            user_id=request.user_id,
            key=request.key,
            fingerprint=request.fingerprint,
            result=result,
            created_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError as err:
        if "idempotency_key" not in str(
            err.orig
        ):  # PostgreSQL names the constraint, SQLite the table
            raise
        raise Conflict(
            "idempotency_key_in_use", "Another attempt with this key came first."
        ) from err


def forget_old_keys(session: Session, now: datetime) -> int:
    """Delete keys older than KEEP_KEYS; the scheduler does, each pass. Returns how many."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEEP_KEYS)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
