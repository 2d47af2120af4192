"""The Bắc Giang cascade of seed 002 and the Sở Y tế plan of seed 003 in 2025, before Bắc Giang
merged into Bắc Ninh on 1 July 2025, and Bắc Ninh's own cycles of 2025 and 2026, played
through the service's own operations.

The province's plan (its 14 pilot units, 14 Bằng khen, deadlines 10/5, 20/5 and 22/8) is
drafted by Công an tỉnh in April 2025, appraised, reviewed and signed by the Chairman, and
issued to its thirteen units; the Chairman then decides the Bằng khen (QĐ). Sở Y tế continues
its paper register at 83 and issues its own plan on 22/5, signed “KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC”
(83/KH-SYT). On 1 July 2025 the administrator merges Bắc Giang into Bắc Ninh
(service/demo/reorganisation_2025.toml): first its departments merge into their Bắc Ninh
counterparts and its districts into their pilot communes, which come under Bắc Ninh, so that
their open work goes on there; then Bắc Giang's agencies end. Bắc Ninh issued its own 2025
plan in April; its 2026 plan, the merged province's, waits at the award review for whoever
walks the demo, and its dashboard compares it with both provinces' 2025 cycles.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.models import Agency, ProcessInstance
from service.demo import reorganisation
from service.demo.campaigns import AWARD_REVIEW, PLAN_SIGNING, Act, Player, user_id
from service.operations.actors import load_actor
from service.operations.awards import issue_award_decision
from service.operations.processes import start_process
from service.operations.registers import set_next_number
from service.operations.reorganisation import merge_agency, move_agency
from service.plan_years import plan_text_for
from workflows.calendar import VIETNAM, local_day

FOLDER = Path(__file__).parent
PROVINCE_PLAN = FOLDER / "plan_bac_giang_2023.json"
HEALTH_PLAN = FOLDER / "plan_so_y_te_bac_giang_2023.json"
SOURCE_YEAR = 2023
POLICE, CHAIRMAN, ADMIN = "bacgiang.congan", "bacgiang.chutich", "admin"
HEALTH, HEALTH_DEPUTY = "bac-giang-so-y-te", "bacgiang.soyte.phogiamdoc"
HEALTH_NEXT_NUMBER = 83  # seed 003: Kế hoạch số 83/KH-SYT


YEAR = 2025  # the last year of Bắc Giang: it merged into Bắc Ninh on 1 July 2025
BAC_NINH_POLICE = "bacninh.congan"


def plan_for(path: Path, year: int) -> dict[str, Any]:
    """A seed's plan as written for `year`: anniversaries counted again, dates moved."""
    plan: dict[str, Any] = json.loads(
        plan_text_for(path.read_text(encoding="utf-8"), SOURCE_YEAR, year)
    )
    plan["year"] = year
    return plan


def bac_ninh_plan(year: int) -> dict[str, Any]:
    """Bắc Ninh's plan of `year`: its own festival, no units in the demo's directory."""
    return {
        "title": f"Kế hoạch tổ chức “Ngày hội toàn dân bảo vệ an ninh Tổ quốc” năm {year} "
        "trên địa bàn tỉnh Bắc Ninh",
        "year": year,
        "window": {"start": f"{year}-07-01", "end": f"{year}-08-19"},
        "sections": [
            {
                "heading": "Tổ chức thực hiện",
                "body": "Công an tỉnh chủ trì, phối hợp với các sở, ngành và UBND các xã, phường "
                "tổ chức Ngày hội; báo cáo kết quả về Công an tỉnh trước ngày 22/8.",
            }
        ],
        "deadlines": [{"what": "Báo cáo kết quả", "due": f"{year}-08-22", "kind": "unit_report"}],
    }


def play(
    session_factory: sessionmaker[Session],
    now: datetime,
    progress: Callable[[str], None] = lambda line: None,
) -> None:
    """Bắc Giang's story alone (`schedule`), then the scheduler's pass of today: at 08:00, or
    at `now` if that comes first. No scheduler pass runs inside: `load-demo` plays the story
    on Thanh Hóa's timeline instead (`campaigns.play`), where the daily passes are."""
    started = monotonic()
    player = Player(session_factory, until=now, ticks=False)
    schedule(player, progress)
    player.run()
    player.at(player.morning(local_day(now)))
    progress(f"demo campaigns of Bắc Giang and Bắc Ninh: played in {monotonic() - started:.1f} s")


def schedule(player: Player, progress: Callable[[str], None] = lambda line: None) -> None:
    """Queue on `player` Bắc Giang's 2025 cycle, its merger into Bắc Ninh, and Bắc Ninh's
    cycles of 2025 and 2026."""
    year = YEAR
    province = 0  # its process, once started

    def moment(month: int, day: int, hour: int = 9, in_year: int = year) -> datetime:
        return datetime.combine(date(in_year, month, day), time(hour), VIETNAM).astimezone(UTC)

    def start(username: str, title: str) -> int:
        with player.uow() as uow:
            user = user_id(uow.session, username)
        return start_process(player.uow(), load_actor(player.uow(), user), "plan_chain", title)

    def begin() -> None:
        nonlocal province
        progress(f"demo campaign of Bắc Giang {year}: starts on {player.now.date()}")
        province = start(POLICE, plan_for(PROVINCE_PLAN, year)["title"])
        chain = Act(player, province, plan_for(PROVINCE_PLAN, year), signed=signed)
        player.queue(moment(4, 14), chain.run)

    def decide_awards() -> None:
        with player.uow() as uow:
            chairman = user_id(uow.session, CHAIRMAN)
        issue_award_decision(player.uow(), load_actor(player.uow(), chairman), province)

    def health_plan() -> None:
        with player.uow() as uow:
            admin = user_id(uow.session, ADMIN)
            health = uow.session.scalars(
                select(ProcessInstance.id)
                .join(Agency, Agency.id == ProcessInstance.jurisdiction_id)
                .where(ProcessInstance.parent_id == province, Agency.code == HEALTH)
            ).one()
        set_next_number(
            player.uow(),
            load_actor(player.uow(), admin),
            HEALTH,
            year,
            "KH",
            HEALTH_NEXT_NUMBER,
        )
        chain = Act(
            player,
            health,
            plan_for(HEALTH_PLAN, year),
            acting={PLAN_SIGNING: HEALTH_DEPUTY},  # KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC
            signed=lambda: None,
        )
        player.queue(moment(5, 21), chain.run)

    def signed() -> None:
        player.queue(player.now + timedelta(days=1), decide_awards)
        player.queue(moment(5, 20, 8), health_plan)

    def merge() -> None:
        with player.uow() as uow:
            admin = user_id(uow.session, ADMIN)
        (merger,) = reorganisation.load()["province_merger"]
        actor, day = load_actor(player.uow(), admin), merger["effective"]
        for step in merger["first"]:  # its units with running work, before the province ends
            if "move" in step:
                move_agency(player.uow(), actor, step["move"], parent=step["under"], effective=day)
            else:
                merge_agency(player.uow(), actor, step["merge"], into=step["into"], effective=day)
        merge_agency(player.uow(), actor, merger["agency"], into=merger["into"], effective=day)

    def bac_ninh(in_year: int, stop_at: str | None) -> None:
        process = start(BAC_NINH_POLICE, bac_ninh_plan(in_year)["title"])
        chain = Act(player, process, bac_ninh_plan(in_year), stop_at=stop_at, signed=lambda: None)
        player.queue(player.now + timedelta(days=1), chain.run)

    player.queue(moment(4, 12), begin)
    player.queue(moment(4, 13), lambda: bac_ninh(year, None))
    player.queue(moment(7, 1, 8), merge)
    player.queue(moment(4, 6, in_year=year + 1), lambda: bac_ninh(year + 1, AWARD_REVIEW))
