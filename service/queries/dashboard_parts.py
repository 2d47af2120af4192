"""The dashboard's figures counted per instance and rolled up, so that the scheduler recounts
only what changed (service.operations.dashboard_figures keeps them).

An instance's part is what its own tasks add to each view: per step and per agency the open,
overdue, returned, done and all tasks, and how many open tasks were created on which day (the
waits' source: a wait is counted in working days up to today when rolled up); per day the tasks
opened, closed and fallen overdue; per step how many tasks took how many working days; its unit's
flags. Every figure is a sum over parts, so a refresh subtracts a changed instance's old part,
adds its new one, and rewrites the rows that moved: the steps, the days and the summary (bounded
by steps and days), the agencies concerned, and the unit with the branch above it. A whole
recount is the same roll-up over every part, from nothing. The live queries
(service.queries.dashboard, `live_*`) stay the reference the tests hold both to.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from service.db.functions import vietnam_day
from service.db.models import (
    Agency,
    DashboardAgency,
    DashboardFigure,
    DashboardPart,
    ProcessInstance,
    Task,
)
from service.db.models.dashboard import AGENCY_ORDERS
from service.db.uow import UnitOfWork
from service.operations.dashboard_figures import Patch
from service.operations.definitions import engine_definition
from service.queries import dashboard_figures as kept
from service.queries.dashboard_figures import Counts, WaitingTask, percentile
from service.queries.processes import last_day_of
from service.queries.reports import subtree_ids
from service.states import LATE, DeadlineState, ProcessStatus, TaskState
from service.steps import PLAN_KINDS
from workflows.calendar import due_before, last_day, local_day, working_days_between

FLAGS = ("plan_submitted", "plan_approved", "reported", "late", "missing")
UNIT_VIEWS = ("all", "late", "missing")
SUMS = ("units", "plans_approved", "reports", "report_tasks", "returns", "done_late", "overdue")


def report_round(instance: ProcessInstance) -> str:
    """The report round a campaign's units' progress is measured by (its first)."""
    rounds = engine_definition(instance.definition).report_rounds
    return rounds[0] if rounds else ""


def scoped(campaign_id: int, ids: list[int] | None, *columns: Any) -> Select[Any]:
    """Task columns of the campaign's whole tree (`ids` None), or of those instances."""
    if ids is None:
        tree = subtree_ids(campaign_id)
        return select(*columns).join(tree, tree.c.id == Task.instance_id)
    return select(*columns).where(Task.instance_id.in_(ids))


def longest_waiting(uow: UnitOfWork, tasks: Select[Any]) -> list[WaitingTask]:
    """The ten open tasks (of `tasks`, a `scoped` select of Task.id) that have waited longest."""
    rows = uow.session.execute(
        tasks.add_columns(
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
    return [
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
        for task_id, step_id, step, agency, process_id, title, created, due, state in rows
    ]


# ── each instance's part ─────────────────────────────────────────────────────────────────


def parts(
    uow: UnitOfWork, campaign_id: int, round_: str, ids: list[int] | None
) -> dict[int, dict[str, Any]]:
    """The parts of the campaign's instances (all with `ids` None), each with the version it
    was counted at (read first: a change meanwhile is recounted next time) and its parent."""
    tree = subtree_ids(campaign_id)
    where = (
        ProcessInstance.id.in_(ids)
        if ids is not None
        else ProcessInstance.id.in_(select(tree.c.id))
    )
    now = uow.now()
    out: dict[int, dict[str, Any]] = {}
    for id_, parent, version, unit, status, issued, deadlines, reports in uow.session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.parent_id,
            ProcessInstance.version,
            Agency.name,
            ProcessInstance.status,
            ProcessInstance.issued_at,
            ProcessInstance.deadlines,
            ProcessInstance.reports,
        )
        .join(Agency, Agency.id == ProcessInstance.jurisdiction_id)
        .where(where)
        .order_by(ProcessInstance.id)
    ):
        due = deadlines.get(round_)
        reported = round_ in reports
        out[id_] = {
            "parent_id": None if id_ == campaign_id else parent,
            "version": version,
            "steps": [],
            "step_waits": [],
            "agencies": [],
            "agency_waits": [],
            "days": [],
            "took": [],
            # a report is received once signed, which puts it in the process (its tasks are
            # two or more: drafted, signed, returned between)
            "sums": {
                "units": 1,
                "plans_approved": int(issued is not None),
                "reports": int(reported),
            },
            "unit": {
                "unit": unit,
                "status": ProcessStatus(status).value,
                "plan_approved": issued is not None,
                "reported": reported,
                "report_due": due,
                "report_last_day": None
                if due is None
                else last_day(due_before(date.fromisoformat(due))).isoformat(),
                "missing": not reported
                and due is not None
                and due_before(date.fromisoformat(due)) <= now,
            },
        }
    _count_tasks(uow, campaign_id, round_, ids, out)
    return out


def _count_tasks(
    uow: UnitOfWork,
    campaign_id: int,
    round_: str,
    ids: list[int] | None,
    out: dict[int, dict[str, Any]],
) -> None:
    is_open = Task.state == TaskState.OPEN
    overdue_open = and_(is_open, Task.deadline_state == DeadlineState.OVERDUE)
    counts = (
        func.count().filter(is_open),
        func.count().filter(overdue_open),
        func.count().filter(Task.decision == "return"),
        func.count().filter(Task.state == TaskState.COMPLETED),
        func.count(),
    )
    session, created = uow.session, vietnam_day(Task.created_at)
    for key, what in ((Task.step, "steps"), (Task.agency_id, "agencies")):
        label = (Task.name,) if what == "steps" else ()
        group = (Task.instance_id, key, *label)
        for i, *row in session.execute(scoped(campaign_id, ids, *group, *counts).group_by(*group)):
            out[i][what].append(row)
        group = (Task.instance_id, key, created)
        waits = scoped(campaign_id, ids, *group, func.count()).where(is_open).group_by(*group)
        for i, value, day, n in session.execute(waits):
            out[i]["step_waits" if what == "steps" else "agency_waits"].append(
                [value, day.toordinal(), n]
            )
    late = and_(
        Task.due_at.is_not(None),
        or_(Task.completed_at.is_(None), Task.completed_at > Task.due_at),
    )
    overdue_from = case(
        (late, case((Task.due_at > Task.created_at, Task.due_at), else_=Task.created_at))
    )
    group = (Task.instance_id, created, vietnam_day(Task.completed_at), vietnam_day(overdue_from))
    days: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for i, opened, closed, late_from, n in session.execute(
        scoped(campaign_id, ids, *group, func.count()).group_by(*group)
    ):
        days[i][opened.toordinal()][0] += n
        if closed is not None:
            days[i][closed.toordinal()][1] += n
        if late_from is not None:
            days[i][late_from.toordinal()][2] += n
            if closed is not None:
                days[i][closed.toordinal()][2] -= n
    for i, by_day in days.items():
        out[i]["days"] = [[day, *n] for day, n in sorted(by_day.items())]
    group = (Task.instance_id, Task.step, Task.name, created, vietnam_day(Task.completed_at))
    took: dict[int, Counter[tuple[str, str, int]]] = defaultdict(Counter)
    for i, step, name, start, end, n in session.execute(
        scoped(campaign_id, ids, *group, func.count())
        .where(Task.state == TaskState.COMPLETED)
        .group_by(*group)
    ):
        took[i][step, name, working_days_between(start, end)] += n
    for i, by_step in took.items():
        out[i]["took"] = [[*k, n] for k, n in sorted(by_step.items())]
    flags = scoped(
        campaign_id,
        ids,
        Task.instance_id,
        func.count().filter(and_(Task.form.in_(PLAN_KINDS), Task.decision == "submit")),
        func.count().filter(and_(Task.report_round.is_(None), Task.deadline_state.in_(LATE))),
        func.count().filter(and_(Task.report_round == round_, Task.deadline_state.in_(LATE))),
        func.count().filter(overdue_open),
        func.count().filter(Task.decision == "return"),
        func.count().filter(Task.deadline_state == DeadlineState.DONE_LATE),
        func.count().filter(Task.deadline_state == DeadlineState.OVERDUE),
        func.count().filter(Task.report_round == round_),
    ).group_by(Task.instance_id)
    found = {i: rest for i, *rest in session.execute(flags)}
    for i, part in out.items():
        for what in ("steps", "step_waits", "agencies", "agency_waits"):
            part[what].sort()  # in one order whatever the database's grouping
        submitted, plan_late, report_late, overdue, *sums = found.get(i, (0,) * 8)
        part["unit"] |= {
            "plan_submitted": submitted > 0,
            "late": bool(plan_late or report_late),
            "overdue_open": overdue,
        }
        part["sums"] |= dict(zip(SUMS[3:], (sums[3], *sums[:3]), strict=True))


# ── rolled up ────────────────────────────────────────────────────────────────────────────


class Tally:
    """Sums of parts: what the views' rows are made of."""

    def __init__(self) -> None:
        self.steps: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 5)
        self.step_waits: dict[str, Counter[int]] = defaultdict(Counter)
        self.agencies: dict[int, list[int]] = defaultdict(lambda: [0] * 5)
        self.agency_waits: dict[int, Counter[int]] = defaultdict(Counter)
        self.days: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
        self.took: dict[str, Counter[int]] = defaultdict(Counter)
        self.names: dict[str, str] = {}
        self.sums: Counter[str] = Counter()

    def add(self, part: dict[str, Any], sign: int = 1) -> None:
        for step, name, *n in part["steps"]:
            _add(self.steps[step, name], n, sign)
        for agency, *n in part["agencies"]:
            _add(self.agencies[agency], n, sign)
        for step, day, n in part["step_waits"]:
            self.step_waits[step][day] += sign * n
        for agency, day, n in part["agency_waits"]:
            self.agency_waits[agency][day] += sign * n
        for day, *n in part["days"]:
            _add(self.days[day], n, sign)
        for step, name, days, n in part["took"]:
            self.names[step] = name
            self.took[step][days] += sign * n
        for key, n in part["sums"].items():
            self.sums[key] += sign * n

    # the campaign's small rows: steps (with what they are made of), days, summary

    def load(self, uow: UnitOfWork, campaign_id: int, days: set[int]) -> None:
        """The kept sums of a campaign's steps, summary and these days."""
        (tally,) = kept.read(uow, campaign_id, "tally") or [{"steps": [], "step_waits": []}]
        self.add({"steps": tally["steps"], "step_waits": tally["step_waits"]} | _NONE)
        summary = Counts.of(kept.read(uow, campaign_id, "summary")[0])  # type: ignore[index]
        self.sums.update({k: getattr(summary, k) for k in SUMS})
        self.names |= summary.names
        for step, by in summary.took.items():
            self.took[step].update(by)
        for day, row in kept.read_days(uow, campaign_id, sorted(days)) or []:
            self.days[day.toordinal()] = [row.get(k, 0) for k in ("opened", "closed", "overdue")]

    def small_rows(self, today: date) -> list[tuple[str, int, dict[str, Any]]]:
        steps = sorted(k for k, n in self.steps.items() if n[4])
        waits = {step: _waits(by, today) for step, by in self.step_waits.items()}
        rows = [
            ("steps", i, _figures(step, name, self.steps[step, name], waits.get(step)))
            for i, (step, name) in enumerate(steps)
        ]
        tally = {
            "steps": [[*k, *self.steps[k]] for k in steps],
            "step_waits": sorted(
                [s, d, n] for s, by in self.step_waits.items() for d, n in by.items() if n
            ),
        }
        took = {s: +by for s, by in self.took.items() if +by}
        counts = Counts(
            **{k: self.sums[k] for k in SUMS},
            names={s: self.names[s] for s in took},
            took=took,
        )
        return rows + [("tally", 0, tally), ("summary", 0, counts.row())]

    def day_rows(self) -> tuple[list[tuple[str, int, dict[str, Any]]], list[tuple[str, int]]]:
        rows, dropped = [], []
        for day, (opened, closed, overdue) in sorted(self.days.items()):
            if opened or closed or overdue:
                rows.append(("days", day, {"opened": opened, "closed": closed, "overdue": overdue}))
            else:
                dropped.append(("days", day))
        return rows, dropped

    def agency_rows(
        self, uow: UnitOfWork, campaign_id: int, today: date
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """The agencies' rows (those of the tally), and the agencies left with no task."""
        names = dict(
            uow.session.execute(
                select(Agency.id, Agency.name).where(Agency.id.in_(list(self.agencies)))
            ).all()
        )
        rows, dropped = [], []
        for agency, n in sorted(self.agencies.items()):
            if not n[4]:
                dropped.append(agency)
                continue
            waits = +self.agency_waits[agency]
            figures = _figures(agency, names[agency], n, _waits(waits, today))
            rows.append(
                {k: figures[k] for k in ("name", "open", "overdue", "returns", "done")}
                | {
                    "agency_id": agency,
                    "tasks": n[4],
                    "waits": {str(d): c for d, c in waits.items()},
                }
                | {"wait_p50": figures["wait_p50"], "wait_p90": figures["wait_p90"]}
                | {f"{k}_key": -(figures[k] or 0) for k in AGENCY_ORDERS}
                | {"name_key": names[agency].encode().hex()}
            )
        return rows, dropped

    def load_agencies(self, uow: UnitOfWork, campaign_id: int, ids: set[int]) -> None:
        for row in uow.session.scalars(
            select(DashboardAgency).where(
                DashboardAgency.campaign_id == campaign_id, DashboardAgency.agency_id.in_(ids)
            )
        ):
            n = [row.open, row.overdue, row.returns, row.done, row.tasks]
            self.agencies[row.agency_id] = n
            self.agency_waits[row.agency_id] = Counter({int(d): c for d, c in row.waits.items()})


_NONE: dict[str, Any] = {k: [] for k in ("agencies", "agency_waits", "days", "took")} | {"sums": {}}


def _add(into: list[int], values: list[int], sign: int) -> None:
    for i, v in enumerate(values):
        into[i] += sign * v


def _waits(by_day: Counter[int], today: date) -> Counter[int]:
    waits: Counter[int] = Counter()
    for day, n in by_day.items():
        if n:
            waits[working_days_between(date.fromordinal(day), today)] += n
    return waits


def _figures(key: Any, name: str, n: list[int], waits: Counter[int] | None) -> dict[str, Any]:
    waits = waits or Counter()
    return {
        "key": key,
        "name": name,
        "open": n[0],
        "overdue": n[1],
        "returns": n[2],
        "done": n[3],
        "wait_p50": percentile(waits, 0.5),
        "wait_p90": percentile(waits, 0.9),
    }


# ── the units' tree ──────────────────────────────────────────────────────────────────────


def unit_rows(found: dict[int, dict[str, Any]]) -> list[tuple[str, int, dict[str, Any]]]:
    """Every unit's rows (`found`: every part of the campaign), each at its place in the tree
    depth first, in every `units/…` view that keeps it; the parts get their `position`."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for i, part in sorted(found.items()):
        children[part["parent_id"]].append(i)
    order, stack, depth = [], list(reversed(children[None])), dict[int, int]()
    while stack:
        i = stack.pop()
        order.append(i)
        parent = found[i]["parent_id"]
        depth[i] = 0 if parent is None else depth[parent] + 1
        stack.extend(reversed(children[i]))
    below: dict[int, Counter[str]] = defaultdict(Counter)
    for i in reversed(order):  # children before parents: roll up
        parent = found[i]["parent_id"]
        if parent is not None:
            below[parent]["units"] += 1 + below[i]["units"]
            for flag in FLAGS:
                below[parent][flag] += found[i]["unit"][flag] + below[i][flag]
    rows: list[tuple[str, int, dict[str, Any]]] = []
    for position, i in enumerate(order):
        found[i]["position"] = position
        row = _unit_row(i, found[i], depth[i], below[i])
        rows.extend((f"units/{only}", position, row) for only in _views(row))
    return rows


def _unit_row(i: int, part: dict[str, Any], depth: int, below: Counter[str]) -> dict[str, Any]:
    unit: dict[str, Any] = part["unit"]
    return unit | {
        "process_id": i,
        "parent_id": part["parent_id"],
        "depth": depth,
        "below": {flag: below[flag] for flag in ("units", *FLAGS)},
    }


def _views(row: dict[str, Any]) -> list[str]:
    """The views that keep a unit: all, and a filter when it or a unit below it is so."""
    return [v for v in UNIT_VIEWS if v == "all" or row[v] or row["below"][v]]


def changed_unit_rows(
    uow: UnitOfWork, campaign_id: int, old: dict[int, Any], new: dict[int, dict[str, Any]]
) -> tuple[list[tuple[str, int, dict[str, Any]]], list[tuple[str, int]]]:
    """The rows of the changed units and of the branches above them, and those that go."""
    moved: dict[int, Counter[str]] = defaultdict(Counter)  # instance → change of `below`
    places = {i: (p.parent_id, p.position) for i, p in old.items()}
    for i, before in old.items():
        delta = Counter({f: int(new[i]["unit"][f]) - int(before.part["unit"][f]) for f in FLAGS})
        parent = before.parent_id
        while parent is not None:
            if parent not in places:
                place = uow.session.execute(
                    select(DashboardPart.parent_id, DashboardPart.position).where(
                        DashboardPart.campaign_id == campaign_id,
                        DashboardPart.instance_id == parent,
                    )
                ).one()
                places[parent] = (place.parent_id, place.position)
            moved[parent].update(delta)  # update, not +=: a Counter's + drops what is not above 0
            parent = places[parent][0]
    positions = {places[i][1]: i for i in set(old) | set(moved)}
    current: dict[int, dict[str, Any]] = {
        positions[p]: found
        for p, found in uow.session.execute(
            select(DashboardFigure.position, DashboardFigure.row).where(
                DashboardFigure.campaign_id == campaign_id,
                DashboardFigure.view == "units/all",
                DashboardFigure.position.in_(list(positions)),
            )
        )
    }
    rows: list[tuple[str, int, dict[str, Any]]] = []
    dropped: list[tuple[str, int]] = []
    for position, i in sorted(positions.items()):
        row = dict(current[i])
        if i in new:
            row |= new[i]["unit"]
        row["below"] = {f: row["below"][f] + moved[i][f] for f in row["below"]}
        keep = _views(row)
        rows.extend((f"units/{v}", position, row) for v in keep)
        dropped.extend((f"units/{v}", position) for v in UNIT_VIEWS if v not in keep)
    return rows, dropped


# ── the patch ────────────────────────────────────────────────────────────────────────────


def compute(uow: UnitOfWork, campaign_id: int, changed: set[int] | None) -> Patch:
    """What a refresh writes for the campaign: every row (`changed` None), or the difference
    the `changed` instances make, in an open read-only unit of work."""
    instance = uow.session.get_one(ProcessInstance, campaign_id)
    round_, today = report_round(instance), local_day(uow.now())
    tally = Tally()
    if changed is None:
        found = parts(uow, campaign_id, round_, None)
        for part in found.values():
            tally.add(part)
        units = unit_rows(found)
        days, _ = tally.day_rows()
        agencies, _ = tally.agency_rows(uow, campaign_id, today)
        waiting = longest_waiting(uow, scoped(campaign_id, None, Task.id))
        return Patch(
            whole=True,
            figures=tally.small_rows(today) + days + units + _waiting_rows(waiting),
            parts=[_part_row(i, p) for i, p in found.items()],
            agencies=agencies,
        )
    ids = sorted(changed)
    found = parts(uow, campaign_id, round_, ids)
    old = {
        p.instance_id: p
        for p in uow.session.scalars(
            select(DashboardPart).where(
                DashboardPart.campaign_id == campaign_id, DashboardPart.instance_id.in_(ids)
            )
        )
    }
    touched_days = {
        d for p in [*found.values(), *(o.part for o in old.values())] for d, *_ in p["days"]
    }
    touched_agencies = {
        a for p in [*found.values(), *(o.part for o in old.values())] for a, *_ in p["agencies"]
    }
    tally.load(uow, campaign_id, touched_days)
    tally.load_agencies(uow, campaign_id, touched_agencies)
    for i, before in old.items():
        tally.add(before.part, -1)
        tally.add(found[i])
        found[i]["position"] = before.position
    units, units_dropped = changed_unit_rows(uow, campaign_id, old, found)
    days, days_dropped = tally.day_rows()
    agencies, agencies_dropped = tally.agency_rows(uow, campaign_id, today)
    mine = select(DashboardPart.instance_id).where(DashboardPart.campaign_id == campaign_id)
    waiting = longest_waiting(uow, select(Task.id).where(Task.instance_id.in_(mine)))
    return Patch(
        whole=False,
        figures=tally.small_rows(today) + days + units + _waiting_rows(waiting),
        replaced=("steps", "tally", "summary", "waiting"),
        dropped=days_dropped + units_dropped,
        parts=[_part_row(i, p) for i, p in found.items()],
        agencies=agencies,
        agencies_dropped=agencies_dropped,
    )


def _waiting_rows(waiting: list[WaitingTask]) -> list[tuple[str, int, dict[str, Any]]]:
    return [("waiting", i, kept.row(w)) for i, w in enumerate(waiting)]


def _part_row(i: int, part: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in part.items() if k not in ("parent_id", "version", "position")}
    return {
        "instance_id": i,
        "parent_id": part["parent_id"],
        "version": part["version"],
        "position": part["position"],
        "part": body,
    }
