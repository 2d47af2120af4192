"""Supervisors and heads act on what the dashboard shows: nhắc việc (one unit, a task, many
units; at most once a task a day) and assigning a task to a named colleague."""

from __future__ import annotations

import socketserver
from typing import Any

from flask import Flask
from sqlalchemy import update

from service.db.models import User
from service.db.uow import UnitOfWork
from service.mail import SmtpMailer
from service.operations.scheduler import tick
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at
from tests.service.test_dashboard import (
    DISTRICT,
    DISTRICT_SUPERVISOR,
    HEALTH,
    MEDIA,
    SUPERVISOR,
    dash,
)
from tests.service.test_dashboard import campaign as campaign  # noqa: F401  # fixture
from tests.service.test_email_reminders import smtp  # noqa: F401  # fixture

CHAIRMAN, POLICE = "thanhhoa.chutich", "thanhhoa.congan"


def remind(api: ApiClient, user: str, *processes: int) -> Any:
    return api.post("/api/v1/notifications/reminders", user, json={"processes": list(processes)})


def notices(api: ApiClient, user: str) -> list[str]:
    answer = api.get("/api/v1/notifications", user)
    assert answer.status_code == 200, answer.json
    return [n["message"] for n in answer.json if n["rule"].startswith("manual:")]


def actions(api: ApiClient, process: int) -> list[str]:
    answer = api.get(f"/api/v1/processes/{process}/history", SUPERVISOR)
    assert answer.status_code == 200, answer.json
    return [e["action"] for e in answer.json]


def test_a_supervisor_reminds_a_late_unit_once_a_day(
    api: ApiClient, clock: FakeClock, campaign: dict[str, int]
) -> None:
    units = {u["unit"]: u for u in dash(api, "units", campaign=campaign["province"]).json}
    assert units[MEDIA]["overdue_open"] == 1 and units[HEALTH]["overdue_open"] == 0
    assert notices(api, "thanhhoa.sotttt") == []

    answer = remind(api, SUPERVISOR, campaign[MEDIA])
    assert answer.status_code == 201, answer.json
    (sent,) = answer.json["reminded"]
    assert sent["agency"] == MEDIA and answer.json["skipped"] == []
    (message,) = notices(api, "thanhhoa.sotttt")
    assert message.startswith("Nhắc việc từ Công an tỉnh Thanh Hóa")
    assert "hết ngày 09/05/2023" in message  # the unit plans were due before 10/5
    assert notices(api, "thanhhoa.soyte") == []  # only the unit reminded hears of it
    assert "task_reminded" in actions(api, campaign[MEDIA])

    again = remind(api, SUPERVISOR, campaign[MEDIA])
    assert again.status_code == 409 and again.json["error"] == "reminded_today"
    assert again.json["next_at"] == "2023-05-26T00:00:00+07:00"  # tomorrow, in Vietnam
    single = api.post(f"/api/v1/tasks/{sent['task_id']}/remind", SUPERVISOR)
    assert single.status_code == 409 and single.json["next_at"] == again.json["next_at"]

    clock.advance(days=1)
    single = api.post(f"/api/v1/tasks/{sent['task_id']}/remind", SUPERVISOR)
    assert single.status_code == 201, single.json
    assert len(notices(api, "thanhhoa.sotttt")) == 2


def test_many_late_units_at_once(api: ApiClient, campaign: dict[str, int]) -> None:
    first = remind(api, SUPERVISOR, campaign[MEDIA])
    assert first.status_code == 201
    answer = remind(api, SUPERVISOR, campaign[MEDIA], campaign[DISTRICT], campaign[HEALTH])
    assert answer.status_code == 201, answer.json
    # Thường Xuân's plan waits at its Chairman; Sở TT&TT was reminded already; Y tế is on time
    assert [r["agency"] for r in answer.json["reminded"]] == ["Ủy ban nhân dân huyện Thường Xuân"]
    assert [s["agency"] for s in answer.json["skipped"]] == [MEDIA]
    assert len(notices(api, "thuongxuan.chutich")) == 1
    nothing = remind(api, SUPERVISOR, campaign[HEALTH])
    assert nothing.status_code == 409 and nothing.json["error"] == "nothing_to_remind"
    empty = remind(api, SUPERVISOR)
    assert empty.status_code == 400 and "processes" in empty.json["errors"]["json"]
    gone = remind(api, SUPERVISOR, 99999)
    assert gone.status_code == 404


def test_only_who_supervises_the_unit_reminds_it(api: ApiClient, campaign: dict[str, int]) -> None:
    outside = remind(api, DISTRICT_SUPERVISOR, campaign[MEDIA])
    assert outside.status_code == 403 and outside.json["error"] == "not_supervised"
    mixed = remind(api, DISTRICT_SUPERVISOR, campaign[DISTRICT], campaign[MEDIA])
    assert mixed.status_code == 403  # nothing sent
    assert notices(api, "thuongxuan.chutich") == []
    assert remind(api, POLICE, campaign[MEDIA]).status_code == 403  # no right to remind
    assert remind(api, "thanhhoa.soyte", campaign[MEDIA]).status_code == 403
    # the district's own supervisor reminds its Chairman
    assert remind(api, DISTRICT_SUPERVISOR, campaign[DISTRICT]).status_code == 201


def test_the_chairman_sees_and_acts_on_the_plans_he_signs(
    api: ApiClient, campaign: dict[str, int]
) -> None:
    found = api.get("/api/v1/dashboard/campaigns", CHAIRMAN)
    assert found.status_code == 200
    assert campaign["province"] in [c["id"] for c in found.json]
    assert campaign[MEDIA] not in [c["id"] for c in found.json]  # Sở TT&TT's own plan: theirs
    assert dash(api, "steps", CHAIRMAN, campaign=campaign["province"]).status_code == 200
    assert dash(api, "units", CHAIRMAN, campaign=campaign[DISTRICT]).status_code == 200  # below
    # a district's Chairman sees his district's plan, not the province's
    district_head = "thuongxuan.chutich"
    assert dash(api, "steps", district_head, campaign=campaign["province"]).status_code == 403
    assert dash(api, "steps", district_head, campaign=campaign[DISTRICT]).status_code == 200
    assert remind(api, CHAIRMAN, campaign[MEDIA]).status_code == 201
    assert remind(api, district_head, campaign[MEDIA]).status_code == 403


def test_a_reminder_is_emailed_when_smtp_is_set(
    app: Flask,
    api: ApiClient,
    clock: FakeClock,
    campaign: dict[str, int],
    smtp: socketserver.ThreadingTCPServer,  # noqa: F811
) -> None:
    factory = app.extensions["session_factory"]
    run = lambda: tick(lambda: UnitOfWork(factory, clock=clock))  # noqa: E731
    run()  # the policy's own reminders go first, so only ours is left to e-mail
    with factory() as session:
        session.execute(
            update(User)
            .where(User.username == "thanhhoa.sotttt")
            .values(email="vanthu@stttt.thanhhoa.gov.vn")
        )
        session.commit()
    assert remind(api, SUPERVISOR, campaign[MEDIA]).status_code == 201
    mailer = SmtpMailer("127.0.0.1", smtp.server_address[1], "nhacviec@thanhhoa.gov.vn")
    tick(lambda: UnitOfWork(factory, clock=clock), mailer)
    inbox = smtp.inbox  # type: ignore[attr-defined]
    sent = [m for to, m in inbox if "Nhắc việc từ" in m.get_content()]
    assert [to for to, m in inbox if m in sent] == [["vanthu@stttt.thanhhoa.gov.vn"]]


def test_a_supervisor_assigns_a_task_to_a_colleague(api: ApiClient, clock: FakeClock) -> None:
    at(clock, "2023-04-17")
    process = api.start_plan(POLICE)
    (task,) = api.get(f"/api/v1/tasks?process={process}", POLICE).json

    def assign(user: str, assignee: str) -> Any:
        return api.post(f"/api/v1/tasks/{task['id']}/assign", user, json={"assignee": assignee})

    assert assign(SUPERVISOR, POLICE).status_code == 204
    (mine,) = api.get(f"/api/v1/tasks?process={process}", POLICE).json
    assert mine["claimed_by_id"] == api.get("/api/v1/me", POLICE).json["id"]  # in his inbox
    assert "task_assigned" in actions(api, process)
    # the holder cannot be taken over by a colleague; the supervisor can give it back to himself
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", SUPERVISOR).status_code == 409
    assert assign(SUPERVISOR, SUPERVISOR).status_code == 204
    (mine,) = api.get(f"/api/v1/tasks?process={process}", POLICE).json
    assert mine["claimed_by_id"] == api.get("/api/v1/me", SUPERVISOR).json["id"]

    other = assign(SUPERVISOR, "thanhhoa.taichinh")
    assert other.status_code == 400
    assert other.json["errors"]["json"]["assignee"] == ["Not a member of the task's agency."]
    nobody = assign(SUPERVISOR, "nobody")
    assert nobody.status_code == 400 and "assignee" in nobody.json["errors"]["json"]
    assert assign(POLICE, SUPERVISOR).status_code == 403  # staff do not assign
    head = assign("thanhhoa.taichinh.giamdoc", "thanhhoa.taichinh")  # another agency's task
    assert head.status_code == 403 and head.json["error"] == "not_your_agency"
    missing = api.post("/api/v1/tasks/99999/assign", SUPERVISOR, json={"assignee": POLICE})
    assert missing.status_code == 404
