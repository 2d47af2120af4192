"""Completing a human task: the one path every interface takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from service.db.base import utcnow
from service.db.models import Agency, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.forms import validate_step
from service.operations.actors import Actor
from service.operations.definitions import engine_definition
from service.operations.instances import append_event, save_runtime
from workflows.diff import diff
from workflows.runtime import Runtime

# Which part of the plan each step may write; the rest of the document is kept as it was.
_WRITES = {"draft_plan": None, "finance_appraisal": "budget_lines", "award_review": "nominations"}


@dataclass(frozen=True)
class Completed:
    task_id: int
    instance_id: int
    status: str
    next_steps: list[str]


def check_can_act(actor: Actor, task: Task) -> None:
    """:raise Forbidden: unless the actor is of the task's agency and holds its role."""
    if task.agency_id != actor.agency_id or task.role not in actor.roles:
        raise Forbidden("not_your_task", "This task belongs to another agency or role.")


def complete_task(
    uow: UnitOfWork,
    actor: Actor,
    task_id: int,
    decision: str,
    comment: str | None,
    data: dict[str, Any],
) -> Completed:
    """Complete an open task, advance its process, and record what changed.

    Everything happens in one transaction and one flush. The task row and the instance both
    carry a version, so of two simultaneous completions exactly one commits and the other gets
    409 (on PostgreSQL the second UPDATE waits for the first commit, then matches no row).
    """
    with uow:
        now = utcnow()
        task = uow.session.get(
            Task,
            task_id,
            options=[joinedload(Task.instance).joinedload(ProcessInstance.definition)],
        )
        if task is None:
            raise NotFound("task_not_found", "No such task.")
        check_can_act(actor, task)
        if task.state != "open":
            raise Conflict("task_not_open", f"This task is already {task.state}.", state=task.state)
        try:
            values = validate_step(task.step, decision, comment, data)
        except ValidationError as err:
            raise Invalid(err.messages_dict) from err
        instance = task.instance
        if task.step == "draft_plan":
            _check_agencies(uow, values["addressed_units"])
        task.state, task.completed_at, task.completed_by_id = "completed", now, actor.user_id
        task.decision, task.comment = decision, comment
        document = _merge(instance.document, task.step, values)
        runtime = Runtime.restore(engine_definition(instance.definition), instance.state)
        runtime.complete(task.engine_task_id, {"decision": decision})
        with uow.session.no_autoflush:  # one flush at the end, not one per query
            save_runtime(uow.session, instance, runtime, now)
            event = {
                "step": task.step,
                "decision": decision,
                "comment": comment,
                "changes": diff(instance.document, document),
            }
            instance.document = document
            append_event(
                uow.session,
                instance,
                "task_completed",
                actor,
                now,
                role=task.role,
                task=task,
                data=event,
            )
            if runtime.completed:
                append_event(uow.session, instance, "process_completed", None, now)
        try:
            uow.session.flush()
        except StaleDataError as err:  # another completion of this task or instance came first
            raise Conflict("task_not_open", "This task or its process changed meanwhile.") from err
        next_steps = [t.name for t in runtime.ready_tasks()]
        uow.commit()
        return Completed(task.id, instance.id, instance.status, next_steps)


def _merge(document: dict[str, Any], step: str, values: dict[str, Any]) -> dict[str, Any]:
    if step not in _WRITES:
        return document
    field = _WRITES[step]
    if field is None:
        return values
    if field not in values:
        return document
    return {**document, field: values[field]}


def _check_agencies(uow: UnitOfWork, codes: list[str]) -> None:
    known = set(uow.session.scalars(select(Agency.code).where(Agency.code.in_(codes))))
    unknown = {i: ["Unknown agency code."] for i, code in enumerate(codes) if code not in known}
    if unknown:
        raise Invalid({"data": {"addressed_units": unknown}})
