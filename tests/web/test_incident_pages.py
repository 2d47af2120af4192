"""The incidents page: an administrator sees a failed script and cancels or retries it."""

from __future__ import annotations

from tests.conftest import PLAN_2023, ApiClient
from tests.service.test_incidents import ADMIN, POLICE, _deploy, _fail_the_draft, _with_script
from tests.web.conftest import Browser


def test_the_administrator_sees_the_incident_and_retries_it(
    api: ApiClient, browser: Browser
) -> None:
    process, draft, answer = _fail_the_draft(api, _with_script("x = 9**9**9"))
    assert answer.status_code == 422
    browser.login(ADMIN)
    page = browser.get("/incidents").get_data(as_text=True)
    assert "Sự cố đang mở" in page and "draft_plan" in page and "value too large" in page
    assert f"/processes/{process}" in page and POLICE in page
    # retried before the fix: still failing, said so, and the incident stays
    page = browser.post(f"/incidents/{answer.json['incident']}/retry", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "bị lỗi nên chưa có gì được lưu" in text and "draft_plan" in text
    _deploy(api, _with_script("x = 9**9"))
    page = browser.post(f"/incidents/{answer.json['incident']}/retry", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "sự cố đã được khắc phục" in text and "Không có sự cố nào đang mở." in text
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200


def test_the_page_in_english_and_cancelling(api: ApiClient, browser: Browser) -> None:
    process, _, answer = _fail_the_draft(api, _with_script("while True: pass"))
    browser.login(ADMIN)
    browser.post("/language", {"lang": "en"})
    page = browser.get("/incidents").get_data(as_text=True)
    assert "Open incidents" in page and "Sự cố" not in page
    page = browser.post(f"/incidents/{answer.json['incident']}/cancel", follow_redirects=True)
    assert "The process is cancelled." in page.get_data(as_text=True)
    assert api.get(f"/api/v1/processes/{process}", ADMIN).json["status"] == "cancelled"


def test_staff_cannot_open_the_incidents_page(browser: Browser) -> None:
    browser.login(POLICE)
    assert browser.get("/incidents").status_code == 403
