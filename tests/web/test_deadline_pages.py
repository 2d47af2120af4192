"""Deadlines as people read them: the last day to act ("hết ngày …"), and days left, late and
waited in working days on the Vietnamese calendar, as the dashboard counts them."""

from __future__ import annotations

from flask import Flask

from service.db.uow import UnitOfWork
from service.operations.scheduler import tick
from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.service.test_cascade import at
from tests.web.conftest import Browser

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"


def _due_cell(page: str) -> str:
    start = page.index('data-label="Hạn xử lý"')
    return page[start : page.index("</td>", start)]


def test_inbox_and_task_show_the_last_day_and_working_days(
    app: Flask, api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    # Monday 3/7/2023: the draft has 10 working days, so it falls due at 00:00 on Tuesday 18/7
    at(clock, "2023-07-03")
    api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    assert draft["due_at"] == "2023-07-17T17:00:00+00:00"
    assert draft["last_day"] == "2023-07-17"
    browser.login(POLICE)
    page = browser.get("/inbox").get_data(as_text=True)
    due = _due_cell(page)
    assert "hết ngày 17/07/2023" in due and "còn 10 ngày làm việc" in due
    assert "18/07/2023" not in due.split('title="')[0]
    assert "hôm nay" in page  # waiting since today

    at(clock, "2023-07-10")  # a week on: 4–7/7 and 10/7 are five working days
    page = browser.get("/inbox").get_data(as_text=True)
    assert "5 ngày làm việc" in page and "còn 5 ngày làm việc" in _due_cell(page)
    task = browser.get(f"/tasks/{draft['id']}").get_data(as_text=True)
    assert "Hạn hết ngày 17/07/2023" in task and "còn 5 ngày làm việc" in task

    at(clock, "2023-07-17")
    assert "hôm nay là ngày cuối" in _due_cell(browser.get("/inbox").get_data(as_text=True))

    at(clock, "2023-07-19")  # Wednesday: late by Tuesday and Wednesday
    tick(lambda: UnitOfWork(app.extensions["session_factory"], clock=clock))
    due = _due_cell(browser.get("/inbox").get_data(as_text=True))
    assert "Quá hạn" in due and "chậm 2 ngày làm việc" in due

    browser.post("/language", {"lang": "en", "next": "/inbox"})
    page = browser.get("/inbox").get_data(as_text=True)
    assert "by the end of 17/07/2023" in page and "2 working days late" in page
    assert "12 working days" in page  # waited: 4–7, 10–14, 17–19/7
    at(clock, "2023-07-14")
    assert "1 working day left" in browser.get("/inbox").get_data(as_text=True)


def test_the_plan_and_its_process_name_the_last_day(
    api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    at(clock, "2023-04-20")
    process = api.start_plan(POLICE)
    api.complete(POLICE, api.only_task(POLICE)["id"], "submit", data=PLAN_2023)
    appraisal = api.only_task(FINANCE)
    assert appraisal["last_day"] == "2023-04-27"  # 5 working days from Thursday 20/4
    browser.login(FINANCE)
    task = browser.get(f"/tasks/{appraisal['id']}").get_data(as_text=True)
    # the plan's own "trước ngày 20/8/2023", and the day to act by
    assert "trước ngày 20/08/2023" in task and "hết ngày 19/08/2023" in task
    page = browser.get(f"/processes/{process}").get_data(as_text=True)
    assert "hạn hết ngày 27/04/2023" in page
    row = api.get(f"/api/v1/processes/{process}", FINANCE).json["tasks"][-1]
    assert (row["due_at"], row["last_day"]) == ("2023-04-27T17:00:00+00:00", "2023-04-27")


def test_the_api_documents_last_day_beside_due_at(app: Flask) -> None:
    schemas = app.test_client().get("/api/v1/openapi.json").json["components"]["schemas"]
    for name in ("Task", "ProcessTask", "OpenStep"):
        field = schemas[name]["properties"]["last_day"]
        assert field["format"] == "date" and "due_at" in field["description"], name
