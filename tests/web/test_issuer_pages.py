"""The drafter chooses on the page which body issues the plan."""

from __future__ import annotations

import copy

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser

POLICE = "thanhhoa.congan"


def test_the_draft_offers_the_bodies_the_committee_issues_as(
    api: ApiClient, browser: Browser
) -> None:
    process_id = api.start_plan(POLICE)
    (task,) = api.get(f"/api/v1/tasks?process={process_id}", POLICE).json
    browser.login(POLICE)
    page = browser.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'name="data.issuer"' in page and "Ban hành với danh nghĩa" in page
    assert "KH-UBND — ỦY BAN NHÂN DÂN TỈNH THANH HÓA" in page
    assert "KH-BCĐ — BAN CHỈ ĐẠO 138" in page
    plan = {**copy.deepcopy(PLAN_2023), "issuer": "UBND"}
    assert browser.complete(task["id"], "submit", plan).status_code == 302
    document = api.get(f"/api/v1/processes/{process_id}", POLICE).json["document"]
    assert document["issuer"] == "UBND"
