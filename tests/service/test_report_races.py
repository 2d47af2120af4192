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
        waits = lock_waits(app)
        try:
            yield lambda count: waits(lambda waiting: waiting == count)
        finally:
            holder.rollback()


def lock_waits(app: Flask) -> Callable[[Callable[[int], bool]], None]:
    """A function that waits until `until(the number of statements waiting for a lock)`."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )

    def waits(until: Callable[[int], bool]) -> None:
        for _ in range(1000):
            with app.extensions["db_engine"].connect() as watcher:
                if until(watcher.scalar(query)):
                    return
            time.sleep(0.01)
        raise AssertionError("the statements never waited as expected")

    return waits


class Signing:
    """A signing of the process's open task by `user`, in a thread of its own; called, it
    joins the thread and returns the answer, (status, json)."""

    def __init__(self, base_url: str, api: ApiClient, user: str, process: int) -> None:
        (task,) = api.get(f"/api/v1/tasks?process={process}", user).json
        token = api.login(user)
        self._answers: list[Any] = []
        url = f"{base_url}/api/v1/tasks/{task['id']}/complete"
        self._thread = threading.Thread(target=lambda: self._answers.append(_sign(url, token)))
        self._thread.start()

    def done(self) -> bool:
        return not self._thread.is_alive()

    def __call__(self) -> Any:
        self._thread.join()
        return self._answers[0]


def open_steps(app: Flask, process: int) -> list[str]:
    with app.extensions["session_factory"]() as session:
        query = select(Task.step).where(Task.instance_id == process, Task.state == "open")
        return list(session.scalars(query))


def half_year_to_sign_and_annual_drafted(
    app: Flask, api: ApiClient, clock: FakeClock
) -> tuple[int, int]:
    """The movement plan addressed to one unit: the plan's half-year report waits for its
    signature, the unit's annual report (the last the plan will wait for) for its head's.
    Returns (the plan, the unit)."""
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
    return province, health


def test_the_last_two_reports_at_once_wake_the_plan_once(
    app: Flask, api: ApiClient, clock: FakeClock, base_url: str
) -> None:
    """Both wait for the counter: the first counts 1, the other 0 and wakes the plan, which the
    first did not change, so reading it as the statement began was enough."""
    province, processes = two_units(api, clock)
    heads = (HEADS[HEALTH], HEADS[LABOUR])
    with counter_held(app, province, "result") as waiting:
        answers = [Signing(base_url, api, h, p) for h, p in zip(heads, processes, strict=True)]
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
    assert Signing(base_url, api, HEADS[LABOUR], labour)()[0] == 200
    with counter_held(app, province, "result") as waiting:
        answer = Signing(base_url, api, HEADS[HEALTH], health)
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
    assert Signing(base_url, api, HEADS[HEALTH], health)()[0] == 200
    assert open_steps(app, province) == ["consolidate_report"]


def test_a_plan_that_began_to_wait_while_its_last_report_waited_is_woken(
    app: Flask, api: ApiClient, clock: FakeClock, base_url: str
) -> None:
    """The movement plan waits for the annual reports once it has signed its half-year one.
    Its unit's annual report, the last, and that signing both wait for the round's counter,
    the report first: it counts the last report off and finds the plan not waiting yet; the
    signing then reads none left, and the plan stops waiting at once."""
    province, health = half_year_to_sign_and_annual_drafted(app, api, clock)
    with counter_held(app, province, "annual") as waiting:
        report_signed = Signing(base_url, api, HEADS[HEALTH], health)
        waiting(1)
        plan_signed = Signing(base_url, api, CHAIN[-1], province)
        lock_waits(app)(lambda count: count == 2 or plan_signed.done())
    assert (report_signed()[0], plan_signed()[0]) == (200, 200)
    assert open_steps(app, province) == ["report_annual"]


def test_a_last_report_while_the_plan_begins_to_wait_wakes_it(
    app: Flask, api: ApiClient, clock: FakeClock, base_url: str
) -> None:
    """The plan's signing of its half-year report begins the wait for the annual ones and reads
    the round's counter: one report left. The unit's annual report, the last, comes in before
    that signing commits: it finds the plan not yet waiting and leaves it. The signing's read
    locks the counter, so the report waits for the signing's commit, then finds the plan
    waiting and wakes it; unlocked, the plan would wait for the deadline with nobody left.
    Made deterministic: the test holds the plan's row, which the signing writes last."""
    province, health = half_year_to_sign_and_annual_drafted(app, api, clock)
    with app.extensions["db_engine"].connect() as holder:
        holder.execute(
            select(ProcessInstance.id)
            .where(ProcessInstance.id == province)
            .with_for_update(key_share=True)
        )
        plan_signed = Signing(base_url, api, CHAIN[-1], province)
        waits = lock_waits(app)
        waits(lambda count: count == 1)  # the plan's signing, at its write of the plan
        report_signed = Signing(base_url, api, HEADS[HEALTH], health)
        # the report either waits for the counter (locked) or is through (not)
        waits(lambda count: count == 2 or report_signed.done())
        holder.rollback()
    assert (plan_signed()[0], report_signed()[0]) == (200, 200)
    assert open_steps(app, province) == ["report_annual"]
