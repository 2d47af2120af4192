"""Pages that scrolled sideways on a phone (390 px wide): the award review's verdicts (three
options in a row, 405 px), the audit page's signed root and key fingerprint (64 characters
unbroken, 609 px) and the agencies' table, whose visually hidden column header escaped the
table's scroller (595 px). Each page is now as wide as the screen (`Person.shot`), and what
overflowed is still there to use. A returned plan's proposed changes are stacked, so the
proposed value shows without a swipe inside the table."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import Task
from service.operations.actors import authenticate
from service.operations.tasks import complete_task
from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import AWARDS, FINANCE, PHONE, POLICE, Person
from tests.browser.test_diagram_browser import _at_finance
from tests.conftest import PLAN_2023

pytestmark = pytest.mark.browser


def _inside_the_screen(box: Any) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def _open_task(server: LiveServer, process_id: int) -> int:
    with server.app.extensions["session_factory"]() as session:
        return session.scalars(
            select(Task.id).filter_by(instance_id=process_id, state="open")
        ).one()


def _at_award_review(server: LiveServer) -> int:
    """The demo plan (with its nomination) submitted and its budget approved: the award
    review waits for Ban Thi đua - Khen thưởng."""
    process_id = _at_finance(server)
    finance = authenticate(server.new_uow(), FINANCE, DEMO_PASSWORD)
    complete_task(server.new_uow(), finance, _open_task(server, process_id), "approve", None, {})
    return _open_task(server, process_id)


def test_the_award_verdicts_fit_a_phone(chromium: Any, live_server: LiveServer) -> None:
    task_id = _at_award_review(live_server)
    assert PLAN_2023["nominations"]  # each nomination has its verdict control
    awards = Person(chromium, live_server, AWARDS, viewport=PHONE)
    page = awards.page
    awards.goto(f"/tasks/{task_id}")
    verdicts = page.locator(".segmented").first
    assert _inside_the_screen(verdicts.bounding_box())
    for value, option in (("true", "Chấp thuận"), ("false", "Không chấp thuận"), ("", "Chưa xét")):
        label = verdicts.locator(f'label:has(input[value="{value}"])')
        assert label.inner_text().strip() == option
        assert _inside_the_screen(label.bounding_box()), option
    verdicts.locator('label:has(input[value="false"])').click()  # a tap chooses it
    assert verdicts.locator("input:checked").get_attribute("value") == "false"
    awards.shot("award-review-phone")  # no sideways scrolling
    awards.close()


def test_the_signed_root_wraps_on_a_phone(chromium: Any, live_server: LiveServer) -> None:
    auditor = Person(chromium, live_server, "thanhhoa.thanhtra", viewport=PHONE)
    page = auditor.page
    auditor.goto("/audit")
    page.get_by_role("button", name="Ký điểm kiểm tra").click()
    codes = page.locator("dl.facts dd > code")
    codes.first.wait_for()
    assert codes.count() == 2  # the root and the key's fingerprint
    for i in range(2):
        code = codes.nth(i)
        assert len(code.inner_text().replace("\n", "")) == 64
        assert _inside_the_screen(code.bounding_box())
    auditor.shot("audit-phone")
    auditor.close()


def test_the_agencies_table_scrolls_in_its_box_on_a_phone(
    chromium: Any, live_server: LiveServer
) -> None:
    admin = Person(chromium, live_server, "admin", viewport=PHONE)
    page = admin.page
    admin.goto("/admin/agencies")
    wrap = page.locator(".table-wrap").first
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls in it
    hidden = wrap.locator("th .visually-hidden", has_text="Sắp xếp lại")
    assert hidden.count() == 1  # the column's name is still there for screen readers
    admin.shot("admin-agencies-phone")
    admin.close()


def test_a_returned_plans_proposed_value_shows_on_a_phone(
    chromium: Any, live_server: LiveServer
) -> None:
    process_id = _at_finance(live_server)
    lines = copy.deepcopy(PLAN_2023["budget_lines"])
    lines[1]["unit_amount"] = 400_000
    finance = authenticate(live_server.new_uow(), FINANCE, DEMO_PASSWORD)
    appraisal = _open_task(live_server, process_id)
    complete_task(
        live_server.new_uow(),
        finance,
        appraisal,
        "return",
        "Giảm mức quà.",
        {"budget_lines": lines},
    )
    police = Person(chromium, live_server, POLICE, viewport=PHONE)
    page = police.page
    police.goto(f"/tasks/{_open_task(live_server, process_id)}")
    proposal = page.locator("[data-proposal]")
    value = proposal.locator("mark", has_text="400.000 đ")
    assert _inside_the_screen(proposal.locator(".old", has_text="500.000 đ").bounding_box())
    assert _inside_the_screen(value.bounding_box())  # no swipe inside the table
    assert proposal.locator(".table-wrap").evaluate("el => el.scrollWidth <= el.clientWidth")
    label = value.locator("xpath=ancestor::td").evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert label == '"Đề xuất"'  # the column's name above the value, as the table is stacked
    page.get_by_role("button", name="Áp dụng đề xuất").click()
    page.get_by_text("Các giá trị đề xuất đã đánh dấu đã được đưa vào biểu mẫu").wait_for()
    assert page.input_value("#f-data-budget_lines-1-unit_amount") == "400.000"
    assert "Chưa áp dụng" not in proposal.inner_text()
    police.shot("return-proposal-phone")
    police.close()
