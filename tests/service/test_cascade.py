"""The Thanh Hóa plan cascades to its units, who plan and report back by the deadlines."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from service.consolidation import with_units as add_units
from service.db.uow import UnitOfWork
from service.operations.scheduler import tick
from tests.conftest import PLAN_2023, ApiClient, FakeClock

POLICE = "thanhhoa.congan"
UNITS = {  # addressed unit code -> its name in the directory
    "thanh-hoa-so-y-te": "Sở Y tế tỉnh Thanh Hóa",
    "thanh-hoa-so-lao-dong-tbxh": "Sở Lao động - Thương binh và Xã hội tỉnh Thanh Hóa",
    "thanh-hoa-so-tttt": "Sở Thông tin và Truyền thông tỉnh Thanh Hóa",
    "thuong-xuan": "Huyện Thường Xuân",
    "nga-son": "Huyện Nga Sơn",
}
PROVINCE_CHAIN = [POLICE, "thanhhoa.taichinh", "thanhhoa.thiduakhenthuong", "thanhhoa.chutich"]
DISTRICT_CHAIN = [
    "thuongxuan.congan",
    "thuongxuan.taichinh",
    "thuongxuan.noivu",
    "thuongxuan.chutich",
]
COMMUNE_CHAIN = ["ttthuongxuan.congan", "ttthuongxuan.vanphong", "ttthuongxuan.chutich"]
# Who signs the report that each drafter submits: the head of the level (or the department).
HEADS = {
    POLICE: "thanhhoa.chutich",
    "thuongxuan.congan": "thuongxuan.chutich",
    "ttthuongxuan.congan": "ttthuongxuan.chutich",
    "ngason.congan": "ngason.chutich",
    "ngalien.congan": "ngalien.chutich",
    "thanhhoa.soyte": "thanhhoa.soyte.giamdoc",
    "thanhhoa.soldtbxh": "thanhhoa.soldtbxh.giamdoc",
    "thanhhoa.sotttt": "thanhhoa.sotttt.giamdoc",
}


def at(clock: FakeClock, day: str, hour: int = 9) -> None:
    """Set the clock to `day` at `hour` o'clock in Thanh Hóa (UTC+7)."""
    clock.now = datetime.fromisoformat(f"{day}T{hour - 7:02d}:00:00+00:00").astimezone(UTC)


def unit_plan(title: str, units: list[str] = (), report_due: str = "2023-08-20") -> dict[str, Any]:
    return {
        "title": title,
        "year": 2023,
        "window": {"start": "2023-07-01", "end": "2023-08-19"},
        "addressed_units": list(units),
        "deadlines": [
            {"what": "Kế hoạch của đơn vị", "due": "2023-05-08", "kind": "unit_plan"},
            {"what": "Báo cáo kết quả", "due": report_due, "kind": "unit_report"},
        ],
    }


def count(total: int, meeting: int) -> dict[str, int]:
    return {"total": total, "meeting": meeting}


def report(
    festivals: int,
    people: int,
    budget: int,
    *,
    residential=(0, 0),
    communes=(0, 0),
    agencies=(0, 0),
    enterprises=(0, 0),
    schools=(0, 0),
    movement=(0, 0),
    awards: dict[str, int] | None = None,
) -> dict[str, Any]:
    return {
        "festivals_held": festivals,
        "festivals": [{"place": "Nhà văn hóa", "start": "2023-08-15", "end": "2023-08-15"}],
        "participants": people,
        "safety": {
            "residential_areas": count(*residential),
            "communes": count(*communes),
            "agencies": count(*agencies),
            "enterprises": count(*enterprises),
            "schools": count(*schools),
        },
        "movement": count(*movement),
        "awards": [{"kind": k, "count": n} for k, n in (awards or {}).items()],
        "budget_spent": budget,
        "narrative": "Tổ chức Ngày hội an toàn, đúng kế hoạch.",
    }


def verdicts(api: ApiClient, user: str, task_id: int, accepted: bool = True) -> dict[str, Any]:
    """The award review's data: the plan's nominations, each with a verdict."""
    document = api.get(f"/api/v1/tasks/{task_id}", user).json["document"]
    return {"nominations": [{**n, "accepted": accepted} for n in document.get("nominations", [])]}


def drive(
    api: ApiClient,
    process_id: int,
    users: list[str],
    plan: dict[str, Any] | None = None,
    figures: dict[str, Any] | None = None,
) -> str | None:
    """Act on this process as `users` until nothing is left for them; return the step left.

    A report they submit is then signed by their head (`HEADS`), and that ends the call."""
    heads = [HEADS[u] for u in users if u in HEADS and HEADS[u] not in users]
    while True:
        found = [
            (u, t) for u in users for t in api.get(f"/api/v1/tasks?process={process_id}", u).json
        ] + [
            (h, t)
            for h in heads
            for t in api.get(f"/api/v1/tasks?process={process_id}", h).json
            if t["form"] == "sign_report"
        ]
        if not found:
            return None
        user, task = found[0]
        step = task["step"]
        if step == "draft_plan" and plan is not None:
            decision, data = "submit", plan
        elif task["form"] == "consolidate_report" and figures is not None:
            decision, data = "submit", figures
        elif step == "award_review":
            decision, data = "approve", verdicts(api, user, task["id"])
        elif step in ("finance_appraisal", "chairman_sign") or task["form"] == "sign_report":
            decision, data = "approve", {}
        else:
            return str(step)
        answer = api.complete(user, task["id"], decision, data=data)
        assert answer.status_code == 200, answer.json
        if task["form"] == "sign_report":
            return None  # one report per call


def with_units(api: ApiClient, user: str, process_id: int, own: dict[str, Any]) -> dict[str, Any]:
    """A level's report as it consolidates: its own figures plus what the units' reports add
    up to, which its open report task offers (its festivals and narrative stay its own)."""
    (task,) = api.get(f"/api/v1/tasks?process={process_id}", user).json
    units = api.get(f"/api/v1/tasks/{task['id']}", user).json["units_sum"]
    return add_units(own, [] if units is None else [units])


def drafted(api: ApiClient, user: str, process_id: int, figures: dict[str, Any]) -> None:
    """Submit the process's one open task of `user`'s (a report, drafted) with `figures`."""
    (task,) = api.get(f"/api/v1/tasks?process={process_id}", user).json
    answer = api.complete(user, task["id"], "submit", data=figures)
    assert answer.status_code == 200, answer.json


def two_units(api: ApiClient, clock: FakeClock) -> tuple[int, list[int]]:
    """A province's plan issued to Sở Y tế and Sở LĐ-TB&XH, whose reports, drafted, await
    their directors' signatures (HEADS); the plan's id and theirs."""
    at(clock, "2023-04-20")
    province = api.start_plan(POLICE)
    units = ["thanh-hoa-so-y-te", "thanh-hoa-so-lao-dong-tbxh"]
    assert drive(api, province, PROVINCE_CHAIN, unit_plan("Kế hoạch tỉnh", units)) is None
    at(clock, "2023-05-05")
    processes = [c["process_id"] for c in children(api, province).values()]
    staff = ["thanhhoa.soyte", "thanhhoa.soldtbxh"]
    for process, user in zip(processes, staff, strict=True):
        assert drive(api, process, [user, HEADS[user]], unit_plan("Kế hoạch")) is not None
    at(clock, "2023-08-16")
    figures = report(1, 100, 1_000_000, agencies=(10, 9), movement=(10, 9))
    for process, user in zip(processes, staff, strict=True):
        drafted(api, user, process, figures)
    return province, processes


def children(api: ApiClient, process_id: int, user: str = POLICE) -> dict[str, dict[str, Any]]:
    answer = api.get(f"/api/v1/processes/{process_id}/children", user)
    assert answer.status_code == 200, answer.json
    return {c["unit"]: c for c in answer.json}


def run_scheduler(app: Flask) -> Any:
    return tick(
        lambda: UnitOfWork(app.extensions["session_factory"], clock=app.extensions["clock"])
    )


@pytest.fixture
def province(api: ApiClient, clock: FakeClock) -> int:
    """The Thanh Hóa 2023 plan, signed on 20/4/2023 and issued to five units."""
    at(clock, "2023-04-20")
    plan = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = list(UNITS)
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    plan["targets"] = {"safety_at_least": 80, "movement_above": 80}  # as seed 004 sets them
    process_id = api.start_plan(POLICE)
    assert drive(api, process_id, PROVINCE_CHAIN, plan) is None
    return process_id


def test_units_plan_report_and_the_province_consolidates(
    app: Flask, api: ApiClient, clock: FakeClock, province: int
) -> None:
    units = children(api, province)
    assert set(units) == set(UNITS.values())
    assert all(
        not c["reported"] and c["open_steps"][0]["name"] == "Xây dựng kế hoạch"
        for c in units.values()
    )
    assert units["Huyện Nga Sơn"]["open_steps"][0]["due_at"] == "2023-05-09T17:00:00+00:00"

    # Sở Y tế: its own small chain (no finance, no awards office), then its report
    at(clock, "2023-04-25")
    health = units["Sở Y tế tỉnh Thanh Hóa"]["process_id"]
    assert (
        drive(
            api,
            health,
            ["thanhhoa.soyte", "thanhhoa.soyte.giamdoc"],
            unit_plan("Kế hoạch ngành Y tế"),
        )
        == "consolidate_report"
    )

    # Thường Xuân: the district chain, cascading to thị trấn Thường Xuân (no finance step)
    at(clock, "2023-05-05")
    district = units["Huyện Thường Xuân"]["process_id"]
    district_plan = unit_plan(
        "Kế hoạch huyện Thường Xuân", ["thuong-xuan-tt-thuong-xuan"], report_due="2023-08-16"
    )
    assert drive(api, district, DISTRICT_CHAIN, district_plan) is None
    (commune,) = children(api, district, "thuongxuan.congan").values()
    commune_id = commune["process_id"]
    commune_steps = []
    for user in COMMUNE_CHAIN:
        task = api.get(f"/api/v1/tasks?process={commune_id}", user).json
        commune_steps += [t["step"] for t in task]
        drive(api, commune_id, [user], unit_plan("Kế hoạch thị trấn Thường Xuân"))
    assert commune_steps == ["draft_plan", "award_review", "chairman_sign"]

    # Sở LĐ-TB&XH plans on time and will report late; Sở TT&TT and Nga Sơn never act
    at(clock, "2023-05-08")
    labour = units["Sở Lao động - Thương binh và Xã hội tỉnh Thanh Hóa"]["process_id"]
    assert (
        drive(
            api,
            labour,
            ["thanhhoa.soldtbxh", "thanhhoa.soldtbxh.giamdoc"],
            unit_plan("Kế hoạch ngành LĐ-TB&XH"),
        )
        == "consolidate_report"
    )

    # 12/5: the two silent units' plans are overdue; reminders and escalations go out
    at(clock, "2023-05-12")
    ticked = run_scheduler(app)
    assert ticked.timers_fired == 0
    late = children(api, province)
    for name in ("Huyện Nga Sơn", "Sở Thông tin và Truyền thông tỉnh Thanh Hóa"):
        assert late[name]["open_steps"][0]["deadline_state"] == "overdue"
        # "trước ngày 10/5": due at 00:00 on 10/5, so the last day to act was 9/5
        assert late[name]["open_steps"][0]["last_day"] == "2023-05-09"
    assert api.get("/api/v1/tasks?overdue=true", "ngason.congan").json[0]["step"] == "draft_plan"
    rules = sorted(n["rule"] for n in api.get("/api/v1/notifications", "ngason.congan").json)
    assert rules == ["before_3", "due_today", "overdue_1"]
    escalations = api.get("/api/v1/notifications", POLICE).json
    silent = {
        late[name]["process_id"]
        for name in ("Huyện Nga Sơn", "Sở Thông tin và Truyền thông tỉnh Thanh Hóa")
    }
    assert {n["process_id"] for n in escalations} == silent
    assert all(n["rule"] == "overdue_3" and "quá hạn" in n["message"] for n in escalations)
    assert all(n["message"].endswith("hạn xử lý: hết ngày 09/05/2023.") for n in escalations)
    assert run_scheduler(app).reminders_sent == 0  # each reminder once

    # August: reports come in
    at(clock, "2023-08-10")
    assert (
        drive(
            api,
            health,
            ["thanhhoa.soyte", "thanhhoa.soyte.giamdoc"],
            figures=report(
                3,
                450,
                20_000_000,
                agencies=(12, 11),
                movement=(10, 9),
                awards={"giay_khen": 5},
            ),
        )
        is None
    )
    at(clock, "2023-08-12")
    assert (
        drive(
            api,
            commune_id,
            ["ttthuongxuan.congan"],
            figures=report(
                4,
                1200,
                15_000_000,
                residential=(8, 7),
                communes=(1, 1),
                agencies=(3, 3),
                enterprises=(2, 1),
                schools=(2, 2),
                movement=(8, 6),
                awards={"giay_khen": 6},
            ),
        )
        is None
    )
    at(clock, "2023-08-16")
    # the district's consolidation opens with its commune's figures; it cannot report less
    # without saying why, and reports its own activities on top (as seeds 001 and 002 do)
    (consolidation,) = api.get(f"/api/v1/tasks?process={district}", "thuongxuan.congan").json
    opened = api.get(f"/api/v1/tasks/{consolidation['id']}", "thuongxuan.congan").json
    assert [(u["unit"], u["report"]["participants"]) for u in opened["units"]] == [
        ("Thị trấn Thường Xuân", 1200)
    ]
    assert opened["units_sum"]["participants"] == 1200
    assert opened["units_sum"]["safety"]["enterprises"] == {"total": 2, "meeting": 1}
    own_only = report(1, 800, 60_000_000, agencies=(10, 9), movement=(12, 10))
    lower = api.complete("thuongxuan.congan", consolidation["id"], "submit", data=own_only)
    assert lower.status_code == 400
    assert lower.json["errors"]["json"]["data"]["participants"] == [
        "Below what the units reported together (1200): correct it or give the reason."
    ]
    assert lower.json["errors"]["json"]["data"]["safety"]["schools"]["total"]
    district_report = report(
        1 + 4,
        800 + 1200,
        60_000_000 + 15_000_000,
        residential=(8, 7),
        communes=(1, 1),
        agencies=(10 + 3, 9 + 3),
        enterprises=(5 + 2, 3 + 1),
        schools=(6 + 2, 6 + 2),
        movement=(12 + 8, 10 + 6),
        awards={"bang_khen_chu_tich_tinh": 1, "giay_khen": 4 + 6},
    )
    assert drive(api, district, ["thuongxuan.congan"], figures=district_report) is None
    history = api.get(f"/api/v1/processes/{district}/history", "thuongxuan.congan").json
    reported, signed = [
        e for e in history if e["action"] == "task_completed" and "round" in e["data"]
    ]
    assert (reported["data"]["step"], signed["data"]["step"]) == (
        "consolidate_report",
        "sign_report",
    )
    assert (
        signed["actor"]["username"] == "thuongxuan.chutich"
    )  # drafted by staff, signed by the head
    changes = reported["data"]["changed_from_units"]
    assert {"path": "participants", "old": 1200, "new": 2000} in changes  # from the prefill
    assert api.get(f"/api/v1/tasks?process={province}", POLICE).json == []  # still waiting

    # 21/8: the deadline has passed; the scheduler fires the province's timer
    at(clock, "2023-08-21")
    assert run_scheduler(app).timers_fired == 1
    (consolidation,) = api.get(f"/api/v1/tasks?process={province}", POLICE).json
    assert consolidation["step"] == "consolidate_report"

    # 22/8: Sở LĐ-TB&XH reports, two days late
    at(clock, "2023-08-22")
    assert (
        drive(
            api,
            labour,
            ["thanhhoa.soldtbxh", "thanhhoa.soldtbxh.giamdoc"],
            figures=report(
                1,
                150,
                5_000_000,
                agencies=(4, 4),
                movement=(4, 3),
            ),
        )
        is None
    )
    labour_tasks = api.get(f"/api/v1/processes/{labour}", "thanhhoa.soldtbxh").json["tasks"]
    assert labour_tasks[-1]["deadline_state"] == "done_late"
    assert labour_tasks[0]["deadline_state"] == "done"

    figures = api.get(f"/api/v1/processes/{province}/consolidated", POLICE).json
    # not signed yet: the direct units' reports added up (the district's holds its commune's)
    assert (figures["signed"], figures["reported"], figures["units"]) == (False, 3, 5)
    assert [(u["unit"], u["late"]) for u in figures["by_unit"] if u["figures"]] == [
        ("Sở Y tế tỉnh Thanh Hóa", False),
        ("Sở Lao động - Thương binh và Xã hội tỉnh Thanh Hóa", True),
        ("Huyện Thường Xuân", False),
    ]
    assert (figures["festivals_held"], figures["participants"], figures["budget_spent"]) == (
        3 + 4 + 1 + 1,
        450 + 1200 + 800 + 150,
        100_000_000,
    )
    assert figures["awards"] == {"bang_khen_chu_tich_tinh": 1, "giay_khen": 15, "ky_niem_chuong": 0}
    assert figures["safety"]["agencies"] == {"total": 29, "meeting": 27, "share": 0.931}
    assert figures["safety"]["enterprises"] == {"total": 7, "meeting": 4, "share": 0.5714}
    assert figures["safety"]["communes"]["share"] == 1.0
    assert figures["movement"] == {"total": 34, "meeting": 28, "share": 0.8235}
    assert figures["targets_missed"] == ["safety.enterprises"]
    assert sorted(m["unit"] for m in figures["missing"]) == [
        "Huyện Nga Sơn",
        "Sở Thông tin và Truyền thông tỉnh Thanh Hóa",
    ]
    assert api.get(f"/api/v1/processes/{province}/missing", POLICE).json == figures["missing"]

    # the district sees its own branch only
    branch = api.get(f"/api/v1/processes/{district}/consolidated", "thuongxuan.congan").json
    assert (branch["signed"], branch["units"], branch["reported"]) == (True, 1, 1)
    assert branch["participants"] == 2000  # what the district signed, its commune included
    assert (
        api.get(f"/api/v1/processes/{province}/consolidated", "thuongxuan.congan").status_code
        == 403
    )

    # the province consolidates from the prefilled sums plus its own, and its plan is done
    opened = api.get(f"/api/v1/tasks/{consolidation['id']}", POLICE).json
    # its units as the consolidated figures list them: in the order addressed, late or not
    assert [(u["unit"], bool(u["report"]), u["late"]) for u in opened["units"]] == [
        (u["unit"], bool(u["figures"]), u["late"]) for u in figures["by_unit"]
    ]
    assert sum(bool(u["report"]) for u in opened["units"]) == 3
    own = {**opened["units_sum"], "narrative": "Tổng hợp toàn tỉnh."}
    own["festivals_held"] += 2
    own["participants"] += 5000
    own["budget_spent"] += 45_000_000
    assert drive(api, province, [POLICE], figures=own) is None
    assert api.get(f"/api/v1/processes/{province}", POLICE).json["status"] == "completed"
    signed = api.get(f"/api/v1/processes/{province}/consolidated", POLICE).json
    assert signed["signed"] is True
    assert (signed["festivals_held"], signed["participants"], signed["budget_spent"]) == (
        9 + 2,
        2600 + 5000,
        145_000_000,
    )
    assert signed["safety"] == figures["safety"] and signed["awards"] == figures["awards"]


def test_without_the_district_level_a_province_addresses_communes(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    """1 July 2025: districts are gone. Moving communes under the province is a directory
    change (an administrator's, audited); the same diagram then runs province → commune."""
    at(clock, "2025-07-10")
    moved = api.post(
        "/api/v1/agencies/thuong-xuan-tt-thuong-xuan/move",
        "admin",
        json={"parent": "thanh-hoa", "effective": "2025-07-01"},
    )
    assert moved.status_code == 200, moved.json
    province = api.start_plan(POLICE)
    plan = unit_plan("Kế hoạch 2025", ["thuong-xuan-tt-thuong-xuan"])
    plan.update(year=2025, window={"start": "2025-07-15", "end": "2025-08-19"})
    plan["deadlines"] = [{"what": "Báo cáo", "due": "2025-08-20", "kind": "unit_report"}]
    assert drive(api, province, PROVINCE_CHAIN, plan) is None
    (commune,) = children(api, province).values()
    assert commune["unit"] == "Thị trấn Thường Xuân"
    assert (
        api.get(f"/api/v1/tasks?process={commune['process_id']}", "ttthuongxuan.congan").json[0][
            "step"
        ]
        == "draft_plan"
    )


def test_a_plan_signed_after_its_report_deadline_still_reaches_its_units(
    api: ApiClient, clock: FakeClock
) -> None:
    """Signed on 1/9 with reports due before 20/8: the units still get their tasks (already
    late), and the standing body may consolidate at once."""
    at(clock, "2023-09-01")
    plan = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = ["thanh-hoa-so-y-te", "nga-son"]
    plan["deadlines"] = [{"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"}]
    process_id = api.start_plan(POLICE)
    assert drive(api, process_id, PROVINCE_CHAIN, plan) == "consolidate_report"
    units = children(api, process_id)
    assert set(units) == {"Sở Y tế tỉnh Thanh Hóa", "Huyện Nga Sơn"}
    assert all(u["open_steps"][0]["name"] == "Xây dựng kế hoạch" for u in units.values())


def test_only_the_last_units_report_wakes_the_plan(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    province, (health, labour) = two_units(api, clock)
    signed = api.get(f"/api/v1/tasks?process={labour}", HEADS["thanhhoa.soldtbxh"]).json
    assert api.complete(HEADS["thanhhoa.soldtbxh"], signed[0]["id"], "approve").status_code == 200
    assert api.get(f"/api/v1/tasks?process={province}", POLICE).json == []  # one still to come
    signed = api.get(f"/api/v1/tasks?process={health}", HEADS["thanhhoa.soyte"]).json
    assert api.complete(HEADS["thanhhoa.soyte"], signed[0]["id"], "approve").status_code == 200
    (woken,) = api.get(f"/api/v1/tasks?process={province}", POLICE).json
    assert woken["step"] == "consolidate_report"
    units = children(api, province)
    assert all(unit["reported"] for unit in units.values())
