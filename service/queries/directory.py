"""Reads of the agency directory that forms offer as choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from service.db.models import Agency, AgencySuccessor, ProcessInstance, Task, User, UserRole
from service.db.uow import UnitOfWork
from service.documents.keys import agency_label, user_label
from service.errors import NotFound
from service.operations.actors import Actor
from service.operations.documents import issuer_choices
from service.operations.supervision import headed
from service.permissions import HEAD_ROLE, Right, may
from service.states import TaskState


@dataclass(frozen=True, slots=True)
class AddressableUnit:
    code: str
    name: str
    depth: int  # 1: directly below the plan's level


def addressable_units(uow: UnitOfWork, process_id: int) -> list[AddressableUnit]:
    """The agencies below the level of a plan, in tree order, each with its depth (1: directly
    below). These are the units a plan may address.

    The directory is no secret, so this checks no rights: whoever may see the task (its own
    agency, a deputy, a substitute) sees the names of the units it addresses.

    :raise NotFound: no such process.
    """
    with uow:
        instance = uow.session.get(ProcessInstance, process_id)
        if instance is None:
            raise NotFound("process_not_found", "No such process.")
        agencies = uow.session.execute(
            select(Agency.id, Agency.parent_id, Agency.code, Agency.name)
            .where(
                Agency.valid_to.is_(None)
            )  # an agency a reorganisation ended is addressed no more
            .order_by(Agency.id)
        ).all()
        children: dict[int | None, list[Any]] = {}
        for row in agencies:
            children.setdefault(row.parent_id, []).append(row)
        found: list[AddressableUnit] = []
        stack = [(row, 1) for row in reversed(children.get(instance.jurisdiction_id, []))]
        while stack:
            row, depth = stack.pop()
            found.append(AddressableUnit(row.code, row.name, depth))
            stack += [(child, depth + 1) for child in reversed(children.get(row.id, []))]
        return found


def plan_issuers(uow: UnitOfWork, process_id: int) -> list[tuple[str, str]]:
    """The bodies the process's plan may be issued as (its signing agency's), by symbol and
    name; empty when that agency issues only as itself."""
    with uow:
        instance = uow.session.get(ProcessInstance, process_id)
        signer = None if instance is None else instance.bindings.get(HEAD_ROLE)
        agency = None if signer is None else uow.session.get(Agency, signer)
        return [] if agency is None else issuer_choices(agency)


@dataclass(frozen=True, slots=True)
class Colleague:
    username: str
    full_name: str
    title: str
    agency: str


def colleagues(uow: UnitOfWork, actor: Actor) -> list[Colleague]:
    """The other active users of the actor's agency and of its sibling agencies (for a
    provincial committee: its office, the departments, the police…), the actor's own agency
    first, who may sign for an agency (a head or a deputy): whom a leader may name a substitute."""
    with uow:
        parent = select(Agency.parent_id).where(Agency.id == actor.agency_id).scalar_subquery()
        rows = uow.session.execute(
            select(User, Agency.name)
            .options(selectinload(User.roles))
            .join(Agency, Agency.id == User.agency_id)
            .where(
                (Agency.id == actor.agency_id) | (Agency.parent_id == parent),
                User.active,
                User.id != actor.user_id,
            )
            .order_by(Agency.id != actor.agency_id, Agency.name, User.full_name)
        ).all()
        return [
            Colleague(u.username, u.full_name, u.title, name)
            for u, name in rows
            if may({r.role for r in u.roles}, Right.STAND_IN)
        ]


def key_holders(uow: UnitOfWork) -> dict[str, tuple[str, str]]:
    """Who needs a signing key, by key label: every active user who may sign for an agency
    (a head, a deputy, an office chief by order), every agency and every other body an agency
    issues as; each with the
    certificate's (common name, organisation)."""
    with uow:
        agencies = uow.session.scalars(select(Agency)).all()
        users = uow.session.scalars(
            select(User).where(User.active).options(selectinload(User.roles))
        ).all()
        names = {a.id: a.issuer_name or a.name for a in agencies}
        holders = {
            agency_label(a.code): (names[a.id], a.parent_body or names[a.id]) for a in agencies
        }
        for a in agencies:  # the other bodies it issues as seal in their own names
            for other in a.issuers or []:
                name = other.get("issuer_name") or names[a.id]
                label = agency_label(a.code, other["abbreviation"])
                holders[label] = (name, other.get("parent_body") or name)
        for user in users:
            roles = {r.role for r in user.roles}
            if may(roles, Right.STAND_IN) or may(roles, Right.SIGN_BY_ORDER):
                holders[user_label(user.username)] = (user.full_name, names[user.agency_id])
        return holders


def assignees(uow: UnitOfWork, actor: Actor, task_ids: list[int]) -> dict[int, list[Any]]:
    """For each of these open tasks the actor may assign (Right.ASSIGN_TASKS: their agency's,
    or one they head), the active users of its agency who hold its role, by name."""
    if not may(actor, Right.ASSIGN_TASKS):
        return {}
    agencies = {actor.agency_id} | headed(actor)
    with uow:
        tasks = uow.session.scalars(
            select(Task).where(
                Task.id.in_(task_ids), Task.state == TaskState.OPEN, Task.agency_id.in_(agencies)
            )
        ).all()
        found: dict[int, list[Any]] = {}
        for task in tasks:
            found[task.id] = [
                {"username": u.username, "full_name": u.full_name}
                for u in uow.session.scalars(
                    select(User)
                    .join(UserRole, UserRole.user_id == User.id)
                    .where(
                        User.agency_id == task.agency_id,
                        User.active,
                        UserRole.role == task.role,
                    )
                    .order_by(User.full_name)
                )
            ]
        return found


def forebears(uow: UnitOfWork, agency_id: int) -> set[int]:
    """The agency and every agency that ended into it, at any remove, through the links the
    reorganisations left (service.operations.reorganisation): merged into it, dissolved with it
    as successor, split with it taking the open work. Their past is the agency's past: Bắc
    Giang's and Bắc Ninh's 2025 cycles are the 2026 Bắc Ninh's last year. A split's other
    successors do not inherit it, so no cycle counts twice."""
    found, frontier = {agency_id}, {agency_id}
    while frontier:
        ended = uow.session.scalars(
            select(AgencySuccessor.agency_id).where(
                AgencySuccessor.successor_id.in_(frontier),
                or_(AgencySuccessor.kind != "split", AgencySuccessor.takes_open_work),
            )
        )
        frontier = set(ended) - found
        found |= frontier
    return found
