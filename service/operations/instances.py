"""Keeping an instance's rows in step with its engine state, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, func, insert, inspect, select, update
from sqlalchemy.orm import QueryableAttribute, Session

from service.db.audit_log import append
from service.db.batch import Batch
from service.db.models import ProcessInstance, Task
from service.db.tables import INSTANCES, TASKS
from service.errors import Conflict
from service.operations.actors import Actor
from service.operations.deadlines import schedule
from service.states import ProcessStatus, TaskState
from workflows.runtime import Runtime

# the engine tasks of an instance's open rows (built once: statements are immutable)
_OPEN_ROWS = select(TASKS.c.engine_task_id).where(
    TASKS.c.instance_id == bindparam("instance"), TASKS.c.state == TaskState.OPEN
)
_NEW_ROWS = insert(TASKS)


def open_tasks_of(
    instance_id: QueryableAttribute[int], besides: QueryableAttribute[int] | None = None
) -> ScalarSelect[Any]:
    """The engine tasks of an instance's open rows (`besides` one), comma-separated, as a
    column of the caller's own query: what save_runtime would read after the engine ran, a
    round trip fewer (`open_task_ids` splits it for `open_tasks`)."""
    rows = TASKS.alias("open")
    where = [rows.c.instance_id == instance_id, rows.c.state == TaskState.OPEN]
    if besides is not None:
        where.append(rows.c.id != besides)
    joined = select(func.aggregate_strings(rows.c.engine_task_id, ",")).where(*where)
    return joined.correlate_except(rows).scalar_subquery()


def open_task_ids(joined: str | None) -> list[str]:
    """`open_tasks_of`'s column, as save_runtime's `open_tasks`."""
    return joined.split(",") if joined else []


# SET takes the columns the parameters name, besides the WHERE's own
_WRITE = update(INSTANCES).where(
    INSTANCES.c.id == bindparam("written_id"),
    INSTANCES.c.version == bindparam("written_version"),
)
# the attributes write_instance may write, by the column each one maps
_WRITABLE = {
    attribute.key: attribute.columns[0].key
    for attribute in inspect(ProcessInstance).column_attrs
    if attribute.key not in ("id", "version")
}


def save_runtime(
    session: Session,
    instance: ProcessInstance,
    runtime: Runtime,
    now: datetime,
    *,
    new: bool = False,
    open_tasks: Iterable[str] | None = None,
    batch: Batch | None = None,
) -> None:
    """Store the engine state and project its ready human tasks onto task rows.

    Tasks the engine no longer offers (other than the one just completed by the caller) are
    cancelled; new ones are bound to the agency that fills their lane in this instance and get
    their due time. `new` skips looking for open rows of an instance that has none yet;
    `open_tasks` are the engine tasks of its open rows as the caller read them, in this
    transaction, besides the one it completes (service.operations.tasks reads them with the
    task: a round trip fewer).

    The open rows are read by their engine task and the new rows inserted at once, in one
    multi-row INSERT, without the ORM (with `batch`: added to it); the rare row to cancel goes
    through the ORM and its version check. A caller that completes a task leaves it out of
    `open_tasks` (service.operations.tasks, whose claim may be sent later, in its batch), so
    it is never cancelled here.
    """
    ready = {t.id: t for t in runtime.ready_tasks()}
    if open_tasks is None:
        open_tasks = () if new else list(session.scalars(_OPEN_ROWS, {"instance": instance.id}))
    instance.state = runtime.dump()
    instance.next_timer_at = runtime.next_timer()
    gone = [engine_id for engine_id in open_tasks if ready.pop(engine_id, None) is None]
    for row in session.scalars(select(Task).where(Task.engine_task_id.in_(gone))) if gone else ():
        if row.state == TaskState.OPEN:  # else completed by the caller, not yet flushed
            row.state, row.completed_at = TaskState.CANCELLED, now
    rows = []
    for task in ready.values():
        agency_id = instance.bindings.get(task.lane)
        if agency_id is None:
            raise Conflict(
                "role_unbound", f"No agency fills the role “{task.lane}” here.", role=task.lane
            )
        dated = Task(form=task.form, report_round=task.report_round)  # never added: its due time
        schedule(dated, instance.deadlines, now)
        rows.append(
            {
                "instance_id": instance.id,
                "engine_task_id": task.id,
                "step": task.step,
                "name": task.name,
                "role": task.lane,
                "agency_id": agency_id,
                "created_at": now,
                "form": task.form,
                "report_round": task.report_round,
                "state": TaskState.OPEN,
                "due_at": dated.due_at,
                "due_soon_at": dated.due_soon_at,
                "deadline_state": dated.deadline_state,
                "version": 1,
            }
        )
    if batch is not None:
        batch.add(_NEW_ROWS, rows)
    elif rows:
        session.connection().execute(_NEW_ROWS, rows)
    if runtime.completed and instance.status != ProcessStatus.COMPLETED:
        instance.status, instance.completed_at = ProcessStatus.COMPLETED, now


def append_event(
    session: Session,
    instance: ProcessInstance,
    action: str,
    actor: Actor | None,
    now: datetime,
    *,
    role: str | None = None,
    task: Task | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """Append the next event of this instance's history (service.db.audit_log.append); its
    hash."""
    return append(session, instance, action, actor, now, role=role, task=task, data=data)


def write_instance(session: Session, instance: ProcessInstance, batch: Batch | None = None) -> None:
    """Write what changed of `instance` by one version-checked UPDATE, and expire the session's
    copy (the row is as written). Its events are not written yet: they follow at the flush
    (service.db.audit_log.write_pending), after the UPDATE of every head they moved.

    The ORM's flush sends the same UPDATE, but on every completion its unit of work cost
    several times the statement. Of two completions of one process at once, the second
    matches no row (on PostgreSQL it waits for the first to commit, then finds the version
    moved): a 409, as the flush's version check gave. With `batch`, the UPDATE is added to it,
    and the 409 comes when it is sent.

    :raise Conflict: `task_not_open`, the instance changed meanwhile.
    """
    state = inspect(instance)
    values = {
        _WRITABLE[key]: state.dict[key]
        for key in _WRITABLE.keys() - state.unmodified
        if state.attrs[key].history.has_changes()  # set again to what it was: nothing to write
    }
    if values:
        version = instance.version
        where = {"written_id": instance.id, "written_version": version}
        sent = Batch() if batch is None else batch
        sent.add(
            _WRITE, values | {"version": version + 1} | where, expect=1, conflict=changed_meanwhile
        )
        if batch is None:
            sent.send(session.connection())
    session.expire(instance)  # nothing left for a flush to write; read afresh if read again


def changed_meanwhile() -> Conflict:
    """The 409 of a version-checked write of a task or its instance that matched no row."""
    return Conflict("task_not_open", "This task or its process changed meanwhile.")
