"""Two colleagues claim one task at the same moment: both read it unclaimed, the first writes,
the second's write must not overwrite the first. The task row's version (`version_id_col`)
makes the second write find no row (StaleDataError), answered 409, never a 500 or a lost claim.

The race is made deterministic: just before the claim's flush, the colleague's claim lands on
the same row from underneath the ORM (as a concurrent transaction committed in between would),
on SQLite and PostgreSQL alike; SQLite's write lock would keep a second connection out, so it
runs in the claim's own transaction and goes with its rollback. It found the instance loaded
after the change, whose autoflush raised StaleDataError outside the 409 mapping (a 500)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, event, select, update
from sqlalchemy.orm import Session

from service.db.audit_log import append
from service.db.base import utcnow
from service.db.batch import Batch
from service.db.models import Event, ProcessInstance, Task, User
from service.operations import tasks
from service.states import TaskState
from tests.conftest import PLAN_2023, ApiClient

POLICE, COLLEAGUE = "thanhhoa.congan", "thanhhoa.congan.truongphong"  # same agency and role


@contextmanager
def claimed_underneath(app: Flask, task_id: int, user_id: int) -> Iterator[None]:
    """The next flush that changes task `task_id` finds it claimed by `user_id` meanwhile."""
    factory = app.extensions["session_factory"]
    done: list[bool] = []

    def colleague_first(session: Session, *_: Any) -> None:
        if done or not any(isinstance(o, Task) and o.id == task_id for o in session.dirty):
            return
        done.append(True)
        table = Task.__table__
        session.connection().execute(  # the connection's own: no autoflush, no version check
            update(table)
            .where(table.c.id == task_id)
            .values(claimed_by_id=user_id, version=table.c.version + 1)
        )

    event.listen(factory, "before_flush", colleague_first)
    try:
        yield
    finally:
        event.remove(factory, "before_flush", colleague_first)
    assert done, "the task was never written"


def _user_id(app: Flask, username: str) -> int:
    with app.extensions["session_factory"]() as session:
        return int(session.scalar(select(User.id).filter_by(username=username)))


def test_a_claim_racing_a_colleagues_is_409_and_writes_nothing(app: Flask, api: ApiClient) -> None:
    api.start_plan(POLICE)
    (task,) = api.get("/api/v1/tasks", POLICE).json
    colleague = _user_id(app, COLLEAGUE)

    with claimed_underneath(app, task["id"], colleague):
        answer = api.post(f"/api/v1/tasks/{task['id']}/claim", POLICE)

    assert (answer.status_code, answer.json["error"]) == (409, "task_not_open")
    with app.extensions["session_factory"]() as session:  # the refused claim left nothing
        row = session.get(Task, task["id"])
        assert row is not None and row.claimed_by_id is None
        claims = session.scalars(select(Event).filter_by(action="task_claimed")).all()
        assert claims == []
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", POLICE).status_code == 204  # retried


def test_a_completion_racing_another_is_409_and_writes_nothing(
    app: Flask, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The completion claims its task by one UPDATE that checks the version it read: another
    completion's claim landing in between (as a concurrent transaction committed meanwhile
    would) leaves it no row to claim: 409, and nothing of it is written."""
    api.start_plan(POLICE)
    task = api.only_task(POLICE)
    with app.extensions["session_factory"]() as session:
        before = task_version(session, task["id"])

    class OtherFirst(Batch):
        def send(self, connection: Connection, **how: bool) -> None:
            table = Task.__table__
            connection.execute(
                update(table).where(table.c.id == task["id"]).values(version=table.c.version + 1)
            )
            super().send(connection, **how)

    monkeypatch.setattr(tasks, "Batch", OtherFirst)
    answer = api.complete(POLICE, task["id"], "submit", data=PLAN_2023)
    assert (answer.status_code, answer.json["error"]) == (409, "task_not_open")
    monkeypatch.undo()
    with app.extensions["session_factory"]() as session:  # the refused completion left nothing
        row = session.get(Task, task["id"])
        assert row is not None and row.state == TaskState.OPEN
        assert row.version == before  # the other claim went with the rollback
        assert session.scalars(select(Event).filter_by(task_id=task["id"])).all() == []
        assert session.scalars(select(Task).filter_by(step="finance_appraisal")).all() == []
    assert api.complete(POLICE, task["id"], "submit", data=PLAN_2023).status_code == 200


def test_a_completion_whose_process_moved_meanwhile_is_409_and_writes_nothing(
    app: Flask, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process row is written by one UPDATE that checks the version the completion read:
    another completion of the same process landing in between (another of its tasks, a timer)
    leaves it no row to write: 409, and nothing of the completion is kept."""
    process = api.start_plan(POLICE)
    task = api.only_task(POLICE)
    with app.extensions["session_factory"]() as session:
        before = session.get_one(ProcessInstance, process)
        version, seq = before.version, before.last_event_seq
    write = tasks.write_instance

    def other_first(session: Session, instance: ProcessInstance, batch: Batch) -> None:
        table = ProcessInstance.__table__
        session.connection().execute(
            update(table).where(table.c.id == instance.id).values(version=table.c.version + 1)
        )
        write(session, instance, batch)

    monkeypatch.setattr(tasks, "write_instance", other_first)
    answer = api.complete(POLICE, task["id"], "submit", data=PLAN_2023)
    assert (answer.status_code, answer.json["error"]) == (409, "task_not_open")
    monkeypatch.undo()
    with app.extensions["session_factory"]() as session:  # the refused completion left nothing
        row = session.get_one(Task, task["id"])
        assert row.state == TaskState.OPEN
        instance = session.get_one(ProcessInstance, process)
        assert (instance.version, instance.last_event_seq, instance.document) == (version, seq, {})
        assert session.scalars(select(Event).filter_by(task_id=task["id"])).all() == []
    assert api.complete(POLICE, task["id"], "submit", data=PLAN_2023).status_code == 200
    with app.extensions["session_factory"]() as session:  # and the retry wrote it all
        instance = session.get_one(ProcessInstance, process)
        assert instance.version == version + 1
        assert instance.document["title"] == PLAN_2023["title"]
        actions = session.scalars(select(Event.action).filter_by(instance_id=process)).all()
        assert actions == ["process_started", "task_completed"]


def task_version(session: Session, task_id: int) -> int:
    return int(session.scalar(select(Task.version).filter_by(id=task_id)))


def test_events_of_a_rolled_back_transaction_are_never_written(app: Flask, api: ApiClient) -> None:
    """An event appended in a transaction that rolls back is forgotten with it: the session's
    next flush does not write it."""
    process = api.start_plan(POLICE)
    factory = app.extensions["session_factory"]
    with factory() as session:
        instance = session.get_one(ProcessInstance, process)
        append(session, instance, "probe", None, utcnow())
        session.rollback()
        instance = session.get_one(ProcessInstance, process)
        instance.title = instance.title + " (sửa)"
        session.commit()
        actions = session.scalars(select(Event.action).filter_by(instance_id=process)).all()
    assert actions == ["process_started"]
