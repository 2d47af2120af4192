"""Pages that scrolled sideways on a phone (390 px wide): the award review's verdicts (three
options in a row, 405 px), the audit page's signed root and key fingerprint (64 characters
unbroken, 609 px) and the agencies' table, whose visually hidden column header escaped the
table's scroller (595 px). Each page is now as wide as the screen (`Person.shot`), and what
overflowed is still there to use."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import Task
from service.operations.actors import authenticate
from service.operations.tasks import complete_task
from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import AWARDS, FINANCE, PHONE, Person
from tests.browser.test_diagram_browser import _at_finance
from tests.conftest import PLAN_2023

pytestmark = pytest.mark.browser


def _inside_the_screen(box: Any) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def _at_award_review(server: LiveServer) -> int:
    """The demo plan (with its nomination) submitted and its budget approved: the award
    review waits for Ban Thi đua - Khen thưởng."""
    process_id = _at_finance(server)
    with server.app.extensions["session_factory"]() as session:
        appraisal = session.scalars(
            select(Task.id).filter_by(instance_id=process_id, state="open")
        ).one()
    finance = authenticate(server.new_uow(), FINANCE, DEMO_PASSWORD)
    complete_task(server.new_uow(), finance, appraisal, "approve", None, {})
    with server.app.extensions["session_factory"]() as session:
        return session.scalars(
            select(Task.id).filter_by(instance_id=process_id, state="open", form="award_review")
        ).one()


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
