"""Who issues a plan: the People's Committee (KH-UBND, "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH", seed
004) or its Steering Committee (KH-BCĐ, "TM. BAN CHỈ ĐẠO / TRƯỞNG BAN", seeds 000–002), chosen
at drafting among the bodies its signing agency issues as; and the office chief who signs by
the Chairman's order, "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG"."""

from __future__ import annotations

import copy
from typing import Any

from alembic import command
from flask import Flask
from sqlalchemy import select, text

from service.db.migrate import alembic_config, upgrade
from service.db.models import Agency, Register
from service.operations.audit_rows import _registers, _Said
from tests.conftest import PLAN_2023, ApiClient, render_documents
from tests.service.documents_read import docx_text, pdf_text
from tests.service.test_documents import CHAIRMAN, POLICE, documents, download, to_signature
from tests.web.conftest import Browser

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
    # Bắc Giang's plan: no units addressed, and not the Thanh Hóa pilot sites of the sample
    plan = {**issued_as("UBND"), "addressed_units": [], "pilot_sites": []}
    reviewed = {"nominations": [{**n, "accepted": True} for n in plan["nominations"]]}
    for user, decision, data in zip(
        BAC_GIANG, ("submit", "approve", "approve"), (plan, {}, reviewed), strict=True
    ):
        (task,) = api.get(f"/api/v1/tasks?process={process_id}", user).json
        answer = api.complete(user, task["id"], decision, data=data)
        assert answer.status_code == 200, answer.json
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


def _sign(api: ApiClient, issuer: str) -> dict[str, Any]:
    answer = api.complete(CHAIRMAN, to_signature(api, issued_as(issuer)), "approve")
    assert answer.status_code == 200, answer.json
    (doc,) = documents(api, answer.json["process_id"], render=False)
    return doc


def test_each_issuing_body_keeps_its_own_numbering(app: Flask, api: ApiClient) -> None:
    # the committee's plan and its Steering Committee's, one province, one year: two registers
    assert _sign(api, "UBND")["number_line"] == "Số: 1/KH-UBND"
    assert _sign(api, "BCĐ")["number_line"] == "Số: 1/KH-BCĐ"
    assert _sign(api, "BCĐ")["number_line"] == "Số: 2/KH-BCĐ"
    path = "/api/v1/registers/thanh-hoa-ubnd/2023"
    listed = api.get(path, "admin").json
    nexts = {r["symbol"]: r["next_number"] for r in listed["registers"]}
    assert (nexts["KH-BCĐ"], nexts["KH-UBND"], nexts["QĐ-UBND"]) == (3, 2, 1)
    assert [d["number_symbol"] for d in listed["documents"]] == [
        "1/KH-BCĐ",
        "2/KH-BCĐ",
        "1/KH-UBND",
    ]
    # setting one register leaves the other; neither goes backwards
    answer = api.call("PUT", f"{path}/KH-UBND", "admin", json={"next_number": 40})
    assert answer.status_code == 200, answer.json
    assert (answer.json["symbol"], answer.json["last_issued"]) == ("KH-UBND", 1)
    back = api.call("PUT", f"{path}/KH-UBND", "admin", json={"next_number": 39})
    assert back.status_code == 400
    assert back.json["errors"]["json"] == {
        "next_number": ["The register never goes backwards: its next number is 40."]
    }
    issued = api.call("PUT", f"{path}/KH", "admin", json={"next_number": 2})  # KH: its own, BCĐ
    assert issued.status_code == 400
    assert issued.json["errors"]["json"]["next_number"][0].startswith("Number 2 is already issued")
    other = api.call("PUT", f"{path}/KH-SYT", "admin", json={"next_number": 5})
    assert other.status_code == 400 and "kind" in other.json["errors"]["json"], other.json
    assert _sign(api, "UBND")["number_line"] == "Số: 40/KH-UBND"
    assert _sign(api, "BCĐ")["number_line"] == "Số: 3/KH-BCĐ"
    verified = api.get("/api/v1/audit/verify", "thanhhoa.thanhtra").json
    assert verified["first_broken"] is None, verified
    # the page lists each register and sets one by its symbol; the CSV lists both sequences
    browser = Browser(app.test_client())
    browser.login("admin")
    page = browser.get("/registers/thanh-hoa-ubnd/2023").get_data(as_text=True)
    assert 'value="KH-UBND"' in page and 'value="KH-BCĐ"' in page  # the form's choices
    form = {"kind": "KH-BCĐ", "next_number": "10"}
    assert browser.post("/registers/thanh-hoa-ubnd/2023", data=form).status_code == 302
    listed = api.get(path, "admin").json
    assert {r["symbol"]: r["next_number"] for r in listed["registers"]}["KH-BCĐ"] == 10
    csv = browser.client.get("/registers/thanh-hoa-ubnd/2023.csv").data.decode("utf-8-sig")
    assert "40/KH-UBND" in csv and "3/KH-BCĐ" in csv


def test_the_migration_splits_a_shared_register_keeping_its_number(
    app: Flask, api: ApiClient, database_url: str
) -> None:
    """Before 0026 the committee's KH-UBND and KH-BCĐ shared one sequence: 1/KH-BCĐ, then
    2/KH-UBND, the register at 2. After it each symbol's register continues from 2."""
    _sign(api, "BCĐ")
    engine = app.extensions["db_engine"]
    engine.dispose()
    command.downgrade(alembic_config(database_url), "0022_dated_agencies")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO document (instance_id, agency_id, year, kind, number, symbol, "
                "subject, signed_at, signed_by_id, state) SELECT instance_id, agency_id, year, "
                "kind, 2, 'KH-UBND', subject, signed_at, signed_by_id, state FROM document"
            )
        )
        conn.execute(text("UPDATE register SET last_number = 2 WHERE kind = 'KH'"))
    engine.dispose()
    upgrade(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT symbol, kind, last_number FROM register ORDER BY symbol"))
        assert [tuple(r) for r in rows] == [("KH-BCĐ", "KH", 2), ("KH-UBND", "KH", 2)]
    engine.dispose()
    assert _sign(api, "BCĐ")["number_line"] == "Số: 3/KH-BCĐ"
    assert _sign(api, "UBND")["number_line"] == "Số: 3/KH-UBND"


def test_verification_reads_events_from_before_the_split_as_numbering_the_kind(
    app: Flask,
) -> None:
    """An event without `register` (before 0026) raised the one register of its kind, which
    the migration kept in each symbol's register; a newer event raises its symbol's alone."""

    def issued(event_id: int, task_id: int, number: int, **extra: Any) -> tuple[int, Any]:
        data = {"kind": "KH", "number": number, "year": 2023, "agency_id": agency, **extra}
        record = {"action": "document_issued", "task_id": task_id, "instance_id": 1, "data": data}
        return event_id, record

    with app.extensions["session_factory"]() as session:
        agency = session.scalar(select(Agency.id).where(Agency.code == "thanh-hoa-ubnd"))
        for symbol in ("KH-BCĐ", "KH-UBND"):
            session.add(
                Register(agency_id=agency, year=2023, symbol=symbol, kind="KH", last_number=2)
            )
        session.flush()
        before = [issued(1, 1, 1, symbol="KH-BCĐ"), issued(2, 2, 2, symbol="KH-UBND")]
        assert _registers(session, _Said(before)) == (2, [])
        after = [*before, issued(3, 3, 3, symbol="KH-BCĐ", register="KH-BCĐ")]
        count, breaks = _registers(session, _Said(after))
        assert [(b["row_id"], b["field"]) for b in breaks] == [
            (f"{agency}/2023/KH-BCĐ", "last_number")
        ]
        session.rollback()
