"""An agency's register continues its existing numbering (seed 003: 83/KH-SYT): set by an
administrator, never backwards, never reusing a number, logged; read as a page and downloads."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from service.db.models import Event, Register
from service.db.uow import UnitOfWork
from tests.conftest import ApiClient, FakeClock, render_documents
from tests.service.audit_walk import audited
from tests.service.test_cascade import at, drive, province, unit_plan  # noqa: F401
from tests.web.conftest import Browser

ADMIN, AUDITOR = "admin", "thanhhoa.thanhtra"
HEALTH, HEALTH_STAFF, HEALTH_HEAD = "thanh-hoa-so-y-te", "thanhhoa.soyte", "thanhhoa.soyte.giamdoc"
SET_83 = f"/api/v1/registers/{HEALTH}/2023/KH"


def put(api: ApiClient, path: str, user: str, number: Any) -> Any:
    return api.call("PUT", path, user, json={"next_number": number})


def registers(app: Flask) -> list[tuple[int, int, str, int]]:
    with UnitOfWork(app.extensions["session_factory"], write=False) as uow:
        rows = uow.session.scalars(select(Register).order_by(Register.agency_id, Register.symbol))
        return [(r.agency_id, r.year, r.symbol, r.last_number) for r in rows]


def events(app: Flask, action: str) -> list[dict[str, Any]]:
    with UnitOfWork(app.extensions["session_factory"], write=False) as uow:
        return list(uow.session.scalars(select(Event.data).where(Event.action == action)))


@pytest.fixture
def health_plan(
    app: Flask,
    api: ApiClient,
    clock: FakeClock,
    province: int,  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> dict[str, Any]:
    """83 set for Sở Y tế's 2023 plans before its first; then its plan signed (83/KH-SYT)."""
    audited(app, tmp_path)
    answer = put(api, SET_83, ADMIN, 83)
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "agency": HEALTH,
        "year": 2023,
        "kind": "KH",
        "symbol": "KH-SYT",
        "next_number": 83,
        "last_issued": None,
    }
    children = api.get(f"/api/v1/processes/{province}/children", "thanhhoa.congan").json
    health = next(c["process_id"] for c in children if c["unit"] == "Sở Y tế tỉnh Thanh Hóa")
    at(clock, "2023-04-25")
    step = drive(api, health, [HEALTH_STAFF, HEALTH_HEAD], unit_plan("Kế hoạch ngành Y tế"))
    assert step == "consolidate_report"
    render_documents(app)
    (document,) = api.get(f"/api/v1/processes/{health}/documents", HEALTH_STAFF).json
    return {"process": health, "document": document}


def test_the_register_continues_the_agencys_numbering(
    app: Flask, api: ApiClient, health_plan: dict[str, Any]
) -> None:
    document = health_plan["document"]
    assert document["number_line"] == "Số: 83/KH-SYT"
    (logged,) = events(app, "register_set")
    assert logged == {
        "agency": HEALTH,
        "year": 2023,
        "kind": "KH",
        "register": "KH-SYT",
        "from": 1,
        "to": 83,
        "by": ADMIN,
    }
    # forward from where it stands is fine, and logged
    answer = put(api, SET_83, ADMIN, 90)
    assert answer.status_code == 200, answer.json
    assert answer.json["last_issued"] == 83
    assert events(app, "register_set")[-1] | {} == {**logged, "from": 84, "to": 90}
    verified = api.get("/api/v1/audit/verify", AUDITOR).json
    assert verified["first_broken"] is None, verified

    listed = api.get(f"/api/v1/registers/{HEALTH}/2023", HEALTH_STAFF)
    assert listed.status_code == 200, listed.json
    assert {r["symbol"]: r["next_number"] for r in listed.json["registers"]} == {
        "KH-SYT": 90,
        "BC-SYT": 1,
        "QĐ-SYT": 1,
    }
    (entry,) = listed.json["documents"]
    assert (entry["number_symbol"], entry["signed_on"], entry["kind"]) == (
        "83/KH-SYT",
        "2023-04-25",
        "KH",
    )
    assert entry["subject"] == document["subject"]
    assert entry["signed_by"] == document["signed_by"]


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (83, "Number 83 is already issued (the last issued is 83): set a number above it."),
        (12, "Number 12 is already issued (the last issued is 83): set a number above it."),
        (0, "Must be from 1 to 999999."),
    ],
)
def test_a_used_number_is_refused_and_nothing_changes(
    app: Flask, api: ApiClient, health_plan: dict[str, Any], number: int, reason: str
) -> None:
    before, logged = registers(app), events(app, "register_set")
    answer = put(api, SET_83, ADMIN, number)
    assert answer.status_code == 400, answer.json
    assert answer.json["errors"]["json"] == {"next_number": [reason]}
    assert (registers(app), events(app, "register_set")) == (before, logged)


def test_the_register_never_goes_backwards(app: Flask, api: ApiClient) -> None:
    path = f"/api/v1/registers/{HEALTH}/2024/BC"
    assert put(api, path, ADMIN, 178).status_code == 200
    before, logged = registers(app), events(app, "register_set")
    answer = put(api, path, ADMIN, 177)
    assert answer.status_code == 400, answer.json
    assert answer.json["errors"]["json"] == {
        "next_number": ["The register never goes backwards: its next number is 178."]
    }
    for bad, field in ((f"/api/v1/registers/{HEALTH}/2024/XX", "kind"),
                       (f"/api/v1/registers/{HEALTH}/1800/KH", "year")):  # fmt: skip
        answer = put(api, bad, ADMIN, 5)
        assert answer.status_code == 400 and field in answer.json["errors"]["json"], answer.json
    assert put(api, "/api/v1/registers/no-such/2024/KH", ADMIN, 5).status_code == 404
    assert put(api, path, ADMIN, "5").status_code == 400  # a number, not text
    assert (registers(app), events(app, "register_set")) == (before, logged)


@pytest.mark.parametrize("user", ["thanhhoa.soyte.giamdoc", "thanhhoa.vanphong", AUDITOR])
def test_only_an_administrator_sets_a_register(app: Flask, api: ApiClient, user: str) -> None:
    answer = put(api, SET_83, user, 83)
    assert answer.status_code == 403, answer.json
    assert answer.json["error"] == "admin_only"
    assert registers(app) == [] and events(app, "register_set") == []


def test_who_reads_a_register(api: ApiClient) -> None:
    path = f"/api/v1/registers/{HEALTH}/2023"
    for user in (HEALTH_STAFF, ADMIN, "thanhhoa.vanphong", AUDITOR):
        assert api.get(path, user).status_code == 200, user
    for user in ("thanhhoa.congan", "bacgiang.congan", "thuongxuan.congan"):
        assert api.get(path, user).status_code == 403, user
    assert api.get("/api/v1/registers/no-such/2023", ADMIN).status_code == 404


def test_the_register_page_and_its_downloads(app: Flask, health_plan: dict[str, Any]) -> None:
    browser = Browser(app.test_client())
    browser.login(HEALTH_STAFF)
    chooser = browser.get("/registers")
    assert chooser.status_code == 200
    assert f"/registers/{HEALTH}/" in chooser.get_data(as_text=True)
    page = browser.get(f"/registers/{HEALTH}/2023")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sổ đăng ký văn bản đi" in html and "83/KH-SYT" in html
    assert f"/processes/{health_plan['process']}" in html
    assert 'name="next_number"' not in html  # the form is for administrators

    csv = browser.client.get(f"/registers/{HEALTH}/2023.csv")
    assert csv.status_code == 200 and csv.data.startswith("\ufeff".encode())
    assert "83/KH-SYT" in csv.data.decode("utf-8-sig")
    xlsx = browser.client.get(f"/registers/{HEALTH}/2023.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["Số, ký hiệu", "Ngày ký", "Loại văn bản", "Trích yếu nội dung"]
    assert rows[1][:3] == ["83/KH-SYT", "25/04/2023", "Kế hoạch"]
    assert rows[1][3] == health_plan["document"]["subject"]
    assert len(rows) == 2


def test_an_administrator_sets_the_next_number_on_the_page(app: Flask) -> None:
    browser = Browser(app.test_client())
    browser.login(ADMIN)
    page = browser.get(f"/registers/{HEALTH}/2023")
    assert 'name="next_number"' in page.get_data(as_text=True)
    done = browser.post(f"/registers/{HEALTH}/2023", data={"kind": "KH", "next_number": "83"})
    assert done.status_code == 302
    assert registers(app)[0][1:] == (2023, "KH-SYT", 82)
    refused = browser.post(f"/registers/{HEALTH}/2023", data={"kind": "KH", "next_number": "80"})
    assert refused.status_code == 422
    assert "Sổ đăng ký không được lùi số: số tiếp theo hiện là 83." in refused.get_data(
        as_text=True
    )
    typed = browser.post(f"/registers/{HEALTH}/2023", data={"kind": "KH", "next_number": "8a"})
    assert typed.status_code == 422
    assert registers(app)[0][1:] == (2023, "KH-SYT", 82)
