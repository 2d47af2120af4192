"""Nhắc việc and assignment on the pages: the dashboard's units table (one unit, the ticked
ones, every late one), a late task's button on its process page, the assign form, the
Chairman's dashboard, and refusals in the page's language."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at
from tests.service.test_dashboard import DISTRICT, MEDIA, SUPERVISOR
from tests.service.test_dashboard import campaign as campaign  # noqa: F401  # fixture
from tests.web.conftest import Browser


def text(answer: Any) -> str:
    return str(answer.get_data(as_text=True))


def reminders_of(api: ApiClient, user: str) -> list[str]:
    return [
        n["message"]
        for n in api.get("/api/v1/notifications", user).json
        if n["rule"].startswith("manual:")
    ]


def test_a_supervisor_reminds_late_units_from_the_dashboard(
    browser: Browser, api: ApiClient, campaign: dict[str, int]
) -> None:
    browser.login(SUPERVISOR)
    board = f"/dashboard/{campaign['province']}"
    page = text(browser.get(board))
    assert "Nhắc tất cả đơn vị chậm" in page and "Nhắc các đơn vị đã chọn" in page
    # a button for each unit with an overdue task: Sở TT&TT and Thường Xuân, not Sở Y tế
    buttons = re.findall(r'name="process" value="(\d+)"', page)
    assert sorted(map(int, buttons)) == sorted([campaign[MEDIA], campaign[DISTRICT]])

    one = browser.post(f"{board}/remind", {"process": str(campaign[MEDIA])})
    assert one.status_code == 302 and one.location.startswith(board)
    after = text(browser.get(one.location))
    assert "Đã gửi 1 nhắc việc: Sở Thông tin và Truyền thông tỉnh Thanh Hóa." in after
    assert len(reminders_of(api, "thanhhoa.sotttt")) == 1

    again = browser.post(f"{board}/remind", {"processes": str(campaign[MEDIA])})
    assert "Hôm nay đã nhắc việc này; có thể nhắc lại từ ngày" in text(browser.get(again.location))

    every = browser.post(f"{board}/remind", {"all": "1"})
    page = text(browser.get(every.location))
    assert "Đã gửi 1 nhắc việc: Ủy ban nhân dân huyện Thường Xuân." in page
    assert "Đã nhắc trong hôm nay nên không nhắc lại: Sở Thông tin" in page
    nothing = browser.post(f"{board}/remind", {})
    assert "Hãy chọn các đơn vị cần nhắc trước." in text(browser.get(nothing.location))
    bad = browser.post(f"{board}/remind", {"processes": "abc"})
    assert bad.status_code == 400


def test_the_unit_sees_the_reminder_and_the_history_says_who_sent_it(
    browser: Browser, new_browser: Any, campaign: dict[str, int]
) -> None:
    browser.login(SUPERVISOR)
    page = text(browser.get(f"/processes/{campaign[MEDIA]}"))
    (action,) = re.findall(r'action="(/tasks/\d+/remind)"', page)  # the late draft's button
    sent = browser.post(action, {"next": f"/processes/{campaign[MEDIA]}"})
    assert sent.location == f"/processes/{campaign[MEDIA]}"
    page = text(browser.get(sent.location))
    assert "Đã gửi nhắc việc tới Sở Thông tin và Truyền thông tỉnh Thanh Hóa." in page
    assert "Gửi nhắc việc" in page  # the history
    unit = new_browser()
    unit.login("thanhhoa.sotttt")
    notices = text(unit.get("/notifications"))  # worded on reading; the sender marked as typed
    assert 'Nhắc việc từ <span lang="vi">Công an tỉnh Thanh Hóa</span>' in notices


def test_outside_ones_supervision_the_page_refuses_in_vietnamese(
    browser: Browser, campaign: dict[str, int]
) -> None:
    browser.login("thuongxuan.congan.doitruong")
    answer = browser.post(f"/dashboard/{campaign['province']}/remind", {"all": "1"})
    assert answer.status_code == 403
    assert "Kế hoạch này nằm ngoài phạm vi bạn theo dõi." in text(answer)
    clerk = browser  # a unit's clerk: no dashboard, said in Vietnamese
    clerk.login("thanhhoa.soyte")
    refused = clerk.get(f"/dashboard/{campaign['province']}")
    assert refused.status_code == 403
    assert "Chỉ cán bộ giám sát và thủ trưởng cơ quan được xem trang này." in text(refused)
    browser.post("/language", {"lang": "en", "next": "/inbox"})
    english = clerk.get(f"/dashboard/{campaign['province']}")
    assert "Only supervisors and heads of agencies see this." in text(english)


def test_the_chairman_has_the_dashboard_of_the_plans_he_signs(
    browser: Browser, campaign: dict[str, int]
) -> None:
    browser.login("thanhhoa.chutich")
    assert 'href="/dashboard"' in text(browser.get("/inbox"))
    board = browser.get("/dashboard")
    assert board.status_code == 302
    page = text(browser.get(board.location))
    assert "Nhắc tất cả đơn vị chậm" in page and MEDIA in page


def test_a_supervisor_assigns_a_task_from_the_process_page(
    browser: Browser, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2023-04-17")
    process = api.start_plan("thanhhoa.congan")
    browser.login(SUPERVISOR)
    page = text(browser.get(f"/processes/{process}"))
    (action,) = re.findall(r'action="(/tasks/\d+/assign)"', page)
    assert 'value="thanhhoa.congan"' in page and 'value="thanhhoa.taichinh"' not in page
    done = browser.post(action, {"assignee": "thanhhoa.congan", "next": f"/processes/{process}"})
    page = text(browser.get(done.location))
    assert "Đã giao việc cho cán bộ bạn chọn." in page and "Giao việc cho cán bộ" in page
    (task,) = api.get(f"/api/v1/tasks?process={process}", "thanhhoa.congan").json
    assert task["claimed_by_id"] == api.get("/api/v1/me", "thanhhoa.congan").json["id"]
    other = browser.post(action, {"assignee": "thanhhoa.taichinh", "next": f"/processes/{process}"})
    assert "Chưa giao được: Không phải cán bộ của cơ quan được giao việc này." in text(
        browser.get(other.location)
    )
