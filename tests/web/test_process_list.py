"""The list of processes: each user sees exactly what they may read; filters, search, pages,
downloads; the auditor lands there."""

from __future__ import annotations

import csv
import io

from flask import Flask
from openpyxl import load_workbook

from tests.conftest import ApiClient, render_documents
from tests.service.test_cascade import POLICE, province
from tests.web.conftest import Browser

__all__ = ["province"]  # the fixture: the Thanh Hóa 2023 plan issued to five units

AUDITOR, DISTRICT_USER, HEALTH_USER = "thanhhoa.thanhtra", "thuongxuan.congan", "thanhhoa.soyte"
USERS = (POLICE, AUDITOR, DISTRICT_USER, HEALTH_USER, "quanson.congan", "bacgiang.congan")


def listed(api: ApiClient, user: str, query: str = "") -> dict[int, str]:
    answer = api.get(f"/api/v1/processes?limit=500{query}", user)
    assert answer.status_code == 200, answer.json
    return {row["id"]: row["reading"] for row in answer.json}


def test_everyone_lists_exactly_what_they_may_read(
    app: Flask, api: ApiClient, province: int
) -> None:
    other = api.start_plan("bacgiang.congan")  # another province: nobody in Thanh Hóa reads it
    every = [*range(1, other + 1)]
    for user in USERS:
        expected = {}
        for process_id in every:
            answer = api.get(f"/api/v1/processes/{process_id}", user)
            if answer.status_code == 200:
                expected[process_id] = answer.json["reading"]
            else:
                assert answer.status_code == 403, (user, process_id)
        assert listed(api, user) == expected, user
    police, district = listed(api, POLICE), listed(api, DISTRICT_USER)
    assert len(police) == 6 and set(police.values()) == {"full"}
    assert listed(api, AUDITOR) == police  # the inspectorate oversees the province
    assert district[province] == "issued_plan" and len(district) == 2
    assert listed(api, "quanson.congan") == {} and listed(api, "bacgiang.congan") == {other: "full"}

    # an issued plan's reader sees the plan, not how it is carried out, nor its tasks' filters
    rows = api.get("/api/v1/processes?limit=500", DISTRICT_USER).json
    top = next(r for r in rows if r["id"] == province)
    assert (top["status"], top["open_steps"], top["overdue"]) == ("issued", [], False)
    assert listed(api, DISTRICT_USER, "&step=draft_plan") == {
        r["id"]: "full" for r in rows if r["id"] != province
    }


def test_filters_and_search_without_diacritics(app: Flask, api: ApiClient, province: int) -> None:
    render_documents(app)
    units = {r["unit"]["name"]: r["id"] for r in api.get("/api/v1/processes", AUDITOR).json}
    district = units["Huyện Thường Xuân"]
    assert set(listed(api, AUDITOR, "&q=NGAY+HOI")) == set(units.values())  # every title
    assert set(listed(api, AUDITOR, "&q=thuong+xuan")) == {district}  # the unit's name
    assert set(listed(api, AUDITOR, "&q=1/kh-bcd")) == {province}  # the signed plan's number
    assert set(listed(api, DISTRICT_USER, "&q=1/KH-BCĐ")) == {province}
    assert set(listed(api, AUDITOR, f"&campaign={province}")) == set(units.values())
    assert set(listed(api, AUDITOR, f"&campaign={district}")) == set()
    assert set(listed(api, AUDITOR, "&year=2023")) == set(units.values())
    assert listed(api, AUDITOR, "&year=2024") == {}
    assert set(listed(api, AUDITOR, "&status=running")) == set(units.values())
    assert listed(api, AUDITOR, "&status=completed") == {}
    assert set(listed(api, AUDITOR, "&step=draft_plan")) == set(units.values()) - {province}
    assert listed(api, AUDITOR, "&overdue=true") == {}
    # mine: the police started the province's plan; a district user has a draft waiting
    assert set(listed(api, POLICE, "&mine=true")) == {province}
    assert set(listed(api, DISTRICT_USER, "&mine=true")) == {district}
    assert listed(api, AUDITOR, "&mine=true") == {}
    bad = api.get("/api/v1/processes?status=lost&year=12", AUDITOR)
    assert bad.status_code == 400 and set(bad.json["errors"]["query"]) == {"status", "year"}


def test_the_auditor_lands_on_the_list_and_pages_and_downloads_it(
    app: Flask, browser: Browser, province: int
) -> None:
    browser.login(AUDITOR)
    assert browser.get("/").location == "/processes"
    page = browser.get("/processes?q=ngay+hoi").get_data(as_text=True)
    assert page.count('class="row-link"') == 6 and f'href="/processes/{province}"' in page
    app.config["INBOX_PAGE_SIZE"] = 4
    second = browser.get("/processes?page=2").get_data(as_text=True)
    assert second.count('class="row-link"') == 2 and 'rel="prev"' in second
    empty = browser.get("/processes?page=999")
    assert empty.status_code == 200
    assert "Không có gì ở trang 999." in empty.get_data(as_text=True)
    bad = browser.get("/processes?year=abc&status=lost")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and text.count('aria-invalid="true"') == 2
    assert 'id="q"' in text  # the page, with the fields marked, not a bare error page

    table = browser.get("/processes.csv?q=thuong+xuan")
    rows = list(csv.reader(io.StringIO(table.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Số quy trình", "Tiêu đề", "Đơn vị"] and len(rows) == 2
    assert rows[1][2] == "Huyện Thường Xuân" and "Xây dựng kế hoạch" in rows[1][5]
    book = load_workbook(io.BytesIO(browser.client.get("/processes.xlsx").data))
    assert book.active is not None and book.active.max_row == 7

    browser.get("/logout")
    browser.login(POLICE)
    assert browser.get("/").location == "/inbox"  # who has tasks lands in the inbox
