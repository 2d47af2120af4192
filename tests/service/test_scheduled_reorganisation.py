"""A reorganisation dated after today is scheduled through the API and applied by the
scheduler's tick on its day, audited as if the administrator had applied it then; one that its
day refuses keeps the reason."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from service.db.models import Agency, Event
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, drive, run_scheduler
from tests.service.test_movement_plan import CHAIN, POLICE, movement_plan
from tests.web.conftest import Browser

ADMIN = "admin"
NEW = {"name": "Xã Mới", "kind": "commune", "parent": "thanh-hoa"}


def schedule(api: ApiClient, body: dict[str, Any], user: str = ADMIN) -> Any:
    return api.post("/api/v1/agencies/scheduled", user, json=body)


def ended(app: Flask, code: str) -> Any:
    with app.extensions["session_factory"]() as session:
        return session.scalars(select(Agency.valid_to).where(Agency.code == code)).one()


def test_a_reorganisation_dated_later_is_applied_by_the_scheduler_on_its_day(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2025-06-20")
    merge = {
        "action": "merge",
        "agency": "thuong-xuan",
        "arguments": {"into": "thuong-xuan-tt-thuong-xuan"},
        "effective": "2025-07-01",
    }
    merged = schedule(api, merge)
    assert merged.status_code == 201, merged.json
    assert merged.json["applied_at"] is None
    rename = {"action": "rename", "agency": "nga-son", "arguments": {"name": "Thị xã Nga Sơn"}}
    assert schedule(api, rename | {"effective": "2025-07-01"}).status_code == 201
    dissolve = {"action": "dissolve", "agency": "nga-son", "effective": "2025-06-25"}
    assert schedule(api, dissolve).status_code == 201

    # bad input: 400 naming the field, nothing scheduled
    for body, field in (
        (merge | {"effective": "2025-06-20"}, "effective"),  # today: apply it at once
        (merge | {"action": "teleport"}, "action"),
        (merge | {"arguments": {"into": ["a", "b"]}}, "into"),
        (merge | {"arguments": {}}, "into"),
        (merge | {"arguments": {"into": "x", "name": "y"}}, "name"),
        (merge | {"agency": "khong-co"}, "agency"),
        (merge | {"action": "create", "agency": "thanh-hoa", "arguments": NEW}, "agency"),  # taken
    ):
        answer = schedule(api, body)
        assert answer.status_code == 400, (body, answer.json)
        assert field in answer.json["errors"]["json"], answer.json
    assert schedule(api, merge, user="thanhhoa.congan").status_code == 403
    assert len(api.get("/api/v1/agencies/scheduled", ADMIN).json) == 3

    at(clock, "2025-06-24")
    assert run_scheduler(app).reorganisations_applied == 0
    assert ended(app, "nga-son") is None
    at(clock, "2025-06-25", hour=7)  # early on its day
    assert run_scheduler(app).reorganisations_applied == 1
    assert str(ended(app, "nga-son")) == "2025-06-25"
    at(clock, "2025-07-01", hour=7)  # early on its day
    assert run_scheduler(app).reorganisations_applied == 1  # the merge; the rename is refused
    assert run_scheduler(app).reorganisations_applied == 0  # never twice
    assert str(ended(app, "thuong-xuan")) == "2025-07-01"

    listed = {
        (s["action"], s["agency"]): s for s in api.get("/api/v1/agencies/scheduled", ADMIN).json
    }
    assert listed[("merge", "thuong-xuan")]["applied_at"] is not None
    refused = listed[("rename", "nga-son")]
    assert refused["applied_at"] is None
    assert refused["refused"] == {"agency": ["Huyện Nga Sơn already ended on 2025-06-25."]}
    with app.extensions["session_factory"]() as session:
        events = [
            (e.action, e.data.get("agency"), e.data.get("by"), e.data.get("scheduled"))
            for e in session.scalars(select(Event).where(Event.instance_id.is_(None)))
            if e.action.startswith(("agency_", "reorganisation_"))
        ]
    ids = {k: s["id"] for k, s in listed.items()}
    assert events == [
        ("reorganisation_scheduled", "thuong-xuan", ADMIN, ids[("merge", "thuong-xuan")]),
        ("reorganisation_scheduled", "nga-son", ADMIN, ids[("rename", "nga-son")]),
        ("reorganisation_scheduled", "nga-son", ADMIN, ids[("dissolve", "nga-son")]),
        ("agency_dissolved", "nga-son", ADMIN, ids[("dissolve", "nga-son")]),
        ("agency_merged", "thuong-xuan", ADMIN, ids[("merge", "thuong-xuan")]),
        ("reorganisation_refused", "nga-son", "scheduler", ids[("rename", "nga-son")]),
    ]
    verified = api.get("/api/v1/audit/verify", ADMIN).json
    assert verified["first_broken"] is None

    # the agencies page lists it, refused, with the reason in Vietnamese
    page = Browser(app.test_client())
    page.login(ADMIN)
    html = page.get("/admin/agencies").get_data(as_text=True)
    assert "Bị từ chối vào ngày hiệu lực:" in html
    assert "Huyện Nga Sơn đã chấm dứt từ ngày 25/06/2025." in html


def test_a_scheduled_end_that_would_strand_open_work_below_keeps_the_refusal(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2025-03-03")
    body = {"definition": "movement_plan", "title": "Phong trào toàn dân bảo vệ ANTQ năm 2025"}
    province = api.post("/api/v1/processes", POLICE, json=body).json["id"]
    assert drive(api, province, CHAIN, movement_plan(["thuong-xuan-tt-thuong-xuan"])) is None
    dissolve = {"action": "dissolve", "agency": "thuong-xuan", "effective": "2025-07-01"}
    assert schedule(api, dissolve).status_code == 201
    at(clock, "2025-07-01", hour=7)
    assert run_scheduler(app).reorganisations_applied == 0
    assert ended(app, "thuong-xuan") is None
    (refused,) = api.get("/api/v1/agencies/scheduled", ADMIN).json
    assert refused["applied_at"] is None
    assert refused["refused"] == {
        "agency": [
            "Thị trấn Thường Xuân, below it, still holds open work (processes: 1): merge, "
            "move or dissolve it first."
        ]
    }
    page = Browser(app.test_client())
    page.login(ADMIN)
    html = page.get("/admin/agencies").get_data(as_text=True)
    assert (
        "Thị trấn Thường Xuân, trực thuộc đơn vị này, còn công việc đang mở (số quy trình: 1): "
        "hãy hợp nhất, chuyển hoặc giải thể đơn vị đó trước." in html
    )
