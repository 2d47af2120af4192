"""A campaign as its supervisor sees it: which step holds it, which agency is slow, who has
not reported, how the days went, and how it compares with last year's cycle.

A campaign is a plan and everything that cascaded from it, at any depth. Every figure comes from
task rows and instances, selected through one recursive query over the campaign's instances
and grouped in the database (by day in Vietnam where durations are needed): what reaches
Python is bounded by steps, agencies and days, not by the number of tasks. Durations are whole
working days on the Vietnamese calendar (`workflows.calendar.working_days_between`);
percentiles are nearest-rank, so each is a wait some task really had.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from service.db.functions import vietnam_day
from service.db.models import Agency, ProcessDefinition, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import Forbidden, Invalid, Message
from service.operations.actors import Actor
from service.operations.definitions import engine_definition
from service.operations.supervision import headed, supervises
from service.permissions import HEAD_ROLE, Right, may, require
from service.queries.directory import forebears
from service.queries.processes import Body, last_day_of
from service.queries.reports import subtree, subtree_ids
from service.states import LATE, DeadlineState, ProcessStatus, TaskState
from service.steps import PLAN_KINDS
from workflows.calendar import due_before, last_day, local_day, working_days_between

AGENCY_SORTS = ("wait_p90", "wait_p50", "open", "overdue", "returns", "agency")
UNIT_FILTERS = ("all", "late", "missing")
TREND_MAX_DAYS = 400


@dataclass(frozen=True)
class Campaign:
    id: int
    title: str
    unit: str
    year: int
    started_at: datetime
    round: str  # the report round the units' progress is measured by


@dataclass(frozen=True, slots=True)
class CampaignRef:
    id: int
    title: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class Figures:
    """A step's or an agency's tasks: open, overdue, returned, done, and the open ones' wait."""

    key: str | int  # the step id or the agency id
    name: str
    open: int
    overdue: int
    returns: int  # round trips: returned at this step
    done: int
    wait_p50: int | None  # working days; None: nothing open
    wait_p90: int | None


@dataclass(frozen=True, slots=True)
class WaitingTask:
    task_id: int
    step_id: str  # the pages label the step by its id
    step: str  # the step's name in the diagram
    agency: str
    process_id: int
    title: str
    created_at: datetime
    waited: int  # working days
    due_at: datetime | None
    last_day: date | None
    deadline_state: DeadlineState


@dataclass(frozen=True, slots=True)
class AgencyFigures:
    agencies: list[Figures]
    longest_waiting: list[WaitingTask]


@dataclass(frozen=True, slots=True)
class Below:
    """How many units below one (at any depth) are so."""

    units: int
    plan_submitted: int
    plan_approved: int
    reported: int
    late: int
    missing: int


@dataclass(frozen=True, slots=True)
class UnitProgress:
    process_id: int
    parent_id: int | None
    depth: int
    unit: str
    status: ProcessStatus
    plan_submitted: bool
    plan_approved: bool
    reported: bool
    report_due: str | None  # ISO date, as the plan writes it: before this day
    report_last_day: date | None
    late: bool
    overdue_open: int  # its open tasks past due: what a reminder reaches
    missing: bool
    below: Below


@dataclass(frozen=True, slots=True)
class TrendDay:
    day: date
    opened: int
    closed: int
    overdue: int  # at the day's end


@dataclass(frozen=True, slots=True)
class StepTook:
    step: str
    name: str
    took_p50: int | None  # working days
    done: int


@dataclass(frozen=True, slots=True)
class CycleName:
    id: int
    title: str
    unit: str


@dataclass(frozen=True, slots=True)
class Cycle:
    """A campaign's figures, to set beside another year's; `cycles` names the campaigns they
    sum (last year's of a level and of the levels merged into it since)."""

    id: int
    title: str
    year: int
    units: int
    plans_approved: int
    reports: int
    report_tasks: int
    returns: int
    done_late: int
    overdue: int
    cycles: list[CycleName]
    steps: list[StepTook]


@dataclass(frozen=True, slots=True)
class Comparison:
    campaign: Cycle
    previous: Cycle | None


def campaigns(uow: UnitOfWork, actor: Actor) -> list[CampaignRef]:
    """The plans an actor may open a dashboard for: a supervisor's, those of their levels; a
    head's, those their agency signs (service.operations.supervision, `supervises`)."""
    require(actor, Right.SEE_DASHBOARD)
    overseen = actor.overseen if may(actor, Right.OVERSEE) else frozenset()
    heads = headed(actor)
    with uow:
        levels = set(overseen) | set(
            uow.session.scalars(select(Agency.jurisdiction_id).where(Agency.id.in_(heads)))
        )
        rows = uow.session.execute(
            select(
                ProcessInstance.id,
                ProcessInstance.title,
                ProcessInstance.started_at,
                ProcessInstance.jurisdiction_id,
                ProcessInstance.bindings,
            )
            .where(ProcessInstance.jurisdiction_id.in_(levels))
            .order_by(ProcessInstance.started_at.desc())
        ).all()
    return [
        CampaignRef(i, t, s)
        for i, t, s, level, bindings in rows
        if level in overseen or bindings.get(HEAD_ROLE) in heads
    ]


def campaign(uow: UnitOfWork, actor: Actor, campaign_id: int) -> Campaign:
    """The campaign, if the actor supervises it or a plan above it.

    :raise Invalid: no such campaign. :raise Forbidden: a campaign the actor does not supervise.
    """
    require(actor, Right.SEE_DASHBOARD)
    instance = uow.session.get(ProcessInstance, campaign_id)
    if instance is None:
        raise Invalid({"campaign": [Message("no_such_campaign", "No such campaign.")]})
    if not supervises(uow, actor, instance):
        raise Forbidden("not_your_campaign", "This campaign is outside your jurisdiction.")
    return _found(instance)


def _year(document: Body, started_at: datetime) -> int:
    year = document.get("year")
    return year if isinstance(year, int) else local_day(started_at).year


def _tasks(campaign: int | list[int], *columns: Any) -> Select[Any]:
    tree = subtree_ids(*(campaign if isinstance(campaign, list) else [campaign]))
    return select(*columns).join(tree, tree.c.id == Task.instance_id)


def percentile(counts: Counter[int], share: float) -> int | None:
    """Nearest-rank percentile of values given with how often each occurs: the smallest value
    that at least `share` of them reach."""
    total = counts.total()
    if not total:
        return None
    rank, seen = max(math.ceil(share * total), 1), 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the total")


# ── which step holds the chain, which agency is slow ─────────────────────────────────────


def steps(uow: UnitOfWork, actor: Actor, campaign_id: int) -> list[Figures]:
    """Per step: open tasks, how long they have waited, how many are overdue, round trips."""
    with uow:
        campaign(uow, actor, campaign_id)
        return _figures(uow, campaign_id, Task.step, Task.name)


def agencies(
    uow: UnitOfWork, actor: Actor, campaign_id: int, sort: str = "wait_p90"
) -> AgencyFigures:
    """The same figures per agency, sorted, and the ten open tasks that have waited longest."""
    if sort not in AGENCY_SORTS:
        raise Invalid({"sort": [_one_of(AGENCY_SORTS)]})
    with uow:
        campaign(uow, actor, campaign_id)
        rows = _figures(uow, campaign_id, Task.agency_id, Agency.name)
        longest = uow.session.execute(
            _tasks(
                campaign_id,
                Task.id,
                Task.step,
                Task.name,
                Agency.name,
                ProcessInstance.id,
                ProcessInstance.title,
                Task.created_at,
                Task.due_at,
                Task.deadline_state,
            )
            .join(Agency, Agency.id == Task.agency_id)
            .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
            .where(Task.state == TaskState.OPEN)
            .order_by(Task.created_at, Task.id)
            .limit(10)
        ).all()
    today = local_day(uow.now())
    if sort == "agency":
        rows.sort(key=lambda r: r.name)
    else:
        rows.sort(key=lambda r: (-(getattr(r, sort) or 0), r.name))
    return AgencyFigures(
        agencies=rows,
        longest_waiting=[
            WaitingTask(
                task_id=task_id,
                step_id=step_id,
                step=step,
                agency=agency,
                process_id=process_id,
                title=title,
                created_at=created,
                waited=working_days_between(local_day(created), today),
                due_at=due,
                last_day=last_day_of(due),
                deadline_state=state,
            )
            for task_id, step_id, step, agency, process_id, title, created, due, state in longest
        ],
    )


def _figures(uow: UnitOfWork, campaign_id: int, key: Any, label: Any) -> list[Figures]:
    """Counts per `key` in SQL; waits from the open tasks' start times (the open ones only,
    so at most a few per unit), in working days up to today."""
    counts = uow.session.execute(
        _tasks(
            campaign_id,
            key,
            label,
            func.count().filter(Task.state == TaskState.OPEN),
            func.count().filter(
                and_(Task.state == TaskState.OPEN, Task.deadline_state == DeadlineState.OVERDUE)
            ),
            func.count().filter(Task.decision == "return"),
            func.count().filter(Task.state == TaskState.COMPLETED),
        )
        .join(Agency, Agency.id == Task.agency_id)
        .group_by(key, label)
    ).all()
    waits: dict[Any, Counter[int]] = defaultdict(Counter)
    today = local_day(uow.now())
    for value, created, count in uow.session.execute(
        _tasks(campaign_id, key, vietnam_day(Task.created_at), func.count())
        .where(Task.state == TaskState.OPEN)
        .group_by(key, vietnam_day(Task.created_at))
    ):
        waits[value][working_days_between(created, today)] += count
    return [
        Figures(
            key=value,
            name=name,
            open=open_,
            overdue=overdue,
            returns=returns,
            done=done,
            wait_p50=percentile(waits[value], 0.5),
            wait_p90=percentile(waits[value], 0.9),
        )
        for value, name, open_, overdue, returns, done in counts
    ]


# ── who has not reported ─────────────────────────────────────────────────────────────────


def units(uow: UnitOfWork, actor: Actor, campaign_id: int, only: str = "all") -> list[UnitProgress]:
    """The campaign's units as a tree, parents first, each with its progress and the counts of
    the units below it; `only="late"` or `"missing"` keeps those and the branches above them.

    A unit is late when a step of its plan or its report was done (or is still open) after its
    due time; it is missing when the report's deadline has passed without one.
    """
    if only not in UNIT_FILTERS:
        raise Invalid({"only": [_one_of(UNIT_FILTERS)]})
    with uow:
        round_ = campaign(uow, actor, campaign_id).round
        instances = subtree(uow, campaign_id)
        flags = uow.session.execute(
            _tasks(
                campaign_id,
                Task.instance_id,
                func.count().filter(and_(Task.form.in_(PLAN_KINDS), Task.decision == "submit")),
                func.count().filter(
                    and_(Task.report_round.is_(None), Task.deadline_state.in_(LATE))
                ),
                func.count().filter(
                    and_(
                        Task.report_round == round_,
                        Task.deadline_state.in_(LATE),
                    )
                ),
                func.count().filter(
                    and_(Task.state == TaskState.OPEN, Task.deadline_state == DeadlineState.OVERDUE)
                ),
            ).group_by(Task.instance_id)
        ).all()
        now = uow.now()
    by_instance = {i: tuple(counts) for i, *counts in flags}
    nodes: dict[int, _Node] = {}
    for unit in instances:
        submitted, plan_late, report_late, overdue = by_instance.get(unit.instance_id, (0,) * 4)
        due = unit.deadlines.get(round_)
        reported = round_ in unit.reports
        parent = unit.parent_id if unit.parent_id in nodes else None
        nodes[unit.instance_id] = _Node(
            process_id=unit.instance_id,
            parent_id=parent,
            depth=0 if parent is None else nodes[parent].depth + 1,
            unit=unit.unit,
            status=unit.status,
            plan_submitted=submitted > 0,
            plan_approved=unit.issued_at is not None,
            reported=reported,
            report_due=due,
            report_last_day=None if due is None else last_day(due_before(date.fromisoformat(due))),
            late=bool(plan_late or report_late),
            overdue_open=overdue,
            missing=not reported and due is not None and due_before(date.fromisoformat(due)) <= now,
        )
    for node in reversed(list(nodes.values())):  # children come after parents: roll up
        above = nodes.get(node.parent_id or 0)
        if above is None:
            continue
        above.below["units"] += 1 + node.below["units"]
        for flag in _FLAGS:
            above.below[flag] += getattr(node, flag) + node.below[flag]
    if only != "all":
        keep = {i for i, n in nodes.items() if getattr(n, only)}
        for id_ in list(keep):
            parent_id = nodes[id_].parent_id
            while parent_id is not None and parent_id not in keep:
                keep.add(parent_id)
                parent_id = nodes[parent_id].parent_id
        nodes = {i: n for i, n in nodes.items() if i in keep}
    return [node.progress() for node in _depth_first(nodes)]


_FLAGS = ("plan_submitted", "plan_approved", "reported", "late", "missing")


@dataclass(slots=True)
class _Node:
    """A unit while the tree is rolled up and filtered: UnitProgress with a running count of
    the units below it."""

    process_id: int
    parent_id: int | None
    depth: int
    unit: str
    status: ProcessStatus
    plan_submitted: bool
    plan_approved: bool
    reported: bool
    report_due: str | None
    report_last_day: date | None
    late: bool
    overdue_open: int
    missing: bool
    below: Counter[str] = field(default_factory=Counter)

    def progress(self) -> UnitProgress:
        below = Below(self.below["units"], *(self.below[flag] for flag in _FLAGS))
        return UnitProgress(
            process_id=self.process_id,
            parent_id=self.parent_id,
            depth=self.depth,
            unit=self.unit,
            status=self.status,
            plan_submitted=self.plan_submitted,
            plan_approved=self.plan_approved,
            reported=self.reported,
            report_due=self.report_due,
            report_last_day=self.report_last_day,
            late=self.late,
            overdue_open=self.overdue_open,
            missing=self.missing,
            below=below,
        )


def _depth_first(nodes: dict[int, _Node]) -> list[_Node]:
    children: dict[int | None, list[_Node]] = defaultdict(list)
    for node in nodes.values():
        children[node.parent_id].append(node)
    ordered: list[_Node] = []
    stack = list(reversed(children[None]))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children[node.process_id]))
    return ordered


# ── how the days went ────────────────────────────────────────────────────────────────────


def trend(
    uow: UnitOfWork,
    actor: Actor,
    campaign_id: int,
    start: date | None = None,
    end: date | None = None,
) -> list[TrendDay]:
    """Per day (Vietnam time): tasks opened, tasks closed, and tasks overdue at the day's end."""
    if start is not None and end is not None and end < start:
        raise Invalid({"to": [Message("to_before_from", "Must not be before “from”.")]})
    with uow:
        found = campaign(uow, actor, campaign_id)
        late = and_(
            Task.due_at.is_not(None),
            or_(Task.completed_at.is_(None), Task.completed_at > Task.due_at),
        )
        # a task may open already overdue: it counts from the later of the two
        overdue_from = case(
            (late, case((Task.due_at > Task.created_at, Task.due_at), else_=Task.created_at))
        )
        groups = [
            vietnam_day(Task.created_at),
            vietnam_day(Task.completed_at),
            vietnam_day(overdue_from),
        ]
        rows = uow.session.execute(_tasks(campaign_id, *groups, func.count()).group_by(*groups))
        today = local_day(uow.now())
        opened: Counter[date] = Counter()
        closed: Counter[date] = Counter()
        overdue: Counter[date] = Counter()  # +1 the day a task falls overdue, -1 when it closes
        for created, completed, late_from, count in rows:
            opened[created] += count
            if completed is not None:
                closed[completed] += count
            if late_from is not None:
                overdue[late_from] += count
                if completed is not None:
                    overdue[completed] -= count
    start = start or local_day(found.started_at)
    end = end or today
    if end < start:
        raise Invalid({"to": [Message("to_before_from", "Must not be before “from”.")]})
    if (end - start).days > TREND_MAX_DAYS:
        raise Invalid(
            {
                "to": [
                    Message(
                        "too_long_a_range", "At most %(max)s days after “from”.", max=TREND_MAX_DAYS
                    )
                ]
            }
        )
    days, running = [], sum(n for day, n in overdue.items() if day < start)
    day = start
    while day <= end:
        running += overdue[day]
        days.append(TrendDay(day, opened[day], closed[day], overdue=running))
        day += timedelta(days=1)
    return days


# ── this year against last year ──────────────────────────────────────────────────────────


def compare(uow: UnitOfWork, actor: Actor, campaign_id: int) -> Comparison:
    """This campaign's figures beside the latest earlier cycle (last year's, or the one before
    when a year was skipped) of the same plan at the same level and at the levels that ended
    into it (`forebears`): Bắc Giang's and Bắc Ninh's 2025 cycles, summed, stand beside the
    merged Bắc Ninh's 2026 one; `cycles` names each. The actor sees them as the successor's
    past, whoever supervised them then."""
    with uow:
        this = campaign(uow, actor, campaign_id)
        instance = uow.session.get_one(ProcessInstance, campaign_id)
        earlier = uow.session.execute(
            select(
                ProcessInstance.id,
                ProcessInstance.jurisdiction_id,
                ProcessInstance.document,
                ProcessInstance.started_at,
            )
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(
                ProcessInstance.jurisdiction_id.in_(forebears(uow, instance.jurisdiction_id)),
                ProcessDefinition.process_id == instance.definition.process_id,
                ProcessInstance.id != campaign_id,
            )
            .order_by(ProcessInstance.id)
        ).all()
        years = [(i, level, _year(doc, started)) for i, level, doc, started in earlier]
        year = max((y for _, _, y in years if y < this.year), default=None)
        by_level: dict[int, int] = {}  # one cycle per level: its first of that year
        for i, level, y in years:
            if y == year:
                by_level.setdefault(level, i)
        own = by_level.pop(instance.jurisdiction_id, None)  # the same level's names the figures
        ids = ([] if own is None else [own]) + list(by_level.values())
        cycles = [_found(uow.session.get_one(ProcessInstance, i)) for i in ids]
        figures = _summary(uow, [this])
        before = _summary(uow, cycles) if cycles else None
    return Comparison(figures, before)


def _found(instance: ProcessInstance) -> Campaign:
    """A cycle compared with a campaign: read as the campaign's past, with no check of its own."""
    rounds = engine_definition(instance.definition).report_rounds
    return Campaign(
        id=instance.id,
        title=instance.title,
        unit=instance.jurisdiction.name,
        year=_year(instance.document, instance.started_at),
        started_at=instance.started_at,
        round=rounds[0] if rounds else "",
    )


def _summary(uow: UnitOfWork, cycles: list[Campaign]) -> Cycle:
    """The figures that say whether a cycle went faster, over one or more cycles taken
    together (the first names them): per step, the median working days a task took to
    complete; units, reports, lateness and round trips."""
    found, ids = cycles[0], [c.id for c in cycles]
    took: dict[str, Counter[int]] = defaultdict(Counter)
    names: dict[str, str] = {}
    days = (vietnam_day(Task.created_at), vietnam_day(Task.completed_at))
    done = uow.session.execute(
        _tasks(ids, Task.step, Task.name, *days, func.count())
        .where(Task.state == TaskState.COMPLETED)
        .group_by(Task.step, Task.name, *days)
    )
    for step, name, created, completed, count in done:
        names[step] = name
        took[step][working_days_between(created, completed)] += count
    tree = subtree_ids(*ids)
    units, approved = uow.session.execute(
        select(
            func.count(),
            func.count().filter(ProcessInstance.issued_at.is_not(None)),
        )
        .select_from(ProcessInstance)
        .join(tree, tree.c.id == ProcessInstance.id)
    ).one()
    totals = uow.session.execute(
        _tasks(
            ids,
            func.count().filter(Task.decision == "return"),
            func.count().filter(Task.deadline_state == DeadlineState.DONE_LATE),
            func.count().filter(Task.deadline_state == DeadlineState.OVERDUE),
            func.count().filter(
                and_(Task.report_round == found.round, Task.state == TaskState.COMPLETED)
            ),
            func.sum(case((Task.report_round == found.round, 1), else_=0)),
        )
    ).one()
    returns, done_late, overdue, reports, report_tasks = totals
    return Cycle(
        id=found.id,
        title=found.title,
        year=found.year,
        units=units,
        plans_approved=approved,
        reports=reports,
        report_tasks=report_tasks or 0,
        returns=returns,
        done_late=done_late,
        overdue=overdue,
        cycles=[CycleName(c.id, c.title, c.unit) for c in cycles],
        steps=[
            # done: tasks, not distinct durations
            StepTook(step, names[step], took_p50=percentile(days, 0.5), done=days.total())
            for step, days in sorted(took.items())
        ],
    )


def _one_of(choices: Any) -> Message:
    return Message("not_a_choice", "Choose one of the options.", choices=list(choices))
