"""Issue 14's "done means", in Chromium: the Thanh Hóa plan reaches Huyện Thường Xuân and its
thị trấn; the reports come back up through the pages. The commune's staff drafts and sends its
report, its Chủ tịch signs it; the district's consolidation opens with the commune's figures, the
district's head signs; the province's opens with the district's consolidated figures, adds its
own, and what its head signs is what `/consolidated` says, counted once. The district reads the
province's signed plan; the drafter cannot open the signing. Screenshots under test-artifacts/.

The plans themselves are walked through the operations (their pages have their own browser
tests); everything after them is done on the pages."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import ProcessInstance, Task
from service.operations.actors import authenticate
from service.operations.processes import start_process
from tests.browser.conftest import LiveServer
from tests.browser.test_chain_browser import Person
from tests.browser.test_consolidation_browser import _walk
from tests.conftest import PLAN_2023, ApiClient, render_documents
from tests.service.test_cascade import COMMUNE_CHAIN, DISTRICT_CHAIN, PROVINCE_CHAIN, report
from tests.service.test_cascade import unit_plan as plan_of

pytestmark = pytest.mark.browser

COMMUNE = report(4, 1200, 15_000_000, residential=(8, 7), communes=(1, 1), movement=(8, 6))
DISTRICT_OWN = {"festivals_held": 1, "participants": 800, "budget_spent": 60_000_000}
PROVINCE_OWN = {"festivals_held": 2, "participants": 600, "budget_spent": 40_000_000}


def _child(server: LiveServer, parent: int) -> int:
    with server.app.extensions["session_factory"]() as session:
        return int(session.scalars(select(ProcessInstance.id).filter_by(parent_id=parent)).one())


def _open_task_id(server: LiveServer, process_id: int) -> int:
    with server.app.extensions["session_factory"]() as session:
        return int(
            session.scalars(select(Task.id).filter_by(instance_id=process_id, state="open")).one()
        )


def _fill(page: Any, figures: dict[str, Any], prefix: str = "data") -> None:
    """Type the report's figures into its form, field by field (nested ones by their names)."""
    for key, value in figures.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            _fill(page, value, name)
        elif isinstance(value, int | str) and page.locator(f'[name="{name}"]').count():
            page.locator(f'[name="{name}"]').fill(str(value))


def _value(page: Any, name: str) -> int:
    return int(page.locator(f'input[name="data.{name}"]').input_value().replace(".", ""))


def _add_own(page: Any, own: dict[str, int]) -> None:
    """The level adds its own activities to the units' sums the form opened with."""
    for key, value in own.items():
        page.locator(f'input[name="data.{key}"]').fill(str(_value(page, key) + value))


def test_reports_go_up_the_chain_on_the_pages(chromium: Any, live_server: LiveServer) -> None:
    plan = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = ["thuong-xuan"]
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    police = authenticate(live_server.new_uow(), PROVINCE_CHAIN[0], DEMO_PASSWORD)
    province = start_process(live_server.new_uow(), police, "plan_chain", plan["title"])
    _walk(live_server, province, PROVINCE_CHAIN, plan)
    district = _child(live_server, province)
    district_plan = plan_of("Kế hoạch huyện Thường Xuân", ["thuong-xuan-tt-thuong-xuan"])
    _walk(live_server, district, DISTRICT_CHAIN, district_plan)
    commune = _child(live_server, district)
    _walk(live_server, commune, COMMUNE_CHAIN, plan_of("Kế hoạch thị trấn Thường Xuân"))
    render_documents(live_server.app)  # the signed plans' PDFs, as the render worker makes them
    live_server.clock.advance(days=110)  # August: the festivals are over, reports are due

    # the commune's staff drafts and sends its report; it cannot open the signing
    staff = Person(chromium, live_server, COMMUNE_CHAIN[0])
    staff.open_task("Thị trấn Thường Xuân")
    page = staff.page
    assert "Kế hoạch cấp trên" in page.locator("[data-parent-plan]").inner_text()
    _fill(page, COMMUNE)
    staff.decide("Gửi báo cáo")
    sign_url = f"/tasks/{_open_task_id(live_server, commune)}"
    staff.goto(sign_url)
    assert "Bạn không có quyền truy cập trang này" in page.inner_text("main")
    assert page.get_by_role("button", name="Ký và gửi báo cáo").count() == 0

    head = Person(chromium, live_server, COMMUNE_CHAIN[-1])
    head.goto(sign_url)
    draft = head.page.locator("[data-draft-report]").inner_text()
    assert "1.200" in draft and "Lê Đình Quang" in draft  # the figures and who drafted them
    head.decide("Ký và gửi báo cáo")
    head.close()

    # the district's consolidation opens with its commune's figures; it adds its own
    officer = Person(chromium, live_server, DISTRICT_CHAIN[0])
    officer.open_task("Huyện Thường Xuân")
    page = officer.page
    units = page.locator("[data-units-reports]").inner_text()
    assert "Thị trấn Thường Xuân" in units and "1.200" in units
    assert _value(page, "participants") == 1200
    assert _value(page, "safety.residential_areas.total") == 8
    officer.shot("report-chain-district-consolidation-1366")
    _add_own(page, DISTRICT_OWN)
    officer.decide("Gửi báo cáo")
    district_head = Person(chromium, live_server, DISTRICT_CHAIN[-1])
    district_head.open_task("Huyện Thường Xuân")
    assert "2.000" in district_head.page.locator("[data-draft-report]").inner_text()
    district_head.decide("Ký và gửi báo cáo")
    district_head.close()

    # the province's consolidation: the district's consolidated figures (its commune inside)
    province_staff = Person(chromium, live_server, PROVINCE_CHAIN[0])
    province_staff.open_task("Ngày hội")
    page = province_staff.page
    units = page.locator("[data-units-reports]").inner_text()
    assert "Huyện Thường Xuân" in units and "2.000" in units
    assert "Thị trấn Thường Xuân" not in units  # counted inside its district, not again
    assert _value(page, "participants") == 2000 and _value(page, "festivals_held") == 5
    province_staff.shot("report-chain-province-consolidation-1366")
    _add_own(page, PROVINCE_OWN)
    province_staff.decide("Gửi báo cáo")
    chairman = Person(chromium, live_server, PROVINCE_CHAIN[-1])
    chairman.open_task("Ngày hội")
    assert "2.600" in chairman.page.locator("[data-draft-report]").inner_text()
    chairman.decide("Ký và gửi báo cáo")
    chairman.close()

    api = ApiClient(live_server.app.test_client())
    figures = api.get(f"/api/v1/processes/{province}/consolidated", PROVINCE_CHAIN[0]).json
    assert figures["signed"] is True
    assert (figures["festivals_held"], figures["participants"], figures["budget_spent"]) == (
        4 + 1 + 2,
        1200 + 800 + 600,
        15_000_000 + 60_000_000 + 40_000_000,
    )
    assert figures["safety"]["residential_areas"]["total"] == 8  # the commune's, once
    assert figures["missing"] == []
    province_staff.goto(f"/processes/{province}")
    assert "/BC-" in page.inner_text("main")  # the signed report, numbered in the register

    # the district's officer reads the province's signed plan and opens its PDF
    officer.goto(f"/processes/{province}")
    page = officer.page
    assert page.locator("[data-issued-plan-only]").is_visible()
    officer.shot("report-chain-unit-reads-parent-plan-1366")
    pdf = page.request.get(
        live_server.url + page.get_by_role("link", name="Tải PDF").first.get_attribute("href")
    )
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    for person in (staff, officer, province_staff):
        person.close()
