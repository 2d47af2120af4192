"""The auditor's page: one click verifies the log; a tampered row is named; export and replay."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from tests.conftest import ApiClient, FakeClock
from tests.service.audit_walk import AUDITOR, audited
from tests.service.test_cascade import at, drive
from tests.web.conftest import Browser

POLICE = "thanhhoa.congan"


def test_the_auditor_verifies_signs_exports_and_sees_a_tampered_row(
    app: Flask, api: ApiClient, browser: Browser, clock: FakeClock, tmp_path: Path
) -> None:
    audited(app, tmp_path)
    at(clock, "2023-04-20")
    process = api.start_plan(POLICE)
    assert drive(api, process, [POLICE]) == "draft_plan"  # started: one event so far
    browser.login(AUDITOR)
    page = browser.get("/audit").get_data(as_text=True)
    assert "Kiểm toán" in page and "Chưa có điểm kiểm tra nào được ký." in page

    assert browser.post("/audit", {"action": "checkpoint"}).status_code == 200
    page = browser.get("/audit").get_data(as_text=True)
    assert "Gốc đã ký gần nhất" in page and "Chưa có điểm kiểm tra" not in page
    verified = browser.post("/audit", {"action": "verify"}).get_data(as_text=True)
    assert "Nguyên vẹn" in verified

    exported = browser.get(f"/processes/{process}/audit-export")
    assert exported.mimetype == "application/x-ndjson"
    assert all(json.loads(line) for line in exported.get_data(as_text=True).splitlines())
    assert "Khớp" in browser.get(f"/processes/{process}/replay").get_data(as_text=True)

    with app.extensions["db_engine"].begin() as conn:  # an insider edits a row directly
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE event DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS event_no_update"))
        conn.execute(
            text("UPDATE event SET role = 'chairman' WHERE instance_id = :p"), {"p": process}
        )
    broken = browser.post("/audit", {"action": "verify"}).get_data(as_text=True)
    assert "Bị thay đổi" in broken and "modified" in broken


def test_staff_cannot_open_the_audit_page(browser: Browser) -> None:
    browser.login(POLICE)
    assert browser.get("/audit").status_code == 403
