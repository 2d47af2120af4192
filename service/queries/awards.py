"""A signed plan's award decision as its readers see it: what it covers, and who may issue it."""

from __future__ import annotations

from dataclasses import dataclass

from service.db.uow import UnitOfWork
from service.documents.content import Awardee
from service.operations.actors import Actor
from service.operations.awards import ForwardedAward, outline
from service.operations.reading import readable_instance
from service.permissions import HEAD_ROLE, Reading, Right, may


@dataclass(frozen=True, slots=True)
class AwardDecisionView:
    """What a signed plan's award decision covers, and whether the reader may issue it."""

    signed: bool  # the plan is signed: a decision may follow
    awardees: list[Awardee]  # accepted, decided here
    elsewhere: list[ForwardedAward]  # accepted, decided elsewhere
    decision_id: int | None  # its document, once issued
    may_issue: bool


def award_decision(uow: UnitOfWork, actor: Actor, process_id: int) -> AwardDecisionView:
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
        return AwardDecisionView(
            signed=plan.signed,
            awardees=plan.awardees,
            elsewhere=plan.elsewhere,
            decision_id=None if plan.decision is None else plan.decision.id,
            may_issue=decides and ready,
        )
