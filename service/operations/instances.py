"""Keeping an instance's rows in step with its engine state, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.audit_log import append
from service.db.models import Event, ProcessInstance, Task
from service.errors import Conflict
from service.operations.actors import Actor
from service.operations.deadlines import schedule
from service.states import ProcessStatus, TaskState
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
        else session.scalars(
            select(Task).filter_by(instance_id=instance.id, state=TaskState.OPEN)
        ).all()
    )
    instance.state = runtime.dump()
    instance.next_timer_at = runtime.next_timer()
    for row in open_rows:
        if row.state != TaskState.OPEN:  # completed by the caller in this unflushed transaction
            continue
        if ready.pop(row.engine_task_id, None) is None:
            row.state, row.completed_at = TaskState.CANCELLED, now
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
    if runtime.completed and instance.status != ProcessStatus.COMPLETED:
        instance.status, instance.completed_at = ProcessStatus.COMPLETED, now


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
    """Append the next event of this instance's history (service.db.audit_log.append)."""
    return append(session, instance, action, actor, now, role=role, task=task, data=data)
