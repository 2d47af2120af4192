"""The Chairman signs the demo plan in the browser; staff download the DOCX and the PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import Task
from service.operations.actors import authenticate
from service.operations.processes import start_process
from service.operations.tasks import complete_task
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_chain_browser import Person
from tests.conftest import PLAN_2023, render_documents
from tests.service.documents_read import docx_text, pdf_text

pytestmark = pytest.mark.browser


def _to_signature(server: LiveServer) -> int:
    """The demo plan drafted and approved up to the Chairman (the forms have their own test)."""
    actors = {
        user: authenticate(server.new_uow(), user, DEMO_PASSWORD)
        for user in ("thanhhoa.congan", "thanhhoa.taichinh", "thanhhoa.thiduakhenthuong")
    }
    police = actors["thanhhoa.congan"]
    process_id = start_process(server.new_uow(), police, "plan_chain", PLAN_2023["title"])
    for user, decision, data in (
        ("thanhhoa.congan", "submit", PLAN_2023),
        ("thanhhoa.taichinh", "approve", {}),
        (
            "thanhhoa.thiduakhenthuong",
            "approve",
            {"nominations": [{**n, "accepted": True} for n in PLAN_2023["nominations"]]},
        ),
    ):
        with server.app.extensions["session_factory"]() as session:
            task_id = session.scalars(
                select(Task.id).filter_by(instance_id=process_id, state="open")
            ).one()
        complete_task(server.new_uow(), actors[user], task_id, decision, None, data)
    return process_id


def test_sign_the_demo_plan_and_download_both_files(
    chromium: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    process_id = _to_signature(live_server)
    chairman = Person(chromium, live_server, "thanhhoa.chutich")
    page = chairman.page
    chairman.goto(f"/processes/{process_id}")
    draft = page.locator("#documents-title").locator("..")
    assert "Chưa có văn bản ký ban hành" in draft.inner_text()
    chairman.open_task("Ngày hội")
    chairman.decide("Ký ban hành")

    police = Person(chromium, live_server, "thanhhoa.congan")
    police.goto(f"/processes/{process_id}")
    section = police.page.locator("#documents-title").locator("..")
    # numbered at once; its files come from the render worker, run here in process
    assert "Số: 1/KH-BCĐ" in section.inner_text()
    assert "Đang chuẩn bị văn bản…" in section.inner_text()
    police.shot("documents-preparing-1366")
    assert render_documents(live_server.app).rendered == 1
    police.goto(f"/processes/{process_id}")
    section = police.page.locator("#documents-title").locator("..")
    assert "Số: 1/KH-BCĐ" in section.inner_text()
    assert "Đang chuẩn bị văn bản…" not in section.inner_text()
    files = {}
    for fmt, link in (("docx", "Tải DOCX"), ("pdf", "Tải PDF")):
        with police.page.expect_download() as download:
            section.get_by_role("link", name=link).click()
        assert download.value.suggested_filename == f"1-KH-BCĐ-2023.{fmt}"
        files[fmt] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[fmt])
    police.shot("documents-process-1366")
    for text in (docx_text(files["docx"].read_bytes()), pdf_text(files["pdf"].read_bytes())):
        for line in ("Số: 1/KH-BCĐ", "TRƯỞNG BAN", "Đỗ Minh Tuấn", "165.000.000"):
            assert line in text, line
    pdf = pypdfium2.PdfDocument(files["pdf"])
    try:
        pdf[0].render(scale=1.5).to_pil().save(ARTIFACTS / "documents-pdf-page-1.png")
    finally:
        pdf.close()

    # the file in hand, checked against the audit log
    section.get_by_role("link", name="Kiểm tra một tệp đang giữ").click()
    police.page.set_input_files("#file", str(files["pdf"]))
    police.page.get_by_role("button", name="Kiểm tra", exact=True).click()
    assert "Đúng là văn bản đã ký" in police.page.inner_text("main")
    police.shot("documents-check-1366")
    chairman.close()
    police.close()
