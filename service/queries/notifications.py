"""Reminders, escalations and mentions in comments addressed to the caller's agency."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.db.models import Notification
from service.db.uow import UnitOfWork
from service.operations.actors import Actor


def notifications(uow: UnitOfWork, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first."""
    with uow:
        rows = uow.session.scalars(
            select(Notification)
            .where(Notification.agency_id == actor.agency_id)
            .options(joinedload(Notification.task))
            .order_by(Notification.sent_at.desc(), Notification.id.desc())
            .limit(limit)
        )
        return [
            {
                "id": n.id,
                "task_id": n.task_id,
                "process_id": n.instance_id if n.task is None else n.task.instance_id,
                "rule": n.rule,
                "audience": n.audience,
                "message": n.message,
                "channels": n.channels,
                "sent_at": n.sent_at,
            }
            for n in rows
        ]
