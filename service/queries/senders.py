"""Who sent each task of an inbox: the completion that made it, and that person's agency; for a
unit's first task, the plan above that addressed it: its issuing agency and signer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from service.db.models import ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from service.queries.processes import Issuer, plan_issuer
from service.states import TaskState


@dataclass(frozen=True, slots=True)
class Sender:
    name: str | None  # who completed the task before (None: a system step, or unsigned)
    agency: str | None
    decision: str | None
    step: str  # the step they completed, or "plan_issued" for the plan above


def senders(uow: UnitOfWork, actor: Actor, task_ids: list[int]) -> dict[int, Sender]:
    """For each of the actor's tasks, the latest task of the same process completed at or
    before it was created: who completed it, for which agency, with which decision.

    A unit's first step was sent by the plan that addressed it: its issuer (`step` is
    "plan_issued"). Tasks the actor may not act on, and first steps of a plan nobody addressed,
    are left out.
    """
    if not task_ids:
        return {}
    duties = actor.duties()
    with uow:
        mine = uow.session.scalars(select(Task).where(Task.id.in_(task_ids))).all()
        found: dict[int, Sender] = {}
        issuers: dict[int, Issuer] = {}  # by plan: an inbox's tasks share few
        earlier = aliased(Task)
        for task in mine:
            if (task.agency_id, task.role) not in duties:
                continue
            sender = uow.session.scalars(
                select(earlier)
                .where(
                    earlier.instance_id == task.instance_id,
                    earlier.state == TaskState.COMPLETED,
                    earlier.completed_at <= task.created_at,
                )
                .options(joinedload(earlier.completed_by), joinedload(earlier.agency))
                .order_by(earlier.completed_at.desc(), earlier.id.desc())
                .limit(1)
            ).one_or_none()
            if sender is not None:
                found[task.id] = Sender(
                    name=None if sender.completed_by is None else sender.completed_by.full_name,
                    agency=sender.agency.name,
                    decision=sender.decision,
                    step=sender.step,
                )
                continue
            parent_id = uow.session.get_one(ProcessInstance, task.instance_id).parent_id
            if parent_id is not None:
                if parent_id not in issuers:
                    parent = uow.session.get_one(ProcessInstance, parent_id)
                    issuers[parent_id] = plan_issuer(uow.session, parent)
                issuer = issuers[parent_id]
                found[task.id] = Sender(
                    name=issuer.signer, agency=issuer.agency, decision=None, step="plan_issued"
                )
        return found
