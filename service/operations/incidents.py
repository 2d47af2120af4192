"""Incidents: a start or completion whose diagram script failed, for an administrator to retry
once a corrected diagram is deployed, or to close by cancelling the process.

The failing transaction rolls back (the process stays where it was), so the incident is
written in a transaction of its own. Retrying re-runs, in memory, what the engine was given on
the newest version of the diagram: if it now moves, the process moves onto that version and the
incident is resolved, and the task waits for its user again (their input was never kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.db.models import Incident, ProcessDefinition, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import Conflict, NotFound, Unprocessable, script_failed
from service.operations.actors import Actor
from service.operations.definitions import engine_definition, latest
from service.permissions import Right, require
from service.states import IncidentState, ProcessStatus, TaskState
from workflows.errors import ScriptFailed, WorkflowError
from workflows.runtime import Runtime


@dataclass(frozen=True)
class Failure:
    """Where a diagram's script failed: the operation and what the engine was given."""

    operation: str  # start | complete
    definition_id: int
    instance_id: int | None
    task_id: int | None
    engine_data: dict[str, Any]


class ScriptIncident(Exception):
    """Raised inside an operation's transaction; `open_incident` records it after rollback."""

    def __init__(self, error: ScriptFailed, failure: Failure) -> None:
        super().__init__(error.code)
        self.error = error
        self.failure = failure


def open_incident(uow: UnitOfWork, actor: Actor, raised: ScriptIncident) -> Unprocessable:
    """Record the failure (or count it again on its open incident) in a transaction of its
    own; return the 422 to answer, naming the incident."""
    answer = script_failed(raised.error)
    failure, params = raised.failure, raised.error.params
    with uow:
        now = uow.now()
        incident = uow.session.scalars(
            select(Incident).filter_by(
                state=IncidentState.OPEN,
                operation=failure.operation,
                definition_id=failure.definition_id,
                instance_id=failure.instance_id,
                task_id=failure.task_id,
            )
        ).first()
        if incident is None:
            incident = Incident(
                operation=failure.operation,
                definition_id=failure.definition_id,
                instance_id=failure.instance_id,
                task_id=failure.task_id,
                error=answer.code,
                reason="",
                engine_data=failure.engine_data,
                created_at=now,
                last_at=now,
                triggered_by_id=actor.user_id,
            )
            uow.session.add(incident)
        else:
            incident.occurrences += 1
        incident.step, incident.reason = params.get("step"), str(params.get("reason"))
        incident.last_at, incident.triggered_by_id = now, actor.user_id
        incident.engine_data = failure.engine_data
        uow.session.flush()
        instance = _instance(uow, incident)
        uow.record(
            "incident_opened",
            actor,
            instance=instance,
            data={"incident": incident.id, "step": incident.step, "reason": incident.reason},
        )
        uow.commit()
        answer.params["incident"] = incident.id
    return answer


def list_incidents(
    uow: UnitOfWork, actor: Actor, state: IncidentState = IncidentState.OPEN
) -> list[dict[str, Any]]:
    """Incidents in `state`, newest first (administrators)."""
    require(actor, Right.HANDLE_INCIDENTS)
    with uow:
        rows = uow.session.scalars(
            select(Incident)
            .filter_by(state=state)
            .options(
                joinedload(Incident.instance),
                joinedload(Incident.definition),
                joinedload(Incident.triggered_by),
            )
            .order_by(Incident.id.desc())
            .limit(500)
        ).all()
        return [_view(row) for row in rows]


def retry_incident(uow: UnitOfWork, actor: Actor, incident_id: int) -> dict[str, Any]:
    """Re-run the failed start or completion on the newest version of its diagram, in memory.

    :raise Unprocessable: it still fails (the incident stays open, with the new reason).
    :raise Conflict: the incident is closed, or its process cannot move to the newest version.
    """
    require(actor, Right.HANDLE_INCIDENTS)
    with uow:
        now = uow.now()
        incident = _open(uow, incident_id)
        newest = latest(uow, incident.definition.process_id)
        definition = engine_definition(newest)
        instance = incident.instance
        try:
            if instance is None:
                Runtime.start(definition, incident.engine_data["roles"], now)
            else:
                task = incident.task
                if (
                    instance.status != ProcessStatus.RUNNING
                    or task is None
                    or task.state != TaskState.OPEN
                ):
                    raise Conflict("incident_moved", "The process has moved on; cancel instead.")
                try:
                    runtime = Runtime.restore(definition, instance.state)
                except (WorkflowError, KeyError, ValueError) as err:  # its steps are gone
                    raise Conflict(
                        "cannot_migrate",
                        f"The process cannot move to version {newest.version} of its diagram.",
                    ) from err
                runtime.complete(task.engine_task_id, incident.engine_data, now)
        except ScriptFailed as err:
            incident.reason, incident.last_at = str(err.params.get("reason")), now
            incident.occurrences += 1
            uow.commit()  # the new reason is kept; nothing else changed
            raise script_failed(err) from err
        moved_from = incident.definition.version
        if instance is not None and instance.definition_id != newest.id:
            instance.definition_id = newest.id  # the same engine state, read by the new diagram
        _close(
            uow,
            actor,
            incident,
            IncidentState.RESOLVED,
            "incident_retried",
            definition=newest.process_id,
            version=newest.version,
            sha256=newest.sha256,
        )
        result = _view(incident) | {"from_version": moved_from, "to_version": newest.version}
        uow.commit()
        return result


def cancel_incident(uow: UnitOfWork, actor: Actor, incident_id: int) -> dict[str, Any]:
    """Cancel the incident's process (its open tasks with it) and close the incident."""
    require(actor, Right.HANDLE_INCIDENTS)
    with uow:
        now = uow.now()
        incident = _open(uow, incident_id)
        instance = incident.instance
        if instance is not None and instance.status == ProcessStatus.RUNNING:
            instance.completed_at, instance.next_timer_at = now, None
            instance.status = ProcessStatus.CANCELLED
            for task in uow.session.scalars(
                select(Task).filter_by(instance_id=instance.id, state=TaskState.OPEN)
            ):
                task.state, task.completed_at = TaskState.CANCELLED, now
        _close(uow, actor, incident, IncidentState.CANCELLED, "process_cancelled")
        result = _view(incident)
        uow.commit()
        return result


def _open(uow: UnitOfWork, incident_id: int) -> Incident:
    incident = uow.session.get(
        Incident,
        incident_id,
        options=[joinedload(Incident.instance), joinedload(Incident.definition)],
    )
    if incident is None:
        raise NotFound("incident_not_found", "No such incident.")
    if incident.state != IncidentState.OPEN:
        raise Conflict(
            "incident_closed", f"This incident is already {incident.state}.", state=incident.state
        )
    return incident


def _close(
    uow: UnitOfWork,
    actor: Actor,
    incident: Incident,
    state: IncidentState,
    action: str,
    **data: Any,
) -> None:
    incident.state, incident.closed_at, incident.closed_by_id = state, uow.now(), actor.user_id
    uow.record(
        action,
        actor,
        instance=_instance(uow, incident),
        data={"incident": incident.id, "step": incident.step, **data},
    )


def _instance(uow: UnitOfWork, incident: Incident) -> ProcessInstance | None:
    if incident.instance_id is None:
        return None
    return uow.session.get(ProcessInstance, incident.instance_id)


def _view(row: Incident) -> dict[str, Any]:
    definition: ProcessDefinition = row.definition
    return {
        "id": row.id,
        "process_id": row.instance_id,
        "process_title": row.instance.title if row.instance is not None else None,
        "definition": definition.process_id,
        "version": definition.version,
        "operation": row.operation,
        "step": row.step,
        "error": row.error,
        "reason": row.reason,
        "occurrences": row.occurrences,
        "state": row.state,
        "created_at": row.created_at,
        "last_at": row.last_at,
        "triggered_by": row.triggered_by.username,
    }
