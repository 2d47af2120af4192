"""Bulk import of users from a sheet, as the agencies' (service.operations.directory_import):
every row is checked first and a sheet with a bad row is refused whole, by row and field; a
good one is written in one transaction and recorded as one event on the directory's chain.
Each new user gets a one-time password, returned once, as `create_user` gives one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from service.db.models import Agency, User, UserRole
from service.db.uow import UnitOfWork
from service.errors import Invalid, Message
from service.imports import Rows
from service.operations.actors import Actor, password_hasher
from service.operations.users import GIVEN_ROLES, one_time_password
from service.permissions import Right, require
from service.validation import REQUIRED
from workflows.calendar import local_day

USER_COLUMNS = ("username", "full_name", "title", "email", "agency", "roles")
# Argon2 hashes each password slowly on purpose: a sheet stays a few seconds' work.
MAX_USERS = 500
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LENGTHS = {"username": 80, "full_name": 255, "title": 255, "email": 255, "agency": 80}
_REQUIRED = ("username", "full_name", "agency")


@dataclass(frozen=True)
class Imported:
    username: str
    password: str  # one-time: shown once, never stored in clear


def roles_of(row: dict[str, str]) -> list[str]:
    """The row's roles, comma-separated in the sheet, each once."""
    return sorted({r.strip() for r in row.get("roles", "").split(",") if r.strip()})


def _check_row(
    row: dict[str, str], agencies: dict[str, Agency], taken: set[str], today: date
) -> dict[str, list[str]]:
    """The reasons each field of the row is refused; `taken` grows with the rows above."""
    errors: dict[str, list[str]] = {}
    for field in _REQUIRED:
        if not row.get(field):
            errors[field] = [REQUIRED]
    for field, longest in _LENGTHS.items():
        if len(row.get(field, "")) > longest:
            errors[field] = [Message("too_long", "At most %(max)s characters.", max=longest)]
    username, code, email = row.get("username", ""), row.get("agency", ""), row.get("email", "")
    if username and "username" not in errors:
        if not _USERNAME.fullmatch(username):
            errors["username"] = [
                Message("bad_username", "Lowercase letters, digits, dots, dashes and underscores.")
            ]
        elif username in taken:
            errors["username"] = [
                Message("username_taken", "%(username)s is already taken.", username=username)
            ]
    if email and "email" not in errors and not _EMAIL.fullmatch(email):
        errors["email"] = [Message("not_an_email", "Not a valid email address.")]
    if code and "agency" not in errors:
        agency = agencies.get(code)
        if agency is None:
            errors["agency"] = [
                Message("unknown_agency", "No agency has the code %(code)s.", code=code)
            ]
        elif not agency.exists_on(today):
            errors["agency"] = [
                Message(
                    "agency_not_yet",
                    "%(name)s does not exist on %(day)s.",
                    name=agency.name,
                    day=today,
                )
            ]
    unknown = sorted(set(roles_of(row)) - set(GIVEN_ROLES))
    if unknown:
        errors["roles"] = [
            Message("unknown_role", "Not a role: %(roles)s.", roles=", ".join(unknown))
        ]
    return errors


def import_users(uow: UnitOfWork, actor: Actor, rows: Rows) -> list[Imported]:
    """Create the sheet's users in their agencies with their roles; return each one's
    one-time password. An agency must exist today (not ended, not yet to come).

    :raise Invalid: (`rows` → row number → field) any bad row, nothing written; (`file`) no
        rows or too many.
    """
    require(actor, Right.MANAGE_USERS)
    if not rows:
        raise Invalid({"file": [Message("sheet_no_rows", "The sheet has no rows.")]})
    if len(rows) > MAX_USERS:
        raise Invalid(
            {"file": [Message("too_many_rows", "At most %(max)s rows at a time.", max=MAX_USERS)]}
        )
    with uow:
        today = local_day(uow.now())
        agencies = {a.code: a for a in uow.session.scalars(select(Agency))}
        taken = set(uow.session.scalars(select(User.username)))
        errors: dict[str, dict[str, list[str]]] = {}
        for number, row in rows:
            found = _check_row(row, agencies, taken, today)
            if found:
                errors[str(number)] = found
            taken.add(row.get("username", ""))
        if errors:
            raise Invalid({"rows": errors}, "The sheet has bad rows; nothing was imported.")
        hasher, created = password_hasher(), []
        for _, row in rows:
            password = one_time_password()
            uow.session.add(
                User(
                    username=row["username"],
                    full_name=row["full_name"],
                    title=row.get("title", ""),
                    email=row.get("email") or None,
                    password_hash=hasher.hash(password),
                    agency=agencies[row["agency"]],
                    roles=[UserRole(role=r) for r in roles_of(row)],
                )
            )
            created.append(Imported(row["username"], password))
        listed = [
            {"user": r["username"], "agency": r["agency"], "roles": roles_of(r)} for _, r in rows
        ]
        uow.record("users_imported", actor, data={"users": listed, "by": actor.username})
        uow.commit()
        return created
