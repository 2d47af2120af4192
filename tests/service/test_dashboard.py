"""The supervisors' dashboard, over a campaign built step by step with the clock, its figures
worked out by hand below (2023 calendar: 29/4–3/5 are holidays)."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from flask import Flask

from service.demo import campaigns
from service.queries.dashboard import percentile
from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.service.test_cascade import POLICE, at, children, report, run_scheduler, unit_plan

SUPERVISOR = "thanhhoa.congan.truongphong"
DISTRICT_SUPERVISOR = "thuongxuan.congan.doitruong"
HEALTH, MEDIA, DISTRICT = (
    "Sở Y tế tỉnh Thanh Hóa",
    "Sở Thông tin và Truyền thông tỉnh Thanh Hóa",
    "Huyện Thường Xuân",
)


def act(api: ApiClient, user: str, process: int, decision: str, **body: Any) -> None:
    (task,) = api.get(f"/api/v1/tasks?process={process}", user).json
    answer = api.complete(user, task["id"], decision, **body)
    assert answer.status_code == 200, answer.json


def dash(api: ApiClient, view: str, user: str = SUPERVISOR, **args: Any) -> Any:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return api.get(f"/api/v1/dashboard/{view}?{query}", user)


@pytest.fixture
def campaign(app: Flask, api: ApiClient, clock: FakeClock) -> dict[str, int]:
    return play_campaign(app, api, clock)


def play_campaign(app: Flask, api: ApiClient, clock: FakeClock) -> dict[str, int]:
    """Mon 17/4/2023: the province drafts; Finance returns it once; the Chairman signs on Mon
    24/4 and it cascades to Sở Y tế, Sở TT&TT and Thường Xuân (plans due before 10/5).

    Sở Y tế plans on 25/4 and reports on 24/5. Sở TT&TT never acts. Thường Xuân drafts late on
    Fri 12/5; its Finance office returns it on Mon 15/5; resubmitted 16/5, approved 17/5 and
    18/5, it waits at the district Chairman since Thu 18/5 (3 working days: due before 24/5).
    """
    plan = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = ["thanh-hoa-so-y-te", "thanh-hoa-so-tttt", "thuong-xuan"]
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    at(clock, "2023-04-17")
    province = api.start_plan(POLICE)
    act(api, POLICE, province, "submit", data=plan)
    at(clock, "2023-04-18")
    act(api, "thanhhoa.taichinh", province, "return", comment="Làm rõ số suất quà.")
    at(clock, "2023-04-19")
    act(api, POLICE, province, "submit", data=plan)
    at(clock, "2023-04-20")
    act(api, "thanhhoa.taichinh", province, "approve")
    at(clock, "2023-04-21")
    reviewed = [{**n, "accepted": True} for n in plan["nominations"]]
    act(api, "thanhhoa.thiduakhenthuong", province, "approve", data={"nominations": reviewed})
    at(clock, "2023-04-24")
    act(api, "thanhhoa.chutich", province, "approve")
    units = {name: c["process_id"] for name, c in children(api, province).items()}

    at(clock, "2023-04-25")
    own = unit_plan("Kế hoạch ngành Y tế")
    act(api, "thanhhoa.soyte", units[HEALTH], "submit", data=own)
    act(api, "thanhhoa.soyte.giamdoc", units[HEALTH], "approve")
    at(clock, "2023-05-12")
    district_plan = unit_plan("Kế hoạch huyện Thường Xuân", ["thuong-xuan-tt-thuong-xuan"])
    act(api, "thuongxuan.congan", units[DISTRICT], "submit", data=district_plan)
    at(clock, "2023-05-15")
    act(api, "thuongxuan.taichinh", units[DISTRICT], "return", comment="Dự toán chưa khớp.")
    at(clock, "2023-05-16")
    act(api, "thuongxuan.congan", units[DISTRICT], "submit", data=district_plan)
    at(clock, "2023-05-17")
    act(api, "thuongxuan.taichinh", units[DISTRICT], "approve")
    at(clock, "2023-05-18")
    act(api, "thuongxuan.noivu", units[DISTRICT], "approve")
    at(clock, "2023-05-24")
    act(api, "thanhhoa.soyte", units[HEALTH], "submit", data=report(2, 300, 9_000_000))
    act(api, "thanhhoa.soyte.giamdoc", units[HEALTH], "approve")  # its director signs it
    at(clock, "2023-05-25")
    run_scheduler(app)
    return {"province": province, **units}


def by(rows: list[dict[str, Any]], field: str) -> dict[Any, dict[str, Any]]:
    return {row[field]: row for row in rows}


def test_which_step_holds_the_chain(api: ApiClient, campaign: dict[str, int]) -> None:
    steps = by(dash(api, "steps", campaign=campaign["province"]).json, "key")
    figures = {
        key: (s["open"], s["overdue"], s["returns"], s["done"], s["wait_p50"])
        for key, s in steps.items()
    }
    assert figures == {
        # province ×2, Y tế, Thường Xuân ×2 done; Sở TT&TT's open since Mon 24/4: 25–28/4 (4),
        # 4–5/5 (2), 8–12/5, 15–19/5 (10), 22–25/5 (4) = 20 working days, overdue since 10/5
        "draft_plan": (1, 1, 0, 5, 20),
        "finance_appraisal": (0, 0, 2, 4, None),  # returned once at each level
        "award_review": (0, 0, 0, 2, None),
        # Thường Xuân's Chairman, since Thu 18/5: 19, 22, 23, 24, 25/5; due before 24/5
        "chairman_sign": (1, 1, 0, 2, 5),
        # Y tế's report waited from 25/4 to 24/5 and was sent; nothing open
        "consolidate_report": (0, 0, 0, 1, None),
        "sign_report": (0, 0, 0, 1, None),  # its director signed it the same day
    }


def test_which_agency_is_slow(api: ApiClient, campaign: dict[str, int]) -> None:
    answer = dash(api, "agencies", campaign=campaign["province"]).json
    rows = answer["agencies"]
    assert [(r["name"], r["wait_p90"]) for r in rows[:2]] == [
        (MEDIA, 20),
        ("Ủy ban nhân dân huyện Thường Xuân", 5),
    ]
    finance = by(rows, "name")
    assert finance["Sở Tài chính tỉnh Thanh Hóa"]["returns"] == 1
    assert finance["Phòng Tài chính - Kế hoạch huyện Thường Xuân"]["returns"] == 1
    assert [(t["agency"], t["waited"]) for t in answer["longest_waiting"]] == [
        (MEDIA, 20),
        ("Ủy ban nhân dân huyện Thường Xuân", 5),
    ]
    by_returns = dash(api, "agencies", campaign=campaign["province"], sort="returns").json
    assert {r["returns"] for r in by_returns["agencies"][:2]} == {1}
    by_name = [
        r["name"]
        for r in dash(api, "agencies", campaign=campaign["province"], sort="agency").json[
            "agencies"
        ]
    ]
    assert by_name == sorted(by_name)


def test_who_has_not_reported(
    app: Flask, api: ApiClient, clock: FakeClock, campaign: dict[str, int]
) -> None:
    units = dash(api, "units", campaign=campaign["province"]).json
    assert [u["unit"] for u in units] == ["Tỉnh Thanh Hóa", HEALTH, MEDIA, DISTRICT]
    progress = {
        u["unit"]: (u["plan_submitted"], u["plan_approved"], u["reported"], u["late"], u["missing"])
        for u in units
    }
    assert progress == {
        "Tỉnh Thanh Hóa": (True, True, False, False, False),
        HEALTH: (True, True, True, False, False),
        MEDIA: (False, False, False, True, False),  # plan overdue; the report is not due yet
        DISTRICT: (True, False, False, True, False),  # drafted after 10/5, Chairman overdue
    }
    assert units[0]["below"] == {
        "units": 3,
        "plan_submitted": 2,
        "plan_approved": 1,
        "reported": 1,
        "late": 2,
        "missing": 0,
    }
    late = dash(api, "units", campaign=campaign["province"], only="late").json
    assert [u["unit"] for u in late] == ["Tỉnh Thanh Hóa", MEDIA, DISTRICT]

    # 21/8: the report deadline (before 20/8) has passed; two units never reported
    at(clock, "2023-08-21")
    run_scheduler(app)
    missing = dash(api, "units", campaign=campaign["province"], only="missing").json
    assert [u["unit"] for u in missing] == ["Tỉnh Thanh Hóa", MEDIA, DISTRICT]
    assert missing[0]["below"]["missing"] == 2 and missing[0]["below"]["reported"] == 1


def test_trend_per_day(api: ApiClient, campaign: dict[str, int]) -> None:
    chain = dash(
        api, "trend", campaign=campaign["province"], **{"from": "2023-04-17", "to": "2023-04-21"}
    )
    # each day one step closes and the next opens; the first day also opened the draft
    assert [(d["opened"], d["closed"], d["overdue"]) for d in chain.json] == [
        (2, 1, 0),
        (1, 1, 0),
        (1, 1, 0),
        (1, 1, 0),
        (1, 1, 0),
    ]
    plans = dash(
        api, "trend", campaign=campaign["province"], **{"from": "2023-05-09", "to": "2023-05-12"}
    )
    # from 10/5 two unit plans are overdue; Thường Xuân's is sent on 12/5 (and Finance's opens)
    assert [(d["day"], d["opened"], d["closed"], d["overdue"]) for d in plans.json] == [
        ("2023-05-09", 0, 0, 0),
        ("2023-05-10", 0, 0, 2),
        ("2023-05-11", 0, 0, 2),
        ("2023-05-12", 1, 1, 1),
    ]


def test_this_year_against_last_year(
    app: Flask, api: ApiClient, clock: FakeClock, campaign: dict[str, int]
) -> None:
    alone = dash(api, "compare", campaign=campaign["province"]).json
    assert alone["previous"] is None
    # one report received, Sở Y tế's: drafted and signed, two tasks, one report
    assert alone["campaign"]["reports"] == 1
    units = dash(api, "units", campaign=campaign["province"]).json
    assert [u["unit"] for u in units if u["reported"]] == [HEALTH]
    # the 2024 cycle of the same plan, drafted and approved without a return
    at(clock, "2024-04-15")
    plan = copy.deepcopy(PLAN_2023) | {"year": 2024, "addressed_units": []}
    plan["window"] = {"start": "2024-07-01", "end": "2024-08-19"}  # the period lies in its year
    plan["deadlines"] = []
    plan["pilot_sites"] = []
    later = api.start_plan(POLICE)
    act(api, POLICE, later, "submit", data=plan)
    at(clock, "2024-04-17")
    act(api, "thanhhoa.taichinh", later, "approve")
    both = dash(api, "compare", campaign=later).json
    assert both["previous"]["id"] == campaign["province"]
    assert (both["campaign"]["returns"], both["previous"]["returns"]) == (0, 2)
    took = {s["step"]: s["took_p50"] for s in both["campaign"]["steps"]}
    assert took == {"draft_plan": 0, "finance_appraisal": 2}  # Mon 15/4 → Wed 17/4


def test_scope_and_bad_input(api: ApiClient, campaign: dict[str, int]) -> None:
    province, district = campaign["province"], campaign[DISTRICT]
    assert dash(api, "steps", DISTRICT_SUPERVISOR, campaign=province).status_code == 403
    own = dash(api, "units", DISTRICT_SUPERVISOR, campaign=district)
    assert own.status_code == 200 and [u["unit"] for u in own.json] == [DISTRICT]
    assert dash(api, "steps", POLICE, campaign=province).status_code == 403  # not a supervisor
    assert dash(api, "steps", "bacgiang.vanphong", campaign=province).status_code == 403
    for view, args, field in [
        ("steps", {}, "campaign"),
        ("steps", {"campaign": "abc"}, "campaign"),
        ("steps", {"campaign": 99999}, "campaign"),
        ("agencies", {"campaign": province, "sort": "speed"}, "sort"),
        ("units", {"campaign": province, "only": "slow"}, "only"),
        ("trend", {"campaign": province, "from": "2023-05-10", "to": "2023-05-01"}, "to"),
        ("trend", {"campaign": province, "from": "2023-02-30"}, "from"),
    ]:
        answer = dash(api, view, **args)
        assert answer.status_code == 400, (view, args, answer.json)
        errors = answer.json["errors"]
        assert field in errors.get("query", errors.get("json", {})), (view, answer.json)
    supervisor_campaigns = dash(api, "campaigns").json
    assert [c["id"] for c in supervisor_campaigns] == [province]


def test_nearest_rank_percentiles() -> None:
    def p(values: list[int], share: float) -> int | None:
        return percentile(Counter(values), share)

    assert p([], 0.5) is None
    assert p([7], 0.9) == 7
    assert p([5, 1, 4, 2, 3], 0.5) == 3
    assert p([1, 2, 3, 4], 0.5) == 2  # the lower middle: a wait some task had
    assert p(list(range(1, 11)), 0.9) == 9
    assert p(list(range(1, 12)), 0.9) == 10
    assert p([1] * 9 + [30], 0.9) == 1 and p([1] * 9 + [30], 0.95) == 30


def test_the_demo_campaigns_tell_a_story(app: Flask, api: ApiClient, clock: FakeClock) -> None:
    """`load-demo` plays last year's cycle (finished) and this year's (in its last stretch),
    after the 2025 movement plan (tests/service/test_demo_story.py)."""
    at(clock, "2026-11-23")
    campaigns.play(app.extensions["session_factory"], clock.now)
    listed = dash(api, "campaigns").json
    titles = [c["title"] for c in listed]
    assert titles[2:] == ["Phong trào toàn dân bảo vệ ANTQ năm 2025"], titles
    this, last = listed[:2]
    assert this["title"].endswith("năm 2026 trên địa bàn tỉnh Thanh Hóa")
    assert last["title"].endswith("năm 2025 trên địa bàn tỉnh Thanh Hóa")
    plan = api.get(f"/api/v1/processes/{this['id']}", POLICE).json["document"]
    assert "81 năm Cách mạng Tháng 8" in plan["sections"][1]["body"]
    assert [s["end"] > s["start"] for s in plan["pilot_sites"]] == [True, True]
    missing = dash(api, "units", campaign=this["id"], only="missing").json
    assert {u["unit"] for u in missing[1:]} == {  # the departments and new communes only
        "Sở Khoa học và Công nghệ tỉnh Thanh Hóa",
        "Xã Nga Sơn",
        "Xã Quan Sơn",
    }
    assert not dash(api, "units", campaign=last["id"], only="missing").json
    compared = dash(api, "compare", campaign=this["id"]).json
    assert compared["previous"]["id"] == last["id"]
    for cycle in ("campaign", "previous"):  # reports received: the units' view's, once each
        units = dash(api, "units", campaign=compared[cycle]["id"]).json
        reported = sum(u["reported"] for u in units)
        assert compared[cycle]["reports"] == reported > 0, (cycle, compared[cycle])
    assert compared["campaign"]["returns"] == 3 and compared["previous"]["returns"] == 2
