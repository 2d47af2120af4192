"""A plan's pilot site names its unit from the units the plan may address: a select on the page
(a filter over it when the page's script runs), a checked code in the API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser, flatten

POLICE = "thanhhoa.congan"


def _draft(api: ApiClient) -> int:
    process = api.start_plan(POLICE)
    (task,) = [t for t in api.get("/api/v1/tasks", POLICE).json if t["process_id"] == process]
    return int(task["id"])


def _with_site(agency: str | None) -> dict[str, Any]:
    site = {**PLAN_2023["pilot_sites"][0], "agency": agency}
    return {**PLAN_2023, "pilot_sites": [site]}


@pytest.mark.parametrize(
    ("agency", "code"),
    [("khong-co-don-vi-nay", "unknown_agency"), ("bac-giang-cong-an", "not_a_unit_here")],
)
def test_the_api_refuses_a_pilot_unit_the_plan_cannot_address(
    api: ApiClient, agency: str, code: str
) -> None:
    task_id = _draft(api)
    answer = api.complete(POLICE, task_id, "submit", data=_with_site(agency))
    assert answer.status_code == 400, answer.json
    assert {"field": "data.pilot_sites[0].agency", "code": code, "params": {}} in answer.json[
        "codes"
    ]
    # a unit of the province, or none at all, is taken
    done = api.complete(POLICE, task_id, "submit", data=_with_site("nga-son-nga-lien"))
    assert done.status_code == 200, done.json


def test_the_api_takes_a_pilot_site_without_a_unit(api: ApiClient) -> None:
    answer = api.complete(POLICE, _draft(api), "submit", data=_with_site(None))
    assert answer.status_code == 200, answer.json


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_form_picks_the_pilot_unit_from_a_list(app: Flask, api: ApiClient, lang: str) -> None:
    task_id = _draft(api)
    page = Browser(app.test_client())
    page.login(POLICE)
    page.post("/language", {"lang": lang, "next": "/inbox"})
    form = flatten(_with_site("nga-son-nga-lien"))
    form["data.pilot_sites.__present__"] = "1"
    saved = page.post(f"/tasks/{task_id}/draft", form)
    assert saved.status_code == 303
    html = page.get(f"/tasks/{task_id}").get_data(as_text=True)
    select = re.search(
        r'<select id="f-data-pilot_sites-0-agency" name="data.pilot_sites.0.agency".*?</select>',
        html,
        re.S,
    )
    assert select is not None, "the pilot site's unit is a select"
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0)))
    assert "thanh-hoa-so-y-te" in options and "nga-son-nga-lien" in options  # the province's
    assert "bac-giang-cong-an" not in options  # another province's: not addressable here
    assert re.search(r'<option value="nga-son-nga-lien" selected>', select.group(0))
    assert 'data-filter-select="f-data-pilot_sites-0-agency"' in html  # narrowed by typing

    form["decision"] = "submit"
    sent = page.post(f"/tasks/{task_id}", form)
    assert sent.status_code == 302
    detail = api.get(f"/api/v1/tasks/{task_id}", POLICE).json
    assert detail["document"]["pilot_sites"][0]["agency"] == "nga-son-nga-lien"
