"""The demo as the country ran: Thanh Hóa's movement plan of 2025 (seed 004) across the
reorganisation of 1 July 2025, the Ngày hội plans after it, and Bắc Giang merged into Bắc Ninh.
`load-demo` plays it all on an empty database; here as of 2 December 2026."""

from __future__ import annotations

import re
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from service.db.models import Agency, Event, Notification, ProcessInstance, Task, User
from service.demo import bac_giang, campaigns, movement
from service.states import TaskState
from tests.conftest import ROOT, ApiClient, FakeClock
from tests.service.audit_walk import audited
from tests.service.test_cascade import at
from tests.service.test_dashboard import dash

POLICE, ADMIN, AUDITOR = "thanhhoa.congan", "admin", "thanhhoa.thanhtra"
DISTRICTS = {"Huyện Thường Xuân", "Huyện Nga Sơn", "Huyện Quan Sơn"}
COMMUNES = {"Xã Thường Xuân", "Xã Nga Sơn", "Xã Quan Sơn"}
DEPARTMENTS = {
    "Văn phòng Ủy ban nhân dân tỉnh Thanh Hóa",
    "Sở Tài chính tỉnh Thanh Hóa",
    "Ban Thi đua - Khen thưởng tỉnh Thanh Hóa",
    "Sở Y tế tỉnh Thanh Hóa",
    "Sở Khoa học và Công nghệ tỉnh Thanh Hóa",
}


def test_load_demo_tells_the_story_of_2025(
    app: Flask, api: ApiClient, clock: FakeClock, tmp_path: Path
) -> None:
    """Played once (it takes seconds), then read from each side."""
    story = played(app, api, clock, tmp_path)
    movement_plan_crosses_the_reorganisation(app, api, story)
    no_open_task_at_an_ended_agency(app)
    ngay_hoi_plans_address_only_what_exists(app, api, story)
    bac_ninh_compares_with_bac_giang_and_itself_last_year(api)
    audit_log_verifies_and_the_walkthrough_uses_present_users(app, api)


def test_load_demo_before_eight_in_the_morning_dates_nothing_after_now(
    app: Flask, clock: FakeClock, tmp_path: Path
) -> None:
    """Run at 07:19 in Thanh Hóa, `load-demo` dates nothing later (today's scheduler pass is
    not played at 08:00) and writes each audit chain in time order (Bắc Giang's story is
    played on Thanh Hóa's timeline, not after it)."""
    audited(app, tmp_path)
    at(clock, "2026-12-02", hour=7)
    clock.advance(minutes=19)
    factory = app.extensions["session_factory"]
    with factory() as session:  # the template's own: its directory and diagrams, as of its day
        loaded = session.scalar(select(func.max(Event.id)))
    with app.app_context():  # as `flask --app service load-demo` runs it
        result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    with factory() as session:
        events = session.execute(
            select(Event.instance_id, Event.seq, Event.action, Event.created_at)
            .where(Event.id > loaded)
            .order_by(Event.instance_id, Event.seq)
        ).all()
        sent = session.scalars(select(Notification.sent_at)).all()
    assert len(events) > 400 and len(sent) > 100  # the whole story was played
    assert [e for e in events if e.created_at > clock.now] == []
    assert [s for s in sent if s > clock.now] == []
    for chain, rows in groupby(events, key=lambda e: e.instance_id):  # None: the directory's
        in_chain = list(rows)
        assert in_chain == sorted(in_chain, key=lambda e: e.created_at), chain


def played(app: Flask, api: ApiClient, clock: FakeClock, tmp_path: Path) -> dict[str, int]:
    """The demo played to 2/12/2026; the root processes by title."""
    audited(app, tmp_path)
    at(clock, "2026-12-02")
    factory = app.extensions["session_factory"]
    campaigns.play(factory, clock.now, stories=[bac_giang.schedule])
    roots = api.get("/api/v1/processes?limit=500", AUDITOR).json
    return {p["title"]: p["id"] for p in roots if p["parent_id"] is None}


def children(api: ApiClient, process: int, round_: str | None = None) -> list[dict[str, Any]]:
    query = f"?round={round_}" if round_ else ""
    answer = api.get(f"/api/v1/processes/{process}/children{query}", POLICE)
    assert answer.status_code == 200, answer.json
    return list(answer.json)


def sent(api: ApiClient, process: int, step: str) -> str | None:
    """When the unit's report of that step was drafted and sent up, if it was."""
    history = api.get(f"/api/v1/processes/{process}/history", POLICE).json
    done = [e["created_at"] for e in history if (e["data"] or {}).get("step") == step]
    return done[0] if done else None


def movement_plan_crosses_the_reorganisation(
    app: Flask, api: ApiClient, story: dict[str, int]
) -> None:
    plan = story[movement.TITLE]
    units = {c["unit"]: c for c in children(api, plan, "half_year")}
    assert set(units) == DEPARTMENTS | DISTRICTS | COMMUNES
    history = api.get(f"/api/v1/processes/{plan}/history", POLICE).json
    (consolidated,) = [
        e["created_at"] for e in history if (e["data"] or {}).get("step") == "report_half_year"
    ]
    assert consolidated.startswith("2025-06-17")
    # the six-month reports the province consolidated in June came from the districts (and
    # the departments); the new communes' came late, after 1 July
    half_year = {name: sent(api, u["process_id"], "report_half_year") for name, u in units.items()}
    before = {name for name, at_ in half_year.items() if at_ is not None and at_ < consolidated}
    assert before == DEPARTMENTS | DISTRICTS
    assert all(half_year[c] is not None and half_year[c] > "2025-07-01" for c in COMMUNES)
    # the annual reports come from the new communes (one missing) and the departments
    annual = {name for name, u in units.items() if "annual" in u["reported"]}
    assert annual == DEPARTMENTS | {"Xã Thường Xuân", "Xã Nga Sơn"}
    missing = api.get(f"/api/v1/processes/{plan}/missing?round=annual", POLICE).json
    assert [m["unit"] for m in missing] == ["Xã Quan Sơn"]
    # each district handed its open work to its new commune, and says so
    for district in DISTRICTS:
        assert units[district]["status"] == "handed_over"
        assert units[district]["reported"] == ["half_year"]
        last = api.get(f"/api/v1/processes/{units[district]['process_id']}/history", POLICE).json
        assert last[-1]["action"] == "unit_handed_over"
        successor = last[-1]["data"]["successor"]
        assert last[-1]["data"]["process"] == units[COMMUNE_OF[district]]["process_id"], successor
    with app.extensions["session_factory"]() as session:
        left = session.execute(
            select(Task.step, Task.state).where(
                Task.instance_id.in_([units[d]["process_id"] for d in DISTRICTS]),
                Task.state != TaskState.COMPLETED,
            )
        ).all()
    # what each district had open on 1 July, its annual report, ended handed over
    assert sorted(left) == [("report_annual", TaskState.HANDED_OVER)] * 3
    succeeded = [e["data"]["unit"] for e in history if e["action"] == "unit_succeeded"]
    assert succeeded == ["thuong-xuan", "nga-son", "quan-son"]
    # the districts, their police and the merged departments ended on their days
    with app.extensions["session_factory"]() as session:
        ended = dict(
            session.execute(
                select(Agency.code, Agency.valid_to).where(Agency.valid_to.is_not(None))
            ).all()
        )
    assert ended["thuong-xuan-cong-an"] == ended["nga-son"] == date(2025, 7, 1)
    assert ended["thanh-hoa-so-tttt"] == ended["thanh-hoa-so-lao-dong-tbxh"] == date(2025, 3, 1)
    assert ended["bac-giang"] == ended["son-dong"] == ended["bac-giang-so-y-te"] == JULY
    # Bắc Giang's units with running work were reorganised before it ended: its pilot communes
    # carry on under Bắc Ninh, its departments' work went to their counterparts
    assert "son-dong-yen-dinh" not in ended


JULY = date(2025, 7, 1)


def no_open_task_at_an_ended_agency(app: Flask) -> None:
    """Nobody could act on it: every running process's open tasks are at agencies that exist
    today."""
    with app.extensions["session_factory"]() as session:
        stranded = session.execute(
            select(ProcessInstance.id, Task.step, Agency.code)
            .join(Task, Task.instance_id == ProcessInstance.id)
            .join(Agency, Agency.id == Task.agency_id)
            .where(
                ProcessInstance.status == "running",
                Task.state == TaskState.OPEN,
                Agency.valid_to.is_not(None),
                Agency.valid_to <= TODAY,
            )
        ).all()
        # Bắc Giang's own plan stays Bắc Giang's, consolidated by the merged province's police
        bac_giang_plan = session.execute(
            select(Task.step, Agency.code)
            .join(Agency, Agency.id == Task.agency_id)
            .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
            .where(
                ProcessInstance.jurisdiction_id
                == select(Agency.id).where(Agency.code == "bac-giang").scalar_subquery(),
                ProcessInstance.parent_id.is_(None),
                Task.state == TaskState.OPEN,
            )
        ).all()
        running = session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.status == "running")
        ).all()
    assert running  # the check reads something
    assert stranded == []
    assert bac_giang_plan == [("consolidate_report", "bac-ninh-cong-an")]


TODAY = date(2026, 12, 2)


COMMUNE_OF = {
    "Huyện Thường Xuân": "Xã Thường Xuân",
    "Huyện Nga Sơn": "Xã Nga Sơn",
    "Huyện Quan Sơn": "Xã Quan Sơn",
}


def ngay_hoi_plans_address_only_what_exists(
    app: Flask, api: ApiClient, story: dict[str, int]
) -> None:
    for year in (2025, 2026):
        (plan,) = [p for title, p in story.items() if f"năm {year} trên địa bàn" in title]
        with app.extensions["session_factory"]() as session:
            addressed = session.execute(
                select(Agency.name, Agency.kind, Agency.valid_from, Agency.valid_to)
                .join(ProcessInstance, ProcessInstance.jurisdiction_id == Agency.id)
                .where(ProcessInstance.parent_id == plan)
            ).all()
        assert {a.name for a in addressed} == DEPARTMENTS | COMMUNES
        assert all(a.valid_to is None and a.kind != "district" for a in addressed)
        communes = [a for a in addressed if a.kind == "commune"]
        assert {a.valid_from for a in communes} == {date(2025, 7, 1)}
    this = story[
        "Tổ chức “Ngày hội toàn dân bảo vệ an ninh Tổ quốc” năm 2026 trên địa bàn tỉnh Thanh Hóa"
    ]
    missing = api.get(f"/api/v1/processes/{this}/missing", POLICE).json
    assert {m["unit"] for m in missing} == {
        "Sở Khoa học và Công nghệ tỉnh Thanh Hóa",
        "Xã Nga Sơn",
        "Xã Quan Sơn",
    }


def bac_ninh_compares_with_bac_giang_and_itself_last_year(api: ApiClient) -> None:
    roots = api.get("/api/v1/processes?limit=500", "bacninh.vanphong").json
    (bac_ninh,) = [p["id"] for p in roots if "năm 2026 trên địa bàn tỉnh Bắc Ninh" in p["title"]]
    compared = dash(api, "compare", "bacninh.vanphong", campaign=bac_ninh)
    assert compared.status_code == 200, compared.json
    before = compared.json["previous"]
    assert before["year"] == 2025
    assert sorted(c["unit"] for c in before["cycles"]) == ["Tỉnh Bắc Giang", "Tỉnh Bắc Ninh"]
    waiting = api.get("/api/v1/tasks", "bacninh.thiduakhenthuong").json
    assert [t["step"] for t in waiting] == ["award_review"]


def audit_log_verifies_and_the_walkthrough_uses_present_users(app: Flask, api: ApiClient) -> None:
    verified = api.get("/api/v1/audit/verify", AUDITOR).json
    assert verified["first_broken"] is None, verified
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    walkthrough = set(re.findall(r"\$\(token ([a-z.]+)\)", readme))
    assert "thanhhoa.congan" in walkthrough
    with app.extensions["session_factory"]() as session:
        ended = set(
            session.scalars(
                select(User.username)
                .join(Agency, Agency.id == User.agency_id)
                .where(Agency.valid_to.is_not(None))
            )
        )
    assert walkthrough & ended == set()
