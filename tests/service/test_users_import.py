"""Users in bulk through the API: a sheet with bad rows is refused by row and column with
nothing written; a good one creates every user with a one-time password, audited; the export
lists every user with their roles by agency, in columns the import reads back."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from service.db.models import Event, User
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at

ADMIN = "admin"
HEADER = "username,full_name,title,email,agency,roles\n"


def upload(api: ApiClient, text: str, name: str = "users.csv", user: str = ADMIN) -> Any:
    body = {"file": (io.BytesIO(text.encode("utf-8-sig")), name)}
    return api.post("/api/v1/users/import", user, data=body, content_type="multipart/form-data")


def usernames(app: Flask) -> set[str]:
    with app.extensions["session_factory"]() as session:
        return set(session.scalars(select(User.username)))


def test_a_users_sheet_is_checked_row_by_row_then_imported(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2025-07-01")
    merged = api.post(
        "/api/v1/agencies/nga-son/merge",
        ADMIN,
        json={"into": "thuong-xuan", "effective": "2025-07-01"},
    )
    assert merged.status_code == 200, merged.json
    before = usernames(app)
    bad = HEADER + (
        "thanhhoa.moi,Lê Văn Mới,Chuyên viên,moi@example.vn,thanh-hoa-cong-an,standing_body\n"
        "thanhhoa.moi,Trần Văn Hai,,,thanh-hoa-cong-an,\n"  # the same username again
        "thanhhoa.congan,Đã Có,,,thanh-hoa-cong-an,\n"  # taken in the directory
        "Thanh Hoa,Chữ Hoa,,khong-phai-thu,thanh-hoa-cong-an,overlord\n"
        "ngason.moi,Nga Sơn,,,nga-son-cong-an,unit\n"  # ended with its district on 1/7
        "xa.moi,,,,khong-co,\n"
    )
    refused = upload(api, bad)
    assert refused.status_code == 400, refused.json
    rows = refused.json["errors"]["json"]["rows"]
    assert {n: sorted(fields) for n, fields in rows.items()} == {
        "3": ["username"],
        "4": ["username"],
        "5": ["email", "roles", "username"],
        "6": ["agency"],
        "7": ["agency", "full_name"],
    }
    assert rows["5"]["roles"] == ["Not a role: overlord."]
    assert rows["6"]["agency"][0].endswith("does not exist on 2025-07-01.")
    assert usernames(app) == before  # nothing written

    good = HEADER + (
        "thanhhoa.moi,Lê Văn Mới,Chuyên viên,moi@example.vn,thanh-hoa-cong-an,"
        '"standing_body, supervisor"\n'
        "thuongxuan.moi,Trần Văn Hai,,,thuong-xuan-cong-an,\n"
    )
    created = upload(api, good)
    assert created.status_code == 201, created.json
    passwords = {u["username"]: u["password"] for u in created.json["users"]}
    assert set(passwords) == {"thanhhoa.moi", "thuongxuan.moi"}
    token = api.client.post(
        "/api/v1/auth/token",
        json={"username": "thanhhoa.moi", "password": passwords["thanhhoa.moi"]},
    )
    assert token.status_code == 200
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json['token']}"})
    assert sorted(me.json["roles"]) == ["standing_body", "supervisor"]
    with app.extensions["session_factory"]() as session:
        (event,) = session.scalars(select(Event).filter_by(action="users_imported"))
    assert event.data["by"] == ADMIN
    assert event.data["users"][0] == {
        "user": "thanhhoa.moi",
        "agency": "thanh-hoa-cong-an",
        "roles": ["standing_body", "supervisor"],
    }
    assert upload(api, good).status_code == 400  # a second time: every username taken
    assert upload(api, good, user="thanhhoa.congan").status_code == 403

    # the export: every user with their roles, by agency, in the import's columns
    exported = api.get("/api/v1/users/export?format=csv", ADMIN)
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert {r["username"] for r in table} == usernames(app)
    mine = next(r for r in table if r["username"] == "thanhhoa.moi")
    assert (mine["agency"], mine["roles"], mine["active"]) == (
        "thanh-hoa-cong-an",
        "standing_body, supervisor",
        "1",
    )
    agencies = [r["agency"] for r in table]
    assert agencies == sorted(agencies)
    book = api.get("/api/v1/users/export?format=xlsx", ADMIN)
    sheet = load_workbook(io.BytesIO(book.get_data()), read_only=True).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("username", "full_name", "title", "email", "agency", "roles", "active")
    assert len(lines) == len(table) + 1
    assert api.get("/api/v1/users/export?format=pdf", ADMIN).status_code == 400
    assert api.get("/api/v1/users/export", "thanhhoa.congan").status_code == 403
