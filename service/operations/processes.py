"""Starting a process instance for the actor's jurisdiction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from service.db.audit_log import write_pending
from service.db.batch import Batch
from service.db.models import Document, ProcessDefinition, ProcessInstance
from service.db.uow import UnitOfWork
from service.errors import Forbidden, NotFound
from service.operations.actors import Actor
from service.operations.agency_cache import role_bindings
from service.operations.definitions import engine_definition, latest
from service.operations.idempotency import Idempotency, remember
from service.operations.incidents import Failure, ScriptIncident, open_incident
from service.operations.instances import append_event, save_runtime, write_instance
from service.permissions import Right, require
from service.plan_years import plan_for_year
from service.states import ProcessStatus
from workflows.calendar import local_day
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


# what a plan of another year does not carry over: the documents it cited (the campaign's of
# the new year are cited instead) and the people nominated for last year's merits
NOT_COPIED: dict[str, Any] = {"grounds": [], "nominations": []}


def copy_last_year(
    uow: UnitOfWork,
    actor: Actor,
    process_id: str = "plan_chain",
    idempotency: Idempotency | None = None,
) -> int:
    """Start `process_id` as `start_process` does, its plan copied from the agency's plan of
    the year before (the latest earlier year it has a plan of): the issued one, else the
    latest draft; cancelled ones are not copied. The new plan is for this year (the
    next, when this year's is issued already); every date moves by as many years (29/2 to
    28/2), the anniversaries and the year in its text are counted again; budgets, units and
    pilot sites are kept, the documents cited and the nominations are not (NOT_COPIED).
    Recorded like any start, with the plan it was copied from and the plan it starts with.

    :raise NotFound: `no_plan_to_copy`, the agency has no plan of the year before.
    """
    require(actor, Right.START_PLAN)
    try:
        return _start(uow, actor, process_id, None, idempotency)
    except ScriptIncident as raised:
        raise open_incident(uow, actor, raised) from raised.error


def _last_year(uow: UnitOfWork, actor: Actor, process_id: str) -> tuple[int, dict[str, Any]]:
    """The plan to copy (its id and the plan for its new year)."""
    signed = exists().where(Document.instance_id == ProcessInstance.id, Document.kind == "KH")
    plans = uow.session.execute(
        select(ProcessInstance.id, ProcessInstance.document, signed.label("signed"))
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(
            ProcessInstance.jurisdiction_id == actor.jurisdiction_id,
            ProcessInstance.parent_id.is_(None),
            ProcessDefinition.process_id == process_id,
            # a cancelled plan was abandoned; one handed over is its successor's to copy
            ProcessInstance.status.in_([ProcessStatus.RUNNING, ProcessStatus.COMPLETED]),
        )
        .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
    ).all()
    plans = [p for p in plans if isinstance(p.document.get("year"), int)]  # drafted at all
    year = local_day(uow.now()).year
    if any(p.signed and p.document["year"] == year for p in plans):
        year += 1  # this year's is issued: the copy plans the next
    before = [p for p in plans if p.document["year"] < year]
    if not before:
        raise NotFound("no_plan_to_copy", "Your agency has no plan of an earlier year to copy.")
    latest_year = max(p.document["year"] for p in before)
    candidates = [p for p in before if p.document["year"] == latest_year]
    source = next((p for p in candidates if p.signed), candidates[0])
    return source.id, {**plan_for_year(source.document, year), **NOT_COPIED}


def _start(
    uow: UnitOfWork,
    actor: Actor,
    process_id: str,
    title: str | None,
    idempotency: Idempotency | None,
) -> int:
    """Start a process; without a `title`, copy the plan of the year before (copy_last_year)."""
    with uow:
        now = uow.now()
        copied: dict[str, Any] = {}
        document: dict[str, Any] = {}
        if title is None:
            source, document = _last_year(uow, actor, process_id)
            title = str(document["title"])
            copied = {"copied_from": source, "document": document}
        row = latest(uow, process_id)
        definition = engine_definition(row)
        level = actor.jurisdiction_id
        bindings = (
            {} if level is None else role_bindings(uow.session, [level], definition.roles)[level]
        )
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
            document=document,
            state="",
            started_by_id=actor.user_id,
            started_at=now,
        )
        uow.session.add(instance)
        uow.session.flush()
        started = instance.id
        batch = Batch()  # what follows the new row: one statement on PostgreSQL
        save_runtime(uow.session, instance, runtime, now, new=True, batch=batch)
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
                **copied,  # the plan it starts with, which replay starts from too
            },
        )
        write_instance(uow.session, instance, batch)
        write_pending(uow.session, batch)  # the event goes with the batch, whatever flushes next
        remember(uow.session, idempotency, {"id": started}, now)
        uow.commit(batch)
        return started
