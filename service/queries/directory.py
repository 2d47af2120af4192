"""Reads of the agency directory that forms offer as choices."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from service.db.models import Agency, User
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from service.queries.processes import visible_instance


def addressable_units(uow: UnitOfWork, actor: Actor, process_id: int) -> list[dict[str, Any]]:
    """The agencies below the level of a plan, in tree order, each with its depth (1: directly
    below). These are the units a plan may address.

    :raise NotFound: no such process. :raise Forbidden: the actor has no part in it.
    """
    with uow:
        instance = visible_instance(uow, actor, process_id)
        agencies = uow.session.execute(
            select(Agency.id, Agency.parent_id, Agency.code, Agency.name).order_by(Agency.id)
        ).all()
        children: dict[int | None, list[Any]] = {}
        for row in agencies:
            children.setdefault(row.parent_id, []).append(row)
        found: list[dict[str, Any]] = []
        stack = [(row, 1) for row in reversed(children.get(instance.jurisdiction_id, []))]
        while stack:
            row, depth = stack.pop()
            found.append({"code": row.code, "name": row.name, "depth": depth})
            stack += [(child, depth + 1) for child in reversed(children.get(row.id, []))]
        return found


def colleagues(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The other active users of the actor's agency: whom a leader may name a substitute."""
    with uow:
        users = uow.session.scalars(
            select(User)
            .where(User.agency_id == actor.agency_id, User.active, User.id != actor.user_id)
            .order_by(User.full_name)
        )
        return [{"username": u.username, "full_name": u.full_name, "title": u.title} for u in users]
