"""How much of a process an actor reads (service.permissions, `Reading`): the one check that
queries and operations (export, replay) share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.db.models import ProcessInstance
from service.db.uow import UnitOfWork
from service.errors import Forbidden, NotFound
from service.operations.actors import Actor, SystemActor
from service.permissions import Reading, Right, may


def readable_instance(
    uow: UnitOfWork, actor: Actor | SystemActor, process_id: int
) -> tuple[ProcessInstance, Reading]:
    """The instance and how much of it the actor reads (service.permissions, `Reading`).

    `FULL` if the actor's agency (or one the actor substitutes for) takes part in it or in a
    plan above it, or the actor oversees (supervisor, auditor, admin) its level.
    `ISSUED_PLAN` if it is an issued plan and the actor would read one of the processes it
    started, at any depth below, in full: a unit it addressed, or a unit of that unit.

    The command line (`SystemActor`, Right.READ_EVERY_PROCESS) reads every process in full.

    :raise NotFound: no such process. :raise Forbidden: the actor has no part in it.
    """
    instance = uow.session.get(
        ProcessInstance,
        process_id,
        options=[joinedload(ProcessInstance.definition), joinedload(ProcessInstance.jurisdiction)],
    )
    if instance is None:
        raise NotFound("process_not_found", "No such process.")
    if may(actor, Right.READ_EVERY_PROCESS):
        return instance, Reading.FULL
    if not isinstance(actor, Actor):
        raise Forbidden("not_your_process", "Your agency has no part in this process.")
    takes_part = _takes_part(actor)
    node: ProcessInstance | None = instance
    while node is not None:
        if takes_part(node.bindings, node.jurisdiction_id):
            return instance, Reading.FULL
        node = None if node.parent_id is None else uow.session.get(ProcessInstance, node.parent_id)
    if instance.issued_at is not None and _below(uow, takes_part, instance.id):
        return instance, Reading.ISSUED_PLAN
    raise Forbidden("not_your_process", "Your agency has no part in this process.")


def visible_instance(
    uow: UnitOfWork, actor: Actor | SystemActor, process_id: int
) -> ProcessInstance:
    """The instance, if the actor reads it in full: its tasks, history, units and reports.

    :raise NotFound: no such process. :raise Forbidden: the actor has no part in it, or reads
        only the plan as issued to their unit.
    """
    instance, reading = readable_instance(uow, actor, process_id)
    if reading is not Reading.FULL:
        raise Forbidden(
            "issued_plan_only", "Your unit reads this plan as issued, not how it is carried out."
        )
    return instance


def _takes_part(actor: Actor) -> Callable[[dict[str, Any], int], bool]:
    """Whether the actor takes part in a process of these bindings and level, by itself: an
    agency the actor acts for is bound in it, or the actor oversees its level."""
    agencies = {agency for agency, _ in actor.duties()}
    overseen = actor.overseen if may(actor, Right.OVERSEE) else frozenset()
    return lambda bindings, level: bool(agencies & set(bindings.values())) or level in overseen


def _below(
    uow: UnitOfWork, takes_part: Callable[[dict[str, Any], int], bool], process_id: int
) -> bool:
    """Whether the actor takes part in a process below this one, at any depth."""
    frontier = [process_id]
    while frontier:
        rows = uow.session.execute(
            select(
                ProcessInstance.id, ProcessInstance.bindings, ProcessInstance.jurisdiction_id
            ).where(ProcessInstance.parent_id.in_(frontier))
        ).all()
        if any(takes_part(bindings, level) for _, bindings, level in rows):
            return True
        frontier = [row.id for row in rows]
    return False


def readable_processes(uow: UnitOfWork, actor: Actor | SystemActor) -> dict[int, Reading]:
    """Every process the actor reads, with how much: `readable_instance` for all of them at
    once (one query over the instance tree, no engine state), for lists and search."""
    rows = uow.session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.parent_id,
            ProcessInstance.bindings,
            ProcessInstance.jurisdiction_id,
            ProcessInstance.issued_at,
        )
    ).all()
    if may(actor, Right.READ_EVERY_PROCESS):
        return {row.id: Reading.FULL for row in rows}
    if not isinstance(actor, Actor):
        return {}
    takes_part = _takes_part(actor)
    parents = {row.id: row.parent_id for row in rows}
    direct = {row.id for row in rows if takes_part(row.bindings, row.jurisdiction_id)}
    full: dict[int, bool] = {}

    def reads_in_full(process_id: int) -> bool:  # it or a plan above it: an iterative walk
        path: list[int] = []
        node: int | None = process_id
        while node is not None and node not in full and node not in direct:
            path.append(node)
            node = parents.get(node)
        found = node is not None and (node in direct or full[node])
        full.update(dict.fromkeys(path, found))
        return found

    above: set[int] = set()  # plans with a process the actor takes part in below them
    for process_id in direct:
        parent = parents[process_id]
        while parent is not None and parent not in above:
            above.add(parent)
            parent = parents[parent]
    issued = {row.id for row in rows if row.issued_at is not None}
    readable = {row.id: Reading.FULL for row in rows if reads_in_full(row.id)}
    for process_id in (above & issued) - readable.keys():
        readable[process_id] = Reading.ISSUED_PLAN
    return readable
