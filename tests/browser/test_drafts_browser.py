"""Nothing typed is lost, in a real browser: the autosave keeps a draft through a reload, and a
form sent after the session expired comes back after the login, on a desktop and a phone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import Task
from service.operations.actors import authenticate
from service.operations.processes import start_process
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_chain_browser import DESKTOP, PHONE, POLICE, Person
from tests.conftest import PLAN_2023, FakeClock

pytestmark = pytest.mark.browser

TITLE = "Kế hoạch soạn dở — không mất chữ nào"


def _draft_task(server: LiveServer) -> int:
    police = authenticate(server.new_uow(), POLICE, DEMO_PASSWORD)
    process_id = start_process(server.new_uow(), police, "plan_chain", PLAN_2023["title"])
    with server.app.extensions["session_factory"]() as session:
        task_id: int = session.scalars(
            select(Task.id).filter_by(instance_id=process_id, state="open")
        ).one()
    return task_id


def _log_in_again(person: Person) -> None:
    page = person.page
    page.wait_for_url("**/login?next=**")
    page.fill("#username", POLICE)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/tasks/*restored=1")


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "1366"), (PHONE, "390")])
def test_a_draft_survives_a_reload_and_an_expired_session(
    chromium: Any, live_server: LiveServer, viewport: Any, name: str
) -> None:
    wall = FakeClock(datetime.now(UTC))
    live_server.app.extensions["session_clock"] = wall
    live_server.app.config["DRAFT_AUTOSAVE_SECONDS"] = 1
    task = _draft_task(live_server)
    clerk = Person(chromium, live_server, POLICE, viewport)
    page = clerk.page
    clerk.goto(f"/tasks/{task}")

    # the autosave: typed, saved without a click, there again after a reload
    page.fill("#f-data-title", TITLE)
    status = page.locator("[data-draft-status]")
    status.filter(has_text="Bản nháp lưu lúc").wait_for()
    page.reload()
    assert page.input_value("#f-data-title") == TITLE
    assert "Bản nháp lưu lúc" in status.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"draft-restored-{name}.png"), full_page=True)

    # the explicit button; the page it leads to autosaves no more (the send below races none)
    live_server.app.config["DRAFT_AUTOSAVE_SECONDS"] = 3600
    page.fill("#comment", "Lưu bằng nút")
    page.get_by_role("button", name="Lưu nháp").click()
    page.locator(".flash", has_text="Đã lưu nháp.").wait_for()
    assert page.input_value("#comment") == "Lưu bằng nút"

    # sent after 30 idle minutes: kept, and back after the login, nothing sent
    page.fill("#comment", "Gõ trước khi phiên hết hạn")
    wall.advance(seconds=live_server.app.config["IDLE_TIMEOUT_SECONDS"] + 1)
    page.locator("button[name=decision]").first.click()
    page.wait_for_url("**/login?next=**")
    assert "Nội dung bạn đã nhập vẫn được giữ" in page.locator(".flash").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"draft-session-expired-login-{name}.png"), full_page=True)
    live_server.app.config["DRAFT_AUTOSAVE_SECONDS"] = 1
    _log_in_again(clerk)
    page.locator("[data-draft-restored]").wait_for()
    assert page.input_value("#f-data-title") == TITLE
    assert page.input_value("#comment") == "Gõ trước khi phiên hết hạn"
    page.screenshot(path=str(ARTIFACTS / f"draft-after-login-{name}.png"), full_page=True)

    # the autosave finds the session expired: the form is kept and the page says to log in
    wall.advance(seconds=live_server.app.config["IDLE_TIMEOUT_SECONDS"] + 1)
    page.fill("#comment", "Tự lưu khi phiên đã hết hạn")
    status.locator("a").wait_for()
    assert "Phiên làm việc đã hết hạn" in status.inner_text()
    status.locator("a").click()
    _log_in_again(clerk)
    assert page.input_value("#comment") == "Tự lưu khi phiên đã hết hạn"
    with live_server.app.extensions["session_factory"]() as session:
        assert session.get(Task, task).state == "open"  # type: ignore[union-attr]
    assert clerk.errors == []
    clerk.context.close()
