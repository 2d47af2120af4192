"""A unit's report round through its page: the report form drawn from ReportSchema."""

from __future__ import annotations

from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, drive
from tests.service.test_movement_plan import (
    HEADS,
    HEALTH,
    POLICE,
    issue_movement_plan,
    unit_plan,
)
from tests.service.test_movement_plan import year_report as figures
from tests.web.conftest import Browser


def test_a_unit_sends_its_half_year_report_from_the_page(
    api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    at(clock, "2025-03-03")
    province = issue_movement_plan(api, ["thanh-hoa-so-y-te"])
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
    assert answer.status_code == 303
    page = browser.get(answer.location).get_data(as_text=True)
    assert "Không được vượt quá tổng số (tỷ lệ trên 100%)." in page
    assert 'name="data.safety.agencies.meeting" value="11"' in page

    report = figures(300, 9)
    assert browser.complete(task["id"], "submit", report).status_code == 302
    # its director reads what he signs, returns it once, then signs it
    (sign,) = api.get(f"/api/v1/tasks?process={unit['process_id']}", HEADS[HEALTH]).json
    browser.login(HEADS[HEALTH])
    page = browser.get(f"/tasks/{sign['id']}").get_data(as_text=True)
    assert "Báo cáo trình ký" in page and "Ký và gửi báo cáo" in page and "300" in page
    returned = browser.complete(sign["id"], "return", {}, comment="Bổ sung số liệu cơ quan.")
    assert returned.status_code == 302
    browser.login(HEALTH)
    (again,) = api.get(f"/api/v1/tasks?process={unit['process_id']}", HEALTH).json
    page = browser.get(f"/tasks/{again['id']}").get_data(as_text=True)
    assert "Bổ sung số liệu cơ quan." in page and 'name="data.participants" value="300"' in page
    assert browser.complete(again["id"], "submit", report).status_code == 302
    browser.login(HEADS[HEALTH])
    (sign,) = api.get(f"/api/v1/tasks?process={unit['process_id']}", HEADS[HEALTH]).json
    assert browser.complete(sign["id"], "approve", {}).status_code == 302
    browser.login(HEALTH)
    history = browser.get(f"/processes/{unit['process_id']}").get_data(as_text=True)
    assert "Báo cáo sơ kết 6 tháng" in history and "300" in history
    assert "Ký báo cáo sơ kết 6 tháng" in history
    browser.login(POLICE)
    parent = browser.get(f"/processes/{province}").get_data(as_text=True)
    assert "Các đơn vị thực hiện" in parent and "Sở Y tế tỉnh Thanh Hóa" in parent
    assert f'href="/processes/{unit["process_id"]}"' in parent
