"""Bulk import of agencies from a sheet: every row is checked first, and a sheet with a bad row
is refused whole with each bad row's number and field; a good one is written in one
transaction and recorded as one event on the directory's chain."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from service.db.models import Agency
from service.db.uow import UnitOfWork
from service.errors import Invalid, Message
from service.imports import Rows
from service.operations.actors import Actor
from service.operations.reorganisation import add_agency
from service.permissions import Right, Role, require
from service.validation import REQUIRED
from workflows.calendar import VIETNAM

COLUMNS = ("code", "name", "kind", "parent", "admin_code", "serves")
_ADMIN_CODE = re.compile(r"[0-9]{2,10}")
_LENGTHS = {"code": 80, "name": 255, "kind": 20}
_ROLES = frozenset(r.value for r in Role if r is not Role.SYSTEM)


def _serves(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(r.strip() for r in row.get("serves", "").split(",") if r.strip())


def _check_row(
    row: dict[str, str],
    known: dict[str, Agency | None],
    admin_codes: set[str],
    effective: date,
) -> dict[str, list[str]]:
    """The reasons each field of the row is refused; `known` grows with the good rows above."""
    errors: dict[str, list[str]] = {}
    for field, longest in _LENGTHS.items():
        if not row.get(field):
            errors[field] = [REQUIRED]
        elif len(row[field]) > longest:
            errors[field] = [Message("too_long", "At most %(max)s characters.", max=longest)]
    code, parent, admin_code = row.get("code", ""), row.get("parent", ""), row.get("admin_code")
    if code and code in known:
        errors["code"] = [Message("code_used", "Code %(code)s is already used.", code=code)]
    if parent:
        above = known.get(parent)
        if parent not in known:
            errors["parent"] = [
                Message(
                    "unknown_parent",
                    "No agency has the code %(code)s, here or above this row.",
                    code=parent,
                )
            ]
        elif above is not None and above.valid_to is not None and above.valid_to <= effective:
            errors["parent"] = [
                Message(
                    "agency_ended",
                    "%(name)s ended on %(day)s.",
                    name=above.name,
                    day=above.valid_to,
                )
            ]
    if admin_code:
        if not _ADMIN_CODE.fullmatch(admin_code):
            errors["admin_code"] = [Message("two_to_ten_digits", "Two to ten digits.")]
        elif admin_code in admin_codes:
            errors["admin_code"] = [
                Message("code_used", "Code %(code)s is already used.", code=admin_code)
            ]
    unknown = sorted(set(_serves(row)) - _ROLES)
    if unknown:
        errors["serves"] = [
            Message("unknown_role", "Not a role: %(roles)s.", roles=", ".join(unknown))
        ]
    return errors


def import_agencies(uow: UnitOfWork, actor: Actor, rows: Rows, effective: date) -> list[str]:
    """Create the sheet's agencies from `effective`, parents above their units (a parent is
    in the directory already or on a row above); return their codes.

    :raise Invalid: (`rows` → row number → field) any bad row, nothing written; (`effective`)
        after today; (`file`) no rows.
    """
    require(actor, Right.REORGANISE)
    if not rows:
        raise Invalid({"file": [Message("sheet_no_rows", "The sheet has no rows.")]})
    with uow:
        today = uow.now().astimezone(VIETNAM).date()
        if effective > today:
            raise Invalid(
                {
                    "effective": [
                        Message("after_today", "On or before today (%(today)s).", today=today)
                    ]
                }
            )
        known: dict[str, Agency | None] = {a.code: a for a in uow.session.scalars(select(Agency))}
        admin_codes = {a.admin_code for a in known.values() if a and a.admin_code}
        errors: dict[str, dict[str, list[str]]] = {}
        for number, row in rows:
            found = _check_row(row, known, admin_codes, effective)
            if found:
                errors[str(number)] = found
            if row.get("code") and "code" not in found:
                known[row["code"]] = None  # a new agency: a parent for the rows below
            if row.get("admin_code"):
                admin_codes.add(row["admin_code"])
        if errors:
            raise Invalid({"rows": errors}, "The sheet has bad rows; nothing was imported.")
        codes = []
        for number, row in rows:
            above = known[row["parent"]] if row.get("parent") else None
            try:
                agency = add_agency(
                    uow,
                    row["code"],
                    row["name"],
                    row["kind"],
                    above,
                    effective,
                    row.get("admin_code") or None,
                    _serves(row),
                )
            except Invalid as err:
                raise Invalid({"rows": {str(number): err.errors}}) from None
            known[agency.code] = agency
            codes.append(agency.code)
        data = {"agencies": codes, "effective": effective.isoformat(), "by": actor.username}
        uow.record("agencies_imported", actor, data=data)
        uow.commit()
        return codes
