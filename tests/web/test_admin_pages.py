"""Administrators keep the directory in the browser: the agency tree with search, and users
created, given roles, disabled and given a new password; every change in the audit log."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from service.db.models import Event
from tests.conftest import ApiClient
from tests.web.conftest import Browser

ADMIN = "admin"
_PASSWORD = re.compile(r"(?:password|khẩu dùng một lần(?: mới của \S+)?): ([\w-]+)")


def _token(api: ApiClient, username: str, password: str) -> int:
    body = {"username": username, "password": password}
    return int(api.client.post("/api/v1/auth/token", json=body).status_code)


def test_the_agency_tree_finds_a_district_without_diacritics(browser: Browser) -> None:
    browser.login(ADMIN)
    page = browser.get("/admin/agencies?q=thuong xuan").get_data(as_text=True)
    assert '<mark><span lang="vi">Huyện Thường Xuân</span></mark>' in page  # typed, marked
    assert "Tỉnh Thanh Hóa" in page  # the path to it
    assert "Bắc Giang" not in page and "Huyện Nga Sơn" not in page
    browser.login("thanhhoa.congan")
    assert browser.get("/admin/agencies").status_code == 403


def test_a_user_is_created_disabled_and_given_a_new_password(
    app: Flask, browser: Browser, api: ApiClient
) -> None:
    browser.login(ADMIN)
    form = {"username": "thanhhoa.moi", "full_name": "Lê Văn Mới", "agency": "no-such-agency"}
    refused = browser.post("/admin/users", form)
    assert refused.status_code == 422
    reason = "Không có cơ quan, đơn vị nào mang mã no-such-agency."
    assert 'id="agency-error"' in refused.get_data(as_text=True)
    assert reason in refused.get_data(as_text=True)  # the reason in the page's language
    form |= {"agency": "thanh-hoa-cong-an", "roles": "standing_body"}
    created = browser.post("/admin/users", form, follow_redirects=True)
    page = created.get_data(as_text=True)
    (password,) = _PASSWORD.findall(page)
    assert _token(api, "thanhhoa.moi", password) == 200
    assert browser.post("/admin/users/thanhhoa.moi/active", {"active": "0"}).status_code == 302
    assert _token(api, "thanhhoa.moi", password) == 401
    browser.post("/admin/users/thanhhoa.moi/active", {"active": "1"})
    renewed = browser.post("/admin/users/thanhhoa.moi/password", follow_redirects=True)
    (new,) = _PASSWORD.findall(renewed.get_data(as_text=True))
    assert _token(api, "thanhhoa.moi", password) == 401 and _token(api, "thanhhoa.moi", new) == 200
    with app.extensions["session_factory"]() as session:
        recorded = [
            (e.action, e.data.get("by"))
            for e in session.scalars(select(Event).where(Event.instance_id.is_(None)))
            if e.data.get("user") == "thanhhoa.moi"
        ]
    assert recorded == [
        ("user_created", ADMIN),
        ("user_disabled", ADMIN),
        ("user_enabled", ADMIN),
        ("password_changed", ADMIN),
    ]
