"""A unit's report counts off its round of the plan above and, the last one, reads the plan in
the same statement (service.operations.cascade.report_to_parent): the counter as locked, the
plan as the statement began. Made deterministic: a transaction of the test holds the round's
counter while the signings wait for it, and what they race with commits meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update

from service.db.models import Document, ProcessInstance, ReportRound, Task
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import (
    POLICE,
    at,
    children,
    drafted,
    drive,
    two_units,
    with_units,
)
from tests.service.test_documents import _sign
from tests.service.test_movement_plan import (
    CHAIN,
    HEADS,
    HEALTH,
    LABOUR,
    issue_movement_plan,
    year_report,
)
from tests.service.test_movement_plan import unit_plan as movement_unit_plan

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@contextmanager
def counter_held(app: Flask, plan: int, round_: str) -> Iterator[Callable[[int], None]]:
    """Hold the plan's counter of `round_` (an uncommitted write of it) for the block; the
    block's function waits until that many statements wait for a lock."""
    with app.extensions["db_engine"].connect() as holder:
        holder.execute(
            update(ReportRound)
            .where(ReportRound.instance_id == plan, ReportRound.round == round_)
            .values(open=ReportRound.open)
        )

        def waiting(count: int) -> None:
            query = text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            for _ in range(1000):
                with app.extensions["db_engine"].connect() as watcher:
                    if watcher.scalar(query) == count:
                        return
                time.sleep(0.01)
            raise AssertionError(f"{count} statements never waited for the counter")

        try:
            yield waiting
        finally:
            holder.rollback()


def signing(base_url: str, api: ApiClient, user: str, process: int) -> Callable[[], Any]:
    """Sign the process's open report in a thread of its own; the function joins it and
    returns the answer, (status, json)."""
    (task,) = api.get(f"/api/v1/tasks?process={process}", user).json
    token, answers = api.login(user), []
    url = f"{base_url}/api/v1/tasks/{task['id']}/complete"
    thread = threading.Thread(target=lambda: answers.append(_sign(url, token)))
    thread.start()

    def answer() -> Any:
        thread.join()
        return answers[0]

    return answer


def open_steps(app: Flask, process: int) -> list[str]:
    with app.extensions["session_factory"]() as session:
        query = select(Task.step).where(Task.instance_id == process, Task.state == "open")
        return list(session.scalars(query))


def test_the_last_two_reports_at_once_wake_the_plan_once(
    app: Flask, api: ApiClient, clock: FakeClock, base_url: str
) -> None:
    """Both wait for the counter: the first counts 1, the other 0 and wakes the plan, which the
    first did not change, so reading it as the statement began was enough."""
    province, processes = two_units(api, clock)
    heads = (HEADS[HEALTH], HEADS[LABOUR])
    with counter_held(app, province, "result") as waiting:
        answers = [signing(base_url, api, h, p) for h, p in zip(heads, processes, strict=True)]
        waiting(2)
    assert [answer()[0] for answer in answers] == [200, 200]
    assert open_steps(app, province) == ["consolidate_report"]
    with app.extensions["session_factory"]() as session:
        assert session.get_one(ReportRound, (province, "result")).open == 0


def test_a_plan_changed_while_its_last_report_waited_makes_it_a_409_that_keeps_nothing(
    app: Flask, api: ApiClient, clock: FakeClock, base_url: str
) -> None:
    """The plan moved on meanwhile (another of its completions, a timer): the report read it as
    it was, and its version-checked write of it finds it changed. Nothing of the signing is
    kept, the count with it, and signed again it wakes the plan."""
    province, (health, labour) = two_units(api, clock)
    assert signing(base_url, api, HEADS[LABOUR], labour)()[0] == 200
    with counter_held(app, province, "result") as waiting:
        answer = signing(base_url, api, HEADS[HEALTH], health)
        waiting(1)
        with app.extensions["session_factory"].begin() as other:
            other.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == province)
                .values(version=ProcessInstance.version + 1)
            )
    status, body = answer()
    assert (status, body["error"]) == (409, "task_not_open")
    assert open_steps(app, province) == []
    with app.extensions["session_factory"]() as session:
        assert session.get_one(ReportRound, (province, "result")).open == 1
        reports = select(func.count()).select_from(Document).where(Document.instance_id == health)
        assert session.scalar(reports) == 1  # its plan's only
    assert signing(base_url, api, HEADS[HEALTH], health)()[0] == 200
    assert open_steps(app, province) == ["consolidate_report"]


def test_a_plan_that_began_to_wait_while_its_last_report_waited_is_woken(
    app: Flask, api: ApiClient, clock: FakeClock, base_url: str
) -> None:
    """The movement plan waits for the annual reports once it has signed its half-year one.
    Its unit's annual report, the last, waits for the counter while the plan signs: as the
    report's statement began, the plan did not wait yet, so the report reads it again, afresh,
    and wakes it (the plan's signing saw the round still open)."""
    at(clock, "2025-03-03")
    province = issue_movement_plan(api, ["thanh-hoa-so-y-te"])
    ((_, unit),) = children(api, province).items()
    health = unit["process_id"]
    at(clock, "2025-03-20")
    plan = movement_unit_plan("Kế hoạch thực hiện")
    assert drive(api, health, [HEALTH, HEADS[HEALTH]], plan) == "report_half_year"
    at(clock, "2025-06-10")
    assert drive(api, health, [HEALTH], figures=year_report(300, 9)) is None
    drafted(api, POLICE, province, with_units(api, POLICE, province, year_report(2000, 8)))
    at(clock, "2025-09-01")
    drafted(api, HEALTH, health, year_report(500, 7))
    assert open_steps(app, province) == ["sign_half_year"]

    with counter_held(app, province, "annual") as waiting:
        answer = signing(base_url, api, HEADS[HEALTH], health)
        waiting(1)
        (half_year,) = api.get(f"/api/v1/tasks?process={province}", CHAIN[-1]).json
        assert api.complete(CHAIN[-1], half_year["id"], "approve").status_code == 200
    assert answer()[0] == 200
    assert open_steps(app, province) == ["report_annual"]
