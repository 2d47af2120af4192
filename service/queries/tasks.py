"""The inbox and one task, as the actor may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypedDict

from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import defer, joinedload

from service.consolidation import sum_reports
from service.db.models import Event, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import NotFound
from service.operations.actors import Actor
from service.operations.cascade import UnitReport, unit_reports
from service.operations.tasks import check_can_act
from service.queries.processes import Body, IssuedPlan, document_view, issued_plan, last_day_of
from service.states import ActingAs, DeadlineState, TaskState
from service.steps import Decision, StepKind, kind_of
from workflows.text import fold

# What `task_view` reads of a task besides its columns, in the task's own query: one round
# trip instead of one per relation.
VIEW_LOADS = (
    joinedload(Task.agency),
    joinedload(Task.completed_by),
    joinedload(Task.claimed_by),
    joinedload(Task.on_behalf_of),
)
# Built once, as statements' parts are immutable: a row of the inbox names its plan by title
# (its engine state and document stay unread); a task's view reads the plan but not its
# engine state (the largest column), which no view shows.
INBOX_LOADS = (joinedload(Task.instance).load_only(ProcessInstance.title), *VIEW_LOADS)
DETAIL_LOADS = (joinedload(Task.instance).defer(ProcessInstance.state), *VIEW_LOADS)


@dataclass(frozen=True, slots=True)
class AgencyRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class TaskView:
    """A task as anyone who may see it reads it."""

    id: int
    process_id: int
    process_title: str
    step: str
    form: str
    report_round: str | None
    name: str
    role: str
    agency: AgencyRef
    state: TaskState
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    decision: str | None
    comment: str | None
    due_at: datetime | None
    last_day: date | None  # the last day to act (the day before a "trước ngày …")
    deadline_state: DeadlineState
    claimed_by: str | None
    claimed_by_id: int | None
    on_behalf_of: str | None
    signing_mark: str | None


@dataclass(frozen=True, slots=True)
class InboxTask(TaskView):
    """A task as the actor whose inbox holds it reads it: also how they may act on it."""

    acting_as: ActingAs


@dataclass(frozen=True, slots=True)
class ProposedChange:
    path: str
    current: Any
    proposed: Any


@dataclass(frozen=True, slots=True)
class Proposal:
    """The changes the step that returned a plan proposed, as the drafter may take them."""

    by: str | None
    agency: str
    step: str
    comment: str | None
    at: datetime | None
    changes: list[ProposedChange]


@dataclass(frozen=True, slots=True)
class TaskDetail(InboxTask):
    """One task with the plan it is about and what its form starts from."""

    document: Body
    parent: IssuedPlan | None  # the plan that addressed this unit: whoever acts here reads it
    reports: dict[str, Body]  # by round
    report_drafts: dict[str, Body]
    # a report step: what the direct units reported, and their sums, which the form starts
    # with (the level adds its own activities)
    units: list[UnitReport]
    units_sum: Body | None
    # what the drafter needs on top when a plan comes back: who returned it and why
    previous: TaskView | None
    # and what the reviewer proposed to change, not applied to the plan
    proposal: Proposal | None


class _TaskFields(TypedDict):
    """TaskView's fields, as `_fields` reads them off a row for each of its subclasses; mypy
    holds the two to the same names and types (a missing or extra key fails the check)."""

    id: int
    process_id: int
    process_title: str
    step: str
    form: str
    report_round: str | None
    name: str
    role: str
    agency: AgencyRef
    state: TaskState
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    decision: str | None
    comment: str | None
    due_at: datetime | None
    last_day: date | None
    deadline_state: DeadlineState
    claimed_by: str | None
    claimed_by_id: int | None
    on_behalf_of: str | None
    signing_mark: str | None


def _fields(task: Task) -> _TaskFields:
    """The TaskView fields of a task row, for each of its dataclasses."""
    return {
        "id": task.id,
        "process_id": task.instance_id,
        "process_title": task.instance.title,
        "step": task.step,
        "form": task.form,
        "report_round": task.report_round,
        "name": task.name,
        "role": task.role,
        "agency": AgencyRef(task.agency_id, task.agency.name),
        "state": task.state,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
        "completed_by": None if task.completed_by is None else task.completed_by.full_name,
        "decision": task.decision,
        "comment": task.comment,
        "due_at": task.due_at,
        "last_day": last_day_of(task.due_at),
        "deadline_state": task.deadline_state,
        "claimed_by": None if task.claimed_by is None else task.claimed_by.full_name,
        "claimed_by_id": task.claimed_by_id,
        "on_behalf_of": None if task.on_behalf_of is None else task.on_behalf_of.full_name,
        "signing_mark": task.signing_mark,
    }


def task_view(task: Task) -> TaskView:
    return TaskView(**_fields(task))


def inbox_task(task: Task, actor: Actor) -> InboxTask:
    return InboxTask(**_fields(task), acting_as=_acting_as(actor, task))


def _acting_as(actor: Actor, task: Task) -> ActingAs:
    grant = check_can_act(actor, task)
    if grant is None:
        return ActingAs.SELF
    if grant.on_behalf_of_id is not None:
        return ActingAs.SUBSTITUTE
    return ActingAs.BY_ORDER if grant.mark.startswith("TL.") else ActingAs.DEPUTY


def _mine(actor: Actor, state: TaskState) -> Select[Task]:
    return _of_duties(frozenset(actor.duties()), state)


@lru_cache(maxsize=1024)
def _of_duties(duties: frozenset[tuple[int, str]], state: TaskState) -> Select[Task]:
    """The tasks of these (agency, role) pairs in `state`, built once per set of duties (a
    statement is immutable: each request's filters make a copy); building it cost more than
    running it."""
    pairs = [and_(Task.agency_id == agency, Task.role == role) for agency, role in sorted(duties)]
    return select(Task).where(or_(false(), *pairs), Task.state == state)


def inbox(
    uow: UnitOfWork,
    actor: Actor,
    state: TaskState = TaskState.OPEN,
    process: int | None = None,
    overdue: bool | None = None,
    step: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    by: str = "agency",
) -> list[InboxTask]:
    """Tasks the actor may act on (own agency and roles, deputy rights, delegations).

    Open tasks come soonest-due first; `q` searches plan titles ignoring diacritics. Done
    tasks ("completed") come newest first: those of the actor's agency and roles, or, with
    `by="me"`, those the actor completed, in whatever capacity.
    """
    with uow:
        query = (
            select(Task).where(Task.state == state, Task.completed_by_id == actor.user_id)
            if by == "me"
            else _mine(actor, state)
        )
        if process is not None:
            query = query.where(Task.instance_id == process)
        if overdue is not None:
            query = query.where((Task.deadline_state == DeadlineState.OVERDUE) == overdue)
        if step is not None:
            query = query.where(Task.step == step)
        if q:
            query = query.join(ProcessInstance, ProcessInstance.id == Task.instance_id).where(
                ProcessInstance.title_folded.contains(fold(q), autoescape=True)
            )
        order = (
            (Task.due_at.asc().nulls_last(), Task.id)
            if state == TaskState.OPEN
            else (Task.completed_at.desc(), Task.id)
        )
        # The page's ids first (ix_task_inbox, in due order, stops after `limit`), then those
        # rows with their plans: joined before the page is cut, every open task of the agency
        # would be read with its plan and sorted.
        page = query.with_only_columns(Task.id).order_by(*order).limit(limit).offset(offset)
        rows = uow.session.scalars(
            select(Task)
            .where(Task.id.in_(page.scalar_subquery()))
            .options(*INBOX_LOADS)
            .order_by(*order)
        )
        return [inbox_task(t, actor) for t in rows]


@dataclass(frozen=True, slots=True)
class InboxCounts:
    open: int
    overdue: int


def inbox_counts(uow: UnitOfWork, actor: Actor) -> InboxCounts:
    """How many open tasks wait for the actor, and how many of them are overdue."""
    with uow:
        mine = _mine(actor, TaskState.OPEN).subquery()
        total, late = uow.session.execute(
            select(
                func.count(),
                func.coalesce(
                    func.sum(case((mine.c.deadline_state == DeadlineState.OVERDUE, 1), else_=0)), 0
                ),
            )
        ).one()
        return InboxCounts(open=int(total), overdue=int(late))


def task_detail(uow: UnitOfWork, actor: Actor, task_id: int) -> TaskDetail:
    """One task with the plan it is about.

    :raise NotFound: no such task. :raise Forbidden: another agency's or role's task.
    """
    with uow:
        task = uow.session.get(Task, task_id, options=DETAIL_LOADS)
        if task is None:
            raise NotFound("task_not_found", "No such task.")
        check_can_act(actor, task)
        previous = uow.session.scalars(
            select(Task)
            .options(*VIEW_LOADS)
            .where(Task.instance_id == task.instance_id, Task.state == TaskState.COMPLETED)
            .order_by(Task.completed_at.desc(), Task.id.desc())
            .limit(1)
        ).one_or_none()
        instance = task.instance
        parent = None
        if instance.parent_id is not None:
            above = uow.session.get_one(
                ProcessInstance, instance.parent_id, options=[defer(ProcessInstance.state)]
            )
            parent = issued_plan(uow.session, above, instance.deadlines)
        units = (
            []
            if task.report_round is None
            else unit_reports(uow.session, task.instance_id, task.report_round)
        )
        reported = [u.report for u in units if u.report is not None]
        return TaskDetail(
            **_fields(task),
            acting_as=_acting_as(actor, task),
            document=document_view(instance.document),
            parent=parent,
            reports=instance.reports,
            report_drafts=instance.report_drafts,
            units=units,
            units_sum=sum_reports(reported) if reported else None,
            previous=None if previous is None else task_view(previous),
            proposal=_proposal(uow, task, previous),
        )


def _proposal(uow: UnitOfWork, task: Task, previous: Task | None) -> Proposal | None:
    """What the step that returned the plan proposed; None when the plan did not come back
    with any."""
    if task.state != TaskState.OPEN or previous is None or previous.decision != Decision.RETURN:
        return None
    data = uow.session.scalar(
        select(Event.data)
        .where(Event.task_id == previous.id, Event.action == "task_completed")
        .order_by(Event.seq.desc())
        .limit(1)
    )
    kind = kind_of(task.form)
    changes = [
        ProposedChange(c["path"], c["old"], c["new"])
        for c in (data or {}).get("proposed") or []
        if not _hidden(kind, c["path"])
    ]
    if not changes:
        return None
    return Proposal(
        by=None if previous.completed_by is None else previous.completed_by.full_name,
        agency=previous.agency.name,
        step=previous.step,
        comment=previous.comment,
        at=previous.completed_at,
        changes=changes,
    )


def _hidden(kind: StepKind, path: str) -> bool:
    """A change to a field this step leaves to a later one: not the drafter's to take."""
    rows, _, rest = path.partition("[")
    name = rest.rpartition(".")[2]
    return f"{rows}.{name}" in kind.hidden
