"""Seed 004: the year-round movement plan — implementation plans before 10/4, a six-month report
before 16/6 and an annual report before 15/11, from every unit, consolidated per round."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, drive, report, run_scheduler, with_units

POLICE = "thanhhoa.congan"
CHAIN = [POLICE, "thanhhoa.taichinh", "thanhhoa.thiduakhenthuong", "thanhhoa.chutich"]
HEALTH, LABOUR = "thanhhoa.soyte", "thanhhoa.soldtbxh"
# the heads who sign the departments' plans (their staff draft them)
HEADS = {HEALTH: "thanhhoa.soyte.giamdoc", LABOUR: "thanhhoa.soldtbxh.giamdoc"}


def movement_plan(units: list[str]) -> dict[str, Any]:
    return {
        "title": "Kế hoạch thực hiện phong trào toàn dân bảo vệ ANTQ năm 2025",
        "year": 2025,
        "window": {"start": "2025-01-01", "end": "2025-12-31"},
        "addressed_units": units,
        "deadlines": [
            {"what": "Kế hoạch thực hiện", "due": "2025-04-10", "kind": "unit_plan"},
            {"what": "Báo cáo sơ kết 6 tháng", "due": "2025-06-16", "kind": "half_year_report"},
            {"what": "Báo cáo tổng kết năm", "due": "2025-11-15", "kind": "annual_report"},
        ],
    }


def unit_plan(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "year": 2025,
        "window": {"start": "2025-01-01", "end": "2025-12-31"},
        "sections": [{"heading": "Nội dung", "body": "Tổ chức phong trào tại đơn vị."}],
    }


def year_report(people: int, safe: int) -> dict[str, Any]:
    figures = report(1, people, 1_000_000, agencies=(10, safe), movement=(10, 9))
    figures["festivals"][0].update(start="2025-08-15", end="2025-08-15")
    return figures


def issue_movement_plan(api: ApiClient, units: list[str]) -> int:
    """Start the province's movement plan as Công an tỉnh and take it through its chain, issued
    to `units`; its id."""
    started = api.post(
        "/api/v1/processes",
        POLICE,
        json={"definition": "movement_plan", "title": "Phong trào toàn dân bảo vệ ANTQ năm 2025"},
    )
    assert started.status_code == 201, started.json
    province = int(started.json["id"])
    assert drive(api, province, CHAIN, movement_plan(units)) is None
    return province


def test_two_report_rounds_with_their_deadlines(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2025-03-03")
    province = issue_movement_plan(api, ["thanh-hoa-so-y-te", "thanh-hoa-so-lao-dong-tbxh"])
    units = {c["unit"]: c for c in api.get(f"/api/v1/processes/{province}/children", POLICE).json}
    health = units["Sở Y tế tỉnh Thanh Hóa"]["process_id"]
    labour = units["Sở Lao động - Thương binh và Xã hội tỉnh Thanh Hóa"]["process_id"]
    assert units["Sở Y tế tỉnh Thanh Hóa"]["open_steps"][0]["due_at"] == "2025-04-09T17:00:00+00:00"

    at(clock, "2025-03-20")
    for process, user in ((health, HEALTH), (labour, LABOUR)):
        assert (
            drive(api, process, [user, HEADS[user]], unit_plan("Kế hoạch thực hiện"))
            == "report_half_year"
        )
    (half,) = api.get(f"/api/v1/tasks?process={health}", HEALTH).json
    assert (half["report_round"], half["due_at"]) == ("half_year", "2025-06-15T17:00:00+00:00")

    # six months: Sở Y tế reports; Sở LĐ-TB&XH misses the deadline, the timer moves on
    at(clock, "2025-06-10")
    assert drive(api, health, [HEALTH], figures=year_report(300, 9)) is None
    at(clock, "2025-06-17")
    assert run_scheduler(app).timers_fired == 1
    (consolidation,) = api.get(f"/api/v1/tasks?process={province}", POLICE).json
    assert consolidation["step"] == "report_half_year"
    half_year = api.get(f"/api/v1/processes/{province}/consolidated?round=half_year", POLICE).json
    assert (half_year["reported"], half_year["participants"]) == (1, 300)
    assert [m["unit"] for m in half_year["missing"]] == [
        "Sở Lao động - Thương binh và Xã hội tỉnh Thanh Hóa"
    ]
    own = year_report(2000, 8)
    assert drive(api, province, [POLICE], figures=with_units(api, POLICE, province, own)) is None

    # the year: both report before 15/11, so the last report wakes the province at once
    at(clock, "2025-11-05")
    assert drive(api, labour, [LABOUR], figures=year_report(100, 10)) is None  # late half-year
    late = api.get(f"/api/v1/processes/{labour}", LABOUR).json["tasks"]
    assert [(t["step"], t["deadline_state"]) for t in late[-3:]] == [
        ("report_half_year", "done_late"),
        ("sign_half_year", "done_late"),  # its director signed it, late too
        ("report_annual", "on_time"),
    ]
    assert drive(api, labour, [LABOUR], figures=year_report(150, 10)) is None
    assert api.get(f"/api/v1/tasks?process={province}", POLICE).json == []
    assert drive(api, health, [HEALTH], figures=year_report(500, 7)) is None
    (annual,) = api.get(f"/api/v1/tasks?process={province}", POLICE).json
    assert annual["step"] == "report_annual"
    year = api.get(f"/api/v1/processes/{province}/consolidated?round=annual", POLICE).json
    # late for the half-year is not late for the year: the consolidation opens with each unit
    # late or not in its own round, as the consolidated figures say
    opened = api.get(f"/api/v1/tasks/{annual['id']}", POLICE).json
    assert [(u["unit"], u["late"]) for u in opened["units"]] == [
        (u["unit"], u["late"]) for u in year["by_unit"]
    ]
    assert [u["late"] for u in opened["units"]] == [False, False]
    assert (year["reported"], year["participants"], year["missing"]) == (2, 650, [])
    assert year["safety"]["agencies"] == {"total": 20, "meeting": 17, "share": 0.85}
    assert (
        api.get(f"/api/v1/processes/{province}/consolidated?round=weekly", POLICE).status_code
        == 400
    )
    own = year_report(3000, 9)
    assert drive(api, province, [POLICE], figures=with_units(api, POLICE, province, own)) is None
    signed = api.get(f"/api/v1/processes/{province}/consolidated?round=annual", POLICE).json
    assert (signed["signed"], signed["participants"]) == (True, 650 + 3000)
    assert signed["safety"]["agencies"] == {"total": 30, "meeting": 26, "share": 0.8667}
    assert api.get(f"/api/v1/processes/{province}", POLICE).json["status"] == "completed"
