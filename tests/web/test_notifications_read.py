"""Notifications: an unread count in the navigation; each user marks one or all as read,
for themselves alone; recorded in the audit log."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from service.db.models import Event, Notification
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


def test_a_reminder_reads_in_the_readers_language_and_old_rows_as_sent(
    app: Flask, api: ApiClient, browser: Browser, clock: FakeClock
) -> None:
    """Stored as a message id and parameters, worded when read: English for an English reader,
    the step by its English name, the plan's title as typed and marked lang="vi"; a row sent
    before the message ids (none stored) shows its Vietnamese text, marked the same way."""
    api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    api.complete(POLICE, draft["id"], "submit", data=PLAN_2023)
    clock.advance(days=40)
    tick(lambda: UnitOfWork(app.extensions["session_factory"], clock=clock))
    with app.extensions["session_factory"].begin() as session:
        old = session.scalars(select(Notification).order_by(Notification.id)).first()
        assert old is not None and old.text_id in ("reminder_due", "reminder_overdue")
        old.text_id, old.params = None, None
    browser.post("/language", {"lang": "en", "next": "/login"})
    browser.login(FINANCE)
    page = browser.get("/notifications").get_data(as_text=True)
    title = f'<span lang="vi">{PLAN_2023["title"]}</span>'
    assert f"Reminder (overdue): “Budget appraisal” — {title}; due by the end of" in page
    assert "Nhắc việc (quá hạn): “Thẩm định kinh phí”" not in page.replace(
        f'<span lang="vi">{old.message}</span>', ""
    )
    assert f'<span lang="vi">{old.message}</span>' in page
