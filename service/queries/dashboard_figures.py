"""The dashboard's figures as the views hand them out, and as the scheduler keeps them.

A view reads its campaign's rows from `dashboard_figure` (service.db.models.dashboard) when the
scheduler has refreshed the campaign, else the live queries compute them (service.queries.
dashboard); the rows are the live results themselves, as JSON, so both read the same.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from service.db.models import DashboardAgency, DashboardFigure, DashboardRefresh
from service.db.uow import UnitOfWork
from service.states import DeadlineState, ProcessStatus


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


@dataclass(frozen=True, slots=True)
class Counts:
    """A cycle's figures before they are set beside another's: several cycles add up (units,
    reports, lateness, returns; per step, how many tasks took how many working days)."""

    units: int
    plans_approved: int
    reports: int
    report_tasks: int
    returns: int
    done_late: int
    overdue: int
    names: dict[str, str]  # step → its name in the diagram
    took: dict[str, Counter[int]]  # step → working days → tasks

    def row(self) -> dict[str, Any]:
        took = {step: {str(d): n for d, n in days.items()} for step, days in self.took.items()}
        return {**asdict(self), "took": took}

    @staticmethod
    def of(row: dict[str, Any]) -> Counts:
        took = {s: Counter({int(d): n for d, n in days.items()}) for s, days in row["took"].items()}
        return Counts(**{**row, "took": took})


def cycle(first: Any, names: list[CycleName], counts: list[Counts]) -> Cycle:
    """The cycles' counts taken together, named by the first (a service.queries.dashboard
    Campaign)."""
    took: dict[str, Counter[int]] = {}
    steps: dict[str, str] = {}
    for c in counts:
        steps |= c.names
        for step, days in c.took.items():
            took.setdefault(step, Counter()).update(days)
    return Cycle(
        id=first.id,
        title=first.title,
        year=first.year,
        **{
            field: sum(getattr(c, field) for c in counts)
            for field in ("units", "plans_approved", "reports", "report_tasks", "returns")
            + ("done_late", "overdue")
        },
        cycles=names,
        steps=[
            # done: tasks, not distinct durations
            StepTook(step, steps[step], took_p50=percentile(days, 0.5), done=days.total())
            for step, days in sorted(took.items())
        ],
    )


# ── the rows kept ────────────────────────────────────────────────────────────────────────


def row(figures: Any) -> dict[str, Any]:
    """A view's row (one of the dataclasses above) as JSON."""
    return {k: _plain(v) for k, v in asdict(figures).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def figures_of(kept: dict[str, Any]) -> Figures:
    return Figures(**kept)


def waiting_of(kept: dict[str, Any]) -> WaitingTask:
    return WaitingTask(
        **kept
        | {
            "created_at": datetime.fromisoformat(kept["created_at"]),
            "due_at": _datetime(kept["due_at"]),
            "last_day": _date(kept["last_day"]),
            "deadline_state": DeadlineState(kept["deadline_state"]),
        }
    )


def unit_of(kept: dict[str, Any]) -> UnitProgress:
    return UnitProgress(
        **kept
        | {
            "status": ProcessStatus(kept["status"]),
            "report_last_day": _date(kept["report_last_day"]),
            "below": Below(**kept["below"]),
        }
    )


def read(
    uow: UnitOfWork, campaign_id: int, view: str, limit: int | None = None, offset: int = 0
) -> list[dict[str, Any]] | None:
    """A view's kept rows in order (a page of them with `limit`), or None if the campaign has
    not been refreshed yet."""
    rows = list(
        uow.session.scalars(
            select(DashboardFigure.row)
            .where(DashboardFigure.campaign_id == campaign_id, DashboardFigure.view == view)
            .order_by(DashboardFigure.position)
            .offset(offset)
            .limit(limit)
        )
    )
    if rows or as_of(uow, campaign_id) is not None:
        return rows
    return None


def read_days(
    uow: UnitOfWork, campaign_id: int, days: list[int] | None = None
) -> list[tuple[date, dict[str, int]]] | None:
    """The trend's kept days (only those something happened on; only `days`, ordinals, if
    given), or None as `read`."""
    query = select(DashboardFigure.position, DashboardFigure.row).where(
        DashboardFigure.campaign_id == campaign_id, DashboardFigure.view == "days"
    )
    if days is not None:
        query = query.where(DashboardFigure.position.in_(days))
    rows = uow.session.execute(query.order_by(DashboardFigure.position)).all()
    if rows or as_of(uow, campaign_id) is not None:
        return [(date.fromordinal(day), counts) for day, counts in rows]
    return None


def read_agencies(
    uow: UnitOfWork, campaign_id: int, sort: str, limit: int | None = None, offset: int = 0
) -> list[Figures] | None:
    """The kept agencies in the view's order (a page of them with `limit`: an index range),
    or None as `read`."""
    order = [DashboardAgency.name_key, DashboardAgency.agency_id]
    if sort != "agency":
        order.insert(0, getattr(DashboardAgency, f"{sort}_key"))
    rows = uow.session.scalars(
        select(DashboardAgency)
        .where(DashboardAgency.campaign_id == campaign_id)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    if not rows and as_of(uow, campaign_id) is None:
        return None
    return [
        Figures(
            key=r.agency_id,
            name=r.name,
            open=r.open,
            overdue=r.overdue,
            returns=r.returns,
            done=r.done,
            wait_p50=r.wait_p50,
            wait_p90=r.wait_p90,
        )
        for r in rows
    ]


def as_of(uow: UnitOfWork, campaign_id: int) -> datetime | None:
    """When the campaign's kept figures were computed; None: never (its views are live)."""
    return uow.session.scalar(
        select(DashboardRefresh.as_of).where(DashboardRefresh.campaign_id == campaign_id)
    )
