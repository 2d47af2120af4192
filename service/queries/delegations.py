"""Delegations granted by and to the actor, newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from service.db.models import Delegation
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from workflows.calendar import local_day


def delegations(uow: UnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    with uow:
        today = local_day(uow.now())
        rows = uow.session.scalars(
            select(Delegation)
            .where(
                or_(
                    Delegation.grantor_id == actor.user_id,
                    Delegation.substitute_id == actor.user_id,
                )
            )
            .options(joinedload(Delegation.grantor), joinedload(Delegation.substitute))
            .order_by(Delegation.created_at.desc(), Delegation.id.desc())
        )
        return [
            {
                "id": d.id,
                "grantor": d.grantor.full_name,
                "substitute": d.substitute.full_name,
                "substitute_username": d.substitute.username,
                "kind": d.kind,
                "starts": d.starts,
                "ends": d.ends,
                "created_at": d.created_at,
                "revoked_at": d.revoked_at,
                "active": d.revoked_at is None and d.starts <= today <= d.ends,
                "granted_by_me": d.grantor_id == actor.user_id,
            }
            for d in rows
        ]
