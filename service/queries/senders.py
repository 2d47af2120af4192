"""Who sent each task of an inbox: the completion that made it, and that person's agency."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from service.db.models import Task
from service.db.uow import UnitOfWork
from service.operations.actors import Actor


def senders(uow: UnitOfWork, actor: Actor, task_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For each of the actor's tasks, the latest task of the same process completed at or
    before it was created: who completed it, for which agency, with which decision.

    Tasks the actor may not act on, and first steps (nobody sent them), are left out.
    """
    if not task_ids:
        return {}
    duties = actor.duties()
    with uow:
        mine = uow.session.scalars(select(Task).where(Task.id.in_(task_ids))).all()
        found: dict[int, dict[str, Any]] = {}
        earlier = aliased(Task)
        for task in mine:
            if (task.agency_id, task.role) not in duties:
                continue
            sender = uow.session.scalars(
                select(earlier)
                .where(
                    earlier.instance_id == task.instance_id,
                    earlier.state == "completed",
                    earlier.completed_at <= task.created_at,
                )
                .options(joinedload(earlier.completed_by), joinedload(earlier.agency))
                .order_by(earlier.completed_at.desc(), earlier.id.desc())
                .limit(1)
            ).one_or_none()
            if sender is not None:
                found[task.id] = {
                    "name": None if sender.completed_by is None else sender.completed_by.full_name,
                    "agency": sender.agency.name,
                    "decision": sender.decision,
                    "step": sender.step,
                }
        return found
