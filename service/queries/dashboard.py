"""A campaign as its supervisor sees it: which step holds it, which agency is slow, who has
not reported, how the days went, and how it compares with last year's cycle.

A campaign is a plan and everything that cascaded from it, at any depth. Every figure comes from
task rows and instances, selected through one recursive query over the campaign's instances
and grouped in the database (by day in Vietnam where durations are needed): what reaches
Python is bounded by steps, agencies and days, not by the number of tasks. Durations are whole
working days on the Vietnamese calendar (`workflows.calendar.working_days_between`);
percentiles are nearest-rank, so each is a wait some task really had.

That live computation (`live_*`, `compute_figures`) is the reference; the views themselves read
the rows the scheduler keeps from it (service.operations.dashboard_figures), so a view at
10,000 units reads what it shows, not the campaign's tasks, and compute live only for a
campaign not refreshed yet.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from service.db.functions import vietnam_day
from service.db.models import Agency, ProcessDefinition, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import Forbidden, Invalid, Message
from service.operations.actors import Actor
from service.operations.dashboard_figures import Patch
from service.operations.definitions import engine_definition
from service.operations.supervision import headed, supervises
from service.permissions import HEAD_ROLE, Right, may, require
from service.queries import dashboard_figures as kept
from service.queries import dashboard_parts
from service.queries.dashboard_figures import (  # the views' rows, named here for callers
    AgencyFigures as AgencyFigures,
)
from service.queries.dashboard_figures import Below as Below
from service.queries.dashboard_figures import Comparison as Comparison
from service.queries.dashboard_figures import Counts, CycleName, cycle
from service.queries.dashboard_figures import Cycle as Cycle
from service.queries.dashboard_figures import Figures as Figures
from service.queries.dashboard_figures import TrendDay as TrendDay
from service.queries.dashboard_figures import UnitProgress as UnitProgress
from service.queries.dashboard_figures import WaitingTask as WaitingTask
from service.queries.dashboard_figures import percentile as percentile
from service.queries.dashboard_parts import longest_waiting
from service.queries.directory import forebears
from service.queries.reports import subtree, subtree_ids
from service.states import LATE, DeadlineState, TaskState
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


def _year(document: dict[str, Any], started_at: datetime) -> int:
    year = document.get("year")
    return year if isinstance(year, int) else local_day(started_at).year


def _tasks(campaign: int | list[int], *columns: Any) -> Select[Any]:
    tree = subtree_ids(*(campaign if isinstance(campaign, list) else [campaign]))
    return select(*columns).join(tree, tree.c.id == Task.instance_id)


# ── which step holds the chain, which agency is slow ─────────────────────────────────────


def as_of(uow: UnitOfWork, actor: Actor, campaign_id: int) -> datetime:
    """When the figures the views show were computed: the scheduler's last refresh of the
    campaign, or now for one it has not refreshed yet (its views compute live)."""
    with uow:
        campaign(uow, actor, campaign_id)
        return kept.as_of(uow, campaign_id) or uow.now()


def steps(uow: UnitOfWork, actor: Actor, campaign_id: int) -> list[Figures]:
    """Per step: open tasks, how long they have waited, how many are overdue, round trips."""
    with uow:
        campaign(uow, actor, campaign_id)
        rows = kept.read(uow, campaign_id, "steps")
        if rows is not None:
            return [kept.figures_of(r) for r in rows]
        return live_steps(uow, campaign_id)


def live_steps(uow: UnitOfWork, campaign_id: int) -> list[Figures]:
    """`steps` computed from the task rows, in an open unit of work."""
    return _figures(uow, campaign_id, Task.step, Task.name)


def agencies(
    uow: UnitOfWork,
    actor: Actor,
    campaign_id: int,
    sort: str = "wait_p90",
    limit: int | None = None,
    offset: int = 0,
) -> AgencyFigures:
    """The same figures per agency, sorted (`limit` of them after the first `offset`: a
    page), and the ten open tasks that have waited longest."""
    if sort not in AGENCY_SORTS:
        raise Invalid({"sort": [_one_of(AGENCY_SORTS)]})
    with uow:
        campaign(uow, actor, campaign_id)
        rows = kept.read_agencies(uow, campaign_id, sort, limit, offset)
        if rows is not None:
            return AgencyFigures(
                rows, [kept.waiting_of(r) for r in kept.read(uow, campaign_id, "waiting") or []]
            )
        found = live_agencies(uow, campaign_id, sort)
    end = None if limit is None else offset + limit
    return AgencyFigures(found.agencies[offset:end], found.longest_waiting)


def live_agencies(uow: UnitOfWork, campaign_id: int, sort: str = "wait_p90") -> AgencyFigures:
    """`agencies` computed from the task rows, in an open unit of work."""
    rows = _figures(uow, campaign_id, Task.agency_id, Agency.name)
    longest = longest_waiting(uow, _tasks(campaign_id, Task.id))
    return AgencyFigures(agencies=_sorted(rows, sort), longest_waiting=longest)


def _sorted(rows: list[Figures], sort: str) -> list[Figures]:
    if sort == "agency":
        return sorted(rows, key=lambda r: r.name)
    return sorted(rows, key=lambda r: (-(getattr(r, sort) or 0), r.name))


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
        .order_by(key, label)  # PostgreSQL's hash aggregate has no order of its own
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


def units(
    uow: UnitOfWork,
    actor: Actor,
    campaign_id: int,
    only: str = "all",
    limit: int | None = None,
    offset: int = 0,
) -> list[UnitProgress]:
    """The campaign's units as a tree, parents first (`limit` of them after the first
    `offset`: a page), each with its progress and the counts of the units below it;
    `only="late"` or `"missing"` keeps those and the branches above them.

    A unit is late when a step of its plan or its report was done (or is still open) after its
    due time; it is missing when the report's deadline has passed without one.
    """
    if only not in UNIT_FILTERS:
        raise Invalid({"only": [_one_of(UNIT_FILTERS)]})
    with uow:
        campaign(uow, actor, campaign_id)
        rows = kept.read(uow, campaign_id, f"units/{only}", limit, offset)
        if rows is not None:
            return [kept.unit_of(r) for r in rows]
        end = None if limit is None else offset + limit
        return _kept_units(_unit_nodes(uow, campaign_id), only)[offset:end]


def live_units(uow: UnitOfWork, campaign_id: int, only: str = "all") -> list[UnitProgress]:
    """`units` computed from the task rows, in an open unit of work."""
    return _kept_units(_unit_nodes(uow, campaign_id), only)


def _unit_nodes(uow: UnitOfWork, campaign_id: int) -> dict[int, dict[str, Any]]:
    """Every unit's progress and the counts below it, parents first, as dicts."""
    round_ = _found(uow.session.get_one(ProcessInstance, campaign_id)).round
    instances = subtree(uow, campaign_id)
    flags = uow.session.execute(
        _tasks(
            campaign_id,
            Task.instance_id,
            func.count().filter(and_(Task.form.in_(PLAN_KINDS), Task.decision == "submit")),
            func.count().filter(and_(Task.report_round.is_(None), Task.deadline_state.in_(LATE))),
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
    nodes: dict[int, dict[str, Any]] = {}  # built, rolled up and filtered as dicts; typed last
    for unit in instances:
        submitted, plan_late, report_late, overdue = by_instance.get(unit.instance_id, (0,) * 4)
        due = unit.deadlines.get(round_)
        reported = round_ in unit.reports
        parent = unit.parent_id
        nodes[unit.instance_id] = {
            "process_id": unit.instance_id,
            "parent_id": parent if parent in nodes else None,
            "unit": unit.unit,
            "status": unit.status,
            "plan_submitted": submitted > 0,
            "plan_approved": unit.issued_at is not None,
            "reported": reported,
            "report_due": due,
            "report_last_day": None
            if due is None
            else last_day(due_before(date.fromisoformat(due))),
            "late": bool(plan_late or report_late),
            "overdue_open": overdue,  # its open tasks past due: what a reminder reaches
            "missing": not reported
            and due is not None
            and due_before(date.fromisoformat(due)) <= now,
            "below": Counter[str](),
            "depth": 0 if parent not in nodes else nodes[parent]["depth"] + 1,
        }
    for node in reversed(list(nodes.values())):  # children come after parents: roll up
        above = nodes.get(node["parent_id"] or 0)
        if above is None:
            continue
        above["below"]["units"] += 1 + node["below"]["units"]
        for flag in ("plan_submitted", "plan_approved", "reported", "late", "missing"):
            above["below"][flag] += node[flag] + node["below"][flag]
    return nodes


def _kept_units(nodes: dict[int, dict[str, Any]], only: str) -> list[UnitProgress]:
    """The units `only` keeps, and the branches above them, depth first."""
    if only != "all":
        keep = {i for i, n in nodes.items() if n[only]}
        for id_ in list(keep):
            parent_id = nodes[id_]["parent_id"]
            while parent_id is not None and parent_id not in keep:
                keep.add(parent_id)
                parent_id = nodes[parent_id]["parent_id"]
        nodes = {i: n for i, n in nodes.items() if i in keep}
    flagged = ("units", "plan_submitted", "plan_approved", "reported", "late", "missing")
    return [
        UnitProgress(**node | {"below": Below(**{flag: node["below"][flag] for flag in flagged})})
        for node in _depth_first(nodes)
    ]


def _depth_first(nodes: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    children: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for node in nodes.values():
        children[node["parent_id"]].append(node)
    ordered: list[dict[str, Any]] = []
    stack = list(reversed(children[None]))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children[node["process_id"]]))
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
        days = kept.read_days(uow, campaign_id)
        if days is None:
            counts = live_days(uow, campaign_id)
        else:
            counts = {day: Counter(row) for day, row in days}
        today = local_day(uow.now())
    return _trend(found, counts, start, end, today)


def live_days(uow: UnitOfWork, campaign_id: int) -> dict[date, Counter[str]]:
    """Per day something happened on: tasks opened, closed, and the change in tasks overdue
    (+1 the day a task falls overdue, -1 when it closes), in an open unit of work."""
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
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for created, completed, late_from, count in rows:
        counts[created]["opened"] += count
        if completed is not None:
            counts[completed]["closed"] += count
        if late_from is not None:
            counts[late_from]["overdue"] += count
            if completed is not None:
                counts[completed]["overdue"] -= count
    return dict(counts)


def _trend(
    found: Campaign,
    counts: dict[date, Counter[str]],
    start: date | None,
    end: date | None,
    today: date,
) -> list[TrendDay]:
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
    days, running = [], sum(c["overdue"] for day, c in counts.items() if day < start)
    day, none = start, Counter[str]()
    while day <= end:
        of = counts.get(day, none)
        running += of["overdue"]
        days.append(TrendDay(day, of["opened"], of["closed"], overdue=running))
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
        figures = _cycle(uow, [this])
        before = _cycle(uow, cycles) if cycles else None
    return Comparison(figures, before)


def _cycle(uow: UnitOfWork, cycles: list[Campaign]) -> Cycle:
    """Cycles taken together (the first names them), each counted as kept or live."""
    counts = []
    for c in cycles:
        rows = kept.read(uow, c.id, "summary")
        counts.append(Counts.of(rows[0]) if rows else live_counts(uow, c.id, c.round))
    return cycle(cycles[0], [CycleName(c.id, c.title, c.unit) for c in cycles], counts)


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


def live_counts(uow: UnitOfWork, campaign_id: int, round_: str) -> Counts:
    """The figures that say whether a cycle went faster (service.queries.dashboard_figures.
    cycle sets them side by side): per step, how many working days each task took to
    complete; units, reports in `round_`, lateness and round trips."""
    ids = [campaign_id]
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
    # a report is received once signed: the unit's process then holds it (as the units'
    # view says); its tasks are two or more (drafted, signed, returned between)
    units, approved, reports = uow.session.execute(
        select(
            func.count(),
            func.count().filter(ProcessInstance.issued_at.is_not(None)),
            func.count().filter(ProcessInstance.reports[round_].as_string().is_not(None)),
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
            func.sum(case((Task.report_round == round_, 1), else_=0)),
        )
    ).one()
    returns, done_late, overdue, report_tasks = totals
    return Counts(
        units=units,
        plans_approved=approved,
        reports=reports,
        report_tasks=report_tasks or 0,
        returns=returns,
        done_late=done_late,
        overdue=overdue,
        names=names,
        took=dict(took),
    )


# ── what the scheduler keeps ─────────────────────────────────────────────────────────────


def compute_figures(uow: UnitOfWork, campaign_id: int, changed: set[int] | None) -> Patch:
    """What service.operations.dashboard_figures keeps of a campaign and the views then read:
    every view's rows (`changed` None), or the difference the changed instances make
    (service.queries.dashboard_parts), in an open unit of work."""
    return dashboard_parts.compute(uow, campaign_id, changed)


def _one_of(choices: Any) -> Message:
    return Message("not_a_choice", "Choose one of the options.", choices=list(choices))
