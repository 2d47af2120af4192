"""Thanh Hóa's campaigns, played through the service's own operations so that a new supervisor
sees a meaningful dashboard at once, as the country ran: the year-round movement plan of 2025
(seed 004, service/demo/movement.py) across the reorganisation of 1 July 2025, then two cycles
of the "Ngày hội" plan addressed to the departments and the new communes.

Last year's cycle is finished: every unit reported (two late) and the province consolidated.
This year's is in its last stretch: the province plan was returned twice before the Chairman
signed; some units reported on time, xã Nga Sơn planned late and has not reported, Sở KH&CN
never acted, xã Quan Sơn's plan waits at its Chairman. The cycles' dates are placed around
`today`, so the figures read as they would in a live year.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.consolidation import with_units
from service.db.models import Agency, ProcessInstance, Task, User, UserRole
from service.db.uow import UnitOfWork
from service.operations.actors import Actor, load_actor
from service.operations.cascade import unit_reports
from service.operations.processes import start_process
from service.operations.scheduler import tick
from service.operations.tasks import complete_task
from service.plan_years import plan_text_for
from service.states import TaskState
from service.steps import KINDS, StepKind, Writes, kind_of
from workflows.calendar import VIETNAM, local_day

PLAN = Path(__file__).parent / "plan_thanh_hoa_2026.json"
PROVINCE_POLICE = "thanhhoa.congan"


def _kind(does: Callable[[StepKind], bool]) -> str:
    """The key of the one step kind in the table that does what `does` asks: the scripts name
    the steps they return a plan from or stop at by what those steps do, never by name."""
    (found,) = [kind.key for kind in KINDS.values() if does(kind)]
    return found


BUDGET_REVIEW = _kind(lambda kind: kind.writes is Writes.BUDGET)
AWARD_REVIEW = _kind(lambda kind: kind.needs_verdicts)
PLAN_SIGNING = _kind(lambda kind: kind.signs_plan)


@dataclass
class Script:
    """What one unit does in a cycle, in days from the cycle's start."""

    plan_on: int | None  # the day its plan is drafted; None: never
    returns: dict[str, str] = field(default_factory=dict)  # step kind -> comment, once each
    stop_at: str | None = None  # the plan waits at this step kind, never completed
    report_on: int | None = None  # the day it reports; None: never
    units: dict[str, Script] = field(default_factory=dict)  # by agency code


def _cycles(*, this_year: bool) -> Script:
    """Days from the start: unit plans are due on day 40, reports on day 95. A commune's chain
    has no finance step: its plan goes from its police to its office, then its Chairman."""
    if not this_year:
        return Script(
            0,
            {BUDGET_REVIEW: "Đề nghị làm rõ số suất quà cấp xã."},
            report_on=100,
            units={
                "thanh-hoa-van-phong-ubnd": Script(31, report_on=85),
                "thanh-hoa-so-tai-chinh": Script(33, report_on=88),
                "thanh-hoa-ban-thi-dua-khen-thuong": Script(35, report_on=90),
                "thanh-hoa-so-y-te": Script(30, report_on=80),
                "thanh-hoa-so-khcn": Script(44, report_on=98),
                "thanh-hoa-xa-thuong-xuan": Script(
                    28, {AWARD_REVIEW: "Bổ sung danh sách đề nghị khen thưởng."}, report_on=91
                ),
                "thanh-hoa-xa-nga-son": Script(36, report_on=97),
                "thanh-hoa-xa-quan-son": Script(39, report_on=92),
            },
        )
    return Script(
        0,
        {
            BUDGET_REVIEW: "Đề nghị làm rõ số suất quà cấp xã.",
            AWARD_REVIEW: "Bổ sung thành tích của tập thể được đề nghị khen thưởng.",
        },
        units={
            "thanh-hoa-van-phong-ubnd": Script(27, report_on=85),
            "thanh-hoa-so-tai-chinh": Script(29, report_on=90),
            "thanh-hoa-ban-thi-dua-khen-thuong": Script(31, report_on=93),
            "thanh-hoa-so-y-te": Script(26, report_on=82),
            "thanh-hoa-so-khcn": Script(None),
            "thanh-hoa-xa-thuong-xuan": Script(
                25, {AWARD_REVIEW: "Bổ sung danh sách đề nghị khen thưởng."}, report_on=92
            ),
            "thanh-hoa-xa-nga-son": Script(44),
            "thanh-hoa-xa-quan-son": Script(32, stop_at=PLAN_SIGNING),
        },
    )


def play(
    session_factory: sessionmaker[Session],
    now: datetime,
    progress: Callable[[str], None] = lambda line: None,
    stories: Sequence[Callable[[Player], None]] = (),
) -> None:
    """Play the 2025 movement plan across the reorganisation, then last year's and this year's
    cycles around today (`now`'s day in Vietnam), with the `stories` that queue more work on
    the same timeline, so that every audit chain is written in time order; tell `progress`
    each phase. Nothing is dated after `now`."""
    from service.demo import movement  # it plays on this module's Player

    today = local_day(now)
    player = Player(session_factory, until=now)
    started = monotonic()
    movement.MovementPlan(player, progress).schedule()
    for years_back in (1, 0):
        end = _shift_year(today, -years_back)
        start, script = end - timedelta(days=100), _cycles(this_year=years_back == 0)
        if start <= movement.REORGANISED:
            raise ValueError(f"the demo's cycles start after 1 July 2025, not on {start}")

        def begin(start: date = start, year: int = end.year, script: Script = script) -> None:
            progress(f"demo campaign {year}: starts on {start} ({monotonic() - started:.1f} s)")
            player.begin(start, year, script)

        player.queue(_moment(start, 0), begin)
    for story in stories:
        story(player)
    player.run()
    player.catch_up()
    progress(f"demo timeline: played up to now in {monotonic() - started:.1f} s")


def _shift_year(day: date, years: int) -> date:
    if (day.month, day.day) == (2, 29):
        day = day.replace(day=28)  # no 29 February in the other year, most likely
    return day.replace(year=day.year + years)


class Player:
    """Plays queued actions in time order on its own clock, up to `until` (the real now): an
    action queued later is refused, since the demo must not write what has not happened."""

    def __init__(
        self, session_factory: sessionmaker[Session], until: datetime, ticks: bool = True
    ) -> None:
        self._factory = session_factory
        self._ticks = ticks  # the scheduler's pass at the start of each day of work
        self.until = until
        self.now = until
        self._actions: list[tuple[datetime, int, Callable[[], None]]] = []  # a heap
        self._queued = itertools.count()  # ties keep their order
        self._actors: dict[int, Actor] = {}

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._factory, clock=lambda: self.now)

    def actor(self, user: int) -> Actor:
        """The user as an actor, loaded once: nobody's roles change within the demo."""
        if user not in self._actors:
            self._actors[user] = load_actor(self.uow(), user)
        return self._actors[user]

    def at(self, moment: datetime) -> None:
        """Run the scheduler as of `moment`: timers fire, deadlines move, reminders go out."""
        self._check(moment)
        self.now = moment
        tick(self.uow)

    def catch_up(self) -> None:
        """The scheduler's daily passes since the last day of work, at 08:00 in Vietnam, and
        today's at `until` when that comes before 08:00."""
        day, today = local_day(self.now), local_day(self.until)
        while day < today:
            day += timedelta(days=1)
            self.at(self.morning(day))

    def morning(self, day: date) -> datetime:
        """When the scheduler passes on `day`: 08:00 in Vietnam, or now if that comes first."""
        return min(datetime.combine(day, time(8), VIETNAM), self.until)

    def begin(self, start: date, year: int, script: Script) -> None:
        """Start the province's plan of `year` on `start`; queue its script."""
        plan = _province_plan(start, year) | {"addressed_units": list(script.units)}
        with self.uow() as uow:
            police = user_id(uow.session, PROVINCE_POLICE)
        process = start_process(
            self.uow(), load_actor(self.uow(), police), "plan_chain", plan["title"]
        )
        self._schedule(process, start, script, plan, year)

    def run(self) -> None:
        """Do the queued actions in time order; a signed plan queues its units' work."""
        while self._actions:
            moment, _, action = heapq.heappop(self._actions)
            if self._ticks and moment.date() != self.now.date():
                self.at(moment)  # the scheduler's pass of the day, before the day's work
            self.now = moment
            action()

    def queue(self, moment: datetime, action: Callable[[], None]) -> None:
        self._check(moment)
        heapq.heappush(self._actions, (moment, next(self._queued), action))

    def _check(self, moment: datetime) -> None:
        if moment > self.until:
            raise ValueError(f"the demo would act on {moment.isoformat()}, after now")

    def _schedule(
        self, process: int, start: date, script: Script, plan: dict[str, Any], year: int
    ) -> None:
        """Queue the unit's plan chain from `plan_on`; once signed, its units' scripts and its
        report on `report_on`."""
        if script.plan_on is None:
            return

        def signed() -> None:
            self._cascade(process, start, script, year)
            if script.report_on is not None:
                report = Act(self, process, _report(start, year, process))
                self.queue(_moment(start, script.report_on), report.run)

        chain = Act(self, process, plan, dict(script.returns), script.stop_at, signed)
        self.queue(_moment(start, script.plan_on), chain.run)

    def _cascade(self, process: int, start: date, script: Script, year: int) -> None:
        with self.uow() as uow:
            children = dict(
                uow.session.execute(
                    select(Agency.code, ProcessInstance.id)
                    .join(Agency, Agency.id == ProcessInstance.jurisdiction_id)
                    .where(ProcessInstance.parent_id == process)
                ).all()
            )
        for code, unit in script.units.items():
            plan = _unit_plan(start, year, list(unit.units))
            self._schedule(children[code], start, unit, plan, year)


@dataclass
class Act:
    """The next step of one process, done by a user of the task's agency and role: a draft is
    submitted, a review approves unless `returns` holds a comment for it (used once), a report
    is sent. A plan chain takes one step a day until it is signed, then calls `signed`."""

    player: Player
    process: int
    data: dict[str, Any]
    returns: dict[str, str] = field(default_factory=dict)
    stop_at: str | None = None
    signed: Callable[[], None] | None = None
    acting: dict[str, str] = field(default_factory=dict)  # step kind -> who, if not the first

    def run(self) -> None:
        with self.player.uow() as uow:
            task = uow.session.scalars(
                select(Task).where(Task.instance_id == self.process, Task.state == TaskState.OPEN)
            ).first()
            if task is None:
                raise RuntimeError(f"process {self.process} has no open task: see the script")
            kind = kind_of(task.form)
            user = (
                user_id(uow.session, self.acting[kind.key])
                if kind.key in self.acting
                else uow.session.scalars(
                    select(User.id)
                    .join(UserRole, UserRole.user_id == User.id)
                    .where(User.agency_id == task.agency_id, UserRole.role == task.role)
                    .order_by(User.id)
                ).first()
            )
            task_id = task.id
            data = self.data
            nominations = task.instance.document.get("nominations", [])
            if kind.writes_report and task.report_round is not None:  # own + its units' figures
                units = unit_reports(
                    uow.session, self.process, task.report_round, task.instance.document
                )
                data = with_units(self.data, [u.report for u in units if u.report is not None])
        if kind.key == self.stop_at:
            return
        if user is None:
            raise RuntimeError(f"nobody in the demo directory can act on task {task_id}")
        comment = self.returns.pop(kind.key, None)
        decision = "return" if comment else kind.decisions[0]
        if kind.needs_verdicts and decision == "approve":  # every nomination accepted
            data = {"nominations": [{**n, "accepted": True} for n in nominations]}
        elif decision != "submit":
            data = {}
        actor = self.player.actor(user)
        complete_task(self.player.uow(), actor, task_id, decision, comment, data)
        if kind.writes_report:  # its head signs it a couple of hours later
            self.player.queue(self.player.now + timedelta(hours=2), self.run)
            return
        if self.signed is None:
            return
        with self.player.uow() as uow:
            instance = uow.session.get(ProcessInstance, self.process)
            issued = instance is not None and instance.issued_at is not None
        if issued:
            self.signed()
        else:
            self.player.queue(self.player.now + timedelta(days=1), self.run)


def _moment(start: date, day: int, hour: int = 9) -> datetime:
    return datetime.combine(start + timedelta(days=day), time(hour), VIETNAM).astimezone(UTC)


def _dates(start: date) -> dict[str, str]:
    return {
        "unit_plan": (start + timedelta(days=40)).isoformat(),
        "unit_report": (start + timedelta(days=95)).isoformat(),
        "window_start": (start + timedelta(days=60)).isoformat(),
        # long enough for the plan's pilot sites: the last one ends on the window's 20th day
        "window_end": (start + timedelta(days=80)).isoformat(),
    }


def _province_plan(start: date, year: int) -> dict[str, Any]:
    text = PLAN.read_text(encoding="utf-8")
    source_year = json.loads(text)["year"]
    plan: dict[str, Any] = json.loads(plan_text_for(text, source_year, year))
    dates = _dates(start)
    plan["year"] = year
    # the pilot sites keep their dates within the window (Thường Xuân its first ten days, Nga
    # Liên days 15 to 20): moved by as many days as the window's start
    moved = date.fromisoformat(dates["window_start"]) - date.fromisoformat(plan["window"]["start"])
    plan["window"] = {"start": dates["window_start"], "end": dates["window_end"]}
    for site in plan["pilot_sites"]:
        for key in ("start", "end"):
            site[key] = (date.fromisoformat(site[key]) + moved).isoformat()
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": dates["unit_plan"], "kind": "unit_plan"},
        {
            "what": "Báo cáo kết quả gửi Công an tỉnh",
            "due": dates["unit_report"],
            "kind": "unit_report",
        },
    ]
    return plan


def _unit_plan(start: date, year: int, units: list[str]) -> dict[str, Any]:
    dates = _dates(start)
    deadlines = [
        {
            "what": "Báo cáo kết quả",
            "due": (start + timedelta(days=90)).isoformat(),
            "kind": "unit_report",
        }
    ]
    if units:
        deadlines.insert(
            0,
            {
                "what": "Kế hoạch của đơn vị",
                "due": (start + timedelta(days=58)).isoformat(),
                "kind": "unit_plan",
            },
        )
    return {
        "title": f"Kế hoạch tổ chức Ngày hội toàn dân bảo vệ ANTQ năm {year}",
        "year": year,
        "window": {"start": dates["window_start"], "end": dates["window_end"]},
        "addressed_units": units,
        "deadlines": deadlines,
    }


def _report(start: date, year: int, process: int) -> dict[str, Any]:
    """Plausible figures, varied by unit so that the roll-up is not uniform."""
    n = process % 7 + 1
    held = (start + timedelta(days=62)).isoformat()
    return {
        "festivals_held": n,
        "festivals": [{"place": "Nhà văn hóa thôn", "start": held, "end": held}],
        "participants": 300 * n,
        "safety": {
            "residential_areas": {"total": 10 * n, "meeting": 9 * n - 1},
            "communes": {"total": n, "meeting": n},
            "agencies": {"total": 5 * n, "meeting": 4 * n},
            "enterprises": {"total": 3 * n, "meeting": 2 * n},
            "schools": {"total": 2 * n, "meeting": 2 * n},
        },
        "movement": {"total": 10 * n, "meeting": 8 * n + 1},
        "awards": [{"kind": "giay_khen", "count": n}],
        "budget_spent": 5_000_000 * n,
        "narrative": f"Tổ chức Ngày hội năm {year} an toàn, thiết thực, đúng kế hoạch.",
    }


def user_id(session: Session, username: str) -> int:
    user = session.scalars(select(User.id).where(User.username == username)).one()
    return int(user)
