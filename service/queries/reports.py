"""The cascade as its parent sees it: units, who has not reported, the figures rolled up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from service.db.models import Agency, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import Invalid
from service.forms import AWARD_KINDS
from service.operations.actors import Actor
from service.operations.definitions import engine_definition
from service.queries.processes import due_fields, visible_instance

SAFETY_KINDS = ("residential_areas", "communes", "agencies", "enterprises", "schools")
SAFETY_TARGET = 0.8  # at least 80 % rated “An toàn về ANTT” (seed 004)
MOVEMENT_TARGET = 0.8  # more than 80 % rated “Khá” or better


@dataclass(frozen=True)
class Unit:
    instance_id: int
    parent_id: int | None
    unit: str
    status: str
    issued_at: datetime | None
    deadlines: dict[str, str]  # from the parent, by round
    reports: dict[str, Any]  # by round


def subtree_ids(root_id: int) -> Any:
    """The ids of an instance and of every instance it cascaded to, at any depth: a recursive
    CTE, to join with."""
    tree = select(ProcessInstance.id).where(ProcessInstance.id == root_id).cte(recursive=True)
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


def children(uow: UnitOfWork, actor: Actor, process_id: int) -> list[dict[str, Any]]:
    """The units a plan was issued to, with where each one stands."""
    with uow:
        visible_instance(uow, actor, process_id)
        rows = uow.session.execute(
            select(ProcessInstance, Agency.name)
            .join(Agency, Agency.id == ProcessInstance.jurisdiction_id)
            .where(ProcessInstance.parent_id == process_id)
            .order_by(ProcessInstance.id)
        ).all()
        open_tasks: dict[int, list[Task]] = {}
        for task in uow.session.scalars(
            select(Task).where(Task.instance_id.in_([c.id for c, _ in rows]), Task.state == "open")
        ):
            open_tasks.setdefault(task.instance_id, []).append(task)
        return [
            {
                "process_id": child.id,
                "unit": name,
                "status": child.status,
                "reported": list(child.reports),
                "open_steps": [
                    {
                        "task_id": t.id,
                        "name": t.name,
                        **due_fields(t.due_at),
                        "deadline_state": t.deadline_state,
                    }
                    for t in open_tasks.get(child.id, [])
                ],
            }
            for child, name in rows
        ]


def missing(
    uow: UnitOfWork, actor: Actor, process_id: int, round_: str | None = None
) -> list[dict[str, Any]]:
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
        raise Invalid({"round": [f"Must be one of: {', '.join(rounds)}."]})
    return round_


def _missing(units: list[Unit], root_id: int, round_: str) -> list[dict[str, Any]]:
    names = {u.instance_id: u.unit for u in units}
    return [
        {"process_id": u.instance_id, "unit": u.unit, "under": names.get(u.parent_id or 0)}
        for u in units
        if u.instance_id != root_id and round_ not in u.reports
    ]


def consolidated(
    uow: UnitOfWork, actor: Actor, process_id: int, round_: str | None = None
) -> dict[str, Any]:
    """The reported figures of this plan's whole tree, summed, with shares and missed targets.

    Each unit reports its own figures, so a level's total is its own report plus every unit
    below it; shares are recomputed from the summed counts, never averaged.
    """
    with uow:
        round_ = _round(visible_instance(uow, actor, process_id), round_)
        units = subtree(uow, process_id)
    reports = [u.reports[round_] for u in units if round_ in u.reports]
    totals: dict[str, Any] = {
        key: sum(r[key] for r in reports)
        for key in ("festivals_held", "participants", "budget_spent")
    }
    awards = dict.fromkeys(AWARD_KINDS, 0)
    for report in reports:
        for award in report["awards"]:
            awards[award["kind"]] += award["count"]
    safety = {kind: _share([r["safety"][kind] for r in reports]) for kind in SAFETY_KINDS}
    movement = _share([r["movement"] for r in reports])
    missed = [
        f"safety.{kind}"
        for kind, s in safety.items()
        if s["share"] is not None and s["share"] < SAFETY_TARGET
    ]
    if movement["share"] is not None and movement["share"] <= MOVEMENT_TARGET:
        missed.append("movement")
    return {
        "process_id": process_id,
        "round": round_,
        "units": len(units),
        "reported": len(reports),
        **totals,
        "awards": awards,
        "safety": safety,
        "movement": movement,
        "targets_missed": missed,
        "missing": _missing(units, process_id, round_),
    }


def _share(counts: list[dict[str, int]]) -> dict[str, Any]:
    total = sum(c["total"] for c in counts)
    meeting = sum(c["meeting"] for c in counts)
    return {
        "total": total,
        "meeting": meeting,
        "share": None if total == 0 else round(meeting / total, 4),
    }
