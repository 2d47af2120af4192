"""The whole chain in a real browser, as the demo users, with screenshots to look at."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from service.cli import DEMO_PASSWORD
from service.operations.scheduler import tick
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.conftest import PLAN_2023, SECOND_FACTOR_USERS, fresh_code

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
POLICE, FINANCE, AWARDS, DEPUTY = (
    "thanhhoa.congan",
    "thanhhoa.taichinh",
    "thanhhoa.thiduakhenthuong",
    "thanhhoa.phochutich",
)


class Person:
    """One demo user in their own browser context (own cookies), failing on any page error."""

    def __init__(self, chromium: Any, server: LiveServer, username: str, viewport: Any = None):
        self.server = server
        self.context = chromium.new_context(viewport=viewport or DESKTOP, locale="vi-VN")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.page.on("console", self._console)
        self.page.set_default_timeout(15_000)
        self.goto("/inbox")  # sent to the login page, and back after it
        assert "/login?next=" in self.page.url
        self.page.fill("#username", username)
        self.page.fill("#password", DEMO_PASSWORD)
        self.page.get_by_role("button", name="Đăng nhập").click()
        if username in SECOND_FACTOR_USERS:
            self.page.wait_for_url("**/login/code**")
            self.page.fill("#code", fresh_code(server.app, username))
            self.page.get_by_role("button", name="Xác nhận").click()
        self.page.wait_for_url("**/inbox")

    def _console(self, message: Any) -> None:
        """Script errors and anything the CSP refused; 4xx answers are expected here."""
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.server.url + path)

    def open_task(self, title_part: str) -> None:
        self.goto("/inbox")
        self.page.locator("a.row-link", has_text=title_part).first.click()
        self.page.wait_for_url("**/tasks/*")

    def decide(self, button: str) -> None:
        self.page.get_by_role("button", name=button, exact=True).click()
        self.page.wait_for_url("**/inbox")

    def shot(self, name: str) -> None:
        width = self.page.viewport_size["width"]
        assert self.page.evaluate("document.documentElement.scrollWidth") <= width, name
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        assert self.errors == [], self.errors  # no script error, nothing the CSP refused
        self.context.close()


def _fill_line(page: Any, index: int, item: str, quantity: int, amount: int) -> None:
    page.fill(f"#f-data-budget_lines-{index}-item", item)
    page.fill(f"#f-data-budget_lines-{index}-quantity", str(quantity))
    page.fill(f"#f-data-budget_lines-{index}-unit_amount", str(amount))


def test_the_chain_with_a_return_a_budget_change_and_a_deputys_signature(
    chromium: Any, live_server: LiveServer
) -> None:
    title = "Ngày hội toàn dân bảo vệ ANTQ năm 2023 trên địa bàn tỉnh Thanh Hóa"
    police = Person(chromium, live_server, POLICE)
    page = police.page
    page.get_by_role("link", name="Lập kế hoạch mới").click()
    page.fill("#title", title)
    page.get_by_role("button", name="Khởi tạo và soạn thảo").click()
    page.wait_for_url("**/tasks/*")
    draft_url = page.url
    process_path = page.get_by_role("link", name="Diễn biến và sơ đồ").get_attribute("href")
    assert process_path is not None and process_path.startswith("/processes/")
    assert page.input_value("#f-data-title") == title

    # the draft: wrong input first, then the plan with its budget lines
    page.fill("#f-data-year", "hai nghìn")
    page.get_by_role("button", name="Trình thẩm định").click()
    expect(page.locator("#form-errors")).to_be_visible()
    assert "Nhập số nguyên" in page.locator("#f-data-year-error").inner_text()
    assert page.input_value("#f-data-year") == "hai nghìn"  # kept as typed
    page.fill("#f-data-year", "2023")
    page.fill("#f-data-window-start", "01/07/2023")
    page.fill("#f-data-window-end", "19/08/2023")
    add_line = page.locator('[data-rows="data.budget_lines"] [data-add-row]')
    for index, line in enumerate(PLAN_2023["budget_lines"]):
        add_line.click()
        _fill_line(page, index, line["item"], line["quantity"], line["unit_amount"])
    total = page.locator("[data-budget-total]")
    assert total.inner_text() == "165.000.000 đ"  # live, before anything is sent
    page.locator('[data-rows="data.nominations"] [data-add-row]').click()
    page.select_option("#f-data-nominations-0-kind", "bang_khen_chu_tich_tinh")
    page.fill("#f-data-nominations-0-nominee", PLAN_2023["nominations"][0]["nominee"])
    page.fill("#f-data-nominations-0-reason", PLAN_2023["nominations"][0]["reason"])
    page.fill(".checklist-filter", "nga son")  # the filter ignores diacritics
    assert page.locator(".checklist label:visible").count() >= 1
    page.check('input[name="data.addressed_units"][value="nga-son"]')
    page.fill(".checklist-filter", "")
    page.check('input[name="data.addressed_units"][value="thuong-xuan"]')
    page.locator('[data-rows="data.deadlines"] [data-add-row]').click()
    page.fill("#f-data-deadlines-0-what", "Báo cáo kết quả gửi Công an tỉnh")
    page.fill("#f-data-deadlines-0-due", "20/08/2023")
    page.select_option("#f-data-deadlines-0-kind", "unit_report")
    police.shot("task-form-draft-1366")
    police.decide("Trình thẩm định")
    assert "Bước tiếp theo: Thẩm định kinh phí" in page.locator(".flash").inner_text()

    # a month later Finance's appraisal is overdue: the scheduler marks it
    live_server.clock.advance(days=30)
    tick(live_server.new_uow)
    finance = Person(chromium, live_server, FINANCE)
    fpage = finance.page
    row = fpage.locator("table.table-inbox tbody tr").first
    assert "Quá hạn" in row.inner_text() and "Lê Văn Hùng" in row.inner_text()
    assert "1 quá hạn" in fpage.locator(".mainnav").inner_text()
    finance.shot("inbox-1366")
    fpage.fill("#q", "ngay hoi toan dan")  # no diacritics
    fpage.get_by_role("button", name="Lọc").click()
    expect(fpage.locator("table.table-inbox tbody tr")).to_have_count(1)  # once the page is back
    fpage.fill("#q", "khong co")
    fpage.get_by_role("button", name="Lọc").click()
    expect(fpage.locator("main")).to_contain_text("Không có công việc nào phù hợp")
    finance.open_task("Ngày hội")
    assert "165.000.000 đ" in fpage.inner_text(".table-budget tfoot")
    fpage.fill("#comment", "Đề nghị làm rõ số suất quà cấp xã.")
    finance.decide("Trả lại để chỉnh sửa")

    # back at the police, with the comment on top
    police.open_task("Ngày hội")
    returned = page.locator(".alert-returned")
    assert "Đề nghị làm rõ số suất quà cấp xã." in returned.inner_text()
    assert "Trần Thị Mai" in returned.inner_text()
    assert page.input_value("#f-data-budget_lines-1-unit_amount") == "500.000"
    police.decide("Trình thẩm định")

    # Finance lowers the second line and approves; the total follows as it types
    finance.open_task("Ngày hội")
    fpage.fill("#f-data-budget_lines-1-unit_amount", "400000")
    assert fpage.locator("[data-budget-total]").inner_text() == "138.000.000 đ"
    finance.shot("task-form-finance-1366")
    finance.decide("Đồng ý kinh phí")

    awards = Person(chromium, live_server, AWARDS)
    awards.open_task("Ngày hội")
    awards.page.locator(
        'label:has(input[name="data.nominations.0.accepted"][value="true"])'
    ).click()
    awards.decide("Đồng ý đề nghị khen thưởng")

    deputy = Person(chromium, live_server, DEPUTY)
    deputy.open_task("Ngày hội")
    behalf = deputy.page.locator(".alert-behalf").inner_text()
    assert "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH" in behalf and "Trịnh Quốc Khánh" in behalf
    deputy.decide("Ký ban hành")

    # the process page: every step, who, what changed, and the diagram's marks
    police.goto(process_path)
    timeline = page.locator(".timeline").inner_text()
    for expected in (
        "Trả lại",
        "Đề nghị làm rõ số suất quà cấp xã.",
        "Trần Thị Mai",
        "500.000 đ",
        "400.000 đ",
        "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH",
        "Trịnh Quốc Khánh",
    ):
        assert expected in timeline, expected
    page.locator("[data-bpmn-viewer][data-ready]").wait_for()
    assert page.locator(".djs-element.done").count() >= 4
    assert page.locator('.djs-element[data-element-id="chairman_sign"].done').count() == 1
    police.shot("process-1366")

    # another agency's task: a polite refusal
    fpage.goto(draft_url)
    assert "Bạn không có quyền truy cập trang này" in fpage.inner_text("main")
    finance.shot("error-403-1366")

    # English, remembered across pages
    page.get_by_role("button", name="English").click()
    assert "Timeline" in page.inner_text("main")
    police.shot("process-1366-en")
    page.locator('.mainnav a[href="/inbox"]').click()
    assert "Nothing is waiting for you." in page.inner_text("main")

    chairman = Person(chromium, live_server, "thanhhoa.chutich")
    chairman.goto("/delegations")
    chairman.page.select_option("#substitute", "thanhhoa.vanphong.chanhvanphong")
    chairman.page.fill("#starts", "20/05/2023")
    chairman.page.fill("#ends", "19/05/2023")
    chairman.page.get_by_role("button", name="Ủy quyền", exact=True).click()
    assert "Ngày kết thúc trước ngày bắt đầu." in chairman.page.inner_text("main")
    chairman.page.fill("#ends", "25/05/2023")
    chairman.page.get_by_role("button", name="Ủy quyền", exact=True).click()
    assert "Đang hiệu lực" in chairman.page.inner_text("main")
    chairman.shot("delegations-1366")

    phone = Person(chromium, live_server, FINANCE, viewport=PHONE)
    phone.goto("/inbox")
    phone.shot("inbox-phone")
    phone.goto(process_path)
    phone.shot("process-phone")
    phone.goto("/notifications")
    phone.shot("notifications-phone")
    for person in (police, finance, awards, deputy, chairman, phone):
        person.close()


def test_a_phone_sized_draft_form_is_usable(chromium: Any, live_server: LiveServer) -> None:
    police = Person(chromium, live_server, POLICE, viewport=PHONE)
    page = police.page
    page.get_by_role("link", name="Lập kế hoạch mới").click()
    page.fill("#title", "Kế hoạch Ngày hội năm 2024")
    page.get_by_role("button", name="Khởi tạo và soạn thảo").click()
    page.wait_for_url("**/tasks/*")
    page.locator('[data-rows="data.budget_lines"] [data-add-row]').click()
    _fill_line(page, 0, "Quà tặng", 10, 1_000_000)
    assert page.locator("[data-budget-total]").inner_text() == "10.000.000 đ"
    police.shot("task-form-phone")  # no sideways scrolling on a phone
    page.keyboard.press("Tab")  # keyboard reaches the controls
    police.close()
