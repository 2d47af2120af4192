"""Signing numbers the plan in its agency's register and issues it as DOCX and PDF."""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import urllib.error
import urllib.request
from typing import Any

import pypdfium2
import pytest
from flask import Flask
from sqlalchemy import func, select

from service.db.models import Document, Register
from tests.conftest import PLAN_2023, ROOT, ApiClient, render_documents
from tests.service.documents_read import docx_text, pdf_text
from tests.web.conftest import Browser

POLICE, FINANCE, AWARDS = "thanhhoa.congan", "thanhhoa.taichinh", "thanhhoa.thiduakhenthuong"
CHAIRMAN, DEPUTY = "thanhhoa.chutich", "thanhhoa.phochutich"
ARTIFACTS = ROOT / "test-artifacts" / "documents"
RECIPIENTS = [
    "Văn phòng Ủy ban nhân dân tỉnh Thanh Hóa",
    "Sở Tài chính tỉnh Thanh Hóa",
    "Ban Thi đua - Khen thưởng tỉnh Thanh Hóa",
    "Sở Y tế tỉnh Thanh Hóa",
    "Sở Lao động - Thương binh và Xã hội tỉnh Thanh Hóa",
    "Sở Thông tin và Truyền thông tỉnh Thanh Hóa",
    "Huyện Thường Xuân",
    "Huyện Nga Sơn",
    "Huyện Quan Sơn",
    "Lưu: VT, CAT.",
]


def to_signature(api: ApiClient, plan: dict[str, Any] = PLAN_2023) -> int:
    """Start a plan and approve it up to the Chairman's signature; return the signing task."""
    process_id = api.start_plan(POLICE)
    reviewed = {"nominations": [{**n, "accepted": True} for n in plan["nominations"]]}
    steps = [(POLICE, "submit", plan), (FINANCE, "approve", {}), (AWARDS, "approve", reviewed)]
    for user, decision, data in steps:
        task = next(t for t in api.get("/api/v1/tasks", user).json if t["process_id"] == process_id)
        answer = api.complete(user, task["id"], decision, data=data)
        assert answer.status_code == 200, answer.json
    tasks = api.get(f"/api/v1/processes/{process_id}", CHAIRMAN).json["tasks"]
    return int(next(t["id"] for t in tasks if t["state"] == "open"))


def documents(api: ApiClient, process_id: int, render: bool = True) -> list[dict[str, Any]]:
    """The process's documents, once the render worker has run (unless `render` is False)."""
    if render:
        render_documents(api.client.application)
    answer = api.get(f"/api/v1/processes/{process_id}/documents", POLICE)
    assert answer.status_code == 200, answer.json
    return list(answer.json)


def download(api: ApiClient, document_id: int, fmt: str) -> bytes:
    answer = api.get(f"/api/v1/documents/{document_id}/{fmt}", POLICE)
    assert answer.status_code == 200
    return bytes(answer.data)


def test_the_signed_plan_reads_back_from_docx_and_pdf(api: ApiClient) -> None:
    task_id = to_signature(api)
    answer = api.complete(CHAIRMAN, task_id, "approve")
    assert answer.status_code == 200, answer.json
    (doc,) = documents(api, answer.json["process_id"])
    assert (doc["number_line"], doc["signed_by"], doc["kind"]) == (
        "Số: 1/KH-BCĐ",
        "Đỗ Minh Tuấn",
        "KH",
    )
    expected = [
        "UBND TỈNH THANH HÓA",
        "BAN CHỈ ĐẠO 138",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 1/KH-BCĐ",
        "Thanh Hóa, ngày 20 tháng 4 năm 2023",  # the fake clock's day in Vietnam
        "KẾ HOẠCH",
        PLAN_2023["title"],
        "I. MỤC ĐÍCH, YÊU CẦU",
        "II. NỘI DUNG THỰC HIỆN",
        # the plan's lists as tables, numbered after its sections
        "V. ĐIỂM TỔ CHỨC NGÀY HỘI",
        "Thị trấn Thường Xuân, huyện Thường Xuân",
        "01/07/2023 - 10/07/2023",
        "VI. ĐỀ NGHỊ KHEN THƯỞNG",
        "Bằng khen của Chủ tịch UBND tỉnh",
        "Đồng ý",  # Home Affairs' verdict
        "VII. THỜI HẠN",
        "Trước ngày 20/08/2023",
        "VIII. KINH PHÍ",
        "Tổng cộng",
        "165.000.000",
        "Nơi nhận:",
        "TRƯỞNG BAN",
        "Đỗ Minh Tuấn",
    ] + [f"- {name}" for name in RECIPIENTS]
    docx, pdf = download(api, doc["id"], "docx"), download(api, doc["id"], "pdf")
    for text in (docx_text(docx), pdf_text(pdf)):
        assert [line for line in expected if line not in text] == []
        # the Head of the Committee's own office, under the signature and above the name
        assert re.search(r"TRƯỞNG BAN\s+CHỦ TỊCH UBND TỈNH\s+Đỗ Minh Tuấn", text)
        # Nơi nhận says why each receives it: the bodies above to be informed, the units to act
        for line in ("- Ban Chỉ đạo 138/CP (để b/c);", "- Thường trực HĐND tỉnh (để b/c);"):
            assert line in text
        assert "- Huyện Thường Xuân (để t/h);" in text and "- Lưu: VT, CAT." in text
    assert hashlib.sha256(docx).hexdigest() == doc["docx_sha256"]
    assert hashlib.sha256(pdf).hexdigest() == doc["pdf_sha256"]

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = pypdfium2.PdfDocument(pdf)
    try:
        pages[0].render(scale=1.5).to_pil().save(ARTIFACTS / "plan-page-1.png")
        last = len(pages) - 1
        pages[last].render(scale=1.5).to_pil().save(ARTIFACTS / "plan-last-page.png")
    finally:
        pages.close()


def test_the_audit_log_holds_the_hashes_and_a_file_in_hand_is_checked(api: ApiClient) -> None:
    answer = api.complete(CHAIRMAN, to_signature(api), "approve")
    process_id = answer.json["process_id"]
    (doc,) = documents(api, process_id)
    history = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    (issued,) = [e for e in history if e["action"] == "document_issued"]
    assert issued["data"] == {
        "kind": "KH",
        "number": 1,
        "symbol": "KH-BCĐ",
        "register": "KH-BCĐ",
        "year": 2023,
        "subject": doc["subject"],
        "agency_id": issued["data"]["agency_id"],  # the issuing agency (audit_rows compares)
    }
    (rendered,) = [e for e in history if e["action"] == "document_rendered"]
    assert (rendered["data"]["docx_sha256"], rendered["data"]["pdf_sha256"]) == (
        doc["docx_sha256"],
        doc["pdf_sha256"],
    )
    pdf = download(api, doc["id"], "pdf")

    def check(content: bytes) -> dict[str, Any]:
        files = {"file": (io.BytesIO(content), "van-ban.pdf")}
        reply = api.post("/api/v1/documents/check", AWARDS, data=files)
        assert reply.status_code == 200, reply.json
        return dict(reply.json)

    same = check(pdf)
    assert (same["matches"], same["recorded"], same["format"]) == (True, True, "pdf")
    assert same["document"]["number_line"] == "Số: 1/KH-BCĐ"
    # the issuer as the document's header names it, not the agency whose register numbered it
    header = ["UBND TỈNH THANH HÓA", "BAN CHỈ ĐẠO 138"]
    assert same["document"]["issued_as"] == header
    assert all(line in pdf_text(pdf) for line in header)
    browser = Browser(api.client.application.test_client())
    browser.login(AWARDS)
    browser.get("/documents/check")
    upload = {"file": [(io.BytesIO(pdf), "van-ban.pdf")]}  # one value: the (file, name) pair
    page = browser.post("/documents/check", upload).get_data(as_text=True)
    # the issuer as the header prints it: the parent body, then the issuing body in bold
    lines = re.search(r'<dd class="issued-as">(.*?)</dd>', page, re.S)
    assert lines is not None
    shown = lines.group(1).split("<br>")
    assert [re.sub(r"<[^>]+>", "", line) for line in shown] == header
    assert shown[-1].startswith("<strong>")
    changed = check(pdf + b"\n")  # one byte more: no longer the signed file
    assert (changed["matches"], changed["document"]) == (False, None)
    empty = api.post("/api/v1/documents/check", AWARDS, data={})
    assert empty.status_code == 400 and "file" in empty.json["errors"]["json"]


def test_a_deputy_signs_kt_and_a_draft_has_no_number(api: ApiClient) -> None:
    task_id = to_signature(api)
    process_id = api.get(f"/api/v1/tasks/{task_id}", DEPUTY).json["process_id"]
    draft = api.get(f"/api/v1/processes/{process_id}/draft/docx", POLICE)
    assert draft.status_code == 200
    text = docx_text(draft.data)
    assert "Số: /KH-BCĐ" in text and "Thanh Hóa, ngày tháng năm 2023" in text

    assert api.complete(DEPUTY, task_id, "approve").status_code == 200
    (doc,) = documents(api, process_id)
    text = docx_text(download(api, doc["id"], "docx"))
    # the Ban Chỉ đạo's document, in its own titles; the record keeps the mark as signed
    assert "KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN" in text
    assert (
        "PHÓ CHỦ TỊCH UBND TỈNH\nTrịnh Quốc Khánh" in text
        and doc["signing_mark"] == "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    )


def _register(app: Flask) -> tuple[int | None, int]:
    with app.extensions["session_factory"]() as session:
        last = session.scalar(select(func.max(Register.last_number)))
        count = session.scalar(select(func.count()).select_from(Document))
    return last, int(count or 0)


def test_refused_signings_consume_no_number(app: Flask, api: ApiClient) -> None:
    process_id = api.start_plan(POLICE)
    draft = api.only_task(POLICE)["id"]
    early = api.complete(CHAIRMAN, draft, "submit", data=PLAN_2023)  # not approved: not theirs
    assert (early.status_code, early.json["error"]) == (403, "not_your_task")
    api.complete(POLICE, draft, "submit", data=PLAN_2023)
    api.complete(FINANCE, api.only_task(FINANCE)["id"], "approve")
    reviewed = {"nominations": [{**n, "accepted": True} for n in PLAN_2023["nominations"]]}
    api.complete(AWARDS, api.only_task(AWARDS)["id"], "approve", data=reviewed)
    sign = api.only_task(CHAIRMAN)["id"]
    other = api.complete("bacgiang.chutich", sign, "approve")  # another province's chairman
    assert (other.status_code, other.json["error"]) == (403, "not_your_task")
    assert _register(app) == (None, 0)

    assert api.complete(CHAIRMAN, sign, "approve").status_code == 200
    again = api.complete(CHAIRMAN, sign, "approve")
    assert (again.status_code, again.json["error"]) == (409, "task_not_open")
    assert _register(app) == (1, 1)
    assert [d["number"] for d in documents(api, process_id, render=False)] == [1]


def _sign(url: str, token: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps({"decision": "approve"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            return int(answer.status), json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.postgresql
def test_twenty_plans_signed_at_once_get_numbers_1_to_20(
    app: Flask, api: ApiClient, base_url: str, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks under real concurrency: PostgreSQL")
    small = {**PLAN_2023, "addressed_units": [], "sections": PLAN_2023["sections"][:1]}
    tasks = [to_signature(api, small) for _ in range(20)]
    token = api.login(CHAIRMAN)
    start = threading.Barrier(len(tasks))
    answers: list[tuple[int, dict[str, Any]]] = []

    def sign(task_id: int) -> None:
        start.wait()
        answers.append(_sign(f"{base_url}/api/v1/tasks/{task_id}/complete", token))

    threads = [threading.Thread(target=sign, args=(task_id,)) for task_id in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _ in answers] == [200] * 20, answers
    with app.extensions["session_factory"]() as session:
        numbers = sorted(session.scalars(select(Document.number)))
        last = session.scalar(select(Register.last_number))
    assert numbers == list(range(1, 21))
    assert last == 20


@pytest.mark.postgresql
def test_one_plan_signed_at_once_by_several_numbers_one_document(
    app: Flask, api: ApiClient, base_url: str, database_url: str
) -> None:
    """Of signings of one plan at once, one is 200 and the rest 409, and one number is taken:
    a loser waits for the register row, then finds its task claimed and rolls back, its number
    and its document with it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks under real concurrency: PostgreSQL")
    small = {**PLAN_2023, "addressed_units": [], "sections": PLAN_2023["sections"][:1]}
    task_id = to_signature(api, small)
    token = api.login(CHAIRMAN)
    start = threading.Barrier(6)
    answers: list[tuple[int, dict[str, Any]]] = []

    def sign() -> None:
        start.wait()
        answers.append(_sign(f"{base_url}/api/v1/tasks/{task_id}/complete", token))

    threads = [threading.Thread(target=sign) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(status for status, _ in answers) == [200] + [409] * 5, answers
    with app.extensions["session_factory"]() as session:
        numbers = session.scalars(select(Document.number)).all()
        last = session.scalar(select(Register.last_number))
    assert (numbers, last) == ([1], 1)
