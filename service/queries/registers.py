"""Sổ đăng ký văn bản đi: the documents an agency issued in a year, and its registers' numbers.

Who reads an agency's register: its own users, and those who oversee (supervisors, auditors,
administrators) a level at or above it, as they read the processes of those levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.db.models import Agency, Document, Register
from service.db.uow import UnitOfWork
from service.errors import Forbidden
from service.operations.actors import Actor
from service.operations.registers import KINDS, agency_by_code, check_place, register_symbols
from service.permissions import Right, may
from service.states import DocumentState
from workflows.calendar import local_day


def _reads(actor: Actor, agency: Agency) -> bool:
    if agency.id == actor.agency_id:
        return True
    if not may(actor, Right.OVERSEE):
        return False
    node: Agency | None = agency
    while node is not None:
        if node.jurisdiction_id in actor.overseen:
            return True
        node = node.parent
    return False


@dataclass(frozen=True, slots=True)
class RegisterAgency:
    code: str
    name: str
    abbreviation: str | None


@dataclass(frozen=True, slots=True)
class AgencyName:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class RegisterCounter:
    """One of the agency's registers: a number symbol and the next number it gives."""

    kind: str  # KH, BC, QĐ
    symbol: str  # "KH-BCĐ"
    name: str  # the kind's name
    next_number: int


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    id: int
    process_id: int
    kind: str
    kind_name: str
    number: int
    symbol: str
    number_symbol: str  # "180/KH-BCĐ"
    signed_at: datetime
    signed_on: date
    subject: str
    signed_by: str
    signing_mark: str | None
    state: DocumentState


@dataclass(frozen=True, slots=True)
class RegisterView:
    agency: AgencyName
    year: int
    registers: list[RegisterCounter]
    documents: list[RegisterEntry]


def register_agencies(uow: UnitOfWork, actor: Actor) -> list[RegisterAgency]:
    """The agencies whose registers the actor reads, in the directory's order: their own, and
    for overseers every agency of the levels they oversee that issues documents."""
    with uow:
        agencies = uow.session.scalars(
            select(Agency).options(joinedload(Agency.parent)).order_by(Agency.id)
        ).all()
        return [
            RegisterAgency(a.code, a.name, a.abbreviation)
            for a in agencies
            if _reads(actor, a) and (a.abbreviation or a.id == actor.agency_id)
        ]


def register(uow: UnitOfWork, actor: Actor, agency_code: str, year: int) -> RegisterView:
    """The agency's registers for the year: the next number of each symbol it numbers (each
    body it issues as keeps its own sequence), and every document it issued, by kind, symbol
    and number.

    :raise NotFound: no such agency. :raise Forbidden: not the actor's agency nor one they
        oversee. :raise Invalid: a year out of range.
    """
    check_place("KH", year)
    with uow:
        agency = agency_by_code(uow, agency_code)
        if not _reads(actor, agency):
            raise Forbidden("not_your_register", "This register belongs to another agency.")
        last = dict(
            uow.session.execute(
                select(Register.symbol, Register.last_number).filter_by(
                    agency_id=agency.id, year=year
                )
            ).all()
        )
        rows = uow.session.scalars(
            select(Document)
            .filter_by(agency_id=agency.id, year=year)
            .options(joinedload(Document.signed_by))
            .order_by(Document.kind, Document.symbol, Document.number)
        ).all()
        symbols = {kind: register_symbols(agency, kind) for kind in KINDS}
        for symbol in last:  # a body the agency no longer issues as keeps its register
            kind = symbol.partition("-")[0]
            if symbol not in symbols.setdefault(kind, []):
                symbols[kind].append(symbol)
        return RegisterView(
            agency=AgencyName(agency.code, agency.name),
            year=year,
            registers=[
                RegisterCounter(kind, symbol, KINDS.get(kind, kind), last.get(symbol, 0) + 1)
                for kind, kind_symbols in symbols.items()
                for symbol in kind_symbols
            ],
            documents=[
                RegisterEntry(
                    id=d.id,
                    process_id=d.instance_id,
                    kind=d.kind,
                    kind_name=KINDS.get(d.kind, d.kind),
                    number=d.number,
                    symbol=d.symbol,
                    number_symbol=f"{d.number}/{d.symbol}",
                    signed_at=d.signed_at,
                    signed_on=local_day(d.signed_at),
                    subject=d.subject,
                    signed_by=d.signed_by.full_name,
                    signing_mark=d.signing_mark,
                    state=d.state,
                )
                for d in rows
            ],
        )
