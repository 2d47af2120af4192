"""Simultaneous completions over real HTTP: exactly one wins, the rest get 409, nothing doubles."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter

from flask import Flask
from sqlalchemy import func, select

from service.db.models import Event, Task
from tests.conftest import PLAN_2023, ApiClient

POLICE = "thanhhoa.congan"
RACERS = 8


def _post(
    url: str, token: str, body: dict[str, object], headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return int(answer.status), answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_same_task_completed_at_once(app: Flask, api: ApiClient, base_url: str) -> None:
    api.start_plan(POLICE)
    task_id = api.only_task(POLICE)["id"]
    token = api.login(POLICE)
    start = threading.Barrier(RACERS)
    statuses: list[int] = []

    def race() -> None:
        start.wait()
        statuses.append(
            _post(
                f"{base_url}/api/v1/tasks/{task_id}/complete",
                token,
                {"decision": "submit", "data": PLAN_2023},
            )[0]
        )

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(statuses) == {200: 1, 409: RACERS - 1}
    with app.extensions["session_factory"]() as session:
        completions = session.scalar(
            select(func.count()).select_from(Event).where(Event.task_id == task_id)
        )
        finance_tasks = session.scalar(
            select(func.count()).select_from(Task).where(Task.step == "finance_appraisal")
        )
    assert completions == 1
    assert finance_tasks == 1


def test_one_key_sent_at_once_completes_once(app: Flask, api: ApiClient, base_url: str) -> None:
    """Retries racing each other with the same Idempotency-Key: one effect, the same answer."""
    api.start_plan(POLICE)
    task_id = api.only_task(POLICE)["id"]
    token = api.login(POLICE)
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, bytes]] = []

    def retry() -> None:
        start.wait()
        answers.append(
            _post(
                f"{base_url}/api/v1/tasks/{task_id}/complete",
                token,
                {"decision": "submit", "data": PLAN_2023},
                {"Idempotency-Key": f"draft-{task_id}"},
            )
        )

    threads = [threading.Thread(target=retry) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _ in answers] == [200] * RACERS
    assert len({body for _, body in answers}) == 1
    with app.extensions["session_factory"]() as session:
        completions = session.scalar(
            select(func.count()).select_from(Event).where(Event.task_id == task_id)
        )
    assert completions == 1
