"""Hostile text stays text on the two pages the first escaping test left out: the
notifications (a mention carries the comment's excerpt and the plan's title) and the
supervisors' dashboard (the campaign's title). Each page is visited with that content on it."""

from __future__ import annotations

from tests.conftest import PLAN_2023, ApiClient
from tests.security.test_html_escaping import PAYLOADS, _dangers
from tests.web.conftest import Browser

POLICE, FINANCE, SUPERVISOR = "thanhhoa.congan", "thanhhoa.taichinh", "thanhhoa.vanphong"
TITLE = PAYLOADS[0]  # <script>alert(1)</script>
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _shown_as_text(html: str, path: str) -> None:
    assert _dangers(html) == [], path
    assert ESCAPED in html, path
    assert [p for p in PAYLOADS if p in html and any(c in p for c in "<>\"'")] == [], path


def test_notifications_and_the_dashboard_show_hostile_text_as_text(
    api: ApiClient, browser: Browser
) -> None:
    started = api.post(
        "/api/v1/processes", POLICE, json={"definition": "plan_chain", "title": TITLE}
    )
    process = int(started.json["id"])
    draft = api.only_task(POLICE)
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200
    for payload in PAYLOADS[:20]:
        body = {"body": payload, "mentions": ["thanh-hoa-cong-an"]}
        answer = api.post(f"/api/v1/processes/{process}/comments", FINANCE, json=body)
        assert answer.status_code == 201, answer.json

    browser.login(POLICE)
    notices = browser.get("/notifications")
    assert notices.status_code == 200
    assert notices.text.count("notice-unread") >= 20  # the mentions are on the page
    _shown_as_text(notices.text, "/notifications")

    supervisor = Browser(browser.client.application.test_client())
    supervisor.login(SUPERVISOR)
    dashboard = supervisor.get(f"/dashboard/{process}")
    assert dashboard.status_code == 200
    _shown_as_text(dashboard.text, f"/dashboard/{process}")
