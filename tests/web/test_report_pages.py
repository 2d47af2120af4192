"""A unit's report round through its page: the report form drawn from ReportSchema."""

from __future__ import annotations

from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, drive
from tests.service.test_movement_plan import (
    CHAIN,
    HEADS,
    HEALTH,
    POLICE,
    movement_plan,
    unit_plan,
)
from tests.service.test_movement_plan import year_report as figures
from tests.web.conftest import Browser


def test_a_unit_sends_its_half_year_report_from_the_page(
    api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    at(clock, "2025-03-03")
    started = api.post(
        "/api/v1/processes",
        POLICE,
        json={"definition": "movement_plan", "title": "Phong trào toàn dân bảo vệ ANTQ năm 2025"},
    )
    province = started.json["id"]
    assert drive(api, province, CHAIN, movement_plan(["thanh-hoa-so-y-te"])) is None
    (unit,) = api.get(f"/api/v1/processes/{province}/children", POLICE).json
    at(clock, "2025-03-20")
    assert drive(
        api, unit["process_id"], [HEALTH, HEADS[HEALTH]], unit_plan("Kế hoạch thực hiện")
    ) == ("report_half_year")
    (task,) = api.get(f"/api/v1/tasks?process={unit['process_id']}", HEALTH).json

    browser.login(HEALTH)
    inbox = browser.get("/inbox").get_data(as_text=True)
    assert "Báo cáo sơ kết 6 tháng" in inbox
    page = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    for label in ("Số Ngày hội đã tổ chức", "Xã, phường, thị trấn", "Kinh phí đã chi (đ)"):
        assert label in page
    assert 'name="data.safety.communes.meeting"' in page and "Gửi báo cáo" in page

    report = figures(300, 9)
    report["safety"]["agencies"]["meeting"] = 11  # more than the total: refused, kept
    answer = browser.complete(task["id"], "submit", report)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Không được vượt quá tổng số (tỷ lệ trên 100%)." in page
    assert 'name="data.safety.agencies.meeting" value="11"' in page

    report = figures(300, 9)
    assert browser.complete(task["id"], "submit", report).status_code == 302
    history = browser.get(f"/processes/{unit['process_id']}").get_data(as_text=True)
    assert "Báo cáo sơ kết 6 tháng" in history and "300" in history
    browser.login(POLICE)
    parent = browser.get(f"/processes/{province}").get_data(as_text=True)
    assert "Các đơn vị thực hiện" in parent and "Sở Y tế tỉnh Thanh Hóa" in parent
    assert f'href="/processes/{unit["process_id"]}"' in parent
