"""A process instance and its history, for those who may see it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.db.models import Event, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import Forbidden, NotFound
from service.forms import budget_total
from service.operations.actors import Actor
from service.permissions import Right, may
from workflows.calendar import last_day


def document_view(document: dict[str, Any]) -> dict[str, Any]:
    """The plan as stored, plus its budget total (derived, so never stored)."""
    if "budget_lines" not in document:
        return document
    return {**document, "budget_total": budget_total(document["budget_lines"])}


def visible_instance(uow: UnitOfWork, actor: Actor, process_id: int) -> ProcessInstance:
    """The instance, if the actor's agency (or one the actor substitutes for) takes part in it
    or in a plan above it, or the actor oversees (supervisor, auditor, admin) its level.

    :raise NotFound: no such process. :raise Forbidden: the actor has no part in it.
    """
    instance = uow.session.get(
        ProcessInstance,
        process_id,
        options=[joinedload(ProcessInstance.definition), joinedload(ProcessInstance.jurisdiction)],
    )
    if instance is None:
        raise NotFound("process_not_found", "No such process.")
    overseer = may(actor, Right.OVERSEE)
    agencies = {agency for agency, _ in actor.duties()}
    node: ProcessInstance | None = instance
    while node is not None:
        if agencies & set(node.bindings.values()) or (
            overseer and node.jurisdiction_id in actor.overseen
        ):
            return instance
        node = None if node.parent_id is None else uow.session.get(ProcessInstance, node.parent_id)
    raise Forbidden("not_your_process", "Your agency has no part in this process.")


def due_fields(due_at: datetime | None) -> dict[str, Any]:
    """A task's due instant and the last day to act on it (the day before a "trước ngày …")."""
    return {"due_at": due_at, "last_day": None if due_at is None else last_day(due_at)}


def task_row(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "step": task.step,
        "name": task.name,
        "role": task.role,
        "agency": task.agency.name,
        "state": task.state,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
        "decision": task.decision,
        "comment": task.comment,
        "completed_by": None if task.completed_by is None else task.completed_by.full_name,
        **due_fields(task.due_at),
        "deadline_state": task.deadline_state,
    }


def process_detail(uow: UnitOfWork, actor: Actor, process_id: int) -> dict[str, Any]:
    with uow:
        instance = visible_instance(uow, actor, process_id)
        tasks = uow.session.scalars(
            select(Task)
            .filter_by(instance_id=instance.id)
            .order_by(Task.id)
            .options(joinedload(Task.agency), joinedload(Task.completed_by))
        ).all()
        return {
            "id": instance.id,
            "title": instance.title,
            "status": instance.status,
            "definition": {
                "process_id": instance.definition.process_id,
                "version": instance.definition.version,
            },
            "jurisdiction": {"id": instance.jurisdiction_id, "name": instance.jurisdiction.name},
            "parent_id": instance.parent_id,
            "bindings": instance.bindings,
            "deadlines": instance.deadlines,
            "started_at": instance.started_at,
            "issued_at": instance.issued_at,
            "completed_at": instance.completed_at,
            "version": instance.version,
            "document": document_view(instance.document),
            "reports": instance.reports,
            "tasks": [task_row(t) for t in tasks],
        }


def history(uow: UnitOfWork, actor: Actor, process_id: int) -> list[dict[str, Any]]:
    """Every event of the process in order: who, for which agency and role, what, when."""
    with uow:
        instance = visible_instance(uow, actor, process_id)
        events = uow.session.scalars(
            select(Event)
            .filter_by(instance_id=instance.id)
            .order_by(Event.seq)
            .options(joinedload(Event.actor), joinedload(Event.agency))
        ).all()
        return [
            {
                "id": e.id,
                "seq": e.seq,
                "action": e.action,
                "task_id": e.task_id,
                "role": e.role,
                "actor": None
                if e.actor is None
                else {
                    "id": e.actor.id,
                    "username": e.actor.username,
                    "full_name": e.actor.full_name,
                },
                "agency": None if e.agency is None else e.agency.name,
                "data": e.data,
                "created_at": e.created_at,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in events
        ]
