"""1 July 2025: the districts are gone. An administrator reorganises the demo province through
the API while the year-round movement plan (seed 004) runs; the districts' open work follows
to the communes that succeed them, and what they already sent stays."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.db.models import Agency
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import DISTRICT_CHAIN, at, drive, run_scheduler, with_units
from tests.service.test_movement_plan import (
    CHAIN,
    POLICE,
    issue_movement_plan,
    movement_plan,
    unit_plan,
    year_report,
)

ADMIN = "admin"
NGA_SON_CHAIN = ["ngason.congan", "ngason.taichinh", "ngason.noivu", "ngason.chutich"]
COMMUNE_CHAIN = ["ttthuongxuan.congan", "ttthuongxuan.vanphong", "ttthuongxuan.chutich"]
JULY = "2025-07-01"


def reorganise(api: ApiClient, path: str, body: dict[str, Any], status: int = 200) -> Any:
    answer = api.post(f"/api/v1/agencies{path}", ADMIN, json={"effective": JULY, **body})
    assert answer.status_code == status, answer.json
    return answer.json


def missing(api: ApiClient, process: int, round_: str) -> list[str]:
    answer = api.get(f"/api/v1/processes/{process}/missing?round={round_}", POLICE)
    assert answer.status_code == 200, answer.json
    return [m["unit"] for m in answer.json]


def test_the_province_reorganises_while_its_movement_plan_runs(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2025-03-03")
    province = issue_movement_plan(api, ["thuong-xuan", "nga-son"])
    units = {
        c["unit"]: c["process_id"]
        for c in api.get(f"/api/v1/processes/{province}/children", POLICE).json
    }
    thuong_xuan, nga_son = units["Huyện Thường Xuân"], units["Huyện Nga Sơn"]
    at(clock, "2025-03-20")
    for process, chain in ((thuong_xuan, DISTRICT_CHAIN), (nga_son, NGA_SON_CHAIN)):
        assert drive(api, process, chain, unit_plan("Kế hoạch thực hiện")) == "report_half_year"
    # six months: Thường Xuân reports, Nga Sơn does not; the province consolidates at the timer
    at(clock, "2025-06-10")
    assert drive(api, thuong_xuan, ["thuongxuan.congan"], figures=year_report(300, 9)) is None
    at(clock, "2025-06-17")
    assert run_scheduler(app).timers_fired == 1
    own = year_report(2000, 8)
    assert drive(api, province, [POLICE], figures=with_units(api, POLICE, province, own)) is None
    (late,) = api.get(f"/api/v1/tasks?process={nga_son}", "ngason.congan").json
    assert late["step"] == "report_half_year"

    # 1 July: the communes come under the province, the districts end into them
    at(clock, JULY)
    assert (
        api.post("/api/v1/agencies/nga-son/dissolve", POLICE, json={"effective": JULY}).status_code
        == 403
    )
    for commune in ("thuong-xuan-tt-thuong-xuan", "nga-son-nga-lien"):
        reorganise(api, f"/{commune}/move", {"parent": "thanh-hoa"})
    renamed = reorganise(api, "/thuong-xuan-tt-thuong-xuan/rename", {"name": "Xã Thường Xuân"})
    assert (renamed["name"], renamed["parent"]) == ("Xã Thường Xuân", "thanh-hoa")
    created = reorganise(
        api,
        "",
        {
            "code": "thanh-hoa-xa-nga-son",
            "name": "Xã Nga Sơn",
            "kind": "commune",
            "parent": "thanh-hoa",
            "admin_code": "16360",
        },
        status=201,
    )
    assert (created["valid_from"], created["valid_to"]) == (JULY, None)
    merged = reorganise(api, "/thuong-xuan/merge", {"into": "thuong-xuan-tt-thuong-xuan"})
    assert (merged["valid_to"], merged["successors"]) == (JULY, ["thuong-xuan-tt-thuong-xuan"])
    assert merged["moved_processes"] == [thuong_xuan]
    split = reorganise(
        api,
        "/nga-son/split",
        {"into": ["thanh-hoa-xa-nga-son", "nga-son-nga-lien"], "open_work_to": "nga-son-nga-lien"},
    )
    assert split["moved_processes"] == [nga_son]

    # the districts' open work is handed over; what Thường Xuân sent stays with the province
    assert api.get(f"/api/v1/tasks?process={nga_son}", "ngason.congan").json == []
    units = {c["unit"]: c for c in api.get(f"/api/v1/processes/{province}/children", POLICE).json}
    assert units["Huyện Thường Xuân"]["status"] == "handed_over"
    assert units["Huyện Thường Xuân"]["reported"] == ["half_year"]
    assert units["Huyện Nga Sơn"]["status"] == "handed_over"
    commune = units["Xã Thường Xuân"]["process_id"]
    nga_lien = units["Xã Nga Liên"]["process_id"]
    assert [s["name"] for s in units["Xã Thường Xuân"]["open_steps"]] == [
        "Xây dựng kế hoạch thực hiện"
    ]
    assert missing(api, province, "annual") == ["Xã Thường Xuân", "Xã Nga Liên"]
    half = api.get(f"/api/v1/processes/{province}/consolidated?round=half_year", POLICE).json
    assert (half["reported"], half["participants"]) == (1, 300 + 2000)
    history = api.get(f"/api/v1/processes/{nga_son}/history", POLICE).json
    assert history[-1]["action"] == "unit_handed_over"
    assert history[-1]["data"]["successor"] == "nga-son-nga-lien"
    assert history[-1]["data"]["process"] == nga_lien
    succeeded = [
        e["data"]["unit"]
        for e in api.get(f"/api/v1/processes/{province}/history", POLICE).json
        if e["action"] == "unit_succeeded"
    ]
    assert succeeded == ["thuong-xuan", "nga-son"]

    # bad input: a 400 naming the field, nothing written
    for path, body, field in (
        ("/nga-son-nga-lien/merge", {"into": "nga-son"}, "into"),  # ended
        ("/thanh-hoa/move", {"parent": "thuong-xuan-tt-thuong-xuan"}, "parent"),  # a cycle
        ("/thanh-hoa-xa-nga-son/rename", {"name": "X", "effective": "2025-06-30"}, "effective"),
        ("/nga-son/rename", {"name": "X"}, "agency"),  # already ended
    ):
        answer = api.post(f"/api/v1/agencies{path}", ADMIN, json={"effective": JULY, **body})
        assert answer.status_code == 400, (path, answer.json)
        assert list(answer.json["errors"]["json"]) == [field], answer.json
    twice = {"code": "x", "name": "X", "kind": "commune", "parent": "thanh-hoa"}
    for body, field in (({"admin_code": "16360"}, "admin_code"), ({"code": "nga-son"}, "code")):
        answer = api.post("/api/v1/agencies", ADMIN, json={**twice, **body, "effective": JULY})
        assert answer.status_code == 400 and list(answer.json["errors"]["json"]) == [field]
    future = {"name": "X", "effective": "2025-07-02"}
    assert api.post("/api/v1/agencies/thanh-hoa/rename", ADMIN, json=future).status_code == 400

    # the commune carries on: its plan, a late six-month report, then the annual one
    assert drive(api, commune, COMMUNE_CHAIN, unit_plan("Kế hoạch xã")) == "report_half_year"
    assert drive(api, commune, ["ttthuongxuan.congan"], figures=year_report(50, 10)) is None
    at(clock, "2025-11-05")
    assert drive(api, commune, ["ttthuongxuan.congan"], figures=year_report(80, 10)) is None
    assert missing(api, province, "annual") == ["Xã Nga Liên"]

    verified = api.get("/api/v1/audit/verify", ADMIN).json
    assert verified["first_broken"] is None, verified


SHEET = (
    "code,name,kind,parent,admin_code,serves\n"
    "thanh-hoa-xa-moi,Xã Mới,commune,thanh-hoa,16999,\n"
    "thanh-hoa-xa-moi-cong-an,Công an xã Mới,police,{parent},,standing_body\n"
    "thanh-hoa-xa-khac,Xã Khác,commune,thanh-hoa,{admin_code},\n"
)


def _import(api: ApiClient, sheet: str, name: str = "agencies.csv") -> Any:
    data = {"file": (io.BytesIO(sheet.encode("utf-8-sig")), name), "effective": "2025-07-01"}
    return api.post("/api/v1/agencies/import", ADMIN, data=data)


def test_an_import_with_bad_rows_writes_nothing(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, JULY)
    refused = _import(api, SHEET.format(parent="no-such-agency", admin_code="16999"))
    assert refused.status_code == 400, refused.json
    assert refused.json["errors"]["json"] == {
        "rows": {
            "3": {"parent": ["No agency has the code no-such-agency, here or above this row."]},
            "4": {"admin_code": ["Code 16999 is already used."]},
        }
    }
    assert _import(api, SHEET.format(parent="x", admin_code="1")).status_code == 400
    with app.extensions["session_factory"]() as session:
        assert session.scalar(select(Agency).where(Agency.code == "thanh-hoa-xa-moi")) is None
    done = _import(api, SHEET.format(parent="thanh-hoa-xa-moi", admin_code="16998"))
    assert done.status_code == 201, done.json
    assert done.json["agencies"] == [
        "thanh-hoa-xa-moi",
        "thanh-hoa-xa-moi-cong-an",
        "thanh-hoa-xa-khac",
    ]
    assert _import(api, "not,a\x00sheet").status_code == 400
    assert api.post("/api/v1/agencies/import", POLICE, data={}).status_code == 403
    verified = api.get("/api/v1/audit/verify", ADMIN).json
    assert verified["first_broken"] is None, verified


def test_a_merge_into_a_unit_the_plan_addressed_wakes_the_plan(
    api: ApiClient, clock: FakeClock
) -> None:
    """The heir already reports for itself: the merged unit's outstanding rounds count off,
    and when it was the last one the plan waited for, the plan goes on at once."""
    at(clock, "2025-03-03")
    body = {"definition": "movement_plan", "title": "Phong trào toàn dân bảo vệ ANTQ năm 2025"}
    province = api.post("/api/v1/processes", POLICE, json=body).json["id"]
    assert drive(api, province, CHAIN, movement_plan(["thuong-xuan", "nga-son"])) is None
    units = {
        c["unit"]: c["process_id"]
        for c in api.get(f"/api/v1/processes/{province}/children", POLICE).json
    }
    thuong_xuan, nga_son = units["Huyện Thường Xuân"], units["Huyện Nga Sơn"]
    at(clock, "2025-03-20")
    assert drive(api, thuong_xuan, DISTRICT_CHAIN, unit_plan("Kế hoạch")) == "report_half_year"
    at(clock, "2025-06-10")
    assert drive(api, thuong_xuan, ["thuongxuan.congan"], figures=year_report(300, 9)) is None
    assert api.get(f"/api/v1/tasks?process={province}", POLICE).json == []  # Nga Sơn is due
    answer = api.post(
        "/api/v1/agencies/nga-son/merge",
        ADMIN,
        json={"into": "thuong-xuan", "effective": "2025-06-10"},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["moved_processes"] == [nga_son]
    (consolidation,) = api.get(f"/api/v1/tasks?process={province}", POLICE).json
    assert consolidation["step"] == "report_half_year"
    assert missing(api, province, "half_year") == []
    assert missing(api, province, "annual") == ["Huyện Thường Xuân"]
    assert api.get(f"/api/v1/processes/{nga_son}", POLICE).json["status"] == "handed_over"
    verified = api.get("/api/v1/audit/verify", ADMIN).json
    assert verified["first_broken"] is None, verified


def test_ending_an_agency_while_a_unit_below_it_holds_open_work_is_refused(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    """Only the agency's own work goes to its heir: a commune below the district still running
    its plan would be stranded at an ended agency, so the district may not end before it."""
    at(clock, "2025-03-03")
    body = {"definition": "movement_plan", "title": "Phong trào toàn dân bảo vệ ANTQ năm 2025"}
    province = api.post("/api/v1/processes", POLICE, json=body).json["id"]
    assert drive(api, province, CHAIN, movement_plan(["thuong-xuan-tt-thuong-xuan"])) is None
    at(clock, JULY)
    before = api.get("/api/v1/audit/verify", ADMIN).json["events_checked"]
    for path, body in (
        ("/thuong-xuan/merge", {"into": "nga-son"}),
        ("/thuong-xuan/split", {"into": ["nga-son"], "open_work_to": "nga-son"}),
        ("/thuong-xuan/dissolve", {}),
        ("/thanh-hoa/dissolve", {}),
    ):
        refused = reorganise(api, path, body, status=400)
        (reason,) = refused["errors"]["json"]["agency"]
        assert reason == (
            "Thị trấn Thường Xuân, below it, still holds open work (processes: 1): merge, "
            "move or dissolve it first."
        ), path
        (coded,) = [e for e in refused["codes"] if e["field"] == "agency"]
        assert coded["code"] == "open_work_below"
        assert coded["params"]["code"] == "thuong-xuan-tt-thuong-xuan"
    # nothing written: no agency ended, no event recorded
    with app.extensions["session_factory"]() as session:
        assert session.scalars(select(Agency).where(Agency.valid_to.is_not(None))).all() == []
    assert api.get("/api/v1/audit/verify", ADMIN).json["events_checked"] == before
    # the commune moved out first, the district ends
    reorganise(api, "/thuong-xuan-tt-thuong-xuan/move", {"parent": "thanh-hoa"})
    merged = reorganise(api, "/thuong-xuan/merge", {"into": "thuong-xuan-tt-thuong-xuan"})
    assert merged["valid_to"] == JULY


def test_an_ended_agency_s_own_plan_goes_on_at_its_heir_s_level(
    api: ApiClient, clock: FakeClock
) -> None:
    """Nobody hands over a plan that no one addressed: the district's own plan, still being
    drafted by its police, goes on with the commune's police once the district merges into it."""
    at(clock, "2025-06-20")
    body = {"definition": "plan_chain", "title": "Kế hoạch của huyện Thường Xuân"}
    started = api.post("/api/v1/processes", "thuongxuan.congan", json=body)
    assert started.status_code == 201, started.json
    plan = started.json["id"]
    (draft,) = api.get(f"/api/v1/tasks?process={plan}", "thuongxuan.congan").json
    at(clock, JULY)
    reorganise(api, "/thuong-xuan-tt-thuong-xuan/move", {"parent": "thanh-hoa"})
    reorganise(api, "/thuong-xuan/merge", {"into": "thuong-xuan-tt-thuong-xuan"})
    assert api.get(f"/api/v1/tasks?process={plan}", "thuongxuan.congan").json == []
    (moved,) = api.get(f"/api/v1/tasks?process={plan}", "ttthuongxuan.congan").json
    assert (moved["id"], moved["step"]) == (draft["id"], draft["step"])
    history = api.get(f"/api/v1/processes/{plan}/history", "ttthuongxuan.congan").json
    assert history[-1]["action"] == "roles_rebound"
    assert history[-1]["data"]["successor"] == "thuong-xuan-tt-thuong-xuan"
    verified = api.get("/api/v1/audit/verify", ADMIN).json
    assert verified["first_broken"] is None, verified
