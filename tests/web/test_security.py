"""Sessions, CSRF, the login rate limit, security headers, and the polite error pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask

from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.web.conftest import Browser

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"


def test_a_stranger_goes_to_the_login_page_and_back(api: ApiClient, browser: Browser) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)
    answer = browser.get(f"/tasks/{task['id']}")
    assert answer.status_code == 302
    assert answer.location == f"/login?next=%2Ftasks%2F{task['id']}"
    page = browser.get(answer.location).get_data(as_text=True)
    assert "Vui lòng đăng nhập để tiếp tục." in page
    assert f'name="next" value="/tasks/{task["id"]}"' in page
    answer = browser.login(POLICE, next=f"/tasks/{task['id']}")
    assert answer.status_code == 302 and answer.location == f"/tasks/{task['id']}"


def test_login_never_sends_anyone_to_another_site(browser: Browser) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = browser.login(POLICE, next=target)
        assert answer.location == "/"  # home: each user's landing page, on this site
        browser.post("/logout")


def test_wrong_passwords_are_refused_then_rate_limited(browser: Browser) -> None:
    browser.get("/login")
    answers = [browser.post("/login", {"username": POLICE, "password": "wrong"}) for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert "Sai tên đăng nhập hoặc mật khẩu." in answers[0].get_data(as_text=True)
    assert "Quá nhiều lần thử" in answers[-1].get_data(as_text=True)
    other = browser.post("/login", {"username": FINANCE, "password": "demo-2023"})
    assert other.status_code == 302  # one user's typos lock out nobody else


def test_wrong_passwords_for_a_token_are_rate_limited_too(api: ApiClient) -> None:
    def token(username: str, password: str) -> int:
        body = {"username": username, "password": password}
        return int(api.client.post("/api/v1/auth/token", json=body).status_code)

    assert [token(POLICE, "wrong") for _ in range(6)] == [401] * 5 + [429]
    assert token(POLICE, "demo-2023") == 429  # the right password waits its minute too
    assert token(FINANCE.upper(), "wrong") == 401  # another user is not held up
    assert api.login(FINANCE)


def test_forms_without_the_csrf_token_are_refused(api: ApiClient, browser: Browser) -> None:
    answer = browser.post("/login", {"username": POLICE, "password": "demo-2023"}, csrf=False)
    assert answer.status_code == 400
    assert "Biểu mẫu đã hết hạn" in answer.get_data(as_text=True)
    browser.login(POLICE)
    api.start_plan(POLICE)
    task = api.only_task(POLICE)
    form = {"decision": "submit", "data.title": "x"}
    assert browser.post(f"/tasks/{task['id']}", form, csrf=False).status_code == 400
    assert browser.post("/logout", csrf=False).status_code == 400
    assert api.only_task(POLICE)["id"] == task["id"]  # nothing happened


def test_the_api_keeps_bearer_tokens_without_csrf(api: ApiClient) -> None:
    process_id = api.start_plan(POLICE)  # a POST with no CSRF token
    assert process_id > 0
    unknown = api.get("/api/v1/nowhere", POLICE)
    assert unknown.status_code == 404 and unknown.is_json


def test_pages_send_a_strict_csp_and_a_protected_cookie(browser: Browser) -> None:
    answer = browser.login(POLICE)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    page = browser.get("/inbox")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert not re.search(r"\sstyle=", html) and "<style" not in html  # no inline style
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from another host
    with browser.client.get("/assets/js/app.js") as script:
        assert script.status_code == 200 and script.mimetype == "text/javascript"


def test_a_session_ends_after_its_lifetime(app: Flask, browser: Browser) -> None:
    wall = app.extensions["session_clock"] = FakeClock(datetime.now(UTC))
    browser.login(POLICE)
    assert browser.get("/inbox").status_code == 200
    # the cookie says nothing of its age: the server's row does
    wall.advance(seconds=app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() + 1)
    answer = browser.get("/inbox")
    assert answer.status_code == 302 and answer.location.startswith("/login")
    assert "Phiên làm việc đã hết hạn" in browser.get(answer.location).get_data(as_text=True)


def test_another_agencys_task_is_a_polite_403(api: ApiClient, browser: Browser) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)
    browser.login(FINANCE)
    answer = browser.get(f"/tasks/{task['id']}")
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "Bạn không có quyền truy cập trang này" in page
    assert "Công việc này thuộc cơ quan hoặc vai trò khác." in page
    assert "Về hộp việc" in page and "Traceback" not in page
    assert browser.post(f"/tasks/{task['id']}", {"decision": "submit"}).status_code == 403


def test_unknown_pages_and_tasks_are_polite_404s(browser: Browser) -> None:
    browser.login(POLICE)
    for path in ("/tasks/999999", "/processes/999999", "/nowhere"):
        answer = browser.get(path)
        assert answer.status_code == 404, path
        assert "<html" in answer.get_data(as_text=True)


def test_a_task_completed_meanwhile_says_so(api: ApiClient, new_browser: object) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)
    first, second = new_browser(), new_browser()  # type: ignore[operator]
    first.login(POLICE)
    second.login("thanhhoa.congan.truongphong")  # a colleague in the same role
    assert first.complete(task["id"], "submit", PLAN_2023).status_code == 302
    answer = second.complete(task["id"], "submit", PLAN_2023)
    assert answer.status_code == 409
    assert "Công việc này đã được xử lý" in answer.get_data(as_text=True)


def test_claiming_shows_who_holds_a_task_and_releasing_gives_it_back(
    api: ApiClient, new_browser: object
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)
    clerk, head = new_browser(), new_browser()  # type: ignore[operator]
    clerk.login(POLICE)
    head.login("thanhhoa.congan.truongphong")
    answer = clerk.post(f"/tasks/{task['id']}/claim", {"next": "/inbox"})
    assert answer.status_code == 302 and answer.location == "/inbox"
    inbox = head.get("/inbox").get_data(as_text=True)
    assert 'Đang xử lý: <span lang="vi">Lê Văn Hùng</span>' in inbox  # a name as typed
    assert head.complete(task["id"], "submit", PLAN_2023).status_code == 409
    assert head.post(f"/tasks/{task['id']}/release").status_code == 409
    assert clerk.post(f"/tasks/{task['id']}/release").status_code == 302
    assert "Đang xử lý" not in head.get("/inbox").get_data(as_text=True)
