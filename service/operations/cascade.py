"""Issuing a signed plan to its units, and their reports flowing back up.

Each addressed unit gets its own instance of the same diagram, bound to the agencies of its own
level and linked to the plan that addressed it: a completion never loads more than one small
workflow, however many units a plan reaches. The parent waits for the message `units_done`,
sent when its last child reports, or for its report deadline (a BPMN timer).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db.models import Agency, ProcessInstance, RoleBinding
from service.operations.actors import Actor
from service.operations.definitions import engine_definition
from service.operations.instances import append_event, save_runtime
from workflows.calendar import due_before
from workflows.runtime import Runtime
from workflows.text import fold

UNITS_DONE = "units_done"
# Every level has someone to draft and someone to sign; a unit with no bindings of its own
# (a school, an enterprise) fills both lanes itself.
REQUIRED_ROLES = ("standing_body", "chairman")


def report_deadline(instance: ProcessInstance, document: dict[str, Any]) -> str:
    """When this instance stops waiting for its units' reports (the timer's ISO time)."""
    for deadline in document.get("deadlines", []):
        if deadline.get("kind") == "unit_report":
            return due_before(date.fromisoformat(deadline["due"])).isoformat()
    if "report" in instance.deadlines:
        return due_before(date.fromisoformat(instance.deadlines["report"])).isoformat()
    end = date.fromisoformat(document["window"]["end"])
    return due_before(end + timedelta(days=1)).isoformat()


def unit_deadlines(document: dict[str, Any]) -> dict[str, str]:
    """The dates a plan holds its units to: their own plan, and their result report."""
    kinds = {"unit_plan": "plan", "unit_report": "report"}
    return {
        kinds[d["kind"]]: d["due"] for d in document.get("deadlines", []) if d.get("kind") in kinds
    }


def issue_plan(
    session: Session, instance: ProcessInstance, runtime: Runtime, actor: Actor, now: datetime
) -> None:
    """Start one child instance per addressed unit; with none, stop waiting at once."""
    codes: list[str] = instance.document.get("addressed_units", [])
    by_code = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    units = [by_code[code] for code in codes]
    definition = engine_definition(instance.definition)
    bound: dict[int, dict[str, int]] = {unit.id: {} for unit in units}
    for binding in session.scalars(
        select(RoleBinding).where(RoleBinding.jurisdiction_id.in_(list(bound)))
    ):
        if binding.role in definition.roles:
            bound[binding.jurisdiction_id][binding.role] = binding.agency_id
    deadlines = unit_deadlines(instance.document)
    children = []
    for unit in units:
        bindings = {role: unit.id for role in REQUIRED_ROLES} | bound[unit.id]
        child = ProcessInstance(
            definition_id=instance.definition_id,
            jurisdiction_id=unit.id,
            parent_id=instance.id,
            title=f"{instance.title} — {unit.name}",
            title_folded=fold(f"{instance.title} — {unit.name}"),
            bindings=bindings,
            document={},
            state="",
            deadlines=deadlines,
            started_by_id=actor.user_id,
            started_at=now,
        )
        children.append((child, Runtime.start(definition, sorted(bindings), now), unit))
    session.add_all(child for child, _, _ in children)
    session.flush()  # the children's ids, for their task rows and events
    for child, child_runtime, unit in children:
        save_runtime(session, child, child_runtime, now, new=True)
        append_event(
            session,
            child,
            "process_started",
            actor,
            now,
            role="chairman",
            data={
                "parent": instance.id,
                "unit": unit.code,
                "bindings": child.bindings,
                "deadlines": deadlines,
            },
        )
    instance.children_open, instance.issued_at = len(children), now
    append_event(
        session,
        instance,
        "plan_issued",
        actor,
        now,
        role="chairman",
        data={"units": codes, "deadlines": deadlines},
    )
    if not children:
        runtime.deliver(UNITS_DONE, now)


def report_to_parent(session: Session, child: ProcessInstance, now: datetime) -> None:
    """Count a finished child off; the last one wakes its parent if it still waits."""
    assert child.parent_id is not None
    remaining = session.execute(  # row-locks the parent: of two last children, one sees 0
        update(ProcessInstance)
        .where(ProcessInstance.id == child.parent_id)
        .values(children_open=ProcessInstance.children_open - 1)
        .returning(ProcessInstance.children_open)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if remaining:
        return
    parent = session.get_one(ProcessInstance, child.parent_id, populate_existing=True)
    runtime = Runtime.restore(engine_definition(parent.definition), parent.state)
    if not runtime.awaits(UNITS_DONE):  # the report deadline passed first
        return
    runtime.deliver(UNITS_DONE, now)
    save_runtime(session, parent, runtime, now)
    append_event(session, parent, "units_reported", None, now)
