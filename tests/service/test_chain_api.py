"""The whole approval chain through the HTTP API, as the demo users walk it."""

from __future__ import annotations

import copy

from tests.conftest import PLAN_2023, ApiClient

POLICE, FINANCE, AWARDS, CHAIRMAN = (
    "thanhhoa.congan",
    "thanhhoa.taichinh",
    "thanhhoa.thiduakhenthuong",
    "thanhhoa.chutich",
)


def test_draft_return_redraft_adjust_approve_sign(api: ApiClient) -> None:
    process_id = api.start_plan(POLICE)

    draft = api.only_task(POLICE)
    assert (draft["step"], draft["agency"]["name"]) == ("draft_plan", "Công an tỉnh Thanh Hóa")
    answer = api.complete(POLICE, draft["id"], "submit", data=PLAN_2023)
    assert answer.status_code == 200, answer.json
    assert answer.json["next_steps"] == ["Thẩm định kinh phí"]
    assert api.get("/api/v1/tasks", POLICE).json == []

    appraisal = api.only_task(FINANCE)
    detail = api.get(f"/api/v1/tasks/{appraisal['id']}", FINANCE).json
    assert detail["document"]["budget_total"] == 165_000_000
    assert detail["document"]["title"] == PLAN_2023["title"]
    returned = api.complete(
        FINANCE, appraisal["id"], "return", comment="Đề nghị làm rõ số suất quà cấp xã."
    )
    assert returned.status_code == 200, returned.json

    redraft = api.only_task(POLICE)
    assert redraft["step"] == "draft_plan" and redraft["id"] != draft["id"]
    previous = api.get(f"/api/v1/tasks/{redraft['id']}", POLICE).json["previous"]
    assert previous["decision"] == "return"
    assert previous["comment"] == "Đề nghị làm rõ số suất quà cấp xã."
    assert previous["agency"]["name"] == "Sở Tài chính tỉnh Thanh Hóa"
    assert api.complete(POLICE, redraft["id"], "submit", data=PLAN_2023).status_code == 200

    appraisal = api.only_task(FINANCE)
    lines = copy.deepcopy(PLAN_2023["budget_lines"])
    lines[1]["unit_amount"] = 400_000
    answer = api.complete(
        FINANCE,
        appraisal["id"],
        "approve",
        comment="Điều chỉnh mức quà cấp xã.",
        data={"budget_lines": lines},
    )
    assert answer.status_code == 200, answer.json

    review = api.only_task(AWARDS)
    nominations = [{**n, "accepted": True} for n in PLAN_2023["nominations"]]
    answer = api.complete(AWARDS, review["id"], "approve", data={"nominations": nominations})
    assert answer.status_code == 200, answer.json

    signing = api.only_task(CHAIRMAN)
    answer = api.complete(CHAIRMAN, signing["id"], "approve")
    assert answer.status_code == 200, answer.json
    assert answer.json["next_steps"] == []  # signed and issued: it now waits for the reports

    process = api.get(f"/api/v1/processes/{process_id}", POLICE).json
    assert process["status"] == "running"
    assert process["issued_at"] is not None
    assert process["document"]["budget_total"] == 30 * 1_000_000 + 270 * 400_000
    assert [n["accepted"] for n in process["document"]["nominations"]] == [True] * len(nominations)
    who_did_what = [
        (t["step"], t["agency"], t["completed_by"], t["decision"]) for t in process["tasks"]
    ]
    names = {
        u: api.get("/api/v1/me", u).json["full_name"] for u in (POLICE, FINANCE, AWARDS, CHAIRMAN)
    }
    assert who_did_what == [
        ("draft_plan", "Công an tỉnh Thanh Hóa", names[POLICE], "submit"),
        ("finance_appraisal", "Sở Tài chính tỉnh Thanh Hóa", names[FINANCE], "return"),
        ("draft_plan", "Công an tỉnh Thanh Hóa", names[POLICE], "submit"),
        ("finance_appraisal", "Sở Tài chính tỉnh Thanh Hóa", names[FINANCE], "approve"),
        ("award_review", "Ban Thi đua - Khen thưởng tỉnh Thanh Hóa", names[AWARDS], "approve"),
        ("chairman_sign", "Ủy ban nhân dân tỉnh Thanh Hóa", names[CHAIRMAN], "approve"),
    ]

    events = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [(e["action"], e["data"].get("step"), e["data"].get("decision")) for e in events] == [
        ("process_started", None, None),
        ("task_completed", "draft_plan", "submit"),
        ("task_completed", "finance_appraisal", "return"),
        ("task_completed", "draft_plan", "submit"),
        ("task_completed", "finance_appraisal", "approve"),
        ("task_completed", "award_review", "approve"),
        ("task_completed", "chairman_sign", "approve"),
        ("document_issued", None, None),
        ("plan_issued", None, None),
    ]
    assert events[-1]["data"]["units"] == PLAN_2023["addressed_units"]
    assert events[2]["data"]["comment"] == "Đề nghị làm rõ số suất quà cấp xã."
    assert events[2]["actor"]["username"] == FINANCE and events[2]["role"] == "finance"
    assert events[4]["data"]["changes"] == [
        {"path": "budget_lines[1].unit_amount", "old": 500_000, "new": 400_000}
    ]
    assert events[3]["data"]["changes"] == []  # the redraft resubmitted the same plan
