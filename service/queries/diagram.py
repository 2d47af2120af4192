"""What the process page draws: the BPMN of an instance's version and where the instance stands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service.db.models import ProcessDefinition, Task
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from service.queries.processes import visible_instance


def diagram(uow: UnitOfWork, actor: Actor, process_id: int) -> dict[str, Any]:
    """The BPMN XML the instance runs on, with the ids of its open and its done steps.

    :raise NotFound: no such process. :raise Forbidden: the actor has no part in it.
    """
    with uow:
        instance = visible_instance(uow, actor, process_id)
        bpmn = uow.session.scalars(
            select(ProcessDefinition.bpmn).where(ProcessDefinition.id == instance.definition_id)
        ).one()
        steps = uow.session.execute(
            select(Task.step, Task.state).where(Task.instance_id == instance.id)
        ).all()
        open_steps = {step for step, state in steps if state == "open"}
        return {
            "bpmn": bpmn,
            "open": sorted(open_steps),
            "done": sorted({step for step, state in steps if state == "completed"} - open_steps),
            "status": instance.status,
        }
