"""Reorganising the directory: dated operations that create, rename, merge, split, dissolve and
move agencies (from 1 July 2025 the districts are gone, provinces and communes merged).

An agency is never deleted: a merger, split or dissolution ends it (`valid_to`) and links it to
its successors, so last year's work still names the agency that did it, and the open work of a
running plan moves to the successor (service.operations.succession). Each operation is one
transaction, refused whole with the field and the reason, and recorded on the directory's
audit chain. An operation is applied on or after its effective date, never before: the
open work moves when it is applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import exists, func, select

from service.db.models import (
    Agency,
    AgencySuccessor,
    ProcessInstance,
    ReportRound,
    RoleBinding,
    ScheduledReorganisation,
    Task,
)
from service.db.uow import UnitOfWork
from service.errors import Conflict, Invalid, Message
from service.operations.actors import Actor
from service.operations.directory import LEVEL_KINDS
from service.operations.registers import agency_by_code
from service.operations.succession import hand_over, rebind_own_plans
from service.permissions import Right, require
from workflows.calendar import VIETNAM


def agency_view(agency: Agency) -> dict[str, Any]:
    """What the API answers for an agency."""
    return {
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "parent": agency.parent.code if agency.parent is not None else None,
        "admin_code": agency.admin_code,
        "valid_from": agency.valid_from,
        "valid_to": agency.valid_to,
    }


def _existing(uow: UnitOfWork, code: str, field: str, effective: date) -> Agency:
    """The agency named in `field`, existing on `effective`; :raise Invalid: otherwise."""
    agency = uow.session.scalars(select(Agency).where(Agency.code == code)).one_or_none()
    if agency is None:
        raise Invalid(
            {field: [Message("unknown_agency", "No agency has the code %(code)s.", code=code)]}
        )
    if agency.valid_to is not None and agency.valid_to <= effective:
        raise Invalid(
            {
                field: [
                    Message(
                        "agency_ended",
                        "%(name)s was dissolved or merged on %(day)s.",
                        name=agency.name,
                        day=agency.valid_to,
                    )
                ]
            }
        )
    if agency.valid_from is not None and effective < agency.valid_from:
        raise Invalid(
            {
                field: [
                    Message(
                        "agency_not_yet",
                        "%(name)s exists only from %(day)s.",
                        name=agency.name,
                        day=agency.valid_from,
                    )
                ]
            }
        )
    return agency


def _subject(uow: UnitOfWork, code: str, effective: date) -> Agency:
    """The agency being reorganised. :raise NotFound: no such agency. :raise Invalid: it has
    ended, or `effective` is before it existed or after today."""
    agency = agency_by_code(uow, code)
    today = uow.now().astimezone(VIETNAM).date()
    if effective > today:
        raise Invalid(
            {
                "effective": [
                    Message(
                        "after_today",
                        "Apply a reorganisation on or after its date: today is %(today)s.",
                        today=today,
                    )
                ]
            }
        )
    if agency.valid_from is not None and effective < agency.valid_from:
        raise Invalid(
            {
                "effective": [
                    Message(
                        "agency_not_yet",
                        "Before the agency existed: it exists from %(day)s.",
                        day=agency.valid_from,
                    )
                ]
            }
        )
    if agency.valid_to is not None:
        raise Invalid(
            {
                "agency": [
                    Message(
                        "agency_ended",
                        "%(name)s already ended on %(day)s.",
                        name=agency.name,
                        day=agency.valid_to,
                    )
                ]
            }
        )
    return agency


def _check_admin_code(uow: UnitOfWork, admin_code: str | None, agency: Agency | None) -> None:
    if admin_code is None:
        return
    holder = uow.session.scalars(select(Agency).where(Agency.admin_code == admin_code)).first()
    if holder is not None and holder is not agency:
        raise Invalid(
            {
                "admin_code": [
                    Message("code_used", "Code %(code)s is already used.", code=admin_code)
                ]
            }
        )


def _subtree(uow: UnitOfWork, root: Agency) -> list[Agency]:
    """`root` and every agency below it, parents first."""
    found, frontier = [root], [root.id]
    while frontier:
        below = list(uow.session.scalars(select(Agency).where(Agency.parent_id.in_(frontier))))
        found += below
        frontier = [a.id for a in below]
    return found


def _refuse_open_work_below(uow: UnitOfWork, agency: Agency) -> None:
    """The agencies below `agency` end with it, but only the agency's own work goes to its
    heir: refuse while one of them still holds a running process with an open task or a
    pending report round, which nobody could act on after it ended.

    :raise Invalid: (`agency`) one reason per such agency, with its count of processes."""
    below = [a for a in _subtree(uow, agency)[1:] if a.valid_to is None]
    if not below:
        return
    has_open_task = exists().where(Task.instance_id == ProcessInstance.id, Task.state == "open")
    waits_for_reports = exists().where(
        ReportRound.instance_id == ProcessInstance.id, ReportRound.open > 0
    )
    held = dict(
        uow.session.execute(
            select(ProcessInstance.jurisdiction_id, func.count(ProcessInstance.id))
            .where(
                ProcessInstance.jurisdiction_id.in_([a.id for a in below]),
                ProcessInstance.status == "running",
                has_open_task | waits_for_reports,
            )
            .group_by(ProcessInstance.jurisdiction_id)
        ).all()
    )
    if held:
        raise Invalid(
            {
                "agency": [
                    Message(
                        "open_work_below",
                        "%(name)s, below it, still holds open work (processes: %(count)s): "
                        "merge, move or dissolve it first.",
                        name=a.name,
                        code=a.code,
                        count=held[a.id],
                    )
                    for a in below
                    if a.id in held
                ]
            }
        )


def _set_jurisdictions(agencies: Iterable[Agency]) -> None:
    """Keep each agency's nearest level (service.operations.directory), parents first."""
    for agency in agencies:
        if agency.jurisdiction_id == agency.id:
            continue  # a level stays its own
        agency.jurisdiction_id = agency.parent.jurisdiction_id if agency.parent else None


def _record(
    uow: UnitOfWork,
    action: str,
    actor: Actor,
    effective: date,
    scheduled: int | None,
    **data: Any,
) -> None:
    """The event; for a scheduled reorganisation (its id), the schedule marked applied in the
    same transaction, so that two schedulers never apply it twice.

    :raise Conflict: the scheduled one was applied already."""
    if scheduled is not None:
        pending = uow.session.scalars(
            select(ScheduledReorganisation)
            .where(
                ScheduledReorganisation.id == scheduled,
                ScheduledReorganisation.applied_at.is_(None),
            )
            .with_for_update()
        ).one_or_none()
        if pending is None:
            raise Conflict("already_applied", "This reorganisation was applied already.")
        pending.applied_at = uow.now()
        data["scheduled"] = scheduled
    data |= {"effective": effective.isoformat(), "by": actor.username}
    uow.record(action, actor, data=data)


def create_agency(
    uow: UnitOfWork,
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    parent: str | None,
    effective: date,
    scheduled: int | None = None,
    admin_code: str | None = None,
    serves: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A new agency from `effective`, under `parent`; `serves` binds it to chain roles at
    the parent's level (as the directory file's `serves`).

    :raise Forbidden: not an administrator. :raise Invalid: the code or administrative code
        is taken, the parent is unknown or ended, a role is already filled there.
    """
    require(actor, Right.REORGANISE)
    with uow:
        if uow.session.scalars(select(Agency.id).where(Agency.code == code)).first():
            raise Invalid(
                {"code": [Message("code_used", "Code %(code)s is already used.", code=code)]}
            )
        _check_admin_code(uow, admin_code, None)
        above = None if parent is None else _existing(uow, parent, "parent", effective)
        agency = add_agency(uow, code, name, kind, above, effective, admin_code, serves)
        _record(
            uow,
            "agency_created",
            actor,
            effective,
            scheduled,
            agency=code,
            name=name,
            kind=kind,
            parent=parent,
            admin_code=admin_code,
            serves=list(serves),
        )
        uow.commit()
        return agency_view(agency)


def add_agency(
    uow: UnitOfWork,
    code: str,
    name: str,
    kind: str,
    above: Agency | None,
    effective: date,
    admin_code: str | None,
    serves: tuple[str, ...],
) -> Agency:
    """Inside the caller's checked transaction: the new agency, its level and its bindings.

    :raise Invalid: (`serves`) a role already filled at the parent's level, or no level."""
    agency = Agency(
        code=code, name=name, kind=kind, parent=above, admin_code=admin_code, valid_from=effective
    )
    uow.session.add(agency)
    uow.session.flush()
    level = None if above is None else above.jurisdiction_id
    agency.jurisdiction_id = agency.id if kind in LEVEL_KINDS else level
    for role in serves:
        taken = uow.session.scalars(
            select(RoleBinding).filter_by(jurisdiction_id=level, role=role)
        ).first()
        if level is None or taken is not None:
            raise Invalid(
                {
                    "serves": [
                        Message(
                            "role_filled",
                            "The role %(role)s is already filled at that level.",
                            role=role,
                        )
                    ]
                }
            )
        uow.session.add(RoleBinding(jurisdiction_id=level, role=role, agency_id=agency.id))
    return agency


def rename_agency(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    *,
    name: str,
    effective: date,
    scheduled: int | None = None,
) -> dict[str, Any]:
    """Give the agency a new name from `effective`; the event keeps the old one."""
    require(actor, Right.REORGANISE)
    with uow:
        agency = _subject(uow, code, effective)
        old, agency.name = agency.name, name
        _record(uow, "agency_renamed", actor, effective, scheduled, agency=code, old=old, new=name)
        uow.commit()
        return agency_view(agency)


def _end(
    uow: UnitOfWork,
    actor: Actor,
    agency: Agency,
    kind: str,
    successors: list[Agency],
    heir: Agency | None,
    effective: date,
    scheduled: int | None,
) -> dict[str, Any]:
    """End `agency` and all below it on `effective`, link its successors, hand its open work
    to `heir`, and record it all as one event.

    :raise Invalid: (`agency`) an agency below it still holds open work."""
    _refuse_open_work_below(uow, agency)
    gone = set()
    for below in _subtree(uow, agency):
        if below.valid_to is None:
            below.valid_to = effective
            gone.add(below.id)
    for successor in successors:
        uow.session.add(
            AgencySuccessor(
                agency_id=agency.id,
                successor_id=successor.id,
                effective=effective,
                kind=kind,
                takes_open_work=successor is heir,
            )
        )
    moved, rebound = [], []
    if heir is not None:
        moved = hand_over(uow, actor, agency, heir)
        rebound = rebind_own_plans(uow, actor, agency, gone, heir)
    _record(
        uow,
        f"agency_{kind}",
        actor,
        effective,
        scheduled,
        agency=agency.code,
        successors=[s.code for s in successors],
        open_work_to=heir.code if heir is not None else None,
        processes=moved,
        plans=rebound,
    )
    uow.commit()
    return agency_view(agency) | {
        "successors": [s.code for s in successors],
        "moved_processes": moved,
    }


def merge_agency(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    *,
    into: str,
    effective: date,
    scheduled: int | None = None,
) -> dict[str, Any]:
    """Merge the agency into `into` on `effective`: it ends, `into` inherits its open work.

    :raise Invalid: (`into`) unknown, ended or the agency itself; (`effective`) before the
        agency existed or in the future.
    """
    require(actor, Right.REORGANISE)
    with uow:
        agency = _subject(uow, code, effective)
        successor = _existing(uow, into, "into", effective)
        if successor is agency:
            raise Invalid(
                {"into": [Message("into_itself", "An agency does not merge into itself.")]}
            )
        return _end(uow, actor, agency, "merged", [successor], successor, effective, scheduled)


def split_agency(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    *,
    into: list[str],
    open_work_to: str,
    effective: date,
    scheduled: int | None = None,
) -> dict[str, Any]:
    """Split the agency into `into` on `effective`; `open_work_to`, one of them, takes its
    open work. :raise Invalid: a successor unknown, ended, repeated or the agency itself;
    `open_work_to` not among them."""
    require(actor, Right.REORGANISE)
    with uow:
        agency = _subject(uow, code, effective)
        if not into or len(set(into)) != len(into) or code in into:
            raise Invalid(
                {
                    "into": [
                        Message(
                            "successors_twice", "Name each successor once, not the agency itself."
                        )
                    ]
                }
            )
        successors = [_existing(uow, c, "into", effective) for c in into]
        if open_work_to not in into:
            raise Invalid(
                {
                    "open_work_to": [
                        Message("not_a_successor", "Must be one of the successors named above.")
                    ]
                }
            )
        heir = successors[into.index(open_work_to)]
        return _end(uow, actor, agency, "split", successors, heir, effective, scheduled)


def dissolve_agency(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    *,
    effective: date,
    scheduled: int | None = None,
    successor: str | None = None,
) -> dict[str, Any]:
    """Dissolve the agency on `effective`; its open work goes to `successor` if one is named,
    else it stays where it is, ended with the agency."""
    require(actor, Right.REORGANISE)
    with uow:
        agency = _subject(uow, code, effective)
        heir = None if successor is None else _existing(uow, successor, "successor", effective)
        if heir is agency:
            raise Invalid(
                {"successor": [Message("into_itself", "An agency does not succeed itself.")]}
            )
        heirs = [] if heir is None else [heir]
        return _end(uow, actor, agency, "dissolved", heirs, heir, effective, scheduled)


def move_agency(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    *,
    parent: str,
    effective: date,
    scheduled: int | None = None,
) -> dict[str, Any]:
    """Move the agency (and all below it) under `parent` from `effective`.

    :raise Invalid: (`parent`) unknown, ended, the agency itself or below it (a cycle).
    """
    require(actor, Right.REORGANISE)
    with uow:
        agency = _subject(uow, code, effective)
        above = _existing(uow, parent, "parent", effective)
        subtree = _subtree(uow, agency)
        if above in subtree:
            raise Invalid(
                {
                    "parent": [
                        Message(
                            "cycle",
                            "%(above)s is %(name)s or below it: a cycle.",
                            above=above.name,
                            name=agency.name,
                        )
                    ]
                }
            )
        old = agency.parent.code if agency.parent is not None else None
        agency.parent = above
        _set_jurisdictions(subtree)
        _record(uow, "agency_moved", actor, effective, scheduled, agency=code, old=old, new=parent)
        uow.commit()
        return agency_view(agency)
