"""Delegations granted by and to the actor, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from service.db.models import Delegation
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from workflows.calendar import local_day


@dataclass(frozen=True, slots=True)
class DelegationView:
    id: int
    grantor: str
    substitute: str
    substitute_username: str
    kind: str  # the mark the substitute signs under: TUQ or KT
    starts: date
    ends: date
    created_at: datetime
    revoked_at: datetime | None
    active: bool
    granted_by_me: bool


def delegations(uow: UnitOfWork, actor: Actor) -> list[DelegationView]:
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
            DelegationView(
                id=d.id,
                grantor=d.grantor.full_name,
                substitute=d.substitute.full_name,
                substitute_username=d.substitute.username,
                kind=d.kind,
                starts=d.starts,
                ends=d.ends,
                created_at=d.created_at,
                revoked_at=d.revoked_at,
                active=d.revoked_at is None and d.starts <= today <= d.ends,
                granted_by_me=d.grantor_id == actor.user_id,
            )
            for d in rows
        ]
