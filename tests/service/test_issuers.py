"""Who issues a plan: the People's Committee (KH-UBND, "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH", seed
004) or its Steering Committee (KH-BCĐ, "TM. BAN CHỈ ĐẠO / TRƯỞNG BAN", seeds 000–002), chosen
at drafting among the bodies its signing agency issues as; and the office chief who signs by
the Chairman's order, "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG"."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import PLAN_2023, ApiClient, render_documents
from tests.service.documents_read import docx_text, pdf_text
from tests.service.test_documents import CHAIRMAN, POLICE, documents, download, to_signature

BAC_GIANG = ["bacgiang.congan", "bacgiang.taichinh", "bacgiang.thiduakhenthuong"]
OFFICE_CHIEF = "bacgiang.vanphong.chanhvanphong"


def issued_as(issuer: str | None) -> dict[str, Any]:
    plan = copy.deepcopy(PLAN_2023)
    if issuer is not None:
        plan["issuer"] = issuer
    return plan


def test_the_steering_committee_issues_by_default(api: ApiClient) -> None:
    answer = api.complete(CHAIRMAN, to_signature(api), "approve")
    (doc,) = documents(api, answer.json["process_id"])
    assert doc["number_line"] == "Số: 1/KH-BCĐ"
    text = docx_text(download(api, doc["id"], "docx"))
    assert "BAN CHỈ ĐẠO 138" in text
    # the Head of the Committee signs in its titles, with their own office above their name
    assert "TM. BAN CHỈ ĐẠO\nTRƯỞNG BAN\nCHỦ TỊCH UBND TỈNH\nĐỗ Minh Tuấn" in text


def test_the_peoples_committee_issues_when_the_drafter_chooses_it(api: ApiClient) -> None:
    task_id = to_signature(api, issued_as("UBND"))
    process_id = api.get(f"/api/v1/tasks/{task_id}", CHAIRMAN).json["process_id"]
    draft = docx_text(api.get(f"/api/v1/processes/{process_id}/draft/docx", POLICE).data)
    assert "Số: /KH-UBND" in draft
    assert api.complete(CHAIRMAN, task_id, "approve").status_code == 200
    (doc,) = documents(api, process_id)
    assert (doc["number_line"], doc["symbol"]) == ("Số: 1/KH-UBND", "KH-UBND")
    docx, pdf = download(api, doc["id"], "docx"), download(api, doc["id"], "pdf")
    text = docx_text(docx)
    assert "ỦY BAN NHÂN DÂN TỈNH THANH HÓA" in text and "BAN CHỈ ĐẠO 138" not in text
    assert "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nĐỗ Minh Tuấn" in text
    assert "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH" in pdf_text(pdf)
    register = api.get("/api/v1/registers/thanh-hoa-ubnd/2023", "admin").json
    assert [d["symbol"] for d in register["documents"]] == ["KH-UBND"]


def test_an_issuer_the_signing_agency_does_not_issue_as_is_refused(api: ApiClient) -> None:
    process_id = api.start_plan(POLICE)
    (task,) = api.get(f"/api/v1/tasks?process={process_id}", POLICE).json
    answer = api.complete(POLICE, task["id"], "submit", data=issued_as("SYT"))
    assert answer.status_code == 400
    assert answer.json["errors"]["json"]["data"]["issuer"] == ["Choose one of the options."]
    assert api.get(f"/api/v1/tasks?process={process_id}", POLICE).json[0]["id"] == task["id"]


def test_the_office_chief_signs_by_order(api: ApiClient) -> None:
    started = api.post(
        "/api/v1/processes",
        BAC_GIANG[0],
        json={"definition": "plan_chain", "title": "Ngày hội toàn dân bảo vệ ANTQ năm 2023"},
    )
    process_id = started.json["id"]
    plan = {**issued_as("UBND"), "addressed_units": []}
    reviewed = {"nominations": [{**n, "accepted": True} for n in plan["nominations"]]}
    for user, decision, data in zip(
        BAC_GIANG, ("submit", "approve", "approve"), (plan, {}, reviewed), strict=True
    ):
        (task,) = api.get(f"/api/v1/tasks?process={process_id}", user).json
        assert api.complete(user, task["id"], decision, data=data).status_code == 200
    (task,) = api.get(f"/api/v1/tasks?process={process_id}", OFFICE_CHIEF).json
    opened = api.get(f"/api/v1/tasks/{task['id']}", OFFICE_CHIEF).json
    assert opened["acting_as"] == "by_order"
    assert api.complete(OFFICE_CHIEF, task["id"], "approve").status_code == 200
    render_documents(api.client.application)
    (doc,) = api.get(f"/api/v1/processes/{process_id}/documents", BAC_GIANG[0]).json
    assert doc["signing_mark"] == "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG"
    text = docx_text(api.get(f"/api/v1/documents/{doc['id']}/docx", BAC_GIANG[0]).data)
    assert "TL. CHỦ TỊCH\nCHÁNH VĂN PHÒNG\nTrần Văn Khải" in text
    assert "TM. ỦY BAN NHÂN DÂN" not in text  # by the head's order, not the committee's
