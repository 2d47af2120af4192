"""The Bắc Giang cascade of seed 002 and the Sở Y tế plan of seed 003, played through the
service's own operations so that a new user can log in as a Bắc Giang user and walk on.

The province's plan (its 14 pilot units, 14 Bằng khen, deadlines 10/5, 20/5 and 22/8) is
drafted by Công an tỉnh in April, appraised, reviewed and signed by the Chairman, and issued
to its thirteen units; the Chairman then decides the Bằng khen (QĐ). Sở Y tế continues its
paper register at 83 and issues its own plan on 22/5, signed “KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC”
(83/KH-SYT). Everything after that is left to the people who walk the demo: the districts'
plans (Sơn Động and its commune Yên Định have users), the units' reports, the consolidation.
The cycle is the latest one whose May is past, in the seeds' own dates.
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
from service.demo.campaigns import Act, Player, user_id
from service.operations.actors import load_actor
from service.operations.awards import issue_award_decision
from service.operations.processes import start_process
from service.operations.registers import set_next_number
from service.plan_years import plan_text_for
from workflows.calendar import VIETNAM

FOLDER = Path(__file__).parent
PROVINCE_PLAN = FOLDER / "plan_bac_giang_2023.json"
HEALTH_PLAN = FOLDER / "plan_so_y_te_bac_giang_2023.json"
SOURCE_YEAR = 2023
POLICE, CHAIRMAN, ADMIN = "bacgiang.congan", "bacgiang.chutich", "admin"
HEALTH, HEALTH_DEPUTY = "bac-giang-so-y-te", "bacgiang.soyte.phogiamdoc"
HEALTH_NEXT_NUMBER = 83  # seed 003: Kế hoạch số 83/KH-SYT


def cycle_year(today: date) -> int:
    """The latest year whose plans of April and May (seeds 002, 003) are already issued."""
    return today.year if today > date(today.year, 5, 31) else today.year - 1


def plan_for(path: Path, year: int) -> dict[str, Any]:
    """A seed's plan as written for `year`: anniversaries counted again, dates moved."""
    plan: dict[str, Any] = json.loads(
        plan_text_for(path.read_text(encoding="utf-8"), SOURCE_YEAR, year)
    )
    plan["year"] = year
    return plan


def play(
    session_factory: sessionmaker[Session],
    today: date,
    progress: Callable[[str], None] = lambda line: None,
) -> None:
    """Play the Bắc Giang cycle of `cycle_year(today)`, then the scheduler's pass of today.

    No scheduler pass runs inside the cycle: it may lie before the days already played for
    Thanh Hóa, whose tasks' deadlines must not be read as of then."""
    started = monotonic()
    year = cycle_year(today)
    player = Player(session_factory, ticks=False)

    def moment(month: int, day: int, hour: int = 9) -> datetime:
        return datetime.combine(date(year, month, day), time(hour), VIETNAM).astimezone(UTC)

    player.now = moment(4, 12)
    with player.uow() as uow:
        police = user_id(uow.session, POLICE)
    province = start_process(
        player.uow(),
        load_actor(player.uow(), police),
        "plan_chain",
        plan_for(PROVINCE_PLAN, year)["title"],
    )

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
            acting={"chairman_sign": HEALTH_DEPUTY},  # KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC
            signed=lambda: None,
        )
        player.queue(moment(5, 21), chain.run)

    def signed() -> None:
        player.queue(player.now + timedelta(days=1), decide_awards)
        player.queue(moment(5, 20, 8), health_plan)

    chain = Act(player, province, plan_for(PROVINCE_PLAN, year), signed=signed)
    player.queue(moment(4, 14), chain.run)
    player.run()
    player.at(datetime.combine(today, time(8), VIETNAM))  # the scheduler's pass of today
    progress(f"demo campaign Bắc Giang {year}: played in {monotonic() - started:.1f} s")
