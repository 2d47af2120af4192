"""Ủy quyền: a leader names a substitute for a date range; the rights end with it."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from service.db.models import Delegation, User
from service.db.uow import UnitOfWork
from service.errors import Forbidden, Invalid, Message, NotFound
from service.operations.actors import Actor
from service.permissions import Right, may, require
from workflows.calendar import local_day

KINDS = ("TUQ", "KT")  # thừa ủy quyền, ký thay


def grant_delegation(
    uow: UnitOfWork, actor: Actor, substitute_username: str, starts: date, ends: date, kind: str
) -> int:
    """Name a substitute from `starts` to `ends` (inclusive); return the grant's id."""
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [
            Message("not_a_choice", "Choose one of the options.", choices=list(KINDS))
        ]
    if ends < starts:
        errors["ends"] = [Message("end_before_start", "The end date is before the start date.")]
    require(actor, Right.NAME_SUBSTITUTE)
    with uow:
        substitute = uow.session.scalars(
            select(User).filter_by(username=substitute_username, active=True)
        ).one_or_none()
        if substitute is None:
            errors["substitute"] = [Message("no_such_user", "No such active user.")]
        elif substitute.id == actor.user_id:
            errors["substitute"] = [Message("self_substitute", "You cannot name yourself.")]
        elif not may({r.role for r in substitute.roles}, Right.STAND_IN):
            errors["substitute"] = [
                Message(
                    "not_a_signer", "Only someone who signs for an agency (a head or a deputy)."
                )
            ]
        if ends < local_day(uow.now()):
            errors.setdefault("ends", [Message("period_over", "The period is already over.")])
        if errors:
            raise Invalid(errors)
        assert substitute is not None
        grant = Delegation(
            grantor_id=actor.user_id,
            substitute_id=substitute.id,
            kind=kind,
            starts=starts,
            ends=ends,
            created_at=uow.now(),
        )
        uow.session.add(grant)
        uow.session.flush()
        grant_id = grant.id
        uow.record(
            "delegation_granted",
            actor,
            data={
                "delegation": grant_id,
                "grantor": actor.username,
                "substitute": substitute.username,
                "kind": kind,
                "starts": starts.isoformat(),
                "ends": ends.isoformat(),
            },
        )
        uow.commit()
        return grant_id


def revoke_delegation(uow: UnitOfWork, actor: Actor, delegation_id: int) -> None:
    """End a grant now; the row stays as the record that it existed."""
    with uow:
        grant = uow.session.get(Delegation, delegation_id)
        if grant is None:
            raise NotFound("delegation_not_found", "No such delegation.")
        if grant.grantor_id != actor.user_id:
            raise Forbidden("not_your_delegation", "Only the leader who granted it may end it.")
        if grant.revoked_at is None:
            grant.revoked_at = uow.now()
            uow.record("delegation_revoked", actor, data={"delegation": grant.id})
        uow.commit()
