"""Open work follows a reorganisation: a unit that ended hands its running plans to its heir.

For each running unit process of the ended agency (a plan addressed it), the process ends as
`handed_over` (its open tasks with it; the reports it already sent stay where they were sent),
and the heir carries on in the same plan: with its own process if the plan already addressed
it (the heir inherits: its own reports stand for both), else a new one started for it. The
plan's report rounds count accordingly, both processes' histories say so, and `missing` and
the consolidation name the heir, never the ended unit.
"""

from __future__ import annotations

from sqlalchemy import select, update

from service.db.models import Agency, ProcessInstance, ReportRound, RoleBinding, Task
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from service.operations.cascade import HANDED_OVER, release_finished_rounds, start_units
from service.operations.definitions import engine_definition
from service.operations.instances import append_event, save_runtime
from service.states import TaskState
from workflows.runtime import Runtime


def hand_over(uow: UnitOfWork, actor: Actor, ended: Agency, heir: Agency) -> list[int]:
    """Move the running unit processes of `ended` to `heir`; return the ended processes' ids."""
    session, now = uow.session, uow.now()
    running = session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.jurisdiction_id == ended.id,
            ProcessInstance.status == "running",
            ProcessInstance.parent_id.is_not(None),
        )
        .order_by(ProcessInstance.id)
    ).all()
    moved = []
    for child in running:
        assert child.parent_id is not None
        plan = session.get_one(ProcessInstance, child.parent_id)
        for task in session.scalars(select(Task).filter_by(instance_id=child.id, state="open")):
            task.state, task.completed_at = TaskState.HANDED_OVER, now
        child.status, child.completed_at, child.next_timer_at = HANDED_OVER, now, None
        successor = session.scalars(
            select(ProcessInstance).where(
                ProcessInstance.parent_id == plan.id,
                ProcessInstance.jurisdiction_id == heir.id,
                ProcessInstance.status == "running",
            )
        ).first()
        rounds = engine_definition(plan.definition).report_rounds
        if successor is None:
            (successor_id,) = start_units(session, plan, [heir], actor, now)
            # the new process reports every round; the ended one had counted off those it sent
            deltas = {r: 1 for r in rounds if r in child.reports}
        else:  # the heir's own reports stand for both
            successor_id = successor.id
            deltas = {r: -1 for r in rounds if r not in child.reports}
        for round_, delta in deltas.items():
            session.execute(
                update(ReportRound)
                .where(ReportRound.instance_id == plan.id, ReportRound.round == round_)
                .values(open=ReportRound.open + delta)
                .execution_options(synchronize_session=False)
            )
        data = {
            "unit": ended.code,
            "successor": heir.code,
            "from_process": child.id,
            "process": successor_id,
            "reported": sorted(child.reports),
        }
        append_event(session, child, "unit_handed_over", actor, now, data=data)
        append_event(session, plan, "unit_succeeded", actor, now, data=data)
        if any(delta < 0 for delta in deltas.values()):  # perhaps the last one it waited for
            runtime = Runtime.restore(engine_definition(plan.definition), plan.state)
            release_finished_rounds(session, plan, runtime, now)
            save_runtime(session, plan, runtime, now)
        moved.append(child.id)
    return moved


def rebind_own_plans(
    uow: UnitOfWork, actor: Actor, ended: Agency, gone: set[int], heir: Agency
) -> list[int]:
    """The ended agency's own running plans (no parent: nobody hands them over) go on at the
    heir's level: each role filled by an agency that ended (`gone`) is filled by whoever fills
    it for the heir, and the open tasks follow; return the plans' ids."""
    session, now = uow.session, uow.now()
    filled = dict(
        session.execute(
            select(RoleBinding.role, RoleBinding.agency_id).where(
                RoleBinding.jurisdiction_id == heir.jurisdiction_id
            )
        ).all()
    )
    plans = session.scalars(
        select(ProcessInstance)
        .where(
            ProcessInstance.jurisdiction_id == ended.id,
            ProcessInstance.status == "running",
            ProcessInstance.parent_id.is_(None),
        )
        .order_by(ProcessInstance.id)
    ).all()
    rebound = []
    for plan in plans:
        bindings = {
            role: filled.get(role, heir.id) if agency in gone else agency
            for role, agency in plan.bindings.items()
        }
        if bindings == plan.bindings:
            continue
        plan.bindings = bindings
        for task in session.scalars(select(Task).filter_by(instance_id=plan.id, state="open")):
            if task.agency_id in gone:
                task.agency_id = bindings.get(task.role, heir.id)
        data = {"unit": ended.code, "successor": heir.code, "bindings": bindings}
        append_event(session, plan, "roles_rebound", actor, now, data=data)
        rebound.append(plan.id)
    return rebound
