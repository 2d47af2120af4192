"""Reorganisations asked for ahead of their date (a decree dated 1 July, entered in June).

Scheduling one records it (`reorganisation_scheduled`); the scheduler's tick applies it on its
day through the same operation an administrator calls by hand (service.operations.
reorganisation), on behalf of the administrator who asked (their right checked again then), in
the transaction that marks it applied. What the day refuses (the successor ended meanwhile, a
code taken) is kept with the operation's reasons and recorded (`reorganisation_refused`), for
an administrator to read and redo by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from service.db.models import Agency, ScheduledReorganisation, User
from service.db.uow import UnitOfWork
from service.errors import Conflict, DomainError, Invalid, Message, NotFound, from_json, to_json
from service.operations.actors import Actor, actor_of
from service.operations.registers import agency_by_code
from service.operations.reorganisation import (
    create_agency,
    dissolve_agency,
    merge_agency,
    move_agency,
    rename_agency,
    split_agency,
)
from service.permissions import Right, require
from workflows.calendar import local_day

# Each reorganisation: its operation, the arguments it takes beside the agency and the date,
# and those it needs.
ACTIONS: dict[str, tuple[Callable[..., dict[str, Any]], tuple[str, ...], tuple[str, ...]]] = {
    "create": (create_agency, ("name", "kind", "parent", "admin_code", "serves"), ("name", "kind")),
    "rename": (rename_agency, ("name",), ("name",)),
    "merge": (merge_agency, ("into",), ("into",)),
    "split": (split_agency, ("into", "open_work_to"), ("into", "open_work_to")),
    "dissolve": (dissolve_agency, ("successor",), ()),
    "move": (move_agency, ("parent",), ("parent",)),
}


LISTS = {("split", "into"), ("create", "serves")}  # the arguments that are lists of codes


def _well_typed(value: Any, listed: bool) -> bool:
    def text(v: Any) -> bool:
        return isinstance(v, str) and len(v) <= 255

    if listed:
        return isinstance(value, list) and len(value) <= 100 and all(text(v) for v in value)
    return value is None or text(value)


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A reorganisation scheduled ahead, as the API lists it."""

    id: int
    action: str
    agency: str
    arguments: dict[str, Any]
    effective: date
    applied_at: datetime | None
    refused: dict[str, Any] | None  # why its day refused it: field → reasons


def scheduled_view(row: ScheduledReorganisation) -> Scheduled:
    return Scheduled(
        row.id,
        row.action,
        row.agency,
        row.arguments,
        row.effective,
        row.applied_at,
        from_json(row.refused),
    )


def schedule_reorganisation(
    uow: UnitOfWork,
    actor: Actor,
    *,
    action: str,
    agency: str,
    arguments: dict[str, Any],
    effective: date,
) -> Scheduled:
    """Record a reorganisation to apply on `effective`, a day after today.

    :raise Invalid: (`action`) unknown; (an argument) missing or not the action's;
        (`effective`) today or before: apply it at once instead; (`agency`) unknown or ended,
        or for a new agency, its code taken.
    """
    require(actor, Right.REORGANISE)
    if action not in ACTIONS:
        raise Invalid(
            {
                "action": [
                    Message("not_a_choice", "Choose one of the options.", choices=list(ACTIONS))
                ]
            }
        )
    _, takes, needs = ACTIONS[action]
    errors = {k: ["Unknown field."] for k in arguments if k not in takes}
    for key, value in arguments.items():
        listed = (action, key) in LISTS
        if key in takes and not _well_typed(value, listed):
            errors[key] = ["A list of codes." if listed else "A text of at most 255 characters."]
    errors |= {k: ["Missing data for required field."] for k in needs if not arguments.get(k)}
    if errors:
        raise Invalid(errors)
    with uow:
        today = local_day(uow.now())
        if effective <= today:
            raise Invalid(
                {
                    "effective": [
                        Message(
                            "not_after_today",
                            "After today (%(today)s), or apply it at once.",
                            today=today,
                        )
                    ]
                }
            )
        known = uow.session.scalars(select(Agency).where(Agency.code == agency)).one_or_none()
        if action == "create" and known is not None:
            raise Invalid(
                {"agency": [Message("code_used", "Code %(code)s is already used.", code=agency)]}
            )
        if action != "create":
            try:
                known = agency_by_code(uow, agency)
            except NotFound:
                raise Invalid(
                    {
                        "agency": [
                            Message(
                                "unknown_agency", "No agency has the code %(code)s.", code=agency
                            )
                        ]
                    }
                ) from None
            if known.valid_to is not None:
                raise Invalid(
                    {
                        "agency": [
                            Message(
                                "agency_ended",
                                "%(name)s already ended on %(day)s.",
                                name=known.name,
                                day=known.valid_to,
                            )
                        ]
                    }
                )
        row = ScheduledReorganisation(
            action=action,
            agency=agency,
            arguments=arguments,
            effective=effective,
            requested_by_id=actor.user_id,
            requested_at=uow.now(),
        )
        uow.session.add(row)
        uow.session.flush()
        data = {"scheduled": row.id, "action": action, "agency": agency, "arguments": arguments}
        uow.record(
            "reorganisation_scheduled",
            actor,
            data=data | {"effective": effective.isoformat(), "by": actor.username},
        )
        uow.commit()
        return scheduled_view(row)


def apply_due(new_uow: Callable[[], UnitOfWork]) -> int:
    """Apply every scheduled reorganisation whose day has come, oldest first; return how
    many were applied. Each is its own transaction; a refused one is kept with its reasons."""
    with new_uow() as uow:
        today = local_day(uow.now())
        due = uow.session.execute(
            select(ScheduledReorganisation, User)
            .join(User, User.id == ScheduledReorganisation.requested_by_id)
            .where(
                ScheduledReorganisation.applied_at.is_(None),
                ScheduledReorganisation.refused.is_(None),
                ScheduledReorganisation.effective <= today,
            )
            .order_by(ScheduledReorganisation.effective, ScheduledReorganisation.id)
        ).all()
        work = [
            (scheduled_view(row), actor_of(uow, user) if user.active else None) for row, user in due
        ]
    applied = 0
    for row, actor in work:
        try:
            if actor is None:
                raise Invalid({"requested_by": ["The administrator who asked is disabled."]})
            apply(
                new_uow(),
                actor,
                action=row.action,
                agency=row.agency,
                arguments=row.arguments,
                effective=row.effective,
                scheduled=row.id,
            )
            applied += 1
        except Conflict as err:
            if err.code != "already_applied":
                _refuse(new_uow(), row.id, {"agency": [err.message]})
            # else another scheduler applied it first
        except Invalid as err:
            _refuse(new_uow(), row.id, err.errors)
        except DomainError as err:  # the right withdrawn, an agency gone
            _refuse(new_uow(), row.id, {"agency": [err.message]})
    return applied


def apply(
    uow: UnitOfWork,
    actor: Actor,
    *,
    action: str,
    agency: str,
    arguments: dict[str, Any],
    effective: date,
    scheduled: int | None = None,
) -> dict[str, Any]:
    """Apply a reorganisation now through its operation (the page's way and the scheduler's).

    :raise Invalid: as the operation says, by field. :raise NotFound: no such agency."""
    operation, _, _ = ACTIONS[action]
    arguments = dict(arguments)
    if action == "create":
        arguments = {"parent": None} | arguments | {"code": agency}
        arguments["serves"] = tuple(arguments.get("serves") or ())
        return operation(uow, actor, effective=effective, scheduled=scheduled, **arguments)
    return operation(uow, actor, agency, effective=effective, scheduled=scheduled, **arguments)


def _refuse(uow: UnitOfWork, scheduled: int, errors: dict[str, Any]) -> None:
    """Keep why the day refused it, unless another scheduler applied or refused it first."""
    with uow:
        row = uow.session.scalars(
            select(ScheduledReorganisation)
            .where(ScheduledReorganisation.id == scheduled)
            .with_for_update()
        ).one()
        if row.applied_at is not None or row.refused is not None:
            return
        row.refused = to_json(errors)  # keeps the codes, for the page to word
        data = {"scheduled": scheduled, "action": row.action, "agency": row.agency}
        uow.record(
            "reorganisation_refused", None, data=data | {"errors": errors, "by": "scheduler"}
        )
        uow.commit()
