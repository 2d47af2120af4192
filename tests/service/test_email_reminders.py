"""Reminders go by e-mail too when SMTP is configured: a real SMTP conversation on loopback."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from flask import Flask
from sqlalchemy import select, update

from service.db.models import Notification, User
from service.db.uow import UnitOfWork
from service.mail import SmtpMailer
from service.operations.directory import load_directory
from service.operations.scheduler import tick
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 to accept mail and keep it."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        rcpt: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"RCPT":
                rcpt.append(line.decode().split("<")[1].split(">")[0])
                self.wfile.write(b"250 ok\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                data = b"".join(iter(lambda: self.rfile.readline(), b".\r\n"))
                self.server.inbox.append((rcpt, message_from_bytes(data, policy=policy.SMTP)))  # type: ignore[attr-defined]
                self.wfile.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp() -> Iterator[socketserver.ThreadingTCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.inbox = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_overdue_reminders_are_emailed_once(
    app: Flask, api: ApiClient, clock: FakeClock, smtp: socketserver.ThreadingTCPServer
) -> None:
    factory = app.extensions["session_factory"]
    with factory() as session:
        session.execute(
            update(User)
            .where(User.username == "thanhhoa.congan")
            .values(email="canbo.congan@thanhhoa.gov.vn")
        )
        session.commit()
    at(clock, "2023-04-20")
    api.start_plan("thanhhoa.congan")
    at(clock, "2023-05-20")  # the draft is long overdue
    mailer = SmtpMailer("127.0.0.1", smtp.server_address[1], "nhacviec@thanhhoa.gov.vn")

    def run() -> object:
        return tick(lambda: UnitOfWork(factory, clock=clock), mailer)

    first = run()
    # before, on the day, to the head (no head has an address: the staff get it), and the
    # escalation to the standing body, which for a provincial plan is Công an tỉnh itself
    assert (first.reminders_sent, first.emails_sent) == (4, 4)
    inbox = smtp.inbox  # type: ignore[attr-defined]
    assert [to for to, _ in inbox] == [["canbo.congan@thanhhoa.gov.vn"]] * 4
    assert "Xây dựng kế hoạch" in inbox[0][1].get_content()
    assert inbox[0][1]["Subject"].startswith("Nhắc việc")
    with factory() as session:
        emailed = session.scalars(select(Notification).where(Notification.emailed_at.is_not(None)))
        assert all(n.channels == ["in_app", "email"] for n in emailed)
    assert run().emails_sent == 0 and len(inbox) == 4  # never twice


def test_the_heads_reminder_goes_to_the_head_alone_when_the_agency_has_one(
    app: Flask,
    api: ApiClient,
    clock: FakeClock,
    smtp: socketserver.ThreadingTCPServer,
    demo_hash: str,
) -> None:
    factory = app.extensions["session_factory"]
    staff, head = "canbo.congan@thanhhoa.gov.vn", "giamdoc.congan@thanhhoa.gov.vn"
    director = {
        "username": "thanhhoa.congan.giamdoc",
        "full_name": "Trần Văn Giám",
        "agency": "thanh-hoa-cong-an",
        "roles": ["chairman"],  # the head of Công an tỉnh: escalations reach them
        "email": head,
    }
    load_directory(UnitOfWork(factory), {"user": [director]}, demo_hash)
    with factory() as session:
        session.execute(update(User).where(User.username == "thanhhoa.congan").values(email=staff))
        session.commit()
    at(clock, "2023-04-20")
    api.start_plan("thanhhoa.congan")
    at(clock, "2023-05-20")
    mailer = SmtpMailer("127.0.0.1", smtp.server_address[1], "nhacviec@thanhhoa.gov.vn")

    assert tick(lambda: UnitOfWork(factory, clock=clock), mailer).emails_sent == 4

    with factory() as session:
        sent = session.execute(
            select(Notification.audience, Notification.emailed_to).order_by(Notification.id)
        ).all()
    by_audience = {audience: to for audience, to in sent if audience == "head"}
    assert by_audience == {"head": [head]}  # not the staff
    assert all(staff in to for audience, to in sent if audience != "head")
    recipients = sorted(tuple(to) for to, _ in smtp.inbox)  # type: ignore[attr-defined]
    assert recipients.count((head,)) == 1
