"""An administrator reorganises the directory on the agencies page in a real browser: a merge
into a dissolved district is refused on its field, corrected, and applied."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import Person
from tests.service.test_cascade import at

pytestmark = pytest.mark.browser


def apply(admin: Person, agency: str, action: str, **fields: str) -> None:
    admin.goto(f"/admin/agencies?q={agency}")
    admin.page.get_by_role("link", name=f"Sắp xếp lại {agency}").click()
    admin.page.wait_for_url("**/admin/agencies/reorganise?code=*")
    admin.page.select_option("#action", action)
    admin.page.fill("#effective", "01/07/2025")
    for name, value in fields.items():
        admin.page.fill(f"#{name}", value)
    admin.page.get_by_role("button", name="Áp dụng").click()


def test_a_merge_into_a_dissolved_agency_is_refused_on_its_field(
    chromium: Any, live_server: LiveServer
) -> None:
    at(live_server.clock, "2025-07-01")
    admin = Person(chromium, live_server, "admin")
    apply(admin, "Huyện Nga Sơn", "dissolve")
    admin.page.wait_for_url("**/admin/agencies?q=*")
    assert "Huyện Nga Sơn: đã áp dụng việc sắp xếp lại." in admin.page.inner_text("main")

    apply(admin, "Huyện Thường Xuân", "merge", into="nga-son")
    error = admin.page.locator("#into-error")
    assert error.inner_text() == "Huyện Nga Sơn đã giải thể hoặc hợp nhất từ ngày 01/07/2025."
    assert admin.page.get_attribute("#into", "aria-invalid") == "true"
    assert admin.page.input_value("#code") == "thuong-xuan"  # the form keeps what was typed
    admin.shot("admin-reorganise-refused")

    admin.page.fill("#into", "thuong-xuan-tt-thuong-xuan")
    admin.page.get_by_role("button", name="Áp dụng").click()
    admin.page.wait_for_url("**/admin/agencies?q=*")
    row = admin.page.locator("tr", has_text="Huyện Thường Xuân").first
    assert "thuong-xuan-tt-thuong-xuan" in row.inner_text()  # ended, with its successor
    assert admin.errors == []
    admin.close()
