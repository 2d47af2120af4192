"""What a supervisor or a head does about work that waits: remind the agency holding a task
(nhắc việc), one task or many units at once, and give a task to a named colleague.

Whom one supervises (`supervises`) is the one scope the dashboard, reminders and their pages
share: a process, or a plan above it, of a level one oversees (Right.OVERSEE: supervisors,
administrators), or signed by an agency one heads (its chairman, or a deputy for them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from service.db.models import Notification, ProcessInstance, Task, User
from service.db.uow import UnitOfWork
from service.errors import Conflict, Forbidden, Invalid, Message, NotFound
from service.operations.actors import Actor, actor_of
from service.operations.tasks import check_can_act
from service.permissions import HEAD_ROLE, Right, may, require
from service.states import DeadlineState, TaskState
from workflows.calendar import due_before, last_day, local_day

# A reminder by hand is a notification of rule "manual:<day in Vietnam>": the table's unique
# (task, rule, agency) makes it at most one per task a day, even for two clicks at once.
MANUAL = "manual"
# a task one reminds of: due soon or late, never one just begun
DUE = (DeadlineState.DUE_SOON, DeadlineState.OVERDUE)


@dataclass(frozen=True)
class Reminded:
    task_id: int
    process_id: int
    agency: str
    notification_id: int


@dataclass(frozen=True)
class Skipped:
    task_id: int
    process_id: int
    agency: str
    next_at: datetime  # when it may be reminded again


@dataclass(frozen=True)
class Reminders:
    reminded: list[Reminded]
    skipped: list[Skipped]


def headed(actor: Actor) -> set[int]:
    """The agencies the actor acts for as head: their own as chairman, a deputy's (KT.), a
    substitute's (TUQ.)."""
    return {agency for agency, role in actor.duties() if role == HEAD_ROLE}


def supervises(uow: UnitOfWork, actor: Actor, instance: ProcessInstance) -> bool:
    """Whether the actor supervises this process (see the module's docstring)."""
    overseen = actor.overseen if may(actor, Right.OVERSEE) else frozenset()
    heads = headed(actor)
    node: ProcessInstance | None = instance
    while node is not None:
        if node.jurisdiction_id in overseen or node.bindings.get(HEAD_ROLE) in heads:
            return True
        node = None if node.parent_id is None else uow.session.get(ProcessInstance, node.parent_id)
    return False


def remind_task(uow: UnitOfWork, actor: Actor, task_id: int) -> Reminded:
    """Remind the agency holding an open task, in the app and by e-mail when SMTP is set (the
    scheduler's outbox, `deadlines.email_pending`, sends it).

    :raise NotFound: no such task. :raise Forbidden: not a process the actor supervises.
    :raise Conflict: the task is closed, not due soon yet, or was reminded by hand today
        (`next_at`: from when).
    """
    require(actor, Right.REMIND)
    with uow:
        task = _task(uow, task_id)
        _check_supervises(uow, actor, task.instance)
        if task.state != TaskState.OPEN:
            raise Conflict("task_not_open", f"This task is already {task.state}.", state=task.state)
        if task.deadline_state not in DUE:
            raise Conflict("not_due", "This task is not due soon yet: nothing to remind.")
        if _reminded_today(uow, task):
            next_at = _tomorrow(uow)
            raise Conflict(
                "reminded_today",
                "This task was already reminded today; remind it again from "
                f"{local_day(next_at):%d/%m/%Y}.",
                next_at=next_at.isoformat(),
            )
        reminded = _remind(uow, actor, task)
        _commit(uow)
        return reminded


def remind_units(uow: UnitOfWork, actor: Actor, process_ids: list[int]) -> Reminders:
    """Remind every overdue open task of these units' processes (the dashboard's late units);
    tasks already reminded today are skipped and listed with when they may be again.

    :raise NotFound: a process does not exist. :raise Forbidden: the actor does not supervise
        one of them (nothing is sent). :raise Conflict: nothing of theirs is overdue, or all of
        it was reminded today.
    """
    require(actor, Right.REMIND)
    if not process_ids:
        raise Invalid({"processes": [Message("no_unit_chosen", "Choose at least one unit.")]})
    with uow:
        for process_id in dict.fromkeys(process_ids):
            instance = uow.session.get(ProcessInstance, process_id)
            if instance is None:
                raise NotFound("process_not_found", "No such process.")
            _check_supervises(uow, actor, instance)
        tasks = uow.session.scalars(
            select(Task)
            .where(
                Task.instance_id.in_(process_ids),
                Task.state == TaskState.OPEN,
                Task.deadline_state == DeadlineState.OVERDUE,
            )
            .options(joinedload(Task.instance), joinedload(Task.agency))
            .order_by(Task.id)
        ).all()
        if not tasks:
            raise Conflict("nothing_to_remind", "No task of these units is overdue.")
        found = Reminders([], [])
        for task in tasks:
            if _reminded_today(uow, task):
                found.skipped.append(
                    Skipped(task.id, task.instance_id, task.agency.name, _tomorrow(uow))
                )
            else:
                found.reminded.append(_remind(uow, actor, task))
        if not found.reminded:
            next_at = _tomorrow(uow)
            raise Conflict(
                "reminded_today",
                "These units were already reminded today; remind them again from "
                f"{local_day(next_at):%d/%m/%Y}.",
                next_at=next_at.isoformat(),
            )
        _commit(uow)
        return found


def assign_task(uow: UnitOfWork, actor: Actor, task_id: int, assignee: str) -> None:
    """Put an open task of the actor's agency (or one they head) in the hands of a named
    colleague who may act on it; it shows in their inbox as theirs. Recorded with whoever held
    it before.

    :raise Forbidden: another agency's task. :raise Invalid: `assignee` is no active user of
        the task's agency holding its role. :raise Conflict: the task is closed.
    """
    require(actor, Right.ASSIGN_TASKS)
    with uow:
        task = _task(uow, task_id)
        if task.agency_id not in {actor.agency_id} | headed(actor):
            raise Forbidden("not_your_agency", "You assign only your own agency's tasks.")
        if task.state != TaskState.OPEN:
            raise Conflict("task_not_open", f"This task is already {task.state}.", state=task.state)
        user = uow.session.scalars(
            select(User)
            .filter_by(username=assignee, active=True)
            .options(joinedload(User.roles), joinedload(User.agency))
        ).first()
        if user is None:
            raise Invalid({"assignee": [Message("no_such_user", "No such active user.")]})
        try:
            check_can_act(actor_of(uow, user), task)
        except Forbidden:
            reason = (
                Message("not_of_the_agency", "Not a member of the task's agency.")
                if user.agency_id != task.agency_id
                else Message("lacks_the_role", "Does not hold the role this task needs.")
            )
            raise Invalid({"assignee": [reason]}) from None
        if task.claimed_by_id == user.id:
            return  # already theirs: nothing changes, nothing to record
        before = task.claimed_by.username if task.claimed_by is not None else None
        task.claimed_by_id, task.claimed_at = user.id, uow.now()
        uow.record(
            "task_assigned",
            actor,
            instance=task.instance,
            role=task.role,
            task=task,
            data={"assignee": user.username, "previous": before},
        )
        _commit(uow)


def _task(uow: UnitOfWork, task_id: int) -> Task:
    task = uow.session.get(
        Task, task_id, options=[joinedload(Task.instance), joinedload(Task.agency)]
    )
    if task is None:
        raise NotFound("task_not_found", "No such task.")
    return task


def _check_supervises(uow: UnitOfWork, actor: Actor, instance: ProcessInstance) -> None:
    if not supervises(uow, actor, instance):
        raise Forbidden("not_supervised", "You do not supervise this unit's work.")


def _rule(uow: UnitOfWork) -> str:
    return f"{MANUAL}:{local_day(uow.now()).isoformat()}"


def _tomorrow(uow: UnitOfWork) -> datetime:
    return due_before(local_day(uow.now()) + timedelta(days=1))


def _reminded_today(uow: UnitOfWork, task: Task) -> bool:
    return (
        uow.session.scalar(
            select(Notification.id).filter_by(
                task_id=task.id, rule=_rule(uow), agency_id=task.agency_id
            )
        )
        is not None
    )


def _remind(uow: UnitOfWork, actor: Actor, task: Task) -> Reminded:
    due = "" if task.due_at is None else f"; hạn xử lý: hết ngày {last_day(task.due_at):%d/%m/%Y}"
    notice = Notification(
        task_id=task.id,
        rule=_rule(uow),
        agency_id=task.agency_id,
        audience="staff",
        # stored as sent, in the language of the agencies (like the scheduler's reminders)
        message=(
            f"Nhắc việc từ {actor.agency_name} ({actor.full_name}): “{task.name}” — "
            f"{task.instance.title}{due}."
        ),
        text_id="reminder_from",
        params={
            "agency": actor.agency_name,
            "person": actor.full_name,
            "step": task.step,
            "step_name": task.name,
            "title": task.instance.title,
            "day": None if task.due_at is None else last_day(task.due_at).isoformat(),
        },
        channels=["in_app"],
        sent_at=uow.now(),
    )
    uow.session.add(notice)
    try:
        uow.session.flush()
    except IntegrityError as err:  # the same reminder, sent a moment ago from another tab
        raise Conflict("reminded_today", "This task was reminded a moment ago.") from err
    uow.record(
        "task_reminded",
        actor,
        instance=task.instance,
        role=task.role,
        task=task,
        data={"notification": notice.id, "agency": task.agency.name},
    )
    return Reminded(task.id, task.instance_id, task.agency.name, notice.id)


def _commit(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except IntegrityError as err:
        raise Conflict("reminded_today", "This task was reminded a moment ago.") from err
