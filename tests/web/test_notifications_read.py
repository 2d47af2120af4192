"""Notifications: an unread count in the navigation; each user marks one or all as read,
for themselves alone; recorded in the audit log."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from service.db.models import Event
from service.db.uow import UnitOfWork
from service.operations.scheduler import tick
from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.web.conftest import Browser

POLICE, FINANCE, DIRECTOR = "thanhhoa.congan", "thanhhoa.taichinh", "thanhhoa.taichinh.giamdoc"


def test_unread_count_and_mark_read(
    app: Flask, api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    api.complete(POLICE, draft["id"], "submit", data=PLAN_2023)
    clock.advance(days=40)  # Finance's appraisal is overdue: reminders to staff and head
    tick(lambda: UnitOfWork(app.extensions["session_factory"], clock=clock))

    def unread(user: str) -> int:
        return int(api.get("/api/v1/notifications/unread", user).json["unread"])

    rows = api.get("/api/v1/notifications", FINANCE).json
    total = len(rows)
    assert total >= 2 and not any(r["read"] for r in rows)
    assert unread(FINANCE) == unread(DIRECTOR) == total

    browser.login(FINANCE)
    page = browser.get("/inbox").get_data(as_text=True)
    assert f'<span class="count" title="Chưa đọc">{total}</span>' in page
    answer = browser.post(f"/notifications/{rows[0]['id']}/read")
    assert answer.status_code == 302
    assert unread(FINANCE) == total - 1 and unread(DIRECTOR) == total  # each reads their own
    page = browser.get("/notifications?unread=1").get_data(as_text=True)
    assert page.count("Đánh dấu đã đọc") == total - 1
    browser.post("/notifications/read")
    assert unread(FINANCE) == 0 and unread(DIRECTOR) == total
    page = browser.get("/notifications").get_data(as_text=True)
    assert "Đánh dấu" not in page and 'title="Chưa đọc"' not in page
    assert api.post("/api/v1/notifications/read", DIRECTOR).json == {"marked": total}
    assert api.post("/api/v1/notifications/read", DIRECTOR).json == {"marked": 0}
    # another agency's notification is not there to mark
    assert api.post(f"/api/v1/notifications/{rows[0]['id']}/read", POLICE).status_code == 404

    with app.extensions["session_factory"]() as session:
        marked = session.scalars(select(Event.data).where(Event.action == "notifications_read"))
        assert sorted(len(d["notifications"]) for d in marked) == [1, total - 1, total]
