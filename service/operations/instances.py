"""Keeping an instance's rows in step with its engine state, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Event, ProcessInstance, Task
from service.errors import Conflict
from service.operations.actors import Actor
from service.operations.deadlines import schedule
from workflows.audit import event_hash
from workflows.runtime import Runtime


def save_runtime(
    session: Session,
    instance: ProcessInstance,
    runtime: Runtime,
    now: datetime,
    *,
    new: bool = False,
) -> None:
    """Store the engine state and project its ready human tasks onto task rows.

    Tasks the engine no longer offers (other than the one just completed by the caller) are
    cancelled; new ones are bound to the agency that fills their lane in this instance and get
    their due time. `new` skips looking for open rows of an instance that has none yet.
    """
    ready = {t.id: t for t in runtime.ready_tasks()}
    open_rows = (
        []
        if new
        else session.scalars(select(Task).filter_by(instance_id=instance.id, state="open")).all()
    )
    instance.state = runtime.dump()
    instance.next_timer_at = runtime.next_timer()
    for row in open_rows:
        if row.state != "open":  # completed by the caller in this unflushed transaction
            continue
        if ready.pop(row.engine_task_id, None) is None:
            row.state, row.completed_at = "cancelled", now
    for task in ready.values():
        agency_id = instance.bindings.get(task.lane)
        if agency_id is None:
            raise Conflict(
                "role_unbound", f"No agency fills the role “{task.lane}” here.", role=task.lane
            )
        row = Task(
            instance_id=instance.id,
            engine_task_id=task.id,
            step=task.step,
            name=task.name,
            role=task.lane,
            agency_id=agency_id,
            created_at=now,
            form=task.form,
            report_round=task.report_round,
        )
        schedule(row, instance.deadlines, now)
        session.add(row)
    if runtime.completed and instance.status != "completed":
        instance.status, instance.completed_at = "completed", now


def append_event(
    session: Session,
    instance: ProcessInstance,
    action: str,
    actor: Actor | None,
    now: datetime,
    *,
    role: str | None = None,
    task: Task | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append the next event of this instance's history; events are never changed afterwards.

    The event is chained to the instance's head (`last_event_hash`), which moves with the seq
    under the instance's version check: two writers can never both extend the same head.
    """
    instance.last_event_seq += 1
    event = Event(
        instance_id=instance.id,
        seq=instance.last_event_seq,
        action=action,
        task_id=None if task is None else task.id,
        actor_id=None if actor is None else actor.user_id,
        agency_id=None if actor is None else actor.agency_id,
        role=role,
        data=data or {},
        created_at=now,
        prev_hash=instance.last_event_hash,
    )
    event.hash = instance.last_event_hash = event_hash(event_record(event), event.prev_hash)
    session.add(event)
    return event


# The fields an event's hash covers; migration 0002 hashed the events it found with the same.
HASHED = (
    "instance_id",
    "seq",
    "action",
    "task_id",
    "actor_id",
    "agency_id",
    "role",
    "data",
    "created_at",
)


def event_record(event: Any) -> dict[str, Any]:
    """The hashed fields of an event: an `Event`, or a result row with the same columns."""
    return {name: getattr(event, name) for name in HASHED}
