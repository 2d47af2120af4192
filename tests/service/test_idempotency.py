"""Idempotency-Key on POST /tasks/{id}/complete and POST /processes: retries change nothing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from service.db.models import Event, IdempotencyKey, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.operations.scheduler import tick
from tests.conftest import PLAN_2023, ApiClient, FakeClock

POLICE = "thanhhoa.congan"


def _complete(api: ApiClient, task_id: int, key: str, data: dict[str, object]) -> object:
    return api.post(
        f"/api/v1/tasks/{task_id}/complete",
        POLICE,
        json={"decision": "submit", "data": data},
        headers={"Idempotency-Key": key},
    )


def _count(app: Flask, *where: object, table: type = Event) -> int:
    with app.extensions["session_factory"]() as session:
        return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def test_a_retried_completion_replays_the_first_answer(app: Flask, api: ApiClient) -> None:
    api.start_plan(POLICE)
    task_id = api.only_task(POLICE)["id"]

    answers = [_complete(api, task_id, '"draft-1"', PLAN_2023) for _ in range(10)]

    assert {a.status_code for a in answers} == {200}
    assert all(a.json == answers[0].json for a in answers)
    assert answers[0].json["next_steps"] == ["Thẩm định kinh phí"]
    assert _count(app, Event.task_id == task_id) == 1
    assert _count(app, Task.step == "finance_appraisal", table=Task) == 1
    # without the key the same POST is a second attempt, and the task is already done
    assert api.complete(POLICE, task_id, "submit", data=PLAN_2023).status_code == 409


def test_the_same_key_with_another_body_is_refused(app: Flask, api: ApiClient) -> None:
    api.start_plan(POLICE)
    task_id = api.only_task(POLICE)["id"]
    assert _complete(api, task_id, "k-42", PLAN_2023).status_code == 200

    changed = {**PLAN_2023, "title": PLAN_2023["title"] + " (sửa)"}
    answer = _complete(api, task_id, "k-42", changed)

    assert answer.status_code == 422
    assert answer.json["error"] == "idempotency_key_reused"
    assert _count(app, Event.task_id == task_id) == 1


def test_a_refused_attempt_keeps_the_key_free(app: Flask, api: ApiClient) -> None:
    api.start_plan(POLICE)
    task_id = api.only_task(POLICE)["id"]
    bad = {**PLAN_2023, "budget_lines": "many"}

    assert _complete(api, task_id, "k-1", bad).status_code == 400
    assert _count(app, table=IdempotencyKey) == 0
    assert _complete(api, task_id, "k-1", PLAN_2023).status_code == 200  # corrected, same key
    assert _complete(api, task_id, "k-1", bad).status_code == 422


def test_a_bad_key_is_bad_input(api: ApiClient) -> None:
    api.start_plan(POLICE)
    task_id = api.only_task(POLICE)["id"]
    for key in ("", "x" * 256, "ngày-1"):
        answer = _complete(api, task_id, key, PLAN_2023)
        assert answer.status_code == 400, key
        assert "Idempotency-Key" in answer.json["errors"]["json"]


def test_a_retried_start_starts_one_process(app: Flask, api: ApiClient) -> None:
    body = {"definition": "plan_chain", "title": PLAN_2023["title"]}
    headers = {"Idempotency-Key": "start-2023"}

    first = api.post("/api/v1/processes", POLICE, json=body, headers=headers)
    again = api.post("/api/v1/processes", POLICE, json=body, headers=headers)
    colleague = "thanhhoa.congan.truongphong"
    other_user = api.post("/api/v1/processes", colleague, json=body, headers=headers)

    assert (first.status_code, again.status_code, other_user.status_code) == (201, 201, 201)
    assert again.json["id"] == first.json["id"] != other_user.json["id"]  # keys are per user
    assert _count(app, table=ProcessInstance) == 2


def test_the_scheduler_forgets_keys_after_a_day(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    api.start_plan(POLICE)
    api.start_plan(POLICE)
    first, second = (task["id"] for task in api.get("/api/v1/tasks", POLICE).json)
    assert _complete(api, first, "old", PLAN_2023).status_code == 200
    clock.advance(hours=23)
    assert _complete(api, second, "new", PLAN_2023).status_code == 200
    clock.advance(hours=2)

    tick(lambda: UnitOfWork(app.extensions["session_factory"], clock=clock))

    with app.extensions["session_factory"]() as session:
        assert session.scalars(select(IdempotencyKey.key)).all() == ["new"]
