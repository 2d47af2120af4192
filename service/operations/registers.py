"""Setting an agency's register (sổ đăng ký văn bản đi) to continue its existing numbering.

An agency that already numbered its documents on paper this year (seed 003: 83/KH-SYT) asks
an administrator to set the next number of its register, before its first signing here or
after. Each issuing body numbers in its own register, keyed by the number's symbol: the People's
Committee's KH-UBND and its Steering Committee's KH-BCĐ are two sequences. The register never
goes backwards and never gives a number already issued; each change
is recorded in the audit log (the directory's chain: it belongs to no process).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from service.db.models import Agency, Document, Register
from service.db.uow import UnitOfWork
from service.errors import Invalid, Message, NotFound
from service.operations.actors import Actor
from service.permissions import Right, require

# The kinds of document a register numbers (Nghị định 30/2020, Phụ lục III), and their names.
KINDS = {"KH": "Kế hoạch", "BC": "Báo cáo", "QĐ": "Quyết định"}
YEARS = range(2000, 2101)
MAX_NUMBER = 999_999


def check_place(kind: str, year: int) -> None:
    """:raise Invalid: a kind no register keeps, or a year out of range."""
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [
            Message("not_a_choice", "Choose one of the options.", choices=list(KINDS))
        ]
    if year not in YEARS:
        errors["year"] = [
            Message(
                "year_out_of_range",
                "Enter a year from %(first_year)s to %(last_year)s.",
                first_year=YEARS.start,
                last_year=YEARS.stop - 1,
            )
        ]
    if errors:
        raise Invalid(errors)


def register_symbols(agency: Agency, kind: str) -> list[str]:
    """The symbols of `kind` the agency numbers, its own first ("KH-BCĐ", then "KH-UBND"):
    one per body it issues as (service/demo/directory.toml: abbreviation, issuers)."""
    bodies = [agency.abbreviation, *(str(i["abbreviation"]) for i in agency.issuers or [])]
    return [f"{kind}-{body}" if body else kind for body in bodies]


def resolve_register(agency: Agency, register: str) -> tuple[str, str]:
    """(kind, symbol) of `register`: a symbol the agency numbers, or a bare kind for its own.

    :raise Invalid: (`kind`) neither.
    """
    kind = register.partition("-")[0]
    if kind in KINDS:
        symbols = register_symbols(agency, kind)
        if register == kind:
            return kind, symbols[0]
        if register in symbols:
            return kind, register
        allowed = ", ".join(s for k in KINDS for s in register_symbols(agency, k))
        raise Invalid(
            {
                "kind": [
                    Message(
                        "not_a_register",
                        "Not a register of this agency: one of %(symbols)s.",
                        symbols=allowed,
                    )
                ]
            }
        )
    raise Invalid({"kind": [Message("not_a_choice", "Choose one of the options.", choices=KINDS)]})


def agency_by_code(uow: UnitOfWork, code: str) -> Agency:
    """:raise NotFound: no such agency (nor any code a database cannot look up)."""
    if "\x00" in code or not code.isprintable() or len(code) > 80:
        raise NotFound("agency_not_found", "No such agency.")
    agency = uow.session.scalars(select(Agency).where(Agency.code == code)).one_or_none()
    if agency is None:
        raise NotFound("agency_not_found", "No such agency.")
    return agency


def set_next_number(
    uow: UnitOfWork, actor: Actor, agency_code: str, year: int, register: str, next_number: int
) -> dict[str, Any]:
    """Make `next_number` the number the agency's next document of `register` (a symbol, or a
    kind for its own symbol: "KH" is "KH-SYT" for Sở Y tế) in `year` will take.

    :raise Forbidden: not an administrator. :raise NotFound: no such agency.
    :raise Invalid: (`next_number`) below the register's next number, or at or below a number
        already issued; (`kind`) not a register of the agency; nothing is changed.
    """
    require(actor, Right.MANAGE_REGISTER)
    check_place(register.partition("-")[0], year)
    if not 1 <= next_number <= MAX_NUMBER:
        raise Invalid(
            {
                "next_number": [
                    Message(
                        "out_of_range", "Must be from %(min)s to %(max)s.", min=1, max=MAX_NUMBER
                    )
                ]
            }
        )
    with uow:
        agency = agency_by_code(uow, agency_code)
        kind, symbol = resolve_register(agency, register)
        session = uow.session
        # the row, held until the commit as a signing's take_number would hold it
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        session.execute(
            insert(Register)
            .values(agency_id=agency.id, year=year, symbol=symbol, kind=kind, last_number=0)
            .on_conflict_do_nothing(index_elements=["agency_id", "year", "symbol"])
        )
        row = session.scalars(
            select(Register)
            .filter_by(agency_id=agency.id, year=year, symbol=symbol)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        issued = session.scalar(
            select(func.max(Document.number)).filter_by(
                agency_id=agency.id, year=year, symbol=symbol
            )
        )
        current = row.last_number + 1
        if issued is not None and next_number <= issued:
            raise Invalid(
                {
                    "next_number": [
                        Message(
                            "number_issued",
                            "Number %(number)s is already issued (the last issued is %(last)s): "
                            "set a number above it.",
                            number=next_number,
                            last=issued,
                        )
                    ]
                }
            )
        if next_number < current:
            raise Invalid(
                {
                    "next_number": [
                        Message(
                            "register_backwards",
                            "The register never goes backwards: its next number is %(next)s.",
                            next=current,
                        )
                    ]
                }
            )
        row.last_number = next_number - 1
        uow.record(
            "register_set",
            actor,
            data={
                "agency": agency.code,
                "year": year,
                "kind": kind,
                "register": symbol,
                "from": current,
                "to": next_number,
                "by": actor.username,
            },
        )
        uow.commit()
        return {
            "agency": agency.code,
            "year": year,
            "kind": kind,
            "symbol": symbol,
            "next_number": next_number,
            "last_issued": issued,
        }
