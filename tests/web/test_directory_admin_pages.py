"""Administrators reorganise the directory on the agencies page, and import and export users:
each bad value comes back on its field with the operation's reason, in the page's language,
and nothing is written; a good one is applied and audited like the API's."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.db.models import Agency, Event
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, drive
from tests.service.test_movement_plan import CHAIN, POLICE, movement_plan
from tests.web.conftest import Browser

ADMIN = "admin"


def reorganise(browser: Browser, action: str, **form: str) -> Any:
    return browser.post("/admin/agencies/reorganise", {"action": action, **form})


def refused(answer: Any, field: str) -> str:
    """The reason shown on `field`, after checking the page refused the form."""
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert f'id="{field}-error"' in page, page
    return page.split(f'id="{field}-error"><li>', 1)[1].split("</li>", 1)[0]


def test_reorganisations_on_the_page(app: Flask, browser: Browser, clock: FakeClock) -> None:
    at(clock, "2025-07-01")
    browser.login(ADMIN)
    form = browser.get("/admin/agencies/reorganise?code=thuong-xuan").get_data(as_text=True)
    assert 'value="thuong-xuan"' in form
    day = {"effective": "01/07/2025"}

    created = reorganise(
        browser, "create", code="thanh-hoa-xa-moi", name="Xã Mới", kind="commune",
        parent="thanh-hoa", admin_code="16999", **day,
    )  # fmt: skip
    assert created.status_code == 302
    merged = reorganise(browser, "merge", code="thuong-xuan", into="thanh-hoa-xa-moi", **day)
    assert merged.status_code == 302
    listed = browser.get(merged.location).get_data(as_text=True)
    assert "Huyện Thường Xuân" in listed and "thanh-hoa-xa-moi" in listed

    # each refusal names its field, in Vietnamese
    reason = refused(
        reorganise(browser, "merge", code="nga-son", into="thuong-xuan", **day), "into"
    )
    assert reason == "Huyện Thường Xuân đã giải thể hoặc hợp nhất từ ngày 01/07/2025."
    reason = refused(
        reorganise(browser, "move", code="thanh-hoa", parent="nga-son-nga-lien", **day), "parent"
    )
    assert reason.endswith("tạo thành vòng lặp.")
    reason = refused(
        reorganise(browser, "create", code="thanh-hoa-xa-moi", name="X", kind="commune", **day),
        "code",
    )
    assert reason == "Mã thanh-hoa-xa-moi đã được dùng."
    early = reorganise(browser, "rename", code="thanh-hoa-xa-moi", name="X", effective="2025-06-30")
    assert refused(early, "effective").startswith("Trước khi cơ quan, đơn vị tồn tại")
    assert refused(reorganise(browser, "rename", code="thanh-hoa-xa-moi", name="X"), "effective")
    assert refused(reorganise(browser, "dissolve", code="khong-co", **day), "code")
    split = reorganise(
        browser, "split", code="nga-son", into="nga-son", open_work_to="nga-son", **day
    )
    assert refused(split, "into") == "Nêu mỗi đơn vị kế thừa một lần, không nêu chính đơn vị đó."
    assert refused(reorganise(browser, "teleport", code="nga-son", **day), "action")
    # dated after today: scheduled for the scheduler's tick on its day, not applied now
    later = reorganise(browser, "rename", code="thanh-hoa-xa-moi", name="Xã Mới Hai",
                       effective="2025-07-02")  # fmt: skip
    assert later.status_code == 302
    told = browser.get(later.location).get_data(as_text=True)
    assert "thanh-hoa-xa-moi: việc sắp xếp lại sẽ được áp dụng vào ngày 02/07/2025." in told
    assert "Đang chờ đến ngày hiệu lực" in told and "Xã Mới Hai" in told  # listed, waiting

    with app.extensions["session_factory"]() as session:
        new = session.scalars(select(Agency).filter_by(code="thanh-hoa-xa-moi")).one()
        assert new.name == "Xã Mới"  # no refused rename went in, the scheduled one waits
        actions = [
            (e.action, e.data["agency"], e.data["by"])
            for e in session.scalars(select(Event).where(Event.action.like("agency_%")))
        ]
    assert actions == [
        ("agency_created", "thanh-hoa-xa-moi", ADMIN),
        ("agency_merged", "thuong-xuan", ADMIN),
    ]
    browser.login("thanhhoa.congan")
    assert reorganise(browser, "dissolve", code="nga-son", **day).status_code == 403


def test_users_are_imported_and_exported_on_the_users_page(browser: Browser) -> None:
    browser.login(ADMIN)
    page = browser.get("/admin/users").get_data(as_text=True)
    assert "/admin/users/import" in page and "/admin/users/export.xlsx" in page
    browser.get("/admin/users/import")
    sheet = "username,full_name,agency,roles\n{}\n"

    def send(row: str) -> Any:
        body = io.BytesIO(sheet.format(row).encode())
        return browser.post("/admin/users/import", {"file": [(body, "users.csv")]})

    bad = send("thanhhoa.moi,Lê Văn Mới,thanh-hoa-cong-an,overlord").get_data(as_text=True)
    assert '<tr class="import-error"><td>2</td><td><code>roles</code></td>' in bad
    assert "Không phải vai trò: overlord." in bad
    good = send("thanhhoa.moi,Lê Văn Mới,thanh-hoa-cong-an,standing_body")
    assert good.status_code == 201 and good.headers["Cache-Control"] == "no-store"
    assert "<code>thanhhoa.moi</code>" in good.get_data(as_text=True)
    exported = browser.get("/admin/users/export.csv").get_data().decode("utf-8-sig")
    assert "thanhhoa.moi,Lê Văn Mới,,,thanh-hoa-cong-an,standing_body,1" in exported


def test_ending_an_agency_with_open_work_below_is_refused_on_the_page(
    app: Flask, api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    at(clock, "2025-03-03")
    body = {"definition": "movement_plan", "title": "Phong trào toàn dân bảo vệ ANTQ năm 2025"}
    province = api.post("/api/v1/processes", POLICE, json=body).json["id"]
    assert drive(api, province, CHAIN, movement_plan(["thuong-xuan-tt-thuong-xuan"])) is None
    at(clock, "2025-07-01")
    browser.login(ADMIN)
    answer = reorganise(browser, "dissolve", code="thuong-xuan", effective="01/07/2025")
    assert refused(answer, "code") == (
        "Thị trấn Thường Xuân, trực thuộc đơn vị này, còn công việc đang mở (số quy trình: 1): "
        "hãy hợp nhất, chuyển hoặc giải thể đơn vị đó trước."
    )
    with app.extensions["session_factory"]() as session:
        assert session.scalars(select(Agency).where(Agency.valid_to.is_not(None))).all() == []
