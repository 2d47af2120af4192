"""Thanh Hóa's year-round movement plan of 2025 (seed 004), across the reorganisation.

The Chairman issues the plan (KH-UBND) in March to the departments and the three districts;
their implementation plans come before 10/4 and their six-month reports before 16/6, from
the districts; the province consolidates them. On 1 July the district level ends
(service/demo/reorganisation.py): each district's open annual round is handed over to the new
commune that succeeds it, which makes its implementation plan and its reports late, and the
annual reports (before 15/11) come from the new communes and the departments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import partial
from typing import Any

from sqlalchemy import select

from service.db.models import Agency, ProcessInstance
from service.demo import reorganisation
from service.demo.campaigns import PROVINCE_POLICE, Act, Player, user_id
from service.operations.actors import load_actor
from service.operations.processes import start_process
from workflows.calendar import VIETNAM

YEAR = 2025
REORGANISED = date(2025, 7, 1)  # the district level ended
TITLE = "Phong trào toàn dân bảo vệ ANTQ năm 2025"


@dataclass(frozen=True)
class Unit:
    """A unit's days: its implementation plan drafted, its six-month and annual reports."""

    plan_on: tuple[int, int]
    half_year_on: tuple[int, int] | None
    annual_on: tuple[int, int] | None


# The units act on a few shared days: each day of work costs a scheduler pass.
DEPARTMENTS = {
    "thanh-hoa-van-phong-ubnd": Unit((3, 24), (6, 10), (11, 6)),
    "thanh-hoa-so-tai-chinh": Unit((3, 24), (6, 10), (11, 6)),
    "thanh-hoa-ban-thi-dua-khen-thuong": Unit((3, 24), (6, 11), (11, 7)),
    "thanh-hoa-so-y-te": Unit((3, 24), (6, 5), (11, 4)),
    "thanh-hoa-so-khcn": Unit((4, 2), (6, 11), (11, 7)),
}
# the districts report their half year, then end on 1 July
DISTRICTS = {
    "thuong-xuan": Unit((3, 24), (6, 10), None),
    "nga-son": Unit((3, 24), (6, 11), None),
    "quan-son": Unit((4, 2), (6, 11), None),
}
# the new communes take over on 1 July: their plan and six-month report are late
COMMUNES = {
    "thanh-hoa-xa-thuong-xuan": Unit((7, 8), (7, 22), (11, 4)),
    "thanh-hoa-xa-nga-son": Unit((7, 8), (7, 22), (11, 7)),
    "thanh-hoa-xa-quan-son": Unit((7, 14), (7, 22), None),  # never sends its annual report
}
PROVINCE_REPORTS = {"half_year": (6, 17), "annual": (11, 17)}


def moment(month: int, day: int, hour: int = 9) -> datetime:
    return datetime.combine(date(YEAR, month, day), time(hour), VIETNAM)


def plan(units: list[str]) -> dict[str, Any]:
    """The province's plan as seed 004 words it, shortened: issued by the committee itself."""
    return {
        "title": "Kế hoạch công tác phong trào toàn dân bảo vệ an ninh Tổ quốc năm 2025",
        "year": YEAR,
        "issuer": "UBND",
        "grounds": [
            {
                "text": "Chương trình số 03/CTr-BCA-V05 ngày 16/01/2025 của Bộ Công an về công "
                "tác trọng tâm xây dựng phong trào toàn dân bảo vệ an ninh Tổ quốc năm 2025"
            }
        ],
        "window": {"start": "2025-01-01", "end": "2025-12-31"},
        "sections": [
            {
                "heading": "Mục tiêu, yêu cầu",
                "body": "Năm 2025 có từ 80% trở lên khu dân cư, xã, phường, thị trấn, cơ quan, "
                "doanh nghiệp, cơ sở giáo dục đạt tiêu chuẩn an toàn về ANTT; có trên 80% phân "
                "loại phong trào đạt loại Khá trở lên.",
            },
            {
                "heading": "Tổ chức thực hiện",
                "body": "Các sở, ban, ngành cấp tỉnh, UBND các cấp xây dựng kế hoạch triển khai "
                "thực hiện trước ngày 10/4/2025; định kỳ báo cáo 06 tháng (trước ngày 16/6/2025) "
                "và 01 năm (trước ngày 15/11/2025) về Ban Chỉ đạo 138 tỉnh (qua Công an tỉnh).",
            },
        ],
        "addressed_units": units,
        "deadlines": [
            {"what": "Kế hoạch triển khai thực hiện", "due": "2025-04-10", "kind": "unit_plan"},
            {"what": "Báo cáo 06 tháng", "due": "2025-06-16", "kind": "half_year_report"},
            {"what": "Báo cáo 01 năm", "due": "2025-11-15", "kind": "annual_report"},
        ],
    }


def unit_plan() -> dict[str, Any]:
    return {
        "title": "Kế hoạch triển khai công tác phong trào toàn dân bảo vệ ANTQ năm 2025",
        "year": YEAR,
        "window": {"start": "2025-01-01", "end": "2025-12-31"},
        "sections": [
            {
                "heading": "Nội dung",
                "body": "Triển khai Kế hoạch của UBND tỉnh tại đơn vị, địa bàn; báo cáo 06 tháng "
                "và 01 năm về Công an tỉnh.",
            }
        ],
    }


def report(process: int, held: date, narrative: str) -> dict[str, Any]:
    """Plausible figures, varied by unit so that the roll-up is not uniform."""
    n = process % 5 + 2
    return {
        "festivals_held": 1,
        "festivals": [{"place": "Nhà văn hóa", "start": held.isoformat(), "end": held.isoformat()}],
        "participants": 250 * n,
        "safety": {
            "residential_areas": {"total": 10 * n, "meeting": 9 * n - 1},
            "communes": {"total": 1, "meeting": 1},
            "agencies": {"total": 4 * n, "meeting": 4 * n - 1},
            "enterprises": {"total": 2 * n, "meeting": 2 * n - 1},
            "schools": {"total": n, "meeting": n},
        },
        "movement": {"total": 10 * n, "meeting": 8 * n + 1},
        "awards": [{"kind": "giay_khen", "count": n}],
        "budget_spent": 4_000_000 * n,
        "narrative": narrative,
    }


HALF_YEAR = "Sơ kết 06 tháng đầu năm 2025: phong trào được triển khai đúng kế hoạch."
ANNUAL = "Tổng kết năm 2025: hoàn thành các chỉ tiêu của Kế hoạch."


class MovementPlan:
    """Queues the plan's work on `player`; `progress` hears each phase."""

    def __init__(self, player: Player, progress: Callable[[str], None]) -> None:
        self.player, self.progress = player, progress
        self.province = 0

    def schedule(self) -> None:
        for day in reorganisation.dates():
            self.player.queue(moment(day.month, day.day, 8), partial(self._reorganise, day))
        self.player.queue(moment(3, 3), self._start)

    def _start(self) -> None:
        with self.player.uow() as uow:
            police = user_id(uow.session, PROVINCE_POLICE)
        self.province = start_process(
            self.player.uow(), load_actor(self.player.uow(), police), "movement_plan", TITLE
        )
        chain = Act(
            self.player,
            self.province,
            plan([*DEPARTMENTS, *DISTRICTS]),
            signed=lambda: self._units({**DEPARTMENTS, **DISTRICTS}),
        )
        self.player.queue(self.player.now, chain.run)
        for round_, (month, day) in PROVINCE_REPORTS.items():
            text = HALF_YEAR if round_ == "half_year" else ANNUAL
            held = date(YEAR, 5, 15) if round_ == "half_year" else date(YEAR, 8, 19)
            act = Act(self.player, self.province, report(self.province, held, text))
            self.player.queue(moment(month, day, 10), act.run)

    def _units(self, units: dict[str, Unit]) -> None:
        """Queue each unit's plan and reports, once its process runs."""
        with self.player.uow() as uow:
            running = dict(
                uow.session.execute(
                    select(Agency.code, ProcessInstance.id)
                    .join(Agency, Agency.id == ProcessInstance.jurisdiction_id)
                    .where(
                        ProcessInstance.parent_id == self.province,
                        ProcessInstance.status == "running",
                    )
                ).all()
            )
        for code, unit in units.items():
            process = running[code]
            chain = Act(self.player, process, unit_plan(), signed=lambda: None)
            self.player.queue(moment(*unit.plan_on), chain.run)
            for on, held, text in (
                (unit.half_year_on, date(YEAR, 5, 10), HALF_YEAR),
                (unit.annual_on, date(YEAR, 8, 15), ANNUAL),
            ):
                if on is not None:
                    act = Act(self.player, process, report(process, held, text))
                    self.player.queue(moment(*on), act.run)

    def _reorganise(self, day: date) -> None:
        for line in reorganisation.apply(self.player.uow, day):
            self.progress(f"demo reorganisation {day:%d/%m/%Y}: {line}")
        if self.province and day == REORGANISED:
            self._units(COMMUNES)
