"""The directory as administrators keep it: the agency tree and the users, searchable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.db.models import Agency, AgencySuccessor, ScheduledReorganisation, User
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from service.operations.scheduled_reorganisation import Scheduled, scheduled_view
from service.operations.users_import import USER_COLUMNS
from service.permissions import Right, require
from workflows.text import fold


@dataclass(frozen=True)
class AgencyRow:
    depth: int
    code: str
    name: str
    kind: str
    admin_code: str | None
    valid_from: date | None
    valid_to: date | None
    successors: tuple[str, ...]
    matches: bool  # the search found it (its ancestors are shown to place it)


@dataclass(frozen=True)
class UserRow:
    username: str
    full_name: str
    agency: str
    agency_code: str
    roles: tuple[str, ...]
    active: bool
    second_factor: bool


def agency_tree(uow: UnitOfWork, actor: Actor, q: str = "") -> list[AgencyRow]:
    """Every agency, parents first, depth-first; with `q` (diacritics ignored, name or code),
    only those that match and the agencies above them."""
    require(actor, Right.REORGANISE)
    with uow:
        agencies = list(uow.session.scalars(select(Agency).order_by(Agency.id)))
        links = uow.session.execute(
            select(AgencySuccessor.agency_id, Agency.code).join(
                Agency, Agency.id == AgencySuccessor.successor_id
            )
        ).all()
        uow.session.expunge_all()  # read after the unit ends: plain objects, loaded once
    successors: dict[int, list[str]] = {}
    for agency_id, code in links:
        successors.setdefault(agency_id, []).append(code)
    below: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        below.setdefault(agency.parent_id, []).append(agency)
    needle = fold(q.strip())
    found = {a.id for a in agencies if needle and needle in fold(f"{a.name} {a.code}")}
    shown = set(found)
    by_id = {a.id: a for a in agencies}
    for agency_id in found:  # the path from the root to each match
        parent = by_id[agency_id].parent_id
        while parent is not None and parent not in shown:
            shown.add(parent)
            parent = by_id[parent].parent_id
    rows: list[AgencyRow] = []

    def walk(parent: int | None, depth: int) -> None:
        for agency in below.get(parent, []):
            if needle and agency.id not in shown:
                continue
            rows.append(
                AgencyRow(
                    depth,
                    agency.code,
                    agency.name,
                    agency.kind,
                    agency.admin_code,
                    agency.valid_from,
                    agency.valid_to,
                    tuple(successors.get(agency.id, ())),
                    agency.id in found,
                )
            )
            walk(agency.id, depth + 1)

    walk(None, 0)
    return rows


def users(uow: UnitOfWork, actor: Actor, q: str = "") -> list[UserRow]:
    """Every user by username; with `q`, those whose username, name or agency matches."""
    require(actor, Right.MANAGE_USERS)
    with uow:
        found = [
            UserRow(
                u.username,
                u.full_name,
                u.agency.name,
                u.agency.code,
                tuple(sorted(r.role for r in u.roles)),
                u.active,
                u.totp_enrolled,
            )
            for u in uow.session.scalars(select(User).order_by(User.username))
        ]
    needle = fold(q.strip())
    return [u for u in found if fold(f"{u.username} {u.full_name} {u.agency}").find(needle) >= 0]


def users_sheet(uow: UnitOfWork, actor: Actor) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Every user with their roles, by agency: the import's columns (a sheet exported here
    imports elsewhere as it is) and whether they are active."""
    require(actor, Right.MANAGE_USERS)
    with uow:
        rows: list[tuple[str, ...]] = [
            (
                u.username,
                u.full_name,
                u.title,
                u.email or "",
                u.agency.code,
                ", ".join(sorted(r.role for r in u.roles)),
                "1" if u.active else "0",
            )
            for u in uow.session.scalars(
                select(User)
                .join(Agency, Agency.id == User.agency_id)
                .options(selectinload(User.roles), selectinload(User.agency))
                .order_by(Agency.code, User.username)
            )
        ]
    return (*USER_COLUMNS, "active"), rows


def scheduled_reorganisations(uow: UnitOfWork, actor: Actor) -> list[Scheduled]:
    """Every reorganisation scheduled ahead, by its day: pending, applied or refused."""
    require(actor, Right.REORGANISE)
    with uow:
        rows = uow.session.scalars(
            select(ScheduledReorganisation).order_by(
                ScheduledReorganisation.effective, ScheduledReorganisation.id
            )
        )
        return [scheduled_view(r) for r in rows]
