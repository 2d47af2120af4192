"""Text no database can store (found by the fuzzer on PostgreSQL) is a 400 naming the field, on
the API and the pages alike, before anything is written."""

from __future__ import annotations

import json

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser

POLICE = "thanhhoa.congan"
REASON = ["Text may not contain the NUL character or invalid Unicode."]


def test_a_nul_or_half_a_surrogate_pair_is_bad_input(api: ApiClient) -> None:
    body = {"definition": "plan_chain", "title": "Kế hoạch\x00"}
    answer = api.post("/api/v1/processes", POLICE, json=body)
    assert answer.status_code == 400 and answer.json["errors"]["json"] == {"title": REASON}
    api.start_plan(POLICE)
    task = api.only_task(POLICE)
    plan = {**PLAN_2023, "sections": [{"heading": "I", "body": "\ud800"}]}
    body = json.dumps({"decision": "submit", "data": plan})  # as "\ud800": no UTF-8 for it
    url = f"/api/v1/tasks/{task['id']}/complete"
    answer = api.post(url, POLICE, data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.json["errors"]["json"] == {"data": {"sections": {"0": {"body": REASON}}}}
    answer = api.get("/api/v1/tasks?q=ng%C3%A0y%00", POLICE)
    assert answer.status_code == 400 and answer.json["errors"]["json"] == {"q": REASON}
    login = {"username": "thanhhoa.congan\x00", "password": "x"}
    assert api.client.post("/api/v1/auth/token", json=login).status_code == 400
    assert api.only_task(POLICE)["id"] == task["id"]  # nothing was written


def test_the_pages_refuse_it_too(browser: Browser) -> None:
    browser.login(POLICE)
    answer = browser.post("/processes/new", {"definition": "plan_chain", "title": "a\x00b"})
    assert answer.status_code == 400 and "<html" in answer.get_data(as_text=True)
    assert browser.get("/inbox?q=%00").status_code == 400
