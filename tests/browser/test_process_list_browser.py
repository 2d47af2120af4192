"""The inspector (auditor) logs in, lands on the list of processes, finds this year's plan by
words typed without accents and opens its history; at 1366 and 390 px wide."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from service.cli import DEMO_PASSWORD
from service.demo import campaigns
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_chain_browser import DESKTOP, PHONE

pytestmark = pytest.mark.browser

AUDITOR = "thanhhoa.thanhtra"


def _auditor(chromium: Any, server: LiveServer, viewport: dict[str, int]) -> tuple[Any, Any]:
    context = chromium.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(15_000)
    page.goto(server.url + "/login")
    page.fill("#username", AUDITOR)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/processes")  # an auditor's landing page, not an empty inbox
    return context, page


def _shot(page: Any, name: str) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_auditor_finds_a_plan_without_accents_and_opens_its_history(
    chromium: Any, live_server: LiveServer
) -> None:
    live_server.clock.now = datetime(2026, 11, 23, 2, tzinfo=UTC)  # 09:00 in Thanh Hóa
    campaigns.play(live_server.app.extensions["session_factory"], live_server.clock.now)
    for viewport, suffix in ((DESKTOP, "1366"), (PHONE, "390")):
        context, page = _auditor(chromium, live_server, viewport)
        page.fill("#q", "ngay hoi 2026")
        page.get_by_role("button", name="Lọc").click()
        page.wait_for_url("**q=ngay+hoi+2026**")
        titles = page.locator("a.row-link").all_inner_texts()
        assert titles and all("năm 2026" in t for t in titles), titles
        _shot(page, f"process-list-search-{suffix}")

        # the province's own plan (the units' titles end with the unit's name)
        page.locator("a.row-link", has_text=re.compile("địa bàn tỉnh Thanh Hóa$")).click()
        page.wait_for_url("**/processes/*")
        assert "năm 2026" in page.locator("h1").inner_text()
        history = page.locator("ol.timeline")
        assert history.count() == 1 and "Ký ban hành" in history.inner_text()
        _shot(page, f"process-history-{suffix}")
        context.close()
