"""Quyết định khen thưởng (QĐ): after the plan is signed, the head who signed it decides the
accepted awards his level gives (the province's Chairman: his Bằng khen), numbered in his
register (…/QĐ-UBND) and rendered like the plan; Giấy khen and Kỷ niệm chương go elsewhere."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.db.models import Register
from tests.conftest import PLAN_2023, ApiClient, render_documents
from tests.service.documents_read import docx_text, pdf_text
from tests.service.test_documents import CHAIRMAN, DEPUTY, POLICE, download, to_signature

URL = "/api/v1/processes/{}/award-decision"
BANG_KHEN = [n["nominee"] for n in PLAN_2023["nominations"] if n["kind"].startswith("bang_khen")]


def signed_plan(api: ApiClient, plan: dict[str, Any] = PLAN_2023) -> int:
    answer = api.complete(CHAIRMAN, to_signature(api, plan), "approve")
    assert answer.status_code == 200, answer.json
    return int(answer.json["process_id"])


def test_the_chairman_decides_the_bang_khen_the_review_accepted(api: ApiClient) -> None:
    process_id = signed_plan(api)
    outline = api.get(URL.format(process_id), CHAIRMAN).json
    assert outline["may_issue"] and outline["decision_id"] is None
    assert [a["nominee"] for a in outline["awardees"]] == BANG_KHEN
    # the Giấy khen on the province's plan is the district chairman's to give (seed 002, 5.3)
    assert [(e["kind"], e["goes_to"]) for e in outline["elsewhere"]] == [
        ("giay_khen", "other_level")
    ]
    assert api.get(URL.format(process_id), POLICE).json["may_issue"] is False

    answer = api.post(URL.format(process_id), CHAIRMAN)
    assert answer.status_code == 201, answer.json
    decision = answer.json
    assert (decision["kind"], decision["number_line"]) == ("QĐ", "Số: 1/QĐ-UBND")
    assert decision["issuer"] == "Ủy ban nhân dân tỉnh Thanh Hóa"
    assert decision["subject"].startswith("Về việc tặng Bằng khen của Chủ tịch UBND tỉnh")

    render_documents(api.client.application)
    text = docx_text(download(api, decision["id"], "docx"))
    assert "ỦY BAN NHÂN DÂN TỈNH THANH HÓA" in text and "Số: 1/QĐ-UBND" in text
    assert "QUYẾT ĐỊNH" in text and "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA" in text
    assert "Căn cứ Kế hoạch số 1/KH-BCĐ ngày" in text
    assert "Theo đề nghị của Ban Thi đua - Khen thưởng tỉnh Thanh Hóa và Công an" in text
    assert "Điều 1. Tặng Bằng khen của Chủ tịch UBND tỉnh cho 2 tập thể, cá nhân" in text
    assert all(nominee in text for nominee in BANG_KHEN)
    assert "Ban Chỉ đạo an ninh, trật tự thị trấn Thường Xuân" not in text  # the Giấy khen
    assert "Điều 2." in text and "Điều 3." in text and "Như Điều 3" in text
    assert "CHỦ TỊCH\nĐỗ Minh Tuấn" in text and "TM." not in text  # his own award, in person
    assert "Điều 1. Tặng Bằng khen" in pdf_text(download(api, decision["id"], "pdf"))

    after = api.get(URL.format(process_id), CHAIRMAN).json
    assert (after["decision_id"], after["may_issue"]) == (decision["id"], False)
    history = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    issued = [e for e in history if e["action"] == "document_issued"]
    assert [e["data"]["symbol"] for e in issued] == ["KH-BCĐ", "QĐ-UBND"]
    register = api.get("/api/v1/registers/thanh-hoa-ubnd/2023", "admin").json
    assert [d["symbol"] for d in register["documents"]] == ["KH-BCĐ", "QĐ-UBND"]
    assert api.get(f"/api/v1/processes/{process_id}/replay", "admin").json["matches"]


def test_a_second_decision_is_refused_and_takes_no_number(app: Flask, api: ApiClient) -> None:
    process_id = signed_plan(api)
    assert api.post(URL.format(process_id), CHAIRMAN).status_code == 201
    again = api.post(URL.format(process_id), CHAIRMAN)
    assert again.status_code == 409
    assert again.json["error"] == "award_decision_exists"
    assert len(api.get(f"/api/v1/processes/{process_id}/documents", POLICE).json) == 2
    with app.extensions["session_factory"]() as session:
        numbers = session.scalars(select(Register.last_number).filter_by(kind="QĐ")).all()
    assert numbers == [1]


def test_no_decision_before_signing_or_without_an_accepted_nomination(api: ApiClient) -> None:
    task_id = to_signature(api)
    process_id = api.get(f"/api/v1/tasks/{task_id}", CHAIRMAN).json["process_id"]
    early = api.post(URL.format(process_id), CHAIRMAN)
    assert (early.status_code, early.json["error"]) == (409, "plan_not_signed")

    rejected = copy.deepcopy(PLAN_2023)
    rejected["nominations"] = [n for n in rejected["nominations"] if n["kind"] == "giay_khen"]
    process_id = signed_plan(api, rejected)
    refused = api.post(URL.format(process_id), CHAIRMAN)
    assert (refused.status_code, refused.json["error"]) == (409, "no_accepted_nomination")
    assert refused.json["field"] == "nominations"
    assert len(api.get(f"/api/v1/processes/{process_id}/documents", POLICE).json) == 1


def test_only_the_signing_head_or_his_deputy_decides(api: ApiClient) -> None:
    process_id = signed_plan(api)
    refused = api.post(URL.format(process_id), POLICE)
    assert (refused.status_code, refused.json["error"]) == (403, "not_a_head")
    other_head = api.post(URL.format(process_id), "thanhhoa.soyte.giamdoc")
    assert other_head.status_code == 403
    assert api.post(URL.format(10**6), CHAIRMAN).status_code == 404
    answer = api.post(URL.format(process_id), DEPUTY)
    assert answer.status_code == 201, answer.json
    assert answer.json["signing_mark"] == "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    render_documents(api.client.application)
    text = docx_text(download(api, answer.json["id"], "docx"))
    assert "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH" in text
