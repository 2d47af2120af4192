"""The province's standing body, in Chromium, opens its consolidation: the form starts with what
its units reported, added up; the table shows each unit, late or missing. A figure lowered below
the units' sum without a reason comes back marked, with what was typed kept. Screenshots under
test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import ProcessInstance, Task
from service.operations.actors import authenticate
from service.operations.processes import start_process
from service.operations.scheduler import tick
from service.operations.tasks import complete_task
from service.steps import kind_of
from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import PHONE, Person
from tests.conftest import PLAN_2023
from tests.service.test_cascade import report, unit_plan

pytestmark = pytest.mark.browser

HEALTH, LABOUR = "thanh-hoa-so-y-te", "thanh-hoa-so-lao-dong-tbxh"


def _walk(server: LiveServer, process_id: int, users: list[str], data: dict[str, Any]) -> None:
    """Act on the process as `users` (by their tasks' kinds) until none of them has a task, or
    its report step is reached (a plan's `data`) or signed (a report's)."""
    actors = {u: authenticate(server.new_uow(), u, DEMO_PASSWORD) for u in users}
    while True:
        with server.app.extensions["session_factory"]() as session:
            task = session.scalars(
                select(Task).filter_by(instance_id=process_id, state="open")
            ).one_or_none()
            if task is None:
                return
            kind, agency, role = kind_of(task.form), task.agency_id, task.role
            nominations = task.instance.document.get("nominations", [])
            task_id = task.id
        actor = next((a for a in actors.values() if (agency, role) in a.duties()), None)
        if actor is None:
            return
        if (
            kind.key == "draft_plan"
            and "participants" in data
            or (kind.writes_report and "participants" not in data)
        ):
            return  # a plan's walk stops at the report; a report's walk starts there
        if kind.writes_report or kind.key == "draft_plan":
            decision, values = "submit", data
        elif kind.needs_verdicts:
            decision, values = (
                "approve",
                {"nominations": [{**n, "accepted": True} for n in nominations]},
            )
        else:
            decision, values = "approve", {}
        complete_task(server.new_uow(), actor, task_id, decision, None, values)
        if kind.signs_report:
            return  # drafted by staff, signed by the head: the report has gone up


def test_the_consolidation_opens_with_the_units_figures(
    chromium: Any, live_server: LiveServer
) -> None:
    plan = {
        **PLAN_2023,
        "addressed_units": [HEALTH, LABOUR],
        "deadlines": [{"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"}],
    }
    police = authenticate(live_server.new_uow(), "thanhhoa.congan", DEMO_PASSWORD)
    province = start_process(live_server.new_uow(), police, "plan_chain", plan["title"])
    chain = [
        "thanhhoa.congan",
        "thanhhoa.taichinh",
        "thanhhoa.thiduakhenthuong",
        "thanhhoa.chutich",
    ]
    _walk(live_server, province, chain, plan)
    with live_server.app.extensions["session_factory"]() as session:
        units = dict(
            session.execute(
                select(ProcessInstance.title, ProcessInstance.id).where(
                    ProcessInstance.parent_id == province
                )
            ).all()
        )
    health = next(i for t, i in units.items() if t.endswith("Sở Y tế tỉnh Thanh Hóa"))
    signers = ["thanhhoa.soyte", "thanhhoa.soyte.giamdoc"]
    _walk(live_server, health, signers, unit_plan("Kế hoạch ngành Y tế"))
    _walk(live_server, health, signers, report(3, 450, 20_000_000, agencies=(12, 11)))
    live_server.clock.advance(days=130)  # past 20/8: the province stops waiting for Sở LĐ-TB&XH
    assert tick(live_server.new_uow).timers_fired == 1  # the scheduler's pass, every minute

    officer = Person(chromium, live_server, "thanhhoa.congan")
    officer.open_task("Ngày hội")
    page = officer.page
    table = page.locator("[data-units-reports]")
    text = table.inner_text()
    assert "Sở Y tế tỉnh Thanh Hóa" in text and "450" in text
    assert "Chưa báo cáo" in text  # Sở LĐ-TB&XH
    assert page.locator('input[name="data.participants"]').input_value() == "450"
    officer.shot("consolidation-task-1366")
    page.locator('input[name="data.participants"]').fill("400")
    page.get_by_role("button", name="Gửi báo cáo", exact=True).click()
    page.wait_for_selector("#form-errors")
    assert "Thấp hơn tổng số các đơn vị đã báo cáo (450)" in page.inner_text("body")
    assert page.locator('input[name="data.participants"]').input_value() == "400"
    officer.shot("consolidation-below-units-1366")
    officer.close()

    phone = Person(chromium, live_server, "thanhhoa.congan", viewport=PHONE)
    phone.open_task("Ngày hội")
    phone.shot("consolidation-task-390")
    phone.close()
