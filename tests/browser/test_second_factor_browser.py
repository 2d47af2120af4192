"""A signer's first login in a real browser: the QR code, the first code, the recovery codes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from playwright.sync_api import expect

from service.cli import DEMO_PASSWORD
from service.operations.directory import load_directory
from tests.browser.conftest import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser

NEWCOMER = "thanhhoa.phochutich2"


def test_a_new_vice_chairman_enrols_and_keeps_the_recovery_codes(
    chromium: Any, live_server: LiveServer, demo_hash: str
) -> None:
    user = {
        "username": NEWCOMER,
        "full_name": "Lê Văn Mới",
        "agency": "thanh-hoa-ubnd",
        "roles": ["vice_chairman"],
    }
    load_directory(live_server.new_uow(), {"user": [user]}, demo_hash)
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(live_server.url + "/login")
    page.fill("#username", NEWCOMER)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/login/enrol**")
    qr = page.locator(".qr img")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the CSP let it draw
    page.screenshot(path=str(ARTIFACTS / "second-factor-enrol-1366.png"), full_page=True)
    uri = page.locator("dd code", has_text="otpauth://").inner_text()
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    page.fill("#code", pyotp.TOTP(secret).at(live_server.clock()))
    page.get_by_role("button", name="Xác nhận").click()
    # the click returns once the POST has left, not once its answer is drawn
    expect(page.locator(".recovery-codes code")).to_have_count(10)
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[0-9a-f]{6}-[0-9a-f]{6}", c) for c in codes)
    page.screenshot(path=str(ARTIFACTS / "second-factor-recovery-codes-1366.png"), full_page=True)
    page.get_by_role("link", name="Tiếp tục").click()
    page.wait_for_url("**/inbox")
    assert errors == []
    context.close()
