"""Process definitions (versioned), instances (engine state), task rows and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, str_enum, utcnow
from service.db.models.directory import Agency, User
from service.states import DeadlineState, ProcessStatus, TaskState
from workflows.audit import GENESIS


class ProcessDefinition(Base):
    """One deployed version of a BPMN process; never changed once stored."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    bpmn: Mapped[str] = mapped_column(Text, deferred=True)  # read only to parse a new version
    roles: Mapped[list[str]]
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessInstance(Base):
    """A running plan: its engine state, its role bindings and its document."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    title_folded: Mapped[str] = mapped_column(String(500), server_default="")  # accent-free search
    status: Mapped[ProcessStatus] = mapped_column(
        str_enum(ProcessStatus, 20), default=ProcessStatus.RUNNING
    )
    bindings: Mapped[dict[str, Any]]  # role -> agency id
    document: Mapped[dict[str, Any]]  # the plan as last submitted
    state: Mapped[str] = mapped_column(Text)  # workflows.Runtime.dump()
    # The cascade: a unit's instance points at the plan that addressed it.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    issued_at: Mapped[datetime | None]  # when the signed plan cascaded to its units
    deadlines: Mapped[dict[str, Any]] = mapped_column(default=dict)  # from the parent, by kind
    reports: Mapped[dict[str, Any]] = mapped_column(default=dict)  # own reports, by round
    # a report submitted and waiting for the head's signature, by round
    report_drafts: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)
    # seq of the newest event; bumped under the same version check, so seqs never collide
    last_event_seq: Mapped[int] = mapped_column(default=0)
    # hash of that event: the chain head, so appending needs no query (workflows.audit)
    last_event_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)

    definition: Mapped[ProcessDefinition] = relationship()
    jurisdiction: Mapped[Agency] = relationship()

    __mapper_args__ = {"version_id_col": version}  # a concurrent second writer -> StaleDataError


class Task(Base):
    """A human task, projected from the engine for fast inboxes; written with its instance."""

    __tablename__ = "task"
    __table_args__ = (
        # an inbox page walks this in order and stops after its rows, however many are open
        Index("ix_task_inbox", "agency_id", "role", "state", "due_at", "id"),
        Index("ix_task_deadline", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(36), unique=True)
    step: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(255))
    form: Mapped[str] = mapped_column(String(100))  # which step form it takes (service.forms)
    report_round: Mapped[str | None] = mapped_column(String(40))  # set on report steps
    role: Mapped[str] = mapped_column(String(40))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    state: Mapped[TaskState] = mapped_column(str_enum(TaskState, 20), default=TaskState.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    # someone has taken the task in hand, so colleagues of the same role see it is being done
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_at: Mapped[datetime | None]
    # completed for someone else: a deputy (KT.) or a substitute (TUQ./KT.)
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signing_mark: Mapped[str | None] = mapped_column(String(120))
    due_at: Mapped[datetime | None]
    due_soon_at: Mapped[datetime | None]
    # on_time | due_soon | overdue while open; done | done_late once completed. Kept by the
    # scheduler and the completion, so inboxes and dashboards filter on a column.
    deadline_state: Mapped[DeadlineState] = mapped_column(
        str_enum(DeadlineState, 20), default=DeadlineState.ON_TIME
    )
    version: Mapped[int] = mapped_column(default=1)

    instance: Mapped[ProcessInstance] = relationship()
    agency: Mapped[Agency] = relationship()
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])

    __mapper_args__ = {"version_id_col": version}  # two completions of one task -> one wins


class ReportRound(Base):
    """How many of a plan's units have yet to report in a round; the last one wakes the plan.

    A counter, not a scan: the child that takes it to zero holds the row lock, so of two last
    reports exactly one sees zero.
    """

    __tablename__ = "report_round"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    round: Mapped[str] = mapped_column(String(40), primary_key=True)
    open: Mapped[int]


class FanoutJob(Base):
    """A signed plan's units still to be started, for a worker to start in batches.

    `issued` counts the units of `units` (in the order addressed) that have their instance:
    each batch reads it and moves it in the transaction that inserts that batch's instances,
    holding this row's lock, so a batch cut short leaves nothing and no unit is started twice.
    Takeable while not done and `run_after` has passed (a failed batch backs off).
    """

    __tablename__ = "fanout_job"
    __table_args__ = (Index("ix_fanout_job_due", "done_at", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    units: Mapped[list[str]]  # agency codes, frozen at signing
    issued: Mapped[int] = mapped_column(default=0)
    # who signed: the units' `process_started` events name them, as an inline issue does
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    created_at: Mapped[datetime]
    run_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)  # failed batches
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]


class Event(Base):
    """An append-only record of one state change of a process instance or of the directory."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("instance_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: an event of the directory's chain (service.db.audit_log), not of a process
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    seq: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    role: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))  # the instance's previous event's hash
    hash: Mapped[str] = mapped_column(String(64))  # over the fields above and prev_hash

    actor: Mapped[User | None] = relationship()
    agency: Mapped[Agency | None] = relationship()


class Notification(Base):
    """A reminder or escalation sent about a task, or a comment that mentions the agency:
    the evidence that it was sent."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("task_id", "rule", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a mention in a process's own thread (comment_id says which)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    rule: Mapped[str] = mapped_column(String(40))  # the policy rule that fired it
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)  # recipient
    audience: Mapped[str] = mapped_column(String(20))  # staff | head
    message: Mapped[str] = mapped_column(Text)  # as sent (Vietnamese), for e-mail and old rows
    # what the pages render in the reader's language (service/web/notices.py); None: old rows
    text_id: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[dict[str, Any] | None]
    channels: Mapped[list[str]]  # in_app, email
    sent_at: Mapped[datetime]
    emailed_to: Mapped[list[str] | None]  # the addresses it went to, once it did
    emailed_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]

    task: Mapped[Task | None] = relationship()


class NotificationRead(Base):
    """That one user has read a notification: each colleague of the agency reads their own."""

    __tablename__ = "notification_read"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    read_at: Mapped[datetime]
