"""The processes an actor may read, filtered and searched: everyone's list, the auditor's
landing page.

Which processes and how much of each come from `readable_processes` (the rule of
`readable_instance`, for all at once). A process the actor reads only as an issued plan shows
what the plan shows (title, unit, year, its signed KH numbers), never its tasks: the step and
overdue filters, which look at tasks, leave such processes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from marshmallow import fields
from sqlalchemy import ColumnElement, Integer, and_, cast, exists, extract, false, func, or_, select
from sqlalchemy.orm import joinedload

from service import validation as validate
from service.db.base import MAX_ID
from service.db.functions import vietnam_day
from service.db.models import Agency, Document, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.documents.layout import PLAN_KIND
from service.operations.actors import Actor
from service.operations.reading import readable_processes
from service.permissions import Reading
from service.queries.processes import AgencyBrief
from service.states import DeadlineState, ProcessStatus, TaskState
from service.validation import Schema
from workflows.text import fold, search_words

STATUSES = (ProcessStatus.RUNNING, ProcessStatus.COMPLETED, ProcessStatus.CANCELLED)
# the plan's own year, else the year (in Vietnam) it was started
YEAR = func.coalesce(
    ProcessInstance.document["year"].as_integer(),
    cast(extract("year", vietnam_day(ProcessInstance.started_at)), Integer),
)


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    campaign: int | None = None  # the plan at the top of the cascade
    agency: int | None = None  # the unit, or an agency bound in the process
    status: str | None = None
    step: str | None = None  # has an open task of this step
    overdue: bool | None = None  # has an overdue open task
    mine: bool = False  # the actor started it, acted in it, or a task waits for them
    q: str | None = None  # title, document number ("83/KH-SYT") or agency, without accents


class FilterSchema(Schema):
    """The filters as the page's query string and the API take them (one validator for both)."""

    year = fields.Integer(load_default=None, validate=validate.Range(1900, 9999))
    campaign = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    agency = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    step = fields.String(load_default=None, validate=validate.Length(1, 100))
    overdue = fields.Boolean(load_default=None)
    mine = fields.Boolean(load_default=False)
    q = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={"description": "title, document number or agency, ignoring diacritics"},
    )


@dataclass(frozen=True, slots=True)
class WaitingStep:
    """An open task of a listed process."""

    step: str
    name: str
    agency: str
    deadline_state: DeadlineState
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProcessRow:
    id: int
    title: str
    reading: Reading
    unit: AgencyBrief
    year: int
    parent_id: int | None
    # an issued plan's reader sees that it is issued, not how it is carried out
    status: ProcessStatus | Literal["issued"]
    started_at: datetime
    issued_at: datetime | None
    documents: list[str]  # the numbers the actor reads, "83/KH-SYT"
    open_steps: list[WaitingStep]
    overdue: bool


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    title: str


@dataclass(frozen=True, slots=True)
class Choices:
    """What the filters offer: the years, campaigns and agencies of the readable processes."""

    years: list[int]
    campaigns: list[Campaign]
    agencies: list[AgencyBrief]


def process_list(
    uow: UnitOfWork, actor: Actor, filters: Filters, limit: int = 50, offset: int = 0
) -> list[ProcessRow]:
    """The processes the actor reads that match, newest first."""
    with uow:
        return _matches(uow, actor, readable_processes(uow, actor), filters, limit, offset)


def list_page(
    uow: UnitOfWork, actor: Actor, filters: Filters, limit: int, offset: int
) -> tuple[list[ProcessRow], Choices]:
    """The page's rows and its filters' choices, from one pass over what the actor reads."""
    with uow:
        readable = readable_processes(uow, actor)
        return _matches(uow, actor, readable, filters, limit, offset), _choices(uow, readable)


def _matches(
    uow: UnitOfWork,
    actor: Actor,
    readable: dict[int, Reading],
    filters: Filters,
    limit: int,
    offset: int,
) -> list[ProcessRow]:
    ids = _candidates(uow, actor, readable, filters)
    if not ids:
        return []
    query = select(ProcessInstance.id).where(ProcessInstance.id.in_(ids))
    for condition in _conditions(actor, filters):
        query = query.where(condition)
    page = uow.session.scalars(
        query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return _rows(uow, readable, list(page))


def _choices(uow: UnitOfWork, readable: dict[int, Reading]) -> Choices:
    if not readable:
        return Choices([], [], [])
    rows = uow.session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.title,
            ProcessInstance.parent_id,
            ProcessInstance.jurisdiction_id,
            YEAR,
        ).where(ProcessInstance.id.in_(readable))
    ).all()
    agencies = uow.session.execute(
        select(Agency.id, Agency.name)
        .where(Agency.id.in_({r.jurisdiction_id for r in rows}))
        .order_by(Agency.name)
    ).all()
    return Choices(
        years=sorted({int(r[4]) for r in rows}, reverse=True),
        campaigns=[
            Campaign(r.id, r.title)
            for r in sorted(rows, key=lambda r: -r.id)
            if r.parent_id is None
        ],
        agencies=[AgencyBrief(a.id, a.name) for a in agencies],
    )


def _candidates(
    uow: UnitOfWork, actor: Actor, readable: dict[int, Reading], filters: Filters
) -> set[int]:
    """The readable ids left by the filters that walk the tree or the bindings."""
    ids = set(readable)
    if filters.step is not None or filters.overdue:  # tasks: for full readers only
        ids = {i for i in ids if readable[i] is Reading.FULL}
    if filters.campaign is None and filters.agency is None and not filters.q:
        return ids
    rows = uow.session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.parent_id,
            ProcessInstance.bindings,
            ProcessInstance.jurisdiction_id,
            ProcessInstance.title_folded,
        ).where(ProcessInstance.id.in_(ids))
    ).all()
    if filters.campaign is not None:
        parents = dict(
            uow.session.execute(select(ProcessInstance.id, ProcessInstance.parent_id)).all()
        )
        ids &= {r.id for r in rows if _root(parents, r.id) == filters.campaign}
    if filters.agency is not None:
        ids &= {
            r.id
            for r in rows
            if filters.agency == r.jurisdiction_id or filters.agency in r.bindings.values()
        }
    if filters.q:
        ids &= _matching(uow, readable, rows, search_words(filters.q))
    return ids


def _root(parents: dict[int, int | None], process_id: int) -> int:
    while (parent := parents.get(process_id)) is not None:
        process_id = parent
    return process_id


def _matching(
    uow: UnitOfWork, readable: dict[int, Reading], rows: Any, words: list[str]
) -> set[int]:
    """Processes where each of the folded `words` is in the title, the unit or a bound
    agency's name, or the number of a document the actor reads ("83/KH-SYT"; an issued plan's
    reader reads its KH only): "ngay hoi 2026" finds "Ngày hội toàn dân … năm 2026"."""
    names = {
        agency_id: fold(name)
        for agency_id, name in uow.session.execute(select(Agency.id, Agency.name)).all()
    }
    haystacks = {
        r.id: " ".join(
            [r.title_folded, names.get(r.jurisdiction_id, "")]
            + [names.get(a, "") for a in r.bindings.values()]
        )
        for r in rows
    }
    documents = uow.session.execute(
        select(Document.instance_id, Document.kind, Document.number, Document.symbol).where(
            Document.instance_id.in_(haystacks)
        )
    ).all()
    for process_id, kind, number, symbol in documents:
        if readable[process_id] is Reading.FULL or kind == PLAN_KIND:
            haystacks[process_id] += " " + fold(f"{number}/{symbol}")
    return {i for i, text in haystacks.items() if all(w in text for w in words)}


def _conditions(actor: Actor, filters: Filters) -> list[ColumnElement[bool]]:
    """The filters the database answers."""
    conditions: list[ColumnElement[bool]] = []
    if filters.year is not None:
        conditions.append(YEAR == filters.year)
    if filters.status is not None:
        conditions.append(ProcessInstance.status == filters.status)
    open_task = and_(Task.instance_id == ProcessInstance.id, Task.state == TaskState.OPEN)
    if filters.step is not None:
        conditions.append(exists().where(open_task, Task.step == filters.step))
    if filters.overdue:
        conditions.append(exists().where(open_task, Task.deadline_state == DeadlineState.OVERDUE))
    if filters.mine:
        duties = [and_(Task.agency_id == a, Task.role == r) for a, r in actor.duties()]
        conditions.append(
            or_(
                ProcessInstance.started_by_id == actor.user_id,
                exists().where(
                    Task.instance_id == ProcessInstance.id,
                    or_(
                        Task.completed_by_id == actor.user_id,
                        and_(open_task, or_(false(), *duties)),
                    ),
                ),
            )
        )
    return conditions


def _rows(uow: UnitOfWork, readable: dict[int, Reading], page: list[int]) -> list[ProcessRow]:
    instances = {
        i.id: i
        for i in uow.session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.id.in_(page))
            .options(joinedload(ProcessInstance.jurisdiction))
        )
    }
    years: dict[int, int] = {
        process_id: int(year)
        for process_id, year in uow.session.execute(
            select(ProcessInstance.id, YEAR).where(ProcessInstance.id.in_(page))
        )
    }
    open_tasks: dict[int, list[Task]] = {}
    for task in uow.session.scalars(
        select(Task)
        .where(Task.instance_id.in_(page), Task.state == TaskState.OPEN)
        .options(joinedload(Task.agency))
        .order_by(Task.due_at.asc().nulls_last(), Task.id)
    ):
        open_tasks.setdefault(task.instance_id, []).append(task)
    numbers: dict[int, list[str]] = {}
    for document in uow.session.scalars(
        select(Document).where(Document.instance_id.in_(page)).order_by(Document.id)
    ):
        if readable[document.instance_id] is Reading.FULL or document.kind == PLAN_KIND:
            numbers.setdefault(document.instance_id, []).append(
                f"{document.number}/{document.symbol}"
            )
    rows: list[ProcessRow] = []
    for process_id in page:
        instance, reading = instances[process_id], readable[process_id]
        full = reading is Reading.FULL
        tasks = open_tasks.get(process_id, []) if full else []
        rows.append(
            ProcessRow(
                id=process_id,
                title=instance.title,
                reading=reading,
                unit=AgencyBrief(instance.jurisdiction_id, instance.jurisdiction.name),
                year=int(years[process_id]),
                parent_id=instance.parent_id,
                status=instance.status if full else "issued",
                started_at=instance.started_at,
                issued_at=instance.issued_at,
                documents=numbers.get(process_id, []),
                open_steps=[
                    WaitingStep(t.step, t.name, t.agency.name, t.deadline_state, t.due_at)
                    for t in tasks
                ],
                overdue=any(t.deadline_state == DeadlineState.OVERDUE for t in tasks),
            )
        )
    return rows
