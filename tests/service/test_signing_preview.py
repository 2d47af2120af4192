"""Before signing, the signer reads the document to be signed (a PDF marked as a preview, with
no number) and the number it will take and who receives it; after signing, the answer names the
number given and the units reached. The preview reads the register without taking from it."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.db.models import Document, Event, Register
from service.db.uow import UnitOfWork
from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.service.documents_read import pdf_text
from tests.service.test_cascade import (
    DISTRICT_CHAIN,
    PROVINCE_CHAIN,
    at,
    children,
    drive,
    report,
    unit_plan,
)
from tests.service.test_documents import CHAIRMAN, POLICE, RECIPIENTS, to_signature
from tests.web.conftest import Browser

DISTRICT_POLICE, DISTRICT_HEAD = "thuongxuan.congan", "thuongxuan.chutich"


def _counts(app: Flask) -> tuple[int, int, list[tuple[int, str, int]]]:
    """Events, documents and every register's last number: what a preview must not touch."""
    with UnitOfWork(app.extensions["session_factory"], write=False) as uow:
        events = uow.session.scalar(select(func.count()).select_from(Event))
        documents = uow.session.scalar(select(func.count()).select_from(Document))
        registers = uow.session.execute(
            select(Register.agency_id, Register.symbol, Register.last_number)
        ).all()
        return int(events or 0), int(documents or 0), sorted(tuple(r) for r in registers)


def test_the_preview_names_the_number_and_recipients_and_signing_gives_them(
    app: Flask, api: ApiClient
) -> None:
    task_id = to_signature(api)
    before = _counts(app)
    answer = api.get(f"/api/v1/tasks/{task_id}/signing", CHAIRMAN)
    assert answer.status_code == 200, answer.json
    preview = answer.json
    assert preview["kind"] == "KH" and preview["symbol"] == "KH-BCĐ"
    assert preview["indicative"] is True
    assert preview["number_text"] == f"{preview['number']}/KH-BCĐ"
    assert preview["units"] == len(PLAN_2023["addressed_units"]) == 9
    # the units it addresses, "(để t/h)", after the bodies informed; not the archive line
    units = [r for r in preview["recipients"] if r.endswith("(để t/h)")]
    assert [u.removesuffix(" (để t/h)") for u in units] == RECIPIENTS[:-1]
    assert not any(r.startswith("Lưu") for r in preview["recipients"])

    pdf = api.get(f"/api/v1/tasks/{task_id}/signing/preview.pdf", CHAIRMAN)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(bytes(pdf.data))
    assert "BẢN XEM TRƯỚC" in text  # the API answers in Vietnamese, like the pages by default
    assert "Số: /KH-BCĐ" in " ".join(text.split())  # no number on a preview
    assert pdf.headers["X-Frame-Options"] == "SAMEORIGIN"
    again = api.get(
        f"/api/v1/tasks/{task_id}/signing/preview.pdf",
        CHAIRMAN,
        headers={"If-None-Match": pdf.headers["ETag"]},
    )
    assert again.status_code == 304  # the same draft: the same file

    assert _counts(app) == before  # nothing written, no number taken

    signed = api.complete(CHAIRMAN, task_id, "approve")
    assert signed.status_code == 200, signed.json
    done = signed.json
    assert (done["document_number"], done["document_symbol"]) == (preview["number"], "KH-BCĐ")
    assert done["units_reached"] == 9
    with UnitOfWork(app.extensions["session_factory"], write=False) as uow:
        document = uow.session.get_one(Document, done["document_id"])
        assert (document.number, document.symbol, document.kind) == (
            preview["number"],
            "KH-BCĐ",
            "KH",
        )


def test_the_preview_is_the_signers_and_only_for_an_open_signing(api: ApiClient) -> None:
    task_id = to_signature(api)
    # the drafter's agency acts on no signing: 403, as any other agency's task
    assert api.get(f"/api/v1/tasks/{task_id}/signing", POLICE).status_code == 403
    assert api.get(f"/api/v1/tasks/{task_id}/signing/preview.pdf", POLICE).status_code == 403
    assert api.get("/api/v1/tasks/99999999/signing", CHAIRMAN).status_code == 404
    draft_process = api.start_plan(POLICE)
    (draft,) = [
        t for t in api.get("/api/v1/tasks", POLICE).json if t["process_id"] == draft_process
    ]
    answer = api.get(f"/api/v1/tasks/{draft['id']}/signing", POLICE)
    assert answer.status_code == 409 and answer.json["error"] == "not_a_signing"
    assert api.complete(CHAIRMAN, task_id, "approve").status_code == 200
    closed = api.get(f"/api/v1/tasks/{task_id}/signing", CHAIRMAN)
    assert closed.status_code == 409 and closed.json["error"] == "task_not_open"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_signing_page_frames_the_preview_and_says_what_was_issued(
    app: Flask, api: ApiClient, lang: str
) -> None:
    task_id = to_signature(api)
    page = Browser(app.test_client())
    page.login(CHAIRMAN)
    page.post("/language", {"lang": lang, "next": "/inbox"})
    html = page.get(f"/tasks/{task_id}").get_data(as_text=True)
    preview = api.get(f"/api/v1/tasks/{task_id}/signing", CHAIRMAN).json
    number = preview["number_text"]
    assert f'src="/tasks/{task_id}/preview.pdf"' in html
    if lang == "vi":
        assert f"Văn bản sẽ được cấp số {number}." in html
        assert "Số thứ tự là dự kiến" in html
    else:
        assert f"The document will take no. {number}." in html
        assert "The number is indicative" in html
    framed = page.client.get(f"/tasks/{task_id}/preview.pdf")
    assert framed.status_code == 200 and framed.mimetype == "application/pdf"
    assert "frame-ancestors 'self'" in framed.headers["Content-Security-Policy"]
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    watermark = "BẢN XEM TRƯỚC" if lang == "vi" else "PREVIEW"
    assert watermark in pdf_text(bytes(framed.data))

    signed = page.post(f"/tasks/{task_id}", {"decision": "approve"}, follow_redirects=True)
    text = signed.get_data(as_text=True)
    if lang == "vi":
        assert f"Đã ký và ban hành Kế hoạch số {number}, gửi tới 9 đơn vị." in text
    else:
        assert f"Signed and issued plan no. {number}, sent to 9 units." in text


def test_a_report_signing_previews_the_report_and_names_its_number(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2023-04-20")
    plan = {**PLAN_2023, "addressed_units": ["thuong-xuan"]}
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    province = api.start_plan(POLICE)
    assert drive(api, province, PROVINCE_CHAIN, plan) is None
    (district,) = [c["process_id"] for c in children(api, province).values()]
    at(clock, "2023-05-05")
    assert drive(api, district, DISTRICT_CHAIN, unit_plan("Kế hoạch huyện")) == "consolidate_report"
    at(clock, "2023-08-10")
    (drafting,) = api.get(f"/api/v1/tasks?process={district}", DISTRICT_POLICE).json
    figures = report(2, 1200, 30_000_000, communes=(5, 5), movement=(45, 40))
    assert api.complete(DISTRICT_POLICE, drafting["id"], "submit", data=figures).status_code == 200
    (signing,) = api.get(f"/api/v1/tasks?process={district}", DISTRICT_HEAD).json

    preview = api.get(f"/api/v1/tasks/{signing['id']}/signing", DISTRICT_HEAD).json
    assert (preview["kind"], preview["units"]) == ("BC", 0)
    assert preview["recipients"][0] == "Công an tỉnh Thanh Hóa (để b/c)"
    pdf = api.get(f"/api/v1/tasks/{signing['id']}/signing/preview.pdf", DISTRICT_HEAD)
    text = pdf_text(bytes(pdf.data))
    assert "BẢN XEM TRƯỚC" in text and "BÁO CÁO" in text

    done = api.complete(DISTRICT_HEAD, signing["id"], "approve").json
    assert (done["document_number"], done["document_symbol"]) == (
        preview["number"],
        preview["symbol"],
    )
    assert preview["symbol"].startswith("BC-") and done["units_reached"] == 1  # sent up


def test_a_plan_issued_by_the_fanout_worker_counts_the_units_it_goes_to(
    app: Flask, api: ApiClient
) -> None:
    settings = app.extensions["settings"]
    app.extensions["settings"] = dataclasses.replace(settings, fanout_inline_max=2)
    answer = api.complete(CHAIRMAN, to_signature(api), "approve")
    assert answer.status_code == 200, answer.json
    assert answer.json["units_reached"] == 9  # queued for the worker, all nine of them
