"""Starting a process instance for the actor's jurisdiction."""

from __future__ import annotations

from sqlalchemy import select

from service.db.models import ProcessInstance, RoleBinding
from service.db.uow import UnitOfWork
from service.errors import Forbidden
from service.operations.actors import Actor
from service.operations.definitions import engine_definition, latest
from service.operations.idempotency import Idempotency, remember
from service.operations.incidents import Failure, ScriptIncident, open_incident
from service.operations.instances import append_event, save_runtime
from service.permissions import Right, require
from workflows.errors import ScriptFailed
from workflows.runtime import Runtime
from workflows.text import fold


def start_process(
    uow: UnitOfWork,
    actor: Actor,
    process_id: str,
    title: str,
    idempotency: Idempotency | None = None,
) -> int:
    """Start the newest version of `process_id` in the actor's jurisdiction; return its id.

    Each lane is bound to the agency that fills that role in the jurisdiction; lanes with no
    agency are left out of `roles`, so the diagram's gateways skip their steps. Only the agency
    and role of the first step may start it, and only a drafter (Right.START_PLAN).
    """
    require(actor, Right.START_PLAN)
    try:
        return _start(uow, actor, process_id, title, idempotency)
    except ScriptIncident as raised:
        raise open_incident(uow, actor, raised) from raised.error


def _start(
    uow: UnitOfWork, actor: Actor, process_id: str, title: str, idempotency: Idempotency | None
) -> int:
    with uow:
        now = uow.now()
        row = latest(uow, process_id)
        definition = engine_definition(row)
        bindings = {
            b.role: b.agency_id
            for b in uow.session.scalars(
                select(RoleBinding).filter_by(jurisdiction_id=actor.jurisdiction_id)
            )
            if b.role in definition.roles
        }
        try:
            runtime = Runtime.start(definition, sorted(bindings), now)
        except ScriptFailed as err:
            failure = Failure("start", row.id, None, None, {"roles": sorted(bindings)})
            raise ScriptIncident(err, failure) from err
        first = runtime.ready_tasks()
        if not first or any(
            bindings.get(t.lane) != actor.agency_id or t.lane not in actor.roles for t in first
        ):
            raise Forbidden(
                "not_first_step",
                "Only the agency and role of the first step may start this process.",
            )
        instance = ProcessInstance(
            definition_id=row.id,
            jurisdiction_id=actor.jurisdiction_id,
            title=title,
            title_folded=fold(title),
            bindings=bindings,
            document={},
            state="",
            started_by_id=actor.user_id,
            started_at=now,
        )
        uow.session.add(instance)
        uow.session.flush()
        save_runtime(uow.session, instance, runtime, now)
        append_event(
            uow.session,
            instance,
            "process_started",
            actor,
            now,
            role=first[0].lane,
            data={
                "definition": row.process_id,
                "version": row.version,
                "sha256": row.sha256,  # the diagram's, for the export's offline check
                "title": title,
                "bindings": bindings,
            },
        )
        remember(uow.session, idempotency, {"id": instance.id}, now)
        uow.commit()
        return instance.id
