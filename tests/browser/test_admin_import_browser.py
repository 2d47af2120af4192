"""An administrator imports an agencies sheet in a real browser: one bad row refuses the sheet,
named by its row and column, and nothing is written; the corrected sheet goes in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import Person

pytestmark = pytest.mark.browser

SHEET = (
    "code,name,kind,parent,admin_code,serves\n"
    "thanh-hoa-xa-moi,Xã Mới,commune,thanh-hoa,16999,\n"
    "thanh-hoa-xa-moi-cong-an,Công an xã Mới,police,{parent},,standing_body\n"
)


def test_a_sheet_with_a_bad_row_is_refused_by_row(
    chromium: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    admin = Person(chromium, live_server, "admin")
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(SHEET.format(parent="xa-khong-co"), encoding="utf-8-sig")
    good.write_text(SHEET.format(parent="thanh-hoa-xa-moi"), encoding="utf-8-sig")
    admin.goto("/admin/agencies")
    admin.page.get_by_role("link", name="Nhập danh sách cơ quan, đơn vị").click()
    admin.page.set_input_files("#file", str(bad))
    admin.page.get_by_role("button", name="Kiểm tra và nhập").click()
    refused = admin.page.locator("#import-report tr.import-error")
    expect(refused).to_have_count(1)  # once the answer to the upload is on the page
    assert refused.locator("td").all_inner_texts()[:2] == ["3", "parent"]
    admin.shot("admin-import-refused")
    admin.goto("/admin/agencies?q=xa moi")
    assert admin.page.locator("mark").count() == 0  # nothing was written
    admin.goto("/admin/agencies/import")
    admin.page.set_input_files("#file", str(good))
    admin.page.get_by_role("button", name="Kiểm tra và nhập").click()
    admin.page.wait_for_url("**/admin/agencies")
    admin.goto("/admin/agencies?q=xa moi")
    assert admin.page.locator("mark").all_inner_texts() == ["Xã Mới", "Công an xã Mới"]
    assert admin.errors == []
    admin.close()
