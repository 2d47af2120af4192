"""Copy last year's plan: a new plan starts from the agency's plan of the year before, its dates
moved a year, its anniversaries counted again, its budget and units kept; recorded like any
start, and replayed from what the record says it started with."""

from __future__ import annotations

import json
from datetime import date

from flask import Flask

from service.plan_years import moved_date, plan_for_year
from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.service.test_documents import CHAIRMAN, FINANCE, POLICE, to_signature
from tests.web.conftest import Browser

COPY = "/api/v1/processes/copy-last-year"
AUDITOR = "thanhhoa.thanhtra"


def test_29_february_moves_to_28_february() -> None:
    assert moved_date(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert moved_date(date(2023, 7, 1), 1) == date(2024, 7, 1)
    plan = {
        "year": 2024,
        "title": "Kế hoạch năm 2024",
        "window": {"start": "2024-02-29", "end": "2024-08-19"},
        "grounds": [{"text": "Thông tư 40/2024/TT-BTC"}],
    }
    moved = plan_for_year(plan, 2025)
    assert moved["window"] == {"start": "2025-02-28", "end": "2025-08-19"}
    assert moved["title"] == "Kế hoạch năm 2025"
    assert moved["grounds"] == [{"text": "Thông tư 40/2024/TT-BTC"}]  # a citation stays as issued


def test_the_copy_starts_next_years_plan_from_the_issued_one(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    signing = to_signature(api)
    assert api.complete(CHAIRMAN, signing, "approve").status_code == 200
    source = api.get(f"/api/v1/tasks/{signing}", CHAIRMAN).json["process_id"]
    later = api.start_plan(POLICE)  # a draft of the same year, started after: not the one copied
    (draft,) = [t for t in api.get("/api/v1/tasks", POLICE).json if t["process_id"] == later]
    other = {**PLAN_2023, "budget_lines": [{"item": "Khác", "quantity": 1, "unit_amount": 1}]}
    assert api.complete(POLICE, draft["id"], "submit", data=other).status_code == 200
    clock.advance(days=366)  # 20/4/2024

    refused = api.post(COPY, AUDITOR, json={})
    assert refused.status_code == 403, refused.json  # only a standing body starts
    # Finance's clerk drafts the department's own plans: none of last year to copy
    nothing = api.post(COPY, FINANCE, json={})
    assert nothing.status_code == 404 and nothing.json["error"] == "no_plan_to_copy"
    answer = api.post(COPY, POLICE, json={})
    assert answer.status_code == 201, answer.json
    process = answer.json
    plan = process["document"]
    assert plan["year"] == 2024
    assert plan["title"] == PLAN_2023["title"].replace("2023", "2024")
    assert plan["window"] == {"start": "2024-07-01", "end": "2024-08-19"}
    assert [d["due"] for d in plan["deadlines"]] == [
        d["due"].replace("2023", "2024") for d in PLAN_2023["deadlines"]
    ]
    body = " ".join(s["body"] for s in plan["sections"])
    assert "79 năm của Công an nhân dân" in body and "19 năm Ngày hội toàn dân" in body
    assert "78 năm" not in body and "2023" not in json.dumps(plan, ensure_ascii=False)
    for kept in ("budget_lines", "addressed_units", "targets"):
        assert plan.get(kept) == PLAN_2023.get(kept), kept
    assert [s["agency"] for s in plan["pilot_sites"]] == [
        s["agency"] for s in PLAN_2023["pilot_sites"]
    ]
    assert plan["nominations"] == [] and plan["grounds"] == []
    assert process["title"] == plan["title"]

    # its draft opens with the copy, and the record says where it came from
    (task,) = [t for t in api.get("/api/v1/tasks", POLICE).json if t["process_id"] == process["id"]]
    assert api.get(f"/api/v1/tasks/{task['id']}", POLICE).json["document"] == plan
    events = api.get(f"/api/v1/processes/{process['id']}/history", POLICE).json
    started = next(e for e in events if e["action"] == "process_started")
    assert started["data"]["copied_from"] == source
    replayed = api.get(f"/api/v1/processes/{process['id']}/replay", POLICE)
    assert replayed.status_code == 200 and replayed.json["matches"] is True, replayed.json

    # drafted on and submitted as any plan, the history shows what changed from the copy
    edited = {**plan, "nominations": PLAN_2023["nominations"]}
    del edited["budget_total"]  # the API's sum, not a field of the form
    submitted = api.complete(POLICE, task["id"], "submit", data=edited)
    assert submitted.status_code == 200, submitted.json
    replayed = api.get(f"/api/v1/processes/{process['id']}/replay", POLICE)
    assert replayed.json["matches"] is True, replayed.json


def test_the_page_offers_the_copy_to_a_standing_body_only(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    signing = to_signature(api)
    assert api.complete(CHAIRMAN, signing, "approve").status_code == 200
    clock.advance(days=366)
    auditor = Browser(app.test_client())
    auditor.login(AUDITOR)
    assert "copy-last-year" not in auditor.get("/processes/new").get_data(as_text=True)
    police = Browser(app.test_client())
    police.login(POLICE)
    assert "Sao chép kế hoạch năm trước" in police.get("/inbox").get_data(as_text=True)
    answer = police.post("/processes/copy-last-year")
    assert answer.status_code == 302 and answer.location.startswith("/tasks/")
    page = police.get(answer.location).get_data(as_text=True)
    assert "Đã sao chép kế hoạch năm trước" in page
    assert 'value="01/07/2024"' in page  # the window's start, moved a year
