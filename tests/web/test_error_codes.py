"""Bad input carries a code from where it is raised: the API answers the code with its field and
parameters (and the English reason, as before); the pages word it in their language."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable
from typing import Any

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser

POLICE = "thanhhoa.congan"


def _line(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda plan: plan["budget_lines"][0].update(changes)


def _set(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda plan: plan.update(changes)


def _empty(plan: dict[str, Any]) -> None:
    for key in ("sections", "budget_lines", "addressed_units", "deadlines"):
        plan[key] = []


# (what is wrong, the field, its code and parameters, the Vietnamese page's words, the English)
CASES: list[tuple[Callable[[dict[str, Any]], None], str, str, dict[str, Any], str, str]] = [
    (
        _line(unit_amount=-1_000_000),
        "data.budget_lines[0].unit_amount",
        "negative",
        {},
        "Không được là số âm.",
        "Cannot be negative.",
    ),
    (
        _set(year=1999),
        "data.year",
        "year_out_of_range",
        {"first_year": 2000, "last_year": 2100},
        "Nhập năm từ 2000 đến 2100.",
        "Enter a year from 2000 to 2100.",
    ),
    (
        _set(window={"start": "2024-07-01", "end": "2024-08-19"}),
        "data.window",
        "period_outside_year",
        {"year": 2023},
        "Thời gian thực hiện phải nằm trong năm 2023.",
        "The period must lie within the year 2023.",
    ),
    (
        _empty,
        "data.sections",
        "empty_plan",
        {},
        "Kế hoạch còn trống: hãy viết ít nhất một mục nội dung, một dòng kinh phí hoặc chọn "
        "một đơn vị nhận.",
        "The plan is empty: write a section, a budget line or an addressed unit.",
    ),
    (
        _set(title=""),
        "data.title",
        "required",
        {},
        "Vui lòng nhập trường này.",
        "Please fill in this field.",
    ),
    (
        _set(window={"start": "2023-08-19", "end": "2023-07-01"}),
        "data.window.end",
        "end_before_start",
        {},
        "Ngày kết thúc trước ngày bắt đầu.",
        "The end date is before the start date.",
    ),
    (
        lambda plan: plan["nominations"][0].update(kind="huy_chuong"),
        "data.nominations[0].kind",
        "not_a_choice",
        {"choices": ["bang_khen_chu_tich_tinh", "giay_khen", "ky_niem_chuong"]},
        "Vui lòng chọn một trong các lựa chọn.",
        "Choose one of the options.",
    ),
]


def _plan(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    plan = copy.deepcopy(PLAN_2023)
    change(plan)
    return plan


def _reasons(errors: Any, path: str) -> list[str]:
    """The reasons at a coded path (`data.budget_lines[0].unit_amount`) of an error tree."""
    for key in re.findall(r"[^.\[\]]+", path):
        errors = errors[key]
    return list(errors)


def test_each_reason_is_coded_with_its_field_through_the_api(api: ApiClient) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    for change, field, code, params, _, english in CASES:
        answer = api.complete(POLICE, task, "submit", data=_plan(change))
        assert answer.status_code == 400, (code, answer.json)
        assert answer.json["codes"] == [{"field": field, "code": code, "params": params}]
        assert _reasons(answer.json["errors"]["json"], field) == [english]  # as before
    assert api.only_task(POLICE)["id"] == task  # nothing was completed


def _page(browser: Browser, task: int, change: Callable[[dict[str, Any]], None]) -> str:
    answer = browser.complete(task, "submit", _plan(change))
    assert answer.status_code == 303, answer.status_code
    return html.unescape(re.sub(r"\s+", " ", browser.get(answer.location).get_data(as_text=True)))


def test_the_task_page_words_each_reason_in_its_language_only(
    api: ApiClient, browser: Browser
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(POLICE)
    for lang in ("vi", "en"):
        browser.post("/language", {"lang": lang, "next": "/inbox"})
        for change, field, code, _, vietnamese, english in CASES:
            page = _page(browser, task, change)
            shown, other = (vietnamese, english) if lang == "vi" else (english, vietnamese)
            assert shown in page, (lang, code)
            assert other not in page, (lang, code)
            summary = page[
                page.index('id="form-errors"') : page.index(
                    "</div>", page.index('id="form-errors"')
                )
            ]
            anchor = "f-" + re.sub(r"\[(\d+)\]", r".\1", field).replace(".", "-")
            assert shown in summary and f'<a href="#{anchor}">' in summary, (lang, code)


def test_the_summary_links_each_field_and_numbers_read_the_page_way(
    api: ApiClient, browser: Browser
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(POLICE)

    def several(plan: dict[str, Any]) -> None:
        plan["budget_lines"][0].update(unit_amount=-1, quantity=10**7)
        plan["year"] = 1999

    page = _page(browser, task, several)
    summary = page[page.index('id="form-errors"') :]
    assert '<a href="#f-data-budget_lines-0-unit_amount">' in summary
    assert '<a href="#f-data-budget_lines-0-quantity">' in summary
    assert '<a href="#f-data-year">' in summary
    assert "Không được quá 1.000.000." in summary and "Nhập năm từ 2000 đến 2100." in summary
    browser.post("/language", {"lang": "en", "next": "/inbox"})
    page = _page(browser, task, several)
    assert "Must be at most 1,000,000." in page and "Enter a year from 2000 to 2100." in page
