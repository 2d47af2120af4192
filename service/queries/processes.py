"""A process instance and its history, for those who may see it; an issued plan as the units
it addressed read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeAlias, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, joinedload

from service.db.models import Agency, Event, FanoutJob, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.documents.layout import DECISION_KIND, PLAN_KIND
from service.forms import budget_total
from service.operations.actors import Actor
from service.operations.cascade import PLAN_DEADLINE, ROUND_DEADLINES, unit_deadlines
from service.operations.reading import readable_instance, visible_instance
from service.permissions import HEAD_ROLE, Reading
from service.queries.issued import IssuedDocument, issued_documents
from service.states import DeadlineState, DocumentState, ProcessStatus, TaskState
from workflows.calendar import due_before, last_day, local_day

# A unit's deadlines are kept by what they hold it to ("plan", or a report round); the plan
# that set them names each by its kind ("unit_plan", "unit_report"…).
_DEADLINE_KINDS = {"plan": PLAN_DEADLINE} | ROUND_DEADLINES


# A plan's or a report's body as the steps' forms wrote it: free-form JSON whose fields each
# step kind's schema defines (service.steps, service.forms), not this read side, so it stays a
# mapping; the pages and the API show it as the forms do.
Body: TypeAlias = dict[str, Any]


def document_view(document: Body) -> Body:
    """The plan as stored, plus its budget total (derived, so never stored)."""
    if "budget_lines" not in document:
        return document
    return {**document, "budget_total": budget_total(document["budget_lines"])}


def last_day_of(due_at: datetime | None) -> date | None:
    """The last day to act on what falls due at `due_at` (the day before a "trước ngày …")."""
    return None if due_at is None else last_day(due_at)


@dataclass(frozen=True, slots=True)
class ProcessTask:
    """A task of a process, as its page and history list it."""

    id: int
    step: str
    name: str
    role: str
    agency: str
    state: TaskState
    created_at: datetime
    completed_at: datetime | None
    decision: str | None
    comment: str | None
    completed_by: str | None
    due_at: datetime | None
    last_day: date | None
    deadline_state: DeadlineState


def task_row(task: Task) -> ProcessTask:
    return ProcessTask(
        id=task.id,
        step=task.step,
        name=task.name,
        role=task.role,
        agency=task.agency.name,
        state=task.state,
        created_at=task.created_at,
        completed_at=task.completed_at,
        decision=task.decision,
        comment=task.comment,
        completed_by=None if task.completed_by is None else task.completed_by.full_name,
        due_at=task.due_at,
        last_day=last_day_of(task.due_at),
        deadline_state=task.deadline_state,
    )


@dataclass(frozen=True, slots=True)
class Issuer:
    agency: str | None
    signer: str | None  # None: not signed yet, so not known
    signing_mark: str | None


@dataclass(frozen=True, slots=True)
class DocumentRef:
    id: int
    kind: str
    number: int
    symbol: str
    number_line: str  # "Số: 180/KH-BCĐ"
    year: int


@dataclass(frozen=True, slots=True)
class AwardDecisionRef(DocumentRef):
    """A plan's award decision (QĐ khen thưởng), as the units the plan addressed read it."""

    subject: str
    signed_on: date
    signer: str
    signing_mark: str | None
    state: DocumentState


@dataclass(frozen=True, slots=True)
class UnitDeadline:
    kind: str  # "unit_plan", "unit_report"…
    what: str | None  # as the plan words it
    due: str  # ISO date, as the plan dates it
    last_day: str  # ISO date: the last day to act


@dataclass(frozen=True, slots=True)
class IssuedPlan:
    """An issued plan in brief, as a unit it addressed reads it."""

    id: int
    title: str
    issued_at: datetime | None
    issuer: Issuer
    documents: list[DocumentRef]
    award_decision: AwardDecisionRef | None
    unit_deadlines: list[UnitDeadline]


@dataclass(frozen=True, slots=True)
class AgencyBrief:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class ProcessAsIssued(IssuedPlan):
    """A process as a unit it addressed reads it: the plan as issued, nothing of its work."""

    reading: Reading
    jurisdiction: AgencyBrief
    parent_id: int | None
    parent: IssuedPlan | None
    document: Body


class DefinitionRef(TypedDict):
    process_id: str
    version: int


@dataclass(frozen=True, slots=True)
class Issuing:
    """A plan the worker is issuing to its units: how many have their instance so far."""

    issued: int
    total: int


def issuing(session: Session, instance_id: int) -> Issuing | None:
    """The progress of the plan's fan-out (None: none running: issued inline, or done)."""
    row = session.execute(
        select(FanoutJob.issued, FanoutJob.units).where(
            FanoutJob.instance_id == instance_id, FanoutJob.done_at.is_(None)
        )
    ).first()
    return None if row is None else Issuing(row.issued, len(row.units))


@dataclass(frozen=True, slots=True)
class ProcessDetail:
    """A process in full, for those who take part in it or oversee its level."""

    id: int
    title: str
    reading: Reading
    status: ProcessStatus
    definition: DefinitionRef
    jurisdiction: AgencyBrief
    parent_id: int | None
    parent: IssuedPlan | None  # the plan that addressed this unit
    bindings: dict[str, int]  # role -> agency id
    deadlines: dict[str, str]  # from the parent, by what they hold it to: ISO dates
    started_at: datetime
    issued_at: datetime | None
    issuing: Issuing | None  # while the worker starts the units' instances
    completed_at: datetime | None
    version: int
    document: Body
    reports: dict[str, Body]  # its own reports, by round
    tasks: list[ProcessTask]


def process_detail(
    uow: UnitOfWork, actor: Actor, process_id: int
) -> ProcessDetail | ProcessAsIssued:
    """A process with its plan and tasks; for a unit that only reads the plan as issued, that
    plan alone. Both carry `reading` and, for a unit's process, the `parent` plan in brief."""
    with uow:
        instance, reading = readable_instance(uow, actor, process_id)
        session = uow.session
        # Whoever reads a process reads the plan above it at least as issued: they take part
        # in it, or in a process below, or oversee its level (readable_instance).
        parent = None
        if instance.parent_id is not None:
            above = session.get_one(
                ProcessInstance, instance.parent_id, options=[defer(ProcessInstance.state)]
            )
            parent = issued_plan(session, above, instance.deadlines)
        if reading is Reading.ISSUED_PLAN:
            plan = issued_plan(session, instance, unit_deadlines(instance.document))
            return ProcessAsIssued(
                id=plan.id,
                title=plan.title,
                issued_at=plan.issued_at,
                issuer=plan.issuer,
                documents=plan.documents,
                award_decision=plan.award_decision,
                unit_deadlines=plan.unit_deadlines,
                reading=reading,
                jurisdiction=AgencyBrief(instance.jurisdiction_id, instance.jurisdiction.name),
                parent_id=instance.parent_id,
                parent=parent,
                document=document_view(instance.document),
            )
        tasks = session.scalars(
            select(Task)
            .filter_by(instance_id=instance.id)
            .order_by(Task.id)
            .options(joinedload(Task.agency), joinedload(Task.completed_by))
        ).all()
        return ProcessDetail(
            id=instance.id,
            title=instance.title,
            reading=reading,
            status=instance.status,
            definition={
                "process_id": instance.definition.process_id,
                "version": instance.definition.version,
            },
            jurisdiction=AgencyBrief(instance.jurisdiction_id, instance.jurisdiction.name),
            parent_id=instance.parent_id,
            parent=parent,
            bindings=instance.bindings,
            deadlines=instance.deadlines,
            started_at=instance.started_at,
            issued_at=instance.issued_at,
            issuing=None if instance.issued_at is None else issuing(session, instance.id),
            completed_at=instance.completed_at,
            version=instance.version,
            document=document_view(instance.document),
            reports=instance.reports,
            tasks=[task_row(t) for t in tasks],
        )


class PlanAbove(Protocol):
    """What `issued_plan` reads of a plan: a `ProcessInstance`, or the columns a task's view
    reads with the task (service.queries.tasks)."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def issued_at(self) -> datetime | None: ...
    @property
    def document(self) -> dict[str, Any]: ...
    @property
    def bindings(self) -> dict[str, int]: ...


def issued_plan(
    session: Session,
    plan: PlanAbove,
    deadlines: dict[str, str],
    issued: list[IssuedDocument] | None = None,
) -> IssuedPlan:
    """An issued plan in brief, as a unit it addressed reads it: who issued and signed it, its
    signed documents (KH), its award decision (QĐ khen thưởng) once issued and, as
    `unit_deadlines`, the `deadlines` given (a unit's, keyed by what they hold it to: "plan"
    or a report round), each with the last day to act on it. `issued`: the plan's documents
    (service.queries.issued), if the caller has read them."""
    issued = issued_documents(session, plan.id) if issued is None else issued
    signed = [d for d in issued if d.kind == PLAN_KIND]
    decision = next((d for d in issued if d.kind == DECISION_KIND), None)
    whats = {d.get("kind"): d.get("what") for d in plan.document.get("deadlines", [])}
    binding = []
    for key, due in sorted(deadlines.items(), key=lambda item: item[1]):
        kind = _DEADLINE_KINDS.get(key, key)
        binding.append(UnitDeadline(kind, whats.get(kind), due, last_day_to_act(due)))
    return IssuedPlan(
        id=plan.id,
        title=plan.title,
        issued_at=plan.issued_at,
        issuer=plan_issuer(session, plan, signed),
        documents=[
            DocumentRef(d.id, d.kind, d.number, d.symbol, f"Số: {d.number}/{d.symbol}", d.year)
            for d in signed
        ],
        award_decision=None
        if decision is None
        else AwardDecisionRef(
            decision.id,
            decision.kind,
            decision.number,
            decision.symbol,
            f"Số: {decision.number}/{decision.symbol}",
            decision.year,
            subject=decision.subject,
            signed_on=local_day(decision.signed_at),
            signer=decision.signer,
            signing_mark=decision.signing_mark,
            state=decision.state,
        ),
        unit_deadlines=binding,
    )


def plan_issuer(
    session: Session, plan: PlanAbove, signed: list[IssuedDocument] | None = None
) -> Issuer:
    """Who issued a plan: the agency of its signed document and the signer, with the mark they
    signed under; without a document, the agency whose head signs the plan, signer unknown."""
    signed = issued_documents(session, plan.id, (PLAN_KIND,)) if signed is None else signed
    if signed:
        last = signed[-1]
        return Issuer(last.agency, last.signer, last.signing_mark)
    head = session.get(Agency, plan.bindings.get(HEAD_ROLE, 0))
    return Issuer(None if head is None else head.name, None, None)


def last_day_to_act(due: str) -> str:
    """The last day on which a deadline dated `due` is met ("trước ngày 10/5": the 9th)."""
    falls_due = due_before(date.fromisoformat(due))
    return local_day(falls_due - timedelta(microseconds=1)).isoformat()


class EventActor(TypedDict):
    id: int
    username: str
    full_name: str


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    id: int
    seq: int
    action: str
    task_id: int | None
    role: str | None
    actor: EventActor | None
    agency: str | None
    data: Body  # what the event recorded, by action (service.web.changes words each)
    created_at: datetime
    prev_hash: str
    hash: str


def history(uow: UnitOfWork, actor: Actor, process_id: int) -> list[HistoryEvent]:
    """Every event of the process in order: who, for which agency and role, what, when."""
    with uow:
        instance = visible_instance(uow, actor, process_id)
        events = uow.session.scalars(
            select(Event)
            .filter_by(instance_id=instance.id)
            .order_by(Event.seq)
            .options(joinedload(Event.actor), joinedload(Event.agency))
        ).all()
        return [
            HistoryEvent(
                id=e.id,
                seq=e.seq,
                action=e.action,
                task_id=e.task_id,
                role=e.role,
                actor=None
                if e.actor is None
                else {
                    "id": e.actor.id,
                    "username": e.actor.username,
                    "full_name": e.actor.full_name,
                },
                agency=None if e.agency is None else e.agency.name,
                data=e.data,
                created_at=e.created_at,
                prev_hash=e.prev_hash,
                hash=e.hash,
            )
            for e in events
        ]
