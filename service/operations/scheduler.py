"""The scheduler's work: fire due BPMN timers, move deadline states, send reminders, forget
old idempotency keys, refresh the dashboard's figures (service.operations.dashboard_figures).

Idempotent and safe to run in several processes at once: timers are taken with
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one writer at a time anyway), and
each reminder is recorded once per task and rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from service.db.models import ProcessInstance
from service.db.uow import UnitOfWork
from service.mail import Mailer
from service.operations.dashboard_figures import Compute, refresh_figures
from service.operations.deadlines import email_pending, refresh_states, send_reminders
from service.operations.definitions import engine_definition
from service.operations.idempotency import forget_old_keys
from service.operations.instances import append_event, save_runtime
from service.operations.scheduled_reorganisation import apply_due
from service.states import ProcessStatus
from workflows.runtime import Runtime

BATCH = 100
MAX_BATCHES = 100  # per tick; whatever is left waits for the next one
DEADLINE_JOBS_LOCK = 0x414E5451  # any constant unique to this job


@dataclass(frozen=True)
class TickReport:
    timers_fired: int
    deadline_changes: int
    reminders_sent: int
    emails_sent: int = 0
    reorganisations_applied: int = 0
    figures_refreshed: int = 0


def tick(
    new_uow: Callable[[], UnitOfWork],
    mailer: Mailer | None = None,
    figures: Compute | None = None,
) -> TickReport:
    """One pass of every scheduled job, each batch in its own transaction; reminders are also
    e-mailed when a mailer is given, and the dashboard's figures refreshed last when their
    computation is given. A reorganisation due today goes first: its open work is handed over
    before the day's reminders."""
    reorganised = apply_due(new_uow)
    fired = 0
    for _ in range(MAX_BATCHES):
        batch = fire_due_timers(new_uow())
        fired += batch
        if batch < BATCH:
            break
    moved: list[int] = []
    sent = emailed = 0
    with new_uow() as uow:
        if _only_scheduler(uow):  # else another scheduler is on them: skip them this pass
            moved, sent, emailed = _deadline_jobs(uow, mailer)
    # deadline states move tasks alone (no instance version): their instances are recounted
    refreshed = 0 if figures is None else refresh_figures(new_uow, figures, touched=moved)
    return TickReport(fired, len(moved), sent, emailed, reorganised, refreshed)


def _deadline_jobs(uow: UnitOfWork, mailer: Mailer | None) -> tuple[list[int], int, int]:
    """Move deadline states, record reminders, forget old keys; commit; e-mail the outbox.
    Returns the instances of the tasks whose state moved (once per task), reminders, e-mails."""
    moved = refresh_states(uow.session, uow.now())
    changes = len(moved)
    reminders = send_reminders(uow.session, uow.now())
    forgotten = forget_old_keys(uow.session, uow.now())
    if changes or reminders or forgotten:  # one event per pass that changed something
        uow.session.flush()  # the reminders' ids
        data = {
            "deadline_changes": changes,
            "reminders": [notice.id for notice in reminders],
            "keys_forgotten": forgotten,
            "by": "scheduler",
        }
        uow.record("deadlines_moved", None, data=data)
    uow.commit()
    emailed = 0 if mailer is None else email_pending(uow, mailer)
    return moved, len(reminders), emailed


def _only_scheduler(uow: UnitOfWork) -> bool:
    """Whether this transaction may run the deadline jobs: one scheduler at a time.

    On PostgreSQL a transaction-scoped advisory lock (a busy one means another scheduler is on
    it: skip this pass); SQLite's BEGIN IMMEDIATE already admits one writer.
    """
    if uow.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        uow.session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": DEADLINE_JOBS_LOCK}
        )
    )


def fire_due_timers(uow: UnitOfWork) -> int:
    """Fire the timers of up to BATCH instances whose earliest timer is due."""
    with uow:
        now = uow.now()
        due = uow.session.scalars(
            select(ProcessInstance)
            .where(
                ProcessInstance.next_timer_at <= now,
                ProcessInstance.status == ProcessStatus.RUNNING,
            )
            .order_by(ProcessInstance.next_timer_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for instance in due:
            runtime = Runtime.restore(engine_definition(instance.definition), instance.state)
            runtime.fire_timers(now)
            append_event(
                uow.session,
                instance,
                "timer_fired",
                None,
                now,
                data={
                    "due": instance.next_timer_at.isoformat() if instance.next_timer_at else None
                },
            )
            save_runtime(uow.session, instance, runtime, now)
        try:
            uow.commit()
        except StaleDataError:  # a completion changed one of them meanwhile: next tick
            return 0
        return len(due)
