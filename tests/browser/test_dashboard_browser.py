"""A supervisor reads the demo campaigns' dashboard, filters to the late units and downloads
the Excel file; the screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from service.demo import campaigns
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_chain_browser import Person

pytestmark = pytest.mark.browser

SUPERVISOR = "thanhhoa.congan.truongphong"


def test_the_supervisor_finds_the_bottleneck_and_the_late_units(
    chromium: Any, live_server: LiveServer
) -> None:
    live_server.clock.now = datetime(2026, 11, 23, 2, tzinfo=UTC)  # 09:00 in Thanh Hóa
    campaigns.play(live_server.app.extensions["session_factory"], live_server.clock.now.date())
    person = Person(chromium, live_server, SUPERVISOR)
    page = person.page
    page.get_by_role("link", name="Bảng theo dõi").click()
    page.wait_for_url("**/dashboard/*")
    assert "năm 2026" in page.locator("h1 + p").inner_text()

    # at a glance: the step holding the chain, the slowest agency, who is missing
    summary = page.locator(".summary").inner_text()
    # Sở KH&CN's plan, never drafted, has waited since the province's plan was signed
    assert re.search(
        r"Xây dựng kế hoạch — 1 việc đang mở; 90% số việc đã chờ không quá \d+ ngày làm việc",
        summary,
    )
    assert "Sở Khoa học và Công nghệ tỉnh Thanh Hóa" in summary
    assert page.locator("#steps tr.row-hot th").inner_text() == "Xây dựng kế hoạch"
    assert page.locator("img.chart").evaluate("img => img.complete && img.naturalWidth") > 0
    person.shot("dashboard-1366")

    page.get_by_role("link", name="Chỉ đơn vị chậm").click()
    page.wait_for_url("**only=late**")
    rows = page.locator("#units tbody th").all_inner_texts()
    assert "Sở Y tế tỉnh Thanh Hóa" not in rows
    assert {"Sở Khoa học và Công nghệ tỉnh Thanh Hóa", "Xã Nga Sơn", "Xã Quan Sơn"} <= set(rows)

    with page.expect_download() as download:
        page.locator("#units-title + .downloads a", has_text="Excel").click()
    path = ARTIFACTS / "dashboard-units-late.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:5] == [
        "Đơn vị",
        "Cấp",
        "Đã gửi kế hoạch",
        "Kế hoạch đã duyệt",
        "Đã báo cáo",
    ]
    late = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(late) == set(rows)
    assert late["Xã Nga Sơn"][6:8] == ("Chậm", "Chưa báo cáo")
    person.shot("dashboard-late-1366")
    person.close()
