"""Marking the reminders and escalations sent to one's agency as read, by each user for
themselves: a colleague's unread count is not changed by another's reading."""

from __future__ import annotations

from sqlalchemy import select

from service.db.models import Notification, NotificationRead
from service.db.uow import UnitOfWork
from service.errors import NotFound
from service.operations.actors import Actor


def mark_read(uow: UnitOfWork, actor: Actor, notification_id: int | None = None) -> int:
    """Mark one notification of the actor's agency read, or (None) every unread one; returns
    how many were newly marked. Recorded with the ids marked.

    :raise NotFound: no such notification for the actor's agency.
    """
    with uow:
        query = select(Notification.id).where(
            Notification.agency_id == actor.agency_id,
            ~Notification.id.in_(
                select(NotificationRead.notification_id).where(
                    NotificationRead.user_id == actor.user_id
                )
            ),
        )
        if notification_id is not None:
            exists = uow.session.scalar(
                select(Notification.id).where(
                    Notification.id == notification_id, Notification.agency_id == actor.agency_id
                )
            )
            if exists is None:
                raise NotFound("notification_not_found", "No such notification.")
            query = query.where(Notification.id == notification_id)
        ids = list(uow.session.scalars(query.order_by(Notification.id)))
        if not ids:
            return 0  # already read: nothing changes, nothing to record
        now = uow.now()
        uow.session.add_all(
            NotificationRead(notification_id=i, user_id=actor.user_id, read_at=now) for i in ids
        )
        uow.record("notifications_read", actor, data={"notifications": ids})
        uow.commit()
        return len(ids)
