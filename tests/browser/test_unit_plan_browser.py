"""A district's officer, in Chromium, reads the province's plan that addressed the district:
from the inbox (who sent it), the task's "Kế hoạch cấp trên" panel, the plan itself and its
signed PDF. Screenshots under test-artifacts/."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import ProcessInstance, Task
from service.operations.actors import authenticate
from service.operations.processes import start_process
from service.operations.tasks import complete_task
from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import PHONE, Person
from tests.conftest import PLAN_2023, render_documents

pytestmark = pytest.mark.browser


def _issue(server: LiveServer) -> int:
    """The demo plan, with deadlines for the units' plans and reports, walked to its issue on
    20/4/2023 (the forms have their own tests)."""
    plan = copy.deepcopy(PLAN_2023)
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    users = ("thanhhoa.congan", "thanhhoa.taichinh", "thanhhoa.thiduakhenthuong")
    actors = {u: authenticate(server.new_uow(), u, DEMO_PASSWORD) for u in users}
    actors["thanhhoa.chutich"] = authenticate(server.new_uow(), "thanhhoa.chutich", DEMO_PASSWORD)
    process_id = start_process(server.new_uow(), actors[users[0]], "plan_chain", plan["title"])
    for user, decision, data in (
        (users[0], "submit", plan),
        (users[1], "approve", {}),
        (
            users[2],
            "approve",
            {"nominations": [{**n, "accepted": True} for n in plan["nominations"]]},
        ),
        ("thanhhoa.chutich", "approve", {}),
    ):
        with server.app.extensions["session_factory"]() as session:
            task_id = session.scalars(
                select(Task.id).filter_by(instance_id=process_id, state="open")
            ).one()
        complete_task(server.new_uow(), actors[user], task_id, decision, None, data)
    render_documents(server.app)  # what the render worker does within seconds
    return process_id


def test_a_district_reads_the_province_plan_that_addressed_it(
    chromium: Any, live_server: LiveServer
) -> None:
    province = _issue(live_server)  # to the demo plan's units, Huyện Thường Xuân among them
    with live_server.app.extensions["session_factory"]() as session:
        district = session.scalars(
            select(ProcessInstance.id).where(
                ProcessInstance.parent_id == province,
                ProcessInstance.title.endswith("Huyện Thường Xuân"),
            )
        ).one()

    officer = Person(chromium, live_server, "thuongxuan.congan")
    page = officer.page
    row = page.locator("tbody tr", has_text="Huyện Thường Xuân").first
    assert (
        "Đỗ Minh Tuấn" in row.inner_text() and "Ủy ban nhân dân tỉnh Thanh Hóa" in row.inner_text()
    )
    officer.shot("unit-inbox-1366")

    officer.open_task("Huyện Thường Xuân")
    panel = page.locator("[data-parent-plan]")
    text = panel.inner_text()
    assert "Kế hoạch cấp trên" in text and "Số: 1/KH-BCĐ" in text and "Đỗ Minh Tuấn" in text
    assert "hết ngày 09/05/2023" in text and "hết ngày 19/08/2023" in text
    officer.shot("unit-task-parent-plan-1366")

    panel.get_by_role("link", name="Ngày hội").first.click()
    page.wait_for_url(f"**/processes/{province}")
    assert page.locator("[data-issued-plan-only]").is_visible()
    assert page.locator("h1").inner_text().startswith("Tổ chức")
    assert page.locator(".timeline").count() == 0 and page.locator(".djs-container").count() == 0
    officer.shot("unit-parent-plan-1366")
    answer = page.request.get(live_server.url + f"/processes/{province}/diagram.bpmn")
    assert answer.status == 403  # where the province's own steps stand is not the unit's
    pdf = page.request.get(
        live_server.url + page.get_by_role("link", name="Tải PDF").get_attribute("href")
    )
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    officer.goto(f"/processes/{district}")
    assert "Kế hoạch cấp trên" in page.locator("[data-parent-plan]").inner_text()
    officer.close()

    phone = Person(chromium, live_server, "thuongxuan.congan", viewport=PHONE)
    phone.goto(f"/processes/{province}")
    phone.shot("unit-parent-plan-390")
    phone.close()
