"""Nhắc việc in Chromium: a supervisor reminds a late unit from the dashboard with one click,
and the unit's clerk finds the reminder among their notifications; on a desktop and on a
phone (390 px), screenshots in test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from service.demo import campaigns
from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import PHONE, Person

pytestmark = pytest.mark.browser

SUPERVISOR = "thanhhoa.congan.truongphong"
MEDIA = "Sở Khoa học và Công nghệ tỉnh Thanh Hóa"  # never drafted its plan


def test_a_supervisor_reminds_a_late_unit_and_the_unit_sees_it(
    chromium: Any, live_server: LiveServer
) -> None:
    live_server.clock.now = datetime(2026, 11, 23, 2, tzinfo=UTC)  # 09:00 in Thanh Hóa
    campaigns.play(live_server.app.extensions["session_factory"], live_server.clock.now)
    supervisor = Person(chromium, live_server, SUPERVISOR)
    page = supervisor.page
    page.get_by_role("link", name="Bảng theo dõi").click()
    page.wait_for_url("**/dashboard/*")
    page.get_by_role("button", name=f"Nhắc việc {MEDIA}").click()  # the one click
    page.wait_for_url("**/dashboard/*")
    assert page.locator(".flash-success").inner_text() == f"Đã gửi 1 nhắc việc: {MEDIA}."
    supervisor.shot("remind-dashboard-1366")

    clerk = Person(chromium, live_server, "thanhhoa.sokhcn")
    clerk.page.get_by_role("link", name="Thông báo").click()
    clerk.page.wait_for_url("**/notifications")
    reminder = clerk.page.locator("tbody tr", has_text="Nhắc việc từ Công an tỉnh Thanh Hóa")
    assert reminder.count() == 1
    assert "(Nguyễn Thị Thu Hà)" in reminder.inner_text()  # who sent it
    clerk.shot("remind-notifications-1366")

    # on a phone: the rest of the late units at once, then the same page again says when
    phone = Person(chromium, live_server, SUPERVISOR, viewport=PHONE)
    phone.goto(page.url.split(live_server.url)[1].split("?")[0])
    phone.page.get_by_role("button", name="Nhắc tất cả đơn vị chậm").click()
    phone.page.wait_for_url("**/dashboard/*")
    assert "nhắc việc" in phone.page.locator(".flash-success").inner_text()
    assert MEDIA in phone.page.locator(".flash-info").inner_text()  # already reminded today
    phone.shot("remind-dashboard-390")
    phone_clerk = Person(chromium, live_server, "thanhhoa.sokhcn", viewport=PHONE)
    phone_clerk.goto("/notifications")
    assert phone_clerk.page.get_by_text("Nhắc việc từ Công an tỉnh Thanh Hóa").count() == 1
    phone_clerk.shot("remind-notifications-390")
    for person in (supervisor, clerk, phone, phone_clerk):
        person.close()
