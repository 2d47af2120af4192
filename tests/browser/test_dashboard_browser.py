"""A supervisor reads the demo campaigns' dashboard, filters to the late units and downloads
the Excel file; the screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from service.demo import campaigns
from service.web import dashboard as web_dashboard
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_chain_browser import PHONE, Person

pytestmark = pytest.mark.browser

SUPERVISOR = "thanhhoa.congan.truongphong"


def test_the_supervisor_finds_the_bottleneck_and_the_late_units(
    chromium: Any, live_server: LiveServer
) -> None:
    live_server.clock.now = datetime(2026, 11, 23, 2, tzinfo=UTC)  # 09:00 in Thanh Hóa
    campaigns.play(live_server.app.extensions["session_factory"], live_server.clock.now)
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

    # the trend's range is typed as every date of the pages is, dd/mm/yyyy, and read back so
    trend = page.locator("form.trend-range")
    trend.get_by_label("Từ ngày", exact=True).fill("02/11/2026")
    trend.get_by_label("Đến ngày", exact=True).fill("20/11/2026")
    trend.get_by_role("button").click()
    page.wait_for_url("**from=02%2F11%2F2026**")
    assert page.get_by_label("Từ ngày", exact=True).input_value() == "02/11/2026"
    assert "02/11/2026" in (page.locator("img.chart").get_attribute("alt") or "")
    assert page.locator("img.chart").evaluate("img => img.complete && img.naturalWidth") > 0
    # a day that does not exist: the page again, the value as typed and the field marked
    page.get_by_label("Từ ngày", exact=True).fill("31/02/2026")
    page.locator("form.trend-range").get_by_role("button").click()
    page.wait_for_url("**from=31%2F02%2F2026**")
    field = page.get_by_label("Từ ngày", exact=True)
    assert field.input_value() == "31/02/2026" and field.get_attribute("aria-invalid") == "true"
    assert page.locator("#from-error").inner_text() == "Ngày này không tồn tại."
    person.shot("dashboard-bad-date-1366")
    person.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_long_lists_page_on_a_phone(
    chromium: Any, live_server: LiveServer, monkeypatch: Any, lang: str
) -> None:
    """At 390 px the agencies and the units' tree come a page at a time (three rows here),
    the pager fits the screen, and its next link shows other units."""
    monkeypatch.setattr(web_dashboard, "PAGE", 3)
    live_server.clock.now = datetime(2026, 11, 23, 2, tzinfo=UTC)
    campaigns.play(live_server.app.extensions["session_factory"], live_server.clock.now)
    person = Person(chromium, live_server, SUPERVISOR, viewport=PHONE)
    page = person.page
    person.goto("/dashboard")
    page.wait_for_url("**/dashboard/*")
    if lang == "en":  # the switch may sit in the phone's menu: pressed as a script would
        with page.expect_navigation():
            page.evaluate("document.querySelector('button[name=lang][value=en]').click()")
        assert page.locator("html").get_attribute("lang") == "en"
    first = page.locator("#units tbody th").all_inner_texts()
    assert len(first) == 3 and len(page.locator("#agencies tbody tr").all()) == 3
    units = page.locator("section[aria-labelledby=units-title]")
    nxt = units.get_by_role("link", name=re.compile("Trang sau|Next"))
    nxt.scroll_into_view_if_needed()
    box = nxt.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    person.shot(f"dashboard-units-page-1-390-{lang}")
    nxt.click()
    page.wait_for_url("**page=2**")
    second = page.locator("#units tbody th").all_inner_texts()
    assert len(second) == 3 and not set(first) & set(second)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    person.shot(f"dashboard-units-page-2-390-{lang}")
    person.close()
