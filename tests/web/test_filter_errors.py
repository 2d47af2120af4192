"""A bad value in a page's GET filters answers the page itself (400) with the value as sent and
the field marked with its reason, in the user's language; the valid filters still apply. The
dashboard's dates are dd/mm/yyyy like every other form's."""

from __future__ import annotations

import re

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser, flatten

POLICE, SUPERVISOR = "thanhhoa.congan", "thanhhoa.congan.truongphong"
HUGE = str(10**26)


def _marked(page: str, name: str) -> str:
    """The reasons under a field, and checks the field points at them."""
    assert f'aria-describedby="{name}-error"' in page, name
    found = re.search(rf'<ul class="field-errors" id="{name}-error">(.*?)</ul>', page, re.S)
    assert found, name
    return re.sub(r"<[^>]+>", " ", found.group(1)).strip()


def test_the_dashboard_dates_are_dd_mm_yyyy_and_a_bad_one_is_marked(
    api: ApiClient, browser: Browser
) -> None:
    campaign = api.start_plan(POLICE)
    browser.login(SUPERVISOR)
    page = browser.get(f"/dashboard/{campaign}").get_data(as_text=True)
    assert 'type="date"' not in page
    assert re.search(
        r'<input type="text" id="trend-from" name="from" value=""[^>]*'
        r'placeholder="dd/mm/yyyy"',
        page,
    )

    chosen = browser.get(f"/dashboard/{campaign}?from=02/05/2023&to=12/05/2023")
    page = chosen.get_data(as_text=True)
    assert chosen.status_code == 200
    assert 'name="from" value="02/05/2023"' in page and 'name="to" value="12/05/2023"' in page
    assert "từ 02/05/2023 đến 12/05/2023" in page  # the chart's description: the range applies
    # the chart and the downloads carry the range as typed, and take it
    assert f"/dashboard/{campaign}/trend.svg?from=02/05/2023&amp;to=12/05/2023" in page
    chart = browser.get(f"/dashboard/{campaign}/trend.svg?from=02/05/2023&to=12/05/2023")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"

    bad = browser.get(f"/dashboard/{campaign}?from=31/02/2023&to=12/05/2023&sort=speed&only=x")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "<h1>Bảng theo dõi</h1>" in page  # the page itself
    assert 'name="from" value="31/02/2023"' in page
    assert _marked(page, "from") == "Ngày này không tồn tại."  # written right, not in the calendar
    assert 'name="to" value="12/05/2023"' in page and 'id="to-error"' not in page
    assert 'id="sort-error"' in page and "<code>speed</code>" in page
    assert 'id="only-error"' in page and "<code>x</code>" in page
    # the links keep only the valid choices: none leads to a refused chart or download
    links = re.findall(rf'(?:href|src)="(/dashboard/{campaign}[^"]*)"', page)
    assert any("trend.svg" in link for link in links) and any(".csv" in link for link in links)
    assert not [link for link in links if re.search(r"from=|sort=speed|only=x", link)]

    backwards = browser.get(f"/dashboard/{campaign}?from=12/05/2023&to=02/05/2023")
    page = backwards.get_data(as_text=True)
    assert backwards.status_code == 400 and _marked(page, "to") == "Không được trước ngày “từ”."

    browser.post("/language", {"lang": "en", "next": "/inbox"})
    english = browser.get(f"/dashboard/{campaign}?from=abc&to=2026-02-29").get_data(as_text=True)
    assert _marked(english, "from") == "Enter a date as dd/mm/yyyy."
    assert _marked(english, "to") == "This date does not exist."
    page = browser.get(f"/dashboard/{campaign}?from=12/5/2023").get_data(as_text=True)
    assert 'id="from-error"' not in page  # a day written without its leading zero is one

    # the API's equivalent, ISO dates: 400 naming the field, coded
    answer = api.get(f"/api/v1/dashboard/trend?campaign={campaign}&from=2026-02-31", SUPERVISOR)
    assert answer.status_code == 400
    assert answer.json["errors"]["query"]["from"] == ["This date does not exist."]
    assert answer.json["codes"] == [{"field": "from", "code": "no_such_date", "params": {}}]
    answer = api.get(f"/api/v1/dashboard/trend?campaign={campaign}&to=31/01/2026", SUPERVISOR)
    assert [c["code"] for c in answer.json["codes"]] == ["not_a_date"]  # not ISO: malformed


def test_the_inbox_marks_a_bad_filter_and_says_when_a_page_is_empty(
    api: ApiClient, browser: Browser
) -> None:
    api.start_plan(POLICE)
    browser.login(POLICE)
    for query, field, reason in (
        ("process=abc", "process", "Nhập số nguyên."),
        (f"process={HUGE}", "process", "Không được quá"),
        ("step=lost", "step", "Vui lòng chọn một trong các lựa chọn."),
    ):
        answer = browser.get(f"/inbox?{query}")
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400, query
        assert "<h1>Hộp việc</h1>" in page and _marked(page, field).startswith(reason), query
        value = query.split("=", 1)[1]
        assert f'value="{value}"' in page, query
    page = browser.get("/inbox?page=999").get_data(as_text=True)
    assert "Không có gì ở trang 999." in page
    refused = browser.get("/inbox?page=abc")
    assert refused.status_code == 400 and "Không phải số trang hợp lệ." in refused.get_data(
        as_text=True
    )


def test_the_process_list_shows_the_refused_values(api: ApiClient, browser: Browser) -> None:
    api.start_plan(POLICE)
    browser.login(POLICE)
    answer = browser.get(f"/processes?year=abc&status=lost&campaign={HUGE}&step=nope&q=ngay")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    for name, value in (("year", "abc"), ("status", "lost"), ("campaign", HUGE), ("step", "nope")):
        assert f'<option value="{value}" selected>{value}</option>' in page, name
        assert _marked(page, name), name
    assert 'name="q" value="ngay"' in page  # the valid ones stay
    assert browser.get("/processes?page=abc").status_code == 400

    api_answer = api.get("/api/v1/processes?year=abc", POLICE)
    assert api_answer.status_code == 400 and "year" in api_answer.json["errors"]["query"]


def test_a_date_not_in_the_calendar_is_named_so_in_every_form(
    api: ApiClient, browser: Browser
) -> None:
    """31/02 is written as a date: the plan's form, its API and the delegation form say it
    does not exist, where a malformed one is asked for as dd/mm/yyyy."""
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    plan = PLAN_2023 | {"window": {"start": "2023-07-01", "end": "2023-02-31"}}
    answer = api.complete(POLICE, task, "submit", data=plan)
    assert answer.status_code == 400
    assert {"field": "data.window.end", "code": "no_such_date", "params": {}} in answer.json[
        "codes"
    ], answer.json["codes"]
    browser.login(POLICE)
    browser.get(f"/tasks/{task}")
    form = flatten(PLAN_2023)
    form["data.window.end"] = "31/02/2023"
    form["decision"] = "submit"
    sent = browser.post(f"/tasks/{task}", form)  # back to the task, the form as typed
    assert sent.status_code == 303 and api.only_task(POLICE)["state"] == "open"
    page = browser.get(sent.location).get_data(as_text=True)
    assert _marked(page, "f-data-window-end") == "Ngày này không tồn tại."
    assert 'value="31/02/2023"' in page  # kept as typed
    form["data.window.end"] = "cuối tháng"
    page = browser.get(browser.post(f"/tasks/{task}", form).location).get_data(as_text=True)
    assert _marked(page, "f-data-window-end") == "Nhập ngày theo dạng dd/mm/yyyy."

    chairman = Browser(browser.client.application.test_client())
    chairman.login("thanhhoa.chutich")
    chairman.get("/delegations")
    bad = chairman.post(
        "/delegations",
        {"substitute": "thanhhoa.phochutich", "starts": "31/02/2023", "ends": "x", "kind": "TUQ"},
    )
    assert bad.status_code == 422
    shown = bad.get_data(as_text=True)
    assert _marked(shown, "starts") == "Ngày này không tồn tại."
    assert _marked(shown, "ends") == "Nhập ngày theo dạng dd/mm/yyyy."
