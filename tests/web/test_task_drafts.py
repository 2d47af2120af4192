"""Drafts of task forms: saved as typed, restored, shared with a colleague who takes the task
over, gone once it is sent; a refused send and a send after the session expired lose nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from service.db.models import TaskDraft
from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.web.conftest import Browser, flatten, form_token, token_secret

POLICE, COLLEAGUE, FINANCE = (
    "thanhhoa.congan",
    "thanhhoa.congan.truongphong",
    "thanhhoa.taichinh",
)
HALF_WRITTEN = {  # not a valid plan: no year, a word for a number
    "data.title": "Kế hoạch đang soạn <dở>",
    "data.budget_lines.__present__": "1",
    "data.budget_lines.0.item": "Quà cho đơn vị điểm",
    "data.budget_lines.0.quantity": "ba mươi",
    "comment": "Còn thiếu phần khen thưởng",
}
JSON = {"Accept": "application/json"}


def _text(answer: object) -> str:
    return answer.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def _drafts(app: Flask) -> list[TaskDraft]:
    with app.extensions["session_factory"]() as session:
        return list(session.scalars(select(TaskDraft)))


@pytest.fixture
def wall(app: Flask) -> FakeClock:
    """The sessions' real-time clock, moved by the test."""
    clock = FakeClock(datetime.now(UTC))
    app.extensions["session_clock"] = clock
    return clock


def test_a_draft_is_restored_shared_with_who_takes_the_task_and_gone_once_sent(
    app: Flask, api: ApiClient, new_browser: object
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    clerk, colleague = new_browser(), new_browser()  # type: ignore[operator]
    clerk.login(POLICE)
    clerk.get(f"/tasks/{task}")
    saved = clerk.post(f"/tasks/{task}/draft", HALF_WRITTEN)
    assert saved.status_code == 303 and saved.location == f"/tasks/{task}"
    page = _text(clerk.get(saved.location))
    assert "Đã lưu nháp." in page and "Bản nháp lưu lúc" in page
    assert 'value="Kế hoạch đang soạn &lt;dở&gt;"' in page and 'value="ba mươi"' in page
    assert "Còn thiếu phần khen thưởng</textarea>" in page
    assert "Vui lòng sửa" not in page  # saved unchecked: no reasons shown
    assert api.only_task(POLICE)["id"] == task  # nothing was sent

    colleague.login(COLLEAGUE)
    assert colleague.post(f"/tasks/{task}/claim", {"next": f"/tasks/{task}"}).status_code == 302
    page = _text(colleague.get(f"/tasks/{task}"))
    assert 'value="ba mươi"' in page and "Bản nháp lưu lúc" in page
    # the task is in the colleague's hand now: the clerk's next save is refused, not lost over
    assert clerk.post(f"/tasks/{task}/draft", HALF_WRITTEN).status_code == 409
    assert api.get(f"/api/v1/tasks/{task}/draft", FINANCE).status_code == 403  # not Finance's
    shared = api.get(f"/api/v1/tasks/{task}/draft", COLLEAGUE)
    assert (
        shared.status_code == 200
        and ["data.budget_lines.0.quantity", "ba mươi"] in (shared.json["fields"])
    )

    assert colleague.complete(task, "submit", PLAN_2023).status_code == 302
    assert _drafts(app) == []
    assert api.get(f"/api/v1/tasks/{task}/draft", COLLEAGUE).status_code == 404


def test_the_autosave_answers_json_and_the_api_saves_and_reads(
    api: ApiClient, browser: Browser
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(POLICE)
    browser.get(f"/tasks/{task}")
    answer = browser.post(f"/tasks/{task}/draft", HALF_WRITTEN, headers=JSON)
    assert answer.status_code == 200 and answer.json["message"].startswith("Bản nháp lưu lúc")
    fields = [["data.title", "Bản từ API"], ["data.addressed_units", "a"]]
    fields.append(["data.addressed_units", "b"])  # a name may repeat, as a checklist posts it
    put = api.call("PUT", f"/api/v1/tasks/{task}/draft", POLICE, json={"fields": fields})
    assert put.status_code == 200 and put.json["fields"] == fields
    got = api.get(f"/api/v1/tasks/{task}/draft", POLICE).json
    assert got["fields"] == fields and got["saved_by"] and got["errors"] is None
    bad = api.call("PUT", f"/api/v1/tasks/{task}/draft", POLICE, json={"fields": [["only"]]})
    assert bad.status_code == 400 and "fields" in bad.json["errors"]["json"]
    huge = {"fields": [["comment", "x" * 600_000]]}
    too_big = api.call("PUT", f"/api/v1/tasks/{task}/draft", POLICE, json=huge)
    assert too_big.status_code == 400 and "fields" in too_big.json["errors"]["json"]


def test_a_refused_send_redirects_so_back_and_reload_send_nothing_again(
    api: ApiClient, browser: Browser
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(POLICE)
    browser.get(f"/tasks/{task}")
    form = flatten({"title": "Kế hoạch thiếu năm"})
    form.update({"decision": "submit", "comment": "gửi thử"})
    answer = browser.post(f"/tasks/{task}", form)
    assert answer.status_code == 303 and answer.location == f"/tasks/{task}"
    for _ in range(2):  # the redirect, then a reload: a GET each time, the reasons still there
        page = browser.get(answer.location)
        assert page.status_code == 200
        text = _text(page)
        assert "Vui lòng sửa các trường được đánh dấu" in text
        assert 'value="Kế hoạch thiếu năm"' in text and "gửi thử</textarea>" in text
        year = text.index('id="f-data-year"')
        assert "Vui lòng nhập trường này." in text[year : year + 600]
    assert api.only_task(POLICE)["id"] == task  # nothing was completed
    # the next save is the form as it now stands: the old reasons go with it
    browser.post(f"/tasks/{task}/draft", HALF_WRITTEN)
    assert "Vui lòng sửa" not in _text(browser.get(f"/tasks/{task}"))


def test_a_form_sent_after_the_session_expired_is_kept_and_restored_after_login(
    app: Flask, api: ApiClient, browser: Browser, wall: FakeClock
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(POLICE)
    browser.get(f"/tasks/{task}")
    wall.advance(seconds=app.config["IDLE_TIMEOUT_SECONDS"] + 1)
    form = dict(HALF_WRITTEN, decision="submit")
    answer = browser.post(f"/tasks/{task}", form)
    assert answer.status_code == 303
    assert answer.location.startswith("/login?next=")
    login = browser.get(answer.location)
    assert "Nội dung bạn đã nhập vẫn được giữ" in _text(login)
    back = browser.login(POLICE, next=f"/tasks/{task}?restored=1")
    assert back.location == f"/tasks/{task}?restored=1"
    page = _text(browser.get(back.location))
    assert "khôi phục dưới đây; chưa có gì được gửi đi" in page
    assert 'value="ba mươi"' in page and "Còn thiếu phần khen thưởng</textarea>" in page
    assert api.only_task(POLICE)["id"] == task  # kept, not sent


def test_an_autosave_after_the_session_expired_keeps_the_form_and_says_to_log_in(
    app: Flask, api: ApiClient, browser: Browser, wall: FakeClock
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(POLICE)
    browser.get(f"/tasks/{task}")
    wall.advance(seconds=app.config["IDLE_TIMEOUT_SECONDS"] + 1)
    answer = browser.post(f"/tasks/{task}/draft", HALF_WRITTEN, headers=JSON)
    assert answer.status_code == 401
    assert answer.json["expired"] is True and answer.json["kept"] is True
    assert "restored%3D1" in answer.json["login"] or "restored=1" in answer.json["login"]
    (draft,) = _drafts(app)
    assert ["data.budget_lines.0.quantity", "ba mươi"] in draft.fields
    # the session has ended: the same cookie keeps nothing more
    again = browser.post(f"/tasks/{task}/draft", {"comment": "sau khi hết hạn"}, headers=JSON)
    assert again.status_code == 302
    (draft,) = _drafts(app)
    assert ["comment", "sau khi hết hạn"] not in draft.fields


def test_another_agency_may_not_write_a_draft(api: ApiClient, browser: Browser) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(FINANCE)
    assert browser.post(f"/tasks/{task}/draft", HALF_WRITTEN).status_code == 403
    put = api.call("PUT", f"/api/v1/tasks/{task}/draft", FINANCE, json={"fields": []})
    assert put.status_code == 403


def test_a_form_whose_token_expired_comes_back_typed_and_unsaved(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(POLICE)
    browser.get(f"/tasks/{task}")
    stale = browser.token
    browser.login(POLICE)  # again, as in another tab: the session and its form token are new
    form = dict(HALF_WRITTEN, decision="submit", csrf_token=stale)
    answer = browser.post(f"/tasks/{task}", form, csrf=False)
    assert answer.status_code == 400
    page = _text(answer)
    assert "Biểu mẫu đã hết hạn nên chưa có gì được gửi hay lưu" in page
    assert 'value="ba mươi"' in page  # as typed
    offered = form_token(page)  # a token that works: this session's, not the stale one's
    assert offered is not None
    assert token_secret(app, offered) == token_secret(app, browser.token)
    assert token_secret(app, offered) != token_secret(app, stale)
    assert _drafts(app) == [] and api.only_task(POLICE)["id"] == task  # nothing changed
