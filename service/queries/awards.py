"""A signed plan's award decision as its readers see it: what it covers, and who may issue it."""

from __future__ import annotations

from typing import Any

from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from service.operations.awards import outline, outline_data
from service.operations.reading import readable_instance
from service.permissions import HEAD_ROLE, Reading, Right, may


def award_decision(uow: UnitOfWork, actor: Actor, process_id: int) -> dict[str, Any]:
    """The accepted nominations decided on this plan and those decided elsewhere, the decision
    if issued, and whether the actor may issue it now (`may_issue`). A unit the plan addressed
    reads it too, read-only: the signed plan already prints the nominations and verdicts.

    :raise NotFound: no such process. :raise Forbidden: not a reader of it.
    """
    with uow:
        instance, reading = readable_instance(uow, actor, process_id)
        plan = outline(uow.session, instance)
        head = (instance.bindings.get(HEAD_ROLE), HEAD_ROLE)
        decides = (
            reading is Reading.FULL and may(actor, Right.DECIDE_AWARDS) and head in actor.duties()
        )
        ready = plan.signed and plan.decision is None and bool(plan.awardees)
        return {**outline_data(plan), "may_issue": decides and ready}
