"""When tasks fall due, how their deadline state moves, and the reminders the policy sends."""

from __future__ import annotations

import logging
import smtplib
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session, joinedload

from service.db.models import Notification, ProcessInstance, Task, User
from service.db.uow import UnitOfWork
from service.mail import Mailer
from service.permissions import Right, Role, may
from service.states import DeadlineState, TaskState
from service.steps import kind_of
from workflows.calendar import (
    add_working_days,
    due_after_working_days,
    due_before,
    last_day,
    local_day,
)

POLICY_FILE = Path(__file__).parents[1] / "deadline_policy.toml"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    rule: str
    working_days: int
    # "assignee": the agency the task waits for; "head": its head; a role: the agency holding
    # that role at the level above (the standing body that consolidates)
    notify: str | Role


@dataclass(frozen=True)
class Policy:
    due_soon_working_days: int
    sla: dict[str, int]
    reminders: tuple[Reminder, ...]


@lru_cache(maxsize=1)
def policy() -> Policy:
    raw: dict[str, Any] = tomllib.loads(POLICY_FILE.read_text(encoding="utf-8"))
    return Policy(
        due_soon_working_days=raw["due_soon_working_days"],
        sla=dict(raw["sla"]),
        reminders=tuple(
            Reminder(**r | {"notify": _audience(r["notify"])}) for r in raw["reminder"]
        ),
    )


def _audience(notify: str) -> str | Role:
    return notify if notify in ("assignee", "head") else Role(notify)


def schedule(task: Task, deadlines: dict[str, str], created: datetime) -> None:
    """Set a new task's due time: the date the parent set for a unit's own plan or for a report
    round, else the SLA of the step's form."""
    dated = deadlines.get(task.report_round or kind_of(task.form).deadline_key or "")
    if dated:
        task.due_at = due_before(date.fromisoformat(dated))
    else:
        rules = policy().sla
        task.due_at = due_after_working_days(created, rules.get(task.form, rules["default"]))
    soon = add_working_days(last_day(task.due_at), -policy().due_soon_working_days)
    task.due_soon_at = due_before(soon)
    task.deadline_state = _open_state(task, created)


def _open_state(task: Task, now: datetime) -> DeadlineState:
    if task.due_at is not None and now >= task.due_at:
        return DeadlineState.OVERDUE
    if task.due_soon_at is not None and now >= task.due_soon_at:
        return DeadlineState.DUE_SOON
    return DeadlineState.ON_TIME


def closed_state(task: Task, now: datetime) -> DeadlineState:
    """Whether a task completed at `now` was done in time."""
    late = task.due_at is not None and now > task.due_at
    return DeadlineState.DONE_LATE if late else DeadlineState.DONE


def refresh_states(session: Session, now: datetime) -> list[int]:
    """Move open tasks to due_soon / overdue as time passes; two indexed UPDATEs. Returns the
    instances of the tasks moved, once per task (the dashboard recounts them)."""
    overdue = session.scalars(
        update(Task)
        .where(
            Task.state == TaskState.OPEN,
            Task.due_at <= now,
            Task.deadline_state != DeadlineState.OVERDUE,
        )
        .values(deadline_state=DeadlineState.OVERDUE)
        .returning(Task.instance_id)
        .execution_options(synchronize_session=False)
    ).all()
    soon = session.scalars(
        update(Task)
        .where(
            Task.state == TaskState.OPEN,
            Task.due_soon_at <= now,
            Task.due_at > now,
            Task.deadline_state == DeadlineState.ON_TIME,
        )
        .values(deadline_state=DeadlineState.DUE_SOON)
        .returning(Task.instance_id)
        .execution_options(synchronize_session=False)
    ).all()
    return [*overdue, *soon]


def send_reminders(session: Session, now: datetime) -> list[Notification]:
    """Record every reminder the policy owes as of `now`; each (task, rule) at most once."""
    today = local_day(now)
    sent: list[Notification] = []
    for reminder in policy().reminders:
        # A superset of the tasks owed this reminder (working days do not invert exactly across
        # weekends and Tết); the exact test follows in Python.
        horizon = due_before(add_working_days(today, -reminder.working_days) + timedelta(days=15))
        candidates = session.scalars(
            select(Task)
            .where(
                Task.state == TaskState.OPEN,
                Task.due_at < horizon,
                ~exists().where(
                    and_(Notification.task_id == Task.id, Notification.rule == reminder.rule)
                ),
            )
            .options(joinedload(Task.instance))
        )
        for task in candidates:
            assert task.due_at is not None
            if today < add_working_days(last_day(task.due_at), reminder.working_days):
                continue
            notice = _notice(session, task, reminder, now)
            session.add(notice)
            sent.append(notice)
    return sent


def _notice(session: Session, task: Task, reminder: Reminder, now: datetime) -> Notification:
    agency_id, audience = task.agency_id, "staff"
    if reminder.notify == "head":
        audience = "head"
    elif isinstance(reminder.notify, Role):
        level = task.instance
        if level.parent_id is not None:
            level = session.get_one(ProcessInstance, level.parent_id)
        agency_id = level.bindings[reminder.notify]
    assert task.due_at is not None
    # the day people act by: "hết ngày 04/12" for a deadline written "trước ngày 05/12"
    late = "quá hạn" if now >= task.due_at else "đến hạn"
    message = (
        f"Nhắc việc ({late}): “{task.name}” — {task.instance.title}; "
        f"hạn xử lý: hết ngày {last_day(task.due_at):%d/%m/%Y}."
    )
    return Notification(
        task_id=task.id,
        rule=reminder.rule,
        agency_id=agency_id,
        audience=audience,
        message=message,
        text_id="reminder_overdue" if now >= task.due_at else "reminder_due",
        params={
            "step": task.step,
            "step_name": task.name,
            "title": task.instance.title,
            "day": last_day(task.due_at).isoformat(),
        },
        channels=["in_app"],
        sent_at=now,
    )


def email_pending(uow: UnitOfWork, mailer: Mailer, limit: int = 100) -> int:
    """E-mail the reminders not yet e-mailed to the users of their agency who have an address.

    Runs after the reminders are committed (an outbox): a failed send is tried again on the next
    pass, and the addresses and time of each one that went are recorded on the notification.
    """
    session, now = uow.session, uow.now()
    pending = session.scalars(
        select(Notification)
        .where(Notification.emailed_at.is_(None))
        .options(joinedload(Notification.task))
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    sent = 0
    for notice in pending:
        to = _addresses(session, notice)
        if not to:
            continue
        try:
            mailer.send(to, notice.message.split(" — ")[0], notice.message)
        except (OSError, smtplib.SMTPException):
            logger.warning("reminder %s not e-mailed; retried on the next pass", notice.id)
            break  # the relay is down: the rest waits too
        notice.emailed_to, notice.emailed_at = to, now
        notice.channels = [*notice.channels, "email"]
        uow.record("reminder_emailed", None, data={"notification": notice.id, "to": to})
        uow.commit()  # one by one, so a crash re-sends at most one
        sent += 1
    return sent


def _addresses(session: Session, notice: Notification) -> list[str]:
    users = (
        session.scalars(
            select(User)
            .where(User.agency_id == notice.agency_id, User.active, User.email.is_not(None))
            .options(joinedload(User.roles))
        )
        .unique()
        .all()
    )
    if notice.audience == "head":  # the head and deputies, when the agency has them
        heads = [u for u in users if may({r.role for r in u.roles}, Right.RECEIVE_ESCALATIONS)]
        users = heads or users
    return sorted(u.email for u in users if u.email)
