"""The inbox and one task, as the actor may see them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple, TypedDict, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    true,
)

from service.consolidation import sum_reports
from service.db.models import Agency, Event, ProcessInstance, Task, User
from service.db.uow import UnitOfWork
from service.errors import NotFound
from service.operations.actors import Actor
from service.operations.cascade import UnitReport, unit_reports_column, unit_reports_from
from service.operations.tasks import check_can_act
from service.queries.issued import from_column, issued_column
from service.queries.processes import Body, IssuedPlan, document_view, issued_plan, last_day_of
from service.states import ActingAs, DeadlineState, TaskState
from service.steps import Decision, StepKind, kind_of
from workflows.text import search_words

# The inbox and a task's view read their rows as Core statements of the columns they show,
# built once per process and run on a connection: the ORM's identity map and joined loads
# cost more than the statements themselves, and a view keeps no object.
_TASK = Task.__table__
_T = _TASK.c
_I = ProcessInstance.__table__


def _view(task: Any) -> tuple[Any, ...]:
    """A TaskView's columns of `task` (the task table or an alias), in `_fields`' order (the
    plan's title comes from `_I`, joined by the caller). The names of its agency and of the
    users it names are subqueries, not joins: PostgreSQL planned the task view with its
    plan's last task, 11 joined tables, in 2.5 ms whenever it had no generic plan for it; with
    3 joined tables it plans it in 0.7 ms, and each subquery is one primary-key lookup."""
    return (
        task.c.id,
        task.c.instance_id,
        _I.c.title,
        task.c.step,
        task.c.form,
        task.c.report_round,
        task.c.name,
        task.c.role,
        task.c.agency_id,
        _name(Agency.__table__, task.c.agency_id),
        task.c.state,
        task.c.created_at,
        task.c.completed_at,
        _name(User.__table__, task.c.completed_by_id, "full_name"),
        task.c.decision,
        task.c.comment,
        task.c.due_at,
        task.c.deadline_state,
        _name(User.__table__, task.c.claimed_by_id, "full_name"),
        task.c.claimed_by_id,
        _name(User.__table__, task.c.on_behalf_of_id, "full_name"),
        task.c.signing_mark,
    )


def _name(table: Any, key: Any, column: str = "name") -> Any:
    """The `column` of the `table` row whose id is `key` (None for none)."""
    row = table.alias()
    return select(row.c[column]).where(row.c.id == key).scalar_subquery()


_VIEW_COLUMNS = _view(_TASK)
_VIEW_FROM = _TASK.join(_I, _I.c.id == _T.instance_id)
# One task with what its view shows of the plan (its engine state, the largest column,
# unread), and the plan's last completed task, who returned it and why: one statement.
_LAST = _TASK.alias("last")
_DONE = _TASK.alias("done")


def _last_done(dialect: str) -> tuple[Any, Any]:
    """The plan's last completed task, as the task view joins it, and the join's condition.
    PostgreSQL reads it in a LATERAL subquery, through the plan's tasks (ix_task_instance_id):
    joined on `id = (that task's id)`, a plan made while the table was small (a fresh
    database, a server's first minutes) hashed every task of every plan for each view, and
    kept doing so as the table grew. SQLite has no LATERAL; it looks the id up by its key."""

    def last(*columns: Any) -> Select[Any]:
        return (
            select(*columns)
            .where(_DONE.c.instance_id == _T.instance_id, _DONE.c.state == TaskState.COMPLETED)
            .order_by(_DONE.c.completed_at.desc(), _DONE.c.id.desc())
            .limit(1)
        )

    if dialect == "postgresql":
        return last(_DONE).lateral("last"), true()
    return _LAST, _LAST.c.id == last(_DONE.c.id).correlate(_TASK).scalar_subquery()


_PLAN_COLUMNS = (_I.c.parent_id, _I.c.deadlines, _I.c.document, _I.c.reports, _I.c.report_drafts)


class _Above(NamedTuple):
    """The plan above a unit's task (processes.PlanAbove), read with the task."""

    id: int
    title: str
    issued_at: datetime | None
    document: dict[str, Any]
    bindings: dict[str, int]


# a unit's task: the plan above it, the columns `_Above` names
_ABOVE = _I.alias("above")
_ABOVE_COLUMNS = tuple(_ABOVE.c[name] for name in _Above._fields)


@lru_cache(maxsize=2)
def _detail(dialect: str) -> Select[Any]:
    """The task view's statement, built once per dialect: the plan above's documents, and the
    plan's units with their reports for the task's round, come as JSON columns, which each
    database builds its own way."""
    last, on = _last_done(dialect)
    return (
        select(
            *_VIEW_COLUMNS,
            *_PLAN_COLUMNS,
            *_view(last),
            *_ABOVE_COLUMNS,
            issued_column(dialect, _ABOVE.c.id),
            unit_reports_column(dialect, _T.instance_id, _T.report_round),
        )
        .select_from(
            _VIEW_FROM.outerjoin(last, on).outerjoin(_ABOVE, _ABOVE.c.id == _I.c.parent_id)
        )
        .where(_T.id == bindparam("task_id", type_=Integer))
    )


_PROPOSED = (
    select(Event.__table__.c.data)
    .where(
        Event.__table__.c.task_id == bindparam("task_id", type_=Integer),
        Event.__table__.c.action == "task_completed",
    )
    .order_by(Event.__table__.c.seq.desc())
    .limit(1)
)


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


def _fields(row: Sequence[Any]) -> _TaskFields:
    """The TaskView fields of a row of `_VIEW_COLUMNS`, for each of its dataclasses."""
    (
        task_id,
        process_id,
        process_title,
        step,
        form,
        report_round,
        name,
        role,
        agency_id,
        agency_name,
        state,
        created_at,
        completed_at,
        completed_by,
        decision,
        comment,
        due_at,
        deadline_state,
        claimed_by,
        claimed_by_id,
        on_behalf_of,
        signing_mark,
    ) = row[:22]  # `_view`'s columns
    return {
        "id": task_id,
        "process_id": process_id,
        "process_title": process_title,
        "step": step,
        "form": form,
        "report_round": report_round,
        "name": name,
        "role": role,
        "agency": AgencyRef(agency_id, agency_name),
        "state": state,
        "created_at": created_at,
        "completed_at": completed_at,
        "completed_by": completed_by,
        "decision": decision,
        "comment": comment,
        "due_at": due_at,
        "last_day": last_day_of(due_at),
        "deadline_state": deadline_state,
        "claimed_by": claimed_by,
        "claimed_by_id": claimed_by_id,
        "on_behalf_of": on_behalf_of,
        "signing_mark": signing_mark,
    }


class _Duty(NamedTuple):
    """What `check_can_act` reads of a task: its agency and role."""

    agency_id: int
    role: str


def _acting_as(actor: Actor, agency_id: int, role: str) -> ActingAs:
    grant = check_can_act(actor, cast(Task, _Duty(agency_id, role)))
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
    return select(Task).where(_held(duties), Task.state == state)


def _held(duties: frozenset[tuple[int, str]]) -> ColumnElement[bool]:
    pairs = [and_(_T.agency_id == agency, _T.role == role) for agency, role in sorted(duties)]
    return or_(false(), *pairs)


# each word of `q`: LIKE with these escaped, as `contains(…, autoescape=True)` would
_LIKE_ESCAPES = str.maketrans({"/": "//", "%": "/%", "_": "/_"})


@lru_cache(maxsize=1024)
def _inbox_query(
    duties: frozenset[tuple[int, str]] | None,
    state: TaskState,
    filters: tuple[bool, bool, bool, int],
) -> Select[Any]:
    """An inbox page's statement, built once per set of duties (None: the tasks the caller
    completed), state and which filters are given (process, overdue, step, and how many words
    `q` has); their values, the page's limit and offset are bound at each request. SQLAlchemy
    keys its compiled form by this object, so a page costs neither building nor compiling."""
    by_process, by_overdue, by_step, words = filters
    page = select(_T.id).where(
        _T.state == state,
        _T.completed_by_id == bindparam("user_id", type_=Integer)
        if duties is None
        else _held(duties),
    )
    if by_process:
        page = page.where(_T.instance_id == bindparam("process", type_=Integer))
    if by_overdue:
        overdue = bindparam("overdue", type_=Boolean)
        page = page.where((_T.deadline_state == DeadlineState.OVERDUE) == overdue)
    if by_step:
        page = page.where(_T.step == bindparam("step", type_=Task.__table__.c.step.type))
    if words:  # every word of `q`, in any order, as the process list searches
        title = _I.c.title_folded
        page = page.join(_I, _I.c.id == _T.instance_id).where(
            *(title.like(bindparam(f"q{i}", type_=title.type), escape="/") for i in range(words))
        )
    order = (
        (_T.due_at.asc().nulls_last(), _T.id)
        if state == TaskState.OPEN
        else (_T.completed_at.desc(), _T.id)
    )
    # The page's ids first (ix_task_inbox, in due order, stops after `limit`), then those
    # rows with their plans: joined before the page is cut, every open task of the agency
    # would be read with its plan and sorted.
    page = (
        page.order_by(*order)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )
    return (
        select(*_VIEW_COLUMNS)
        .select_from(_VIEW_FROM)
        .where(_T.id.in_(page.scalar_subquery()))
        .order_by(*order)
    )


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

    Open tasks come soonest-due first; `q` finds plan titles holding each of its words, in any
    order, ignoring diacritics. Done tasks ("completed") come newest first: those of the
    actor's agency and roles, or, with `by="me"`, those the actor completed, in whatever
    capacity.
    """
    duties = None if by == "me" else frozenset(actor.duties())
    words = search_words(q or "")
    filters = (process is not None, overdue is not None, step is not None, len(words))
    params: dict[str, Any] = {"user_id": actor.user_id, "limit": limit, "offset": offset}
    for name, value in (("process", process), ("overdue", overdue), ("step", step)):
        if value is not None:
            params[name] = value
    for i, word in enumerate(words):
        params[f"q{i}"] = f"%{word.translate(_LIKE_ESCAPES)}%"
    with uow.connection() as connection:
        rows = connection.execute(_inbox_query(duties, state, filters), params)
        found = []
        for row in rows:
            fields = _fields(row)
            acting_as = _acting_as(actor, fields["agency"].id, fields["role"])
            found.append(InboxTask(**fields, acting_as=acting_as))
        return found


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
        connection = uow.session.connection()
        statement = _detail(connection.dialect.name)
        row = connection.execute(statement, {"task_id": task_id}).one_or_none()
        if row is None:
            raise NotFound("task_not_found", "No such task.")
        fields = _fields(row)
        acting_as = _acting_as(actor, fields["agency"].id, fields["role"])  # 403 first
        plan = len(_VIEW_COLUMNS)
        last = plan + len(_PLAN_COLUMNS)
        above = last + len(_VIEW_COLUMNS)  # the last task's view: as many columns
        parent_id, deadlines, document, reports, report_drafts = row[plan:last]
        previous = None if row[last] is None else TaskView(**_fields(row[last:above]))
        parent = None
        if parent_id is not None:
            above_plan = _Above(*row[above:-2])
            parent = issued_plan(uow.session, above_plan, deadlines, from_column(row[-2]))
        units = [] if fields["report_round"] is None else unit_reports_from(row[-1], document)
        reported = [u.report for u in units if u.report is not None]
        return TaskDetail(
            **fields,
            acting_as=acting_as,
            document=document_view(document),
            parent=parent,
            reports=reports,
            report_drafts=report_drafts,
            units=units,
            units_sum=sum_reports(reported) if reported else None,
            previous=previous,
            proposal=_proposal(uow, fields, previous),
        )


def _proposal(uow: UnitOfWork, task: _TaskFields, previous: TaskView | None) -> Proposal | None:
    """What the step that returned the plan proposed; None when the plan did not come back
    with any."""
    if task["state"] != TaskState.OPEN or previous is None:
        return None
    if previous.decision != Decision.RETURN:
        return None
    data = uow.session.connection().execute(_PROPOSED, {"task_id": previous.id}).scalar()
    kind = kind_of(task["form"])
    changes = [
        ProposedChange(c["path"], c["old"], c["new"])
        for c in (data or {}).get("proposed") or []
        if not _hidden(kind, c["path"])
    ]
    if not changes:
        return None
    return Proposal(
        by=previous.completed_by,
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
