"""The process page's diagram in Chromium: bpmn-js draws the deployed BPMN, fitted to its box on a
desktop and on a phone, with the current step and the done ones marked and coloured by our
stylesheet, under the app's CSP (any refusal is a console error, which fails the test); without
script the list of steps stands instead. Screenshots under test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import Task
from service.operations.actors import authenticate
from service.operations.processes import start_process
from service.operations.tasks import complete_task
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_chain_browser import PHONE, POLICE, Person
from tests.conftest import PLAN_2023

pytestmark = pytest.mark.browser

CURRENT_STROKE, DONE_STROKE = "rgb(180, 83, 9)", "rgb(21, 128, 61)"  # app.css


def _at_finance(server: LiveServer) -> int:
    """The demo plan drafted and submitted: Finance's appraisal is the current step."""
    police = authenticate(server.new_uow(), POLICE, DEMO_PASSWORD)
    process_id = start_process(server.new_uow(), police, "plan_chain", PLAN_2023["title"])
    with server.app.extensions["session_factory"]() as session:
        task_id = session.scalars(
            select(Task.id).filter_by(instance_id=process_id, state="open")
        ).one()
    complete_task(server.new_uow(), police, task_id, "submit", None, PLAN_2023)
    return process_id


def _drawn(person: Person, process_id: int) -> Any:
    """The process page once the viewer has drawn and marked the diagram."""
    page = person.page
    person.goto(f"/processes/{process_id}")
    page.locator("[data-bpmn-viewer][data-ready] .djs-container svg").first.wait_for()
    return page


def _stroke(page: Any, element_id: str) -> str:
    return str(
        page.evaluate(
            """id => getComputedStyle(document.querySelector(
                 `.djs-element[data-element-id="${id}"] .djs-visual > :first-child`)).stroke""",
            element_id,
        )
    )


def _fits(page: Any) -> bool:
    """Whether every drawn element lies inside the viewer's box (zoomed to fit)."""
    return bool(
        page.evaluate(
            """() => {
              const box = document.querySelector("[data-bpmn-viewer]").getBoundingClientRect();
              const drawn = document.querySelector(".djs-container .viewport")
                .getBoundingClientRect();
              return drawn.width > 0 && drawn.left >= box.left - 1 && drawn.right <= box.right + 1
                && drawn.top >= box.top - 1 && drawn.bottom <= box.bottom + 1;
            }"""
        )
    )


def test_the_viewer_marks_the_current_and_done_steps(
    chromium: Any, live_server: LiveServer
) -> None:
    process_id = _at_finance(live_server)
    police = Person(chromium, live_server, POLICE)
    page = _drawn(police, process_id)

    current = page.locator('.djs-element[data-element-id="finance_appraisal"]')
    assert "current" in (current.get_attribute("class") or "").split()
    assert (
        "done"
        in (
            page.locator('.djs-element[data-element-id="draft_plan"]').get_attribute("class") or ""
        ).split()
    )
    assert page.locator(".djs-element.current").count() == 1
    assert page.locator(".djs-element.done").count() == 1
    assert _stroke(page, "finance_appraisal") == CURRENT_STROKE
    assert _stroke(page, "draft_plan") == DONE_STROKE
    assert _stroke(page, "award_review") not in (CURRENT_STROKE, DONE_STROKE)
    # lanes carry the roles' names in the page's language, not the diagram's codes
    drawn = page.locator(".djs-container").inner_text()
    assert "Cơ quan thường trực" in drawn and "standing_body" not in drawn
    assert _fits(page)
    assert page.locator("[data-diagram-steps]").is_hidden()  # the viewer replaces the list
    police.shot("process-diagram-1366")
    police.close()  # no script error, nothing the CSP refused

    phone = Person(chromium, live_server, POLICE, viewport=PHONE)
    page = _drawn(phone, process_id)
    box = page.locator("[data-bpmn-viewer]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert _fits(page)
    phone.shot("process-diagram-phone")  # and no sideways scrolling of the page
    phone.close()


def test_without_script_the_steps_are_a_list(chromium: Any, live_server: LiveServer) -> None:
    process_id = _at_finance(live_server)
    police = Person(chromium, live_server, POLICE)
    context = chromium.new_context(java_script_enabled=False, locale="vi-VN")
    context.add_cookies(police.context.cookies())
    page = context.new_page()
    page.goto(f"{live_server.url}/processes/{process_id}")
    assert page.locator("[data-bpmn-viewer]").is_hidden()
    steps = page.locator("[data-diagram-steps]")
    assert steps.is_visible()
    assert "Thẩm định kinh phí — Bước đang xử lý" in steps.inner_text()
    context.close()
    police.close()


def test_printed_the_page_has_no_navigation_and_the_diagram_fits(
    chromium: Any, live_server: LiveServer
) -> None:
    """The print stylesheet: no menu, header tools, forms or footer; the diagram fitted to the
    paper's width (fitted again on beforeprint); a PDF printed from the page."""
    process_id = _at_finance(live_server)
    police = Person(chromium, live_server, POLICE)
    page = _drawn(police, process_id)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 700, "height": 900})  # about A4 at 96 dpi, margins off
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    for hidden in ("nav.mainnav", ".masthead-tools", "footer.footer", "form"):
        assert page.locator(hidden).first.is_hidden(), hidden
    assert page.locator("h1").is_visible()
    assert _fits(page)
    box = page.locator("[data-bpmn-viewer]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 700
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.screenshot(path=str(ARTIFACTS / "process-print.png"), full_page=True)
    police.close()
