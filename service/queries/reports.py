"""The cascade as its parent sees it: units, who has not reported, the figures rolled up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Integer, Row, bindparam, select
from sqlalchemy.orm import aliased

from service.consolidation import sum_reports, summary
from service.db.models import Agency, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import Invalid, Message
from service.operations.actors import Actor
from service.operations.cascade import HANDED_OVER, unit_reports
from service.operations.definitions import engine_definition
from service.operations.reading import visible_instance
from service.queries.processes import Body, last_day_of
from service.states import DeadlineState, ProcessStatus, TaskState


@dataclass(frozen=True)
class Unit:
    instance_id: int
    parent_id: int | None
    unit: str
    status: ProcessStatus
    issued_at: datetime | None
    deadlines: dict[str, str]  # from the parent, by round
    reports: dict[str, Body]  # by round


def subtree_ids(*root_ids: int) -> Any:
    """The ids of the instances and of every instance they cascaded to, at any depth: a
    recursive CTE, to join with."""
    tree = select(ProcessInstance.id).where(ProcessInstance.id.in_(root_ids)).cte(recursive=True)
    child = aliased(ProcessInstance)
    return tree.union_all(select(child.id).where(child.parent_id == tree.c.id))


def subtree(uow: UnitOfWork, root_id: int) -> list[Unit]:
    """The instance and every instance it cascaded to, at any depth, parents before their
    units (one recursive query; ids grow down the tree)."""
    tree = subtree_ids(root_id)
    rows = uow.session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.parent_id,
            Agency.name,
            ProcessInstance.status,
            ProcessInstance.issued_at,
            ProcessInstance.deadlines,
            ProcessInstance.reports,
        )
        .join(tree, tree.c.id == ProcessInstance.id)
        .join(Agency, Agency.id == ProcessInstance.jurisdiction_id)
        .order_by(ProcessInstance.id)
    )
    return [Unit(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class OpenStep:
    task_id: int
    step: str
    name: str
    due_at: datetime | None
    last_day: date | None  # the last day to act
    deadline_state: DeadlineState


@dataclass(frozen=True, slots=True)
class Child:
    """A unit the plan was issued to, and where it stands."""

    process_id: int
    unit: str
    status: ProcessStatus
    reported: list[str]  # the rounds it reported
    open_steps: list[OpenStep]


@dataclass(frozen=True, slots=True)
class MissingUnit:
    process_id: int
    unit: str
    under: str | None  # the unit whose plan addressed it


# A plan's units with their open steps, in one statement: a unit's row repeats for each open
# step it has, and comes once, its step columns None, when it has none.
_UNITS_AND_OPEN_STEPS = (
    select(
        ProcessInstance.id,
        Agency.name.label("unit"),
        ProcessInstance.status,
        ProcessInstance.reports,
        Task.id.label("task_id"),
        Task.step,
        Task.name.label("step_name"),
        Task.due_at,
        Task.deadline_state,
    )
    .join(Agency, Agency.id == ProcessInstance.jurisdiction_id)
    .outerjoin(Task, (Task.instance_id == ProcessInstance.id) & (Task.state == TaskState.OPEN))
    .where(ProcessInstance.parent_id == bindparam("process_id", type_=Integer))
    .order_by(ProcessInstance.id, Task.id)
)


def children(uow: UnitOfWork, actor: Actor, process_id: int) -> list[Child]:
    """The units a plan was issued to, with where each one stands."""
    with uow:
        visible_instance(uow, actor, process_id)
        rows = uow.session.execute(_UNITS_AND_OPEN_STEPS, {"process_id": process_id}).all()
    return [_child(list(unit_rows)) for _, unit_rows in groupby(rows, key=lambda row: row.id)]


def _child(rows: list[Row[Any]]) -> Child:
    """A unit from its rows in `_UNITS_AND_OPEN_STEPS`: one per open step, or one alone."""
    unit = rows[0]
    return Child(
        process_id=unit.id,
        unit=unit.unit,
        status=unit.status,
        reported=list(unit.reports),
        open_steps=[
            OpenStep(
                task_id=row.task_id,
                step=row.step,
                name=row.step_name,
                due_at=row.due_at,
                last_day=last_day_of(row.due_at),
                deadline_state=row.deadline_state,
            )
            for row in rows
            if row.task_id is not None
        ],
    )


def missing(
    uow: UnitOfWork, actor: Actor, process_id: int, round_: str | None = None
) -> list[MissingUnit]:
    """Every unit below this plan, at any depth, that has not reported in the round."""
    with uow:
        round_ = _round(visible_instance(uow, actor, process_id), round_)
        return _missing(subtree(uow, process_id), process_id, round_)


def _round(instance: ProcessInstance, round_: str | None) -> str:
    """The round asked for, or the plan's first. :raise Invalid: a round it does not have."""
    rounds = engine_definition(instance.definition).report_rounds
    if round_ is None and rounds:
        return rounds[0]
    if round_ not in rounds:
        raise Invalid(
            {"round": [Message("not_a_choice", "Choose one of the options.", choices=list(rounds))]}
        )
    return round_


def _missing(units: list[Unit], root_id: int, round_: str) -> list[MissingUnit]:
    names = {u.instance_id: u.unit for u in units}
    return [
        MissingUnit(u.instance_id, u.unit, names.get(u.parent_id or 0))
        for u in units
        # a unit that handed over to a successor is not missing: its successor is
        if u.instance_id != root_id and round_ not in u.reports and u.status != HANDED_OVER
    ]


def consolidated(
    uow: UnitOfWork, actor: Actor, process_id: int, round_: str | None = None
) -> dict[str, Any]:
    """This level's figures for the round, with each direct unit's, who is missing (at any
    depth) and the plan's targets missed.

    Once the level has reported, its figures are what it signed (its own activities plus its
    units', as it consolidated them); until then, the sum of its direct units' reports. A
    unit's report already holds its own units' figures, so nothing is counted twice.
    """
    with uow:
        instance = visible_instance(uow, actor, process_id)
        round_ = _round(instance, round_)
        units = unit_reports(uow.session, process_id, round_, instance.document)
        tree = subtree(uow, process_id)
        targets = _targets(uow, instance)
        own = instance.reports.get(round_)
    reported = [u.report for u in units if u.report is not None]
    figures = own if own is not None else sum_reports(reported)
    return {
        "process_id": process_id,
        "round": round_,
        "signed": own is not None,
        "units": len(units),
        "reported": len(reported),
        **summary(figures, targets),
        "by_unit": [
            {
                "process_id": u.process_id,
                "unit": u.unit,
                "late": u.late,
                "figures": None if u.report is None else summary(u.report, targets),
            }
            for u in units
        ],
        "missing": _missing(tree, process_id, round_),
    }


def _targets(uow: UnitOfWork, instance: ProcessInstance) -> dict[str, int | None]:
    """The targets of the nearest plan up the tree that sets them."""
    node: ProcessInstance | None = instance
    while node is not None:
        targets = node.document.get("targets")
        if targets:
            return dict(targets)
        node = None if node.parent_id is None else uow.session.get(ProcessInstance, node.parent_id)
    return {}
