"""Faults under load, through gunicorn on loopback: a SIGKILLed web server, a restarted
PostgreSQL, answers lost after the commit. Clients retry with their Idempotency-Key until
answered; afterwards every task is completed exactly once and the audit log verifies. Each
test runs ~200 completions and gives up after 30 s per request (long runs: benchmarks/)."""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from service.db.models import Event, Task
from service.db.uow import UnitOfWork
from service.operations.actors import SYSTEM
from service.operations.audit import verify
from tests.conftest import PLAN_2023, ApiClient
from tests.gunicorn_server import Gunicorn
from tests.service.postgres_restart import restart_postgresql

pytestmark = pytest.mark.fault

POLICE = "thanhhoa.congan"
PLANS = 200  # one draft completion each
FAULT_AFTER = 60  # completions answered before the fault
CLIENTS = 4
GIVE_UP = 30.0  # seconds a single completion may take, retries included


class Load:
    """Complete each plan's draft over HTTP from a thread pool, retrying until answered."""

    def __init__(self, port: int, token: str, landed: Callable[[int], bool] | None = None) -> None:
        """With `landed`, each first attempt hangs up without reading its answer, and the
        client retries once `landed(task_id)` says the completion has committed."""
        self.port, self.token, self.landed = port, token, landed
        self.answered = 0
        self.statuses: Counter[int] = Counter()  # every answer, retries included
        self.broken_connections = 0
        self.reached = threading.Event()
        self.lock = threading.Lock()

    def complete(self, task_id: int) -> int:
        body = json.dumps({"decision": "submit", "data": PLAN_2023}).encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": f"draft-{task_id}",
        }
        deadline = time.monotonic() + GIVE_UP
        if self.landed is not None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=GIVE_UP)
            connection.request("POST", f"/api/v1/tasks/{task_id}/complete", body, headers)
            connection.close()  # the answer is lost; the server goes on and commits
            while not self.landed(task_id) and time.monotonic() < deadline:
                time.sleep(0.05)
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=GIVE_UP)
            try:
                connection.request("POST", f"/api/v1/tasks/{task_id}/complete", body, headers)
                status = connection.getresponse().status
            except (OSError, http.client.HTTPException):  # killed, restarting, refused
                with self.lock:
                    self.broken_connections += 1
                time.sleep(0.05)  # a client's pause before retrying, nothing is timed
                continue
            finally:
                connection.close()
            with self.lock:
                self.statuses[status] += 1
            if status != 503:  # the database was away: retry
                with self.lock:
                    self.answered += 1
                    if self.answered >= FAULT_AFTER:
                        self.reached.set()
                return status
            time.sleep(0.05)
        raise TimeoutError(f"task {task_id} got no answer within {GIVE_UP} s")

    def run(self, tasks: list[int], fault: Callable[[], None] | None = None) -> list[int]:
        """Every task's final status; `fault` runs once FAULT_AFTER completions are answered."""
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = pool.map(self.complete, tasks)
            if fault is not None:
                assert self.reached.wait(GIVE_UP), "the load never got going"
                fault()
            return list(results)


@pytest.fixture
def server(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Gunicorn]:
    app.extensions["db_engine"].dispose()
    server = Gunicorn(database_url, app.config["SECRET_KEY"], tmp_path / "instance", workers=2)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def drafts(api: ApiClient) -> list[int]:
    for _ in range(PLANS):
        api.start_plan(POLICE)
    answer = api.get(f"/api/v1/tasks?limit={PLANS}", POLICE)
    assert answer.status_code == 200
    return [task["id"] for task in answer.json]


def _check_exactly_once(app: Flask, tasks: list[int], statuses: list[int], tmp: Path) -> None:
    assert statuses == [200] * len(tasks)  # a retry after the fault replays, never 409
    with app.extensions["session_factory"]() as session:
        completions = Counter(
            session.scalars(select(Event.task_id).where(Event.action == "task_completed")).all()
        )
        states = Counter(session.scalars(select(Task.state).where(Task.id.in_(tasks))).all())
        appraisals = session.scalar(
            select(func.count(func.distinct(Task.instance_id))).where(
                Task.step == "finance_appraisal"
            )
        )
        appraisal_rows = session.scalar(
            select(func.count()).select_from(Task).where(Task.step == "finance_appraisal")
        )
        directory = session.scalar(
            select(func.count()).select_from(Event).where(Event.instance_id.is_(None))
        )
    assert completions == Counter(tasks)  # none lost, none doubled
    assert states == {"completed": len(tasks)}
    assert appraisals == appraisal_rows == len(tasks)
    report = verify(UnitOfWork(app.extensions["session_factory"], write=False), SYSTEM, tmp, None)
    assert report["first_broken"] is None
    # started + completed, per plan; and the set-up's deploys, in the directory's chain
    assert report["events_checked"] == 2 * len(tasks) + directory


def test_sigkill_of_the_web_server_mid_load(
    app: Flask, api: ApiClient, server: Gunicorn, drafts: list[int], tmp_path: Path
) -> None:
    load = Load(server.port, api.login(POLICE))
    killed_at: list[int] = []

    def kill_and_restart() -> None:
        killed_at.append(load.answered)
        server.kill()
        server.start()

    statuses = load.run(drafts, kill_and_restart)

    assert FAULT_AFTER <= killed_at[0] < PLANS  # the kill came mid-run
    assert load.broken_connections > 0  # and clients felt it
    _check_exactly_once(app, drafts, statuses, tmp_path)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_restart_mid_load(
    app: Flask, api: ApiClient, server: Gunicorn, drafts: list[int], tmp_path: Path
) -> None:
    if not os.environ.get("PG_CTL_DATA"):
        pytest.skip("PG_CTL_DATA not set (run under scripts/with-postgres.sh)")
    load = Load(server.port, api.login(POLICE))
    restarted_at: list[int] = []

    def started() -> object:
        with app.extensions["session_factory"]() as session:
            return session.scalar(text("SELECT pg_postmaster_start_time()"))

    def restart() -> None:
        restarted_at.append(load.answered)
        restart_postgresql(GIVE_UP)

    before = started()
    statuses = load.run(drafts, restart)

    assert started() != before  # the server did restart
    assert FAULT_AFTER <= restarted_at[0] < PLANS  # mid-run
    assert 500 not in load.statuses  # 503 while it was away, never an error
    _check_exactly_once(app, drafts, statuses, tmp_path)


def test_answers_lost_after_the_commit(
    app: Flask, api: ApiClient, server: Gunicorn, drafts: list[int], tmp_path: Path
) -> None:
    def landed(task_id: int) -> bool:
        with app.extensions["session_factory"]() as session:
            return session.get(Task, task_id).state == "completed"  # type: ignore[union-attr]

    load = Load(server.port, api.login(POLICE), landed)
    statuses = load.run(drafts)

    _check_exactly_once(app, drafts, statuses, tmp_path)
