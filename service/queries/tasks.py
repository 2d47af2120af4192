"""The inbox and one task, as the actor may see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.db.models import ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import NotFound
from service.operations.actors import Actor
from service.operations.tasks import check_can_act
from service.queries.processes import document_view

TASK_STATES = ("open", "completed", "cancelled")


def task_view(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "process_id": task.instance_id,
        "process_title": task.instance.title,
        "step": task.step,
        "name": task.name,
        "role": task.role,
        "agency": {"id": task.agency_id, "name": task.agency.name},
        "state": task.state,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
        "completed_by": None if task.completed_by is None else task.completed_by.full_name,
        "decision": task.decision,
        "comment": task.comment,
        "due_at": task.due_at,
        "deadline_state": task.deadline_state,
    }


def inbox(
    uow: UnitOfWork,
    actor: Actor,
    state: str = "open",
    process: int | None = None,
    overdue: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Tasks of the actor's agency in the roles they hold, oldest first."""
    with uow:
        query = (
            select(Task)
            .where(
                Task.agency_id == actor.agency_id, Task.role.in_(actor.roles), Task.state == state
            )
            .options(
                joinedload(Task.instance), joinedload(Task.agency), joinedload(Task.completed_by)
            )
            .order_by(Task.created_at, Task.id)
            .limit(limit)
            .offset(offset)
        )
        if process is not None:
            query = query.where(Task.instance_id == process)
        if overdue is not None:
            query = query.where((Task.deadline_state == "overdue") == overdue)
        return [task_view(t) for t in uow.session.scalars(query)]


def task_detail(uow: UnitOfWork, actor: Actor, task_id: int) -> dict[str, Any]:
    """One task with the plan it is about.

    :raise NotFound: no such task. :raise Forbidden: another agency's or role's task.
    """
    with uow:
        task = uow.session.get(
            Task,
            task_id,
            options=[joinedload(Task.instance).joinedload(ProcessInstance.definition)],
        )
        if task is None:
            raise NotFound("task_not_found", "No such task.")
        check_can_act(actor, task)
        previous = uow.session.scalars(
            select(Task)
            .where(Task.instance_id == task.instance_id, Task.state == "completed")
            .order_by(Task.completed_at.desc(), Task.id.desc())
            .limit(1)
        ).one_or_none()
        return {
            **task_view(task),
            "document": document_view(task.instance.document),
            # what the drafter needs on top when a plan comes back: who returned it and why
            "previous": None if previous is None else task_view(previous),
        }
