"""Finance asks the Police a question on its appraisal (xin ý kiến) and attaches a photo; the
Police see both, told by a notification, on a phone; the audit log holds the hash of each."""

from __future__ import annotations

import hashlib
import socket
import time
from typing import Any

import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.attachment_store import S3Store
from service.db.models import Event, Task, TaskDraft
from service.operations.actors import authenticate
from service.operations.processes import start_process
from service.operations.tasks import complete_task
from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import PHONE, Person
from tests.conftest import PLAN_2023
from tests.service.attached_samples import png

pytestmark = pytest.mark.browser

QUESTION = "Đề nghị Công an tỉnh làm rõ số suất quà cấp xã <b>54 đơn vị</b>."


def _at_finance(server: LiveServer) -> int:
    police = authenticate(server.new_uow(), "thanhhoa.congan", DEMO_PASSWORD)
    process_id = start_process(server.new_uow(), police, "plan_chain", PLAN_2023["title"])
    with server.app.extensions["session_factory"]() as session:
        draft = session.scalars(select(Task.id).filter_by(instance_id=process_id)).one()
    complete_task(server.new_uow(), police, draft, "submit", None, PLAN_2023)
    return process_id


def _drafts(server: LiveServer) -> int:
    with server.app.extensions["session_factory"]() as session:
        return len(session.scalars(select(TaskDraft.task_id)).all())


def test_a_comment_and_a_photo_reach_the_police_and_the_audit_log(
    chromium: Any, live_server: LiveServer
) -> None:
    process_id = _at_finance(live_server)
    photo = png("orange")
    finance = Person(chromium, live_server, "thanhhoa.taichinh")
    finance.open_task("Ngày hội")
    page = finance.page
    page.fill("#comment-body", QUESTION)
    page.get_by_label("Công an tỉnh Thanh Hóa").check()
    page.get_by_role("button", name="Gửi ý kiến").click()
    page.wait_for_url("**/tasks/*")
    assert "Đã gửi ý kiến." in page.inner_text("body")
    page.set_input_files(
        "#attach-file",
        files=[{"name": "anh-hien-truong.png", "mimeType": "image/png", "buffer": photo}],
    )
    page.get_by_role("button", name="Đính kèm", exact=True).click()
    page.wait_for_url("**/tasks/*")
    thread = page.locator("[data-conversation]")
    assert QUESTION in thread.inner_text() and "anh-hien-truong.png" in thread.inner_text()
    thread.scroll_into_view_if_needed()
    finance.shot("conversation-task-1366")
    finance.close()

    police = Person(chromium, live_server, "thanhhoa.congan", viewport=PHONE)
    police.goto("/notifications")
    assert "làm rõ số suất quà cấp xã" in police.page.inner_text("main")
    police.page.get_by_role("link", name="Xem quy trình").first.click()
    police.page.wait_for_url(f"**/processes/{process_id}")
    thread = police.page.locator("[data-conversation]")
    assert QUESTION in thread.inner_text()  # the markup typed is shown as text
    thumb = thread.locator("img.file-thumb")
    thumb.scroll_into_view_if_needed()
    assert thumb.evaluate("img => img.complete && img.naturalWidth") == 40  # the preview shows
    timeline = police.page.locator(".timeline").inner_text()
    assert "Đã cho ý kiến" in timeline and "Đã đính kèm tệp" in timeline
    police.shot("conversation-process-390")
    police.close()

    with live_server.app.extensions["session_factory"]() as session:
        events = {
            e.action: e.data
            for e in session.scalars(select(Event).filter_by(instance_id=process_id))
        }
    assert events["comment_added"]["sha256"] == hashlib.sha256(QUESTION.encode()).hexdigest()
    assert events["comment_added"]["mentions"] == ["thanh-hoa-cong-an"]
    assert events["file_attached"]["sha256"] == hashlib.sha256(photo).hexdigest()


def test_with_the_file_store_away_the_upload_says_so_and_nothing_typed_is_lost(
    chromium: Any, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "antq")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "antq-secret")
    with socket.socket() as probe:  # a port where nothing listens: the store is away
        probe.bind(("127.0.0.1", 0))
        away = f"http://127.0.0.1:{probe.getsockname()[1]}"
    live_server.app.extensions["attachments"] = S3Store("antq-attachments", away)
    _at_finance(live_server)
    finance = Person(chromium, live_server, "thanhhoa.taichinh")
    finance.open_task("Ngày hội")
    page, task_url = finance.page, finance.page.url
    page.fill("#comment", "Đề nghị bổ sung dự toán chi tiết cho 54 suất quà")  # not yet saved
    page.set_input_files(
        "#attach-file",
        files=[{"name": "du-toan.png", "mimeType": "image/png", "buffer": png("teal")}],
    )
    page.get_by_role("button", name="Đính kèm", exact=True).click()
    page.wait_for_url("**/attachments")
    error = page.locator("#attach-file-error").inner_text()
    assert "Kho lưu tệp (S3 antq-attachments) không phản hồi" in error
    finance.shot("attach-store-away-1366")
    deadline = time.monotonic() + 10  # the draft's request outlives the page that sent it
    while not _drafts(live_server) and time.monotonic() < deadline:
        time.sleep(0.05)
    finance.goto(task_url.removeprefix(live_server.url))
    assert (
        page.locator("#comment").input_value() == "Đề nghị bổ sung dự toán chi tiết cho 54 suất quà"
    )
    finance.close()
