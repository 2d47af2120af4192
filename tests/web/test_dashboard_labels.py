"""The dashboard's summary says what its figures are, and names no slow agency while nothing
has waited."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from service.web import dashboard as web_dashboard
from tests.conftest import ApiClient, FakeClock
from tests.service.test_dashboard import play_campaign
from tests.web.conftest import Browser

POLICE, SUPERVISOR = "thanhhoa.congan", "thanhhoa.congan.truongphong"


def _slowest(page: str) -> str:
    found = re.search(
        r"Cơ quan chậm nhất \(theo phân vị 90 của thời gian chờ\)</dt>\s*<dd>(.*?)</dd>", page, re.S
    )
    assert found, page
    return found.group(1)


def test_no_agency_is_slowest_while_every_wait_is_zero(
    app: Flask, api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    campaign = api.start_plan(POLICE)  # its draft opens now: it has waited 0 days
    browser.login(SUPERVISOR)
    page = browser.get(f"/dashboard/{campaign}").get_data(as_text=True)
    slowest = _slowest(page)
    assert "Công an tỉnh" not in slowest and "chưa có việc đang mở nào chờ" in slowest
    assert "1 việc đang mở; 90% số việc đã chờ không quá 0 ngày làm việc" in page

    clock.advance(days=14)
    page = browser.get(f"/dashboard/{campaign}").get_data(as_text=True)
    slowest = _slowest(page)
    assert '<strong><span lang="vi">Công an tỉnh Thanh Hóa</span></strong>' in slowest
    assert re.search(r"90% số việc đang mở của cơ quan đã chờ không quá \d+ ngày làm việc", slowest)


def test_the_campaign_picker_moves_on_its_button_not_while_arrowing(
    api: ApiClient, browser: Browser
) -> None:
    """A plain GET form: the select changes nothing until "Xem" is pressed (arrowing through
    a select fires change events); an unknown campaign is marked on the newest's page."""
    campaign = api.start_plan(POLICE)
    browser.login(SUPERVISOR)
    page = browser.get(f"/dashboard/{campaign}").get_data(as_text=True)
    assert "data-navigate" not in page
    assert re.search(r"<select id=\"campaign\" name=\"campaign\"\s*>", page)
    assert browser.get(f"/dashboard?campaign={campaign}").location == f"/dashboard/{campaign}"
    for unknown in ("999999", "abc", str(10**26)):
        marked = browser.get(f"/dashboard?campaign={unknown}")
        assert marked.status_code == 400
        page = marked.get_data(as_text=True)
        assert f'<option value="{unknown}" selected>{unknown}</option>' in page
        assert 'id="campaign-error"><li>Không có đợt phát động này.' in page


def test_the_long_lists_come_a_page_at_a_time(
    app: Flask, api: ApiClient, browser: Browser, clock: FakeClock, monkeypatch: Any
) -> None:
    """The agencies and the units' tree show a page each (two rows here), with links to the
    next and previous pages that keep the other list's page; in Vietnamese and English."""
    monkeypatch.setattr(web_dashboard, "PAGE", 2)
    campaign = play_campaign(app, api, clock)["province"]  # four units, five agencies
    browser.login(SUPERVISOR)
    first = browser.get(f"/dashboard/{campaign}").get_data(as_text=True)
    assert "Mỗi trang 2 đơn vị, theo thứ tự của cây đơn vị" in first
    assert "Mỗi trang 2 cơ quan" in first
    assert len(re.findall(r'<tr class="depth-', first)) == 2
    units = f"/dashboard/{campaign}?page=2#units-title"
    agencies = f"/dashboard/{campaign}?agencies_page=2#agencies-title"
    assert f'href="{units}" rel="next"' in first and f'href="{agencies}" rel="next"' in first
    second = browser.get(f"/dashboard/{campaign}?page=2&agencies_page=2").get_data(as_text=True)
    assert f'href="/dashboard/{campaign}?agencies_page=2&amp;page=1#units-title"' in second
    assert f'href="/dashboard/{campaign}?page=2&amp;agencies_page=1#agencies-title"' in second
    assert "Trang 2" in second
    names = re.findall(
        r'<tr class="depth-\d">.*?<span lang="vi">([^<]+)</span>', first + second, re.S
    )
    assert len(set(names)) == 4  # the two pages: four different units
    browser.post("/language", {"lang": "en", "next": f"/dashboard/{campaign}"})
    english = browser.get(f"/dashboard/{campaign}").get_data(as_text=True)
    assert "2 units a page, in the tree" in english and "2 agencies a page" in english
    assert "Page 1" in english and "Next" in english
    bad = browser.get(f"/dashboard/{campaign}?agencies_page=x")
    assert bad.status_code == 400
