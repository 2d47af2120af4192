"""The inbox's "done" tab: what the agency, or the user alone, has completed."""

from __future__ import annotations

from flask import Flask

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser

POLICE, COLLEAGUE, FINANCE = "thanhhoa.congan", "thanhhoa.congan.truongphong", "thanhhoa.taichinh"


def test_done_by_me_and_by_my_agency(app: Flask, api: ApiClient, browser: Browser) -> None:
    first, second = api.start_plan(POLICE), api.start_plan(POLICE)
    mine = api.get(f"/api/v1/tasks?process={first}", POLICE).json[0]["id"]
    theirs = api.get(f"/api/v1/tasks?process={second}", COLLEAGUE).json[0]["id"]
    assert api.complete(POLICE, mine, "submit", data=PLAN_2023).status_code == 200
    assert api.complete(COLLEAGUE, theirs, "submit", data=PLAN_2023).status_code == 200

    def ids(user: str, by: str) -> list[int]:
        answer = api.get(f"/api/v1/tasks?state=completed&by={by}", user)
        assert answer.status_code == 200, answer.json
        return [t["id"] for t in answer.json]

    assert ids(POLICE, "me") == [mine] and ids(COLLEAGUE, "me") == [theirs]
    assert sorted(ids(POLICE, "agency")) == sorted([mine, theirs])
    assert ids(FINANCE, "agency") == [] and ids(FINANCE, "me") == []
    assert api.get("/api/v1/tasks?by=everyone", POLICE).status_code == 400

    browser.login(POLICE)
    page = browser.get("/inbox?tab=done").get_data(as_text=True)
    assert page.count('class="row-link"') == 2 and "Việc đơn vị đã xử lý" in page
    assert f'href="/processes/{first}"' in page and "Đã trình" in page
    page = browser.get("/inbox?tab=done&by=me").get_data(as_text=True)
    assert page.count('class="row-link"') == 1 and f'href="/processes/{first}"' in page
    page = browser.get("/inbox?tab=done&q=khong+co").get_data(as_text=True)
    assert 'class="row-link"' not in page and "Chưa có việc nào đã xử lý." in page
    page = browser.get("/inbox?page=999").get_data(as_text=True)
    assert "Không có gì ở trang 999." in page and "Không có công việc nào đang chờ" not in page
