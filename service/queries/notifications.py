"""Reminders, escalations and mentions in comments addressed to the caller's agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from service.db.models import Notification, NotificationRead
from service.db.uow import UnitOfWork
from service.operations.actors import Actor


@dataclass(frozen=True, slots=True)
class NotificationView:
    """One notification as its reader sees it. `message` is the text as sent; `text_id` and
    `params` word it again in the reader's language (older rows have no `text_id`)."""

    id: int
    task_id: int | None
    process_id: int | None
    rule: str
    audience: str
    message: str
    text_id: str | None
    params: dict[str, Any] | None  # the message's parameters, as stored (JSON)
    channels: list[str]
    sent_at: datetime
    read: bool


def _read_by(actor: Actor) -> Any:
    return select(NotificationRead.notification_id).where(NotificationRead.user_id == actor.user_id)


def notifications(
    uow: UnitOfWork, actor: Actor, limit: int = 100, unread: bool = False
) -> list[NotificationView]:
    """Newest first, each saying whether the actor has read it; `unread`: only those not."""
    with uow:
        query = select(Notification).where(Notification.agency_id == actor.agency_id)
        if unread:
            query = query.where(~Notification.id.in_(_read_by(actor)))
        rows = list(
            uow.session.scalars(
                query.options(joinedload(Notification.task))
                .order_by(Notification.sent_at.desc(), Notification.id.desc())
                .limit(limit)
            )
        )
        read = set(
            uow.session.scalars(
                _read_by(actor).where(NotificationRead.notification_id.in_([n.id for n in rows]))
            )
        )
        return [
            NotificationView(
                id=n.id,
                task_id=n.task_id,
                process_id=n.instance_id if n.task is None else n.task.instance_id,
                rule=n.rule,
                audience=n.audience,
                message=n.message,
                text_id=n.text_id,
                params=n.params,
                channels=n.channels,
                sent_at=n.sent_at,
                read=n.id in read,
            )
            for n in rows
        ]


def unread_count(uow: UnitOfWork, actor: Actor) -> int:
    """How many notifications sent to the actor's agency the actor has not read."""
    with uow:
        return int(
            uow.session.scalar(
                select(func.count()).where(
                    Notification.agency_id == actor.agency_id,
                    ~Notification.id.in_(_read_by(actor)),
                )
            )
            or 0
        )
