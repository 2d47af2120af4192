"""Several schedulers at once never fire the same timer twice."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from service.db.models import Event
from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, province, run_scheduler  # noqa: F401  # fixture

__all__ = ["province"]


def test_concurrent_ticks_fire_a_timer_once(
    app: Flask,
    api: ApiClient,
    clock: FakeClock,
    province: int,  # noqa: F811
) -> None:
    at(clock, "2023-08-21")
    start = threading.Barrier(4)
    reports = []

    def scheduler() -> None:
        start.wait()
        reports.append(run_scheduler(app))

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reports) == 4  # no scheduler failed
    assert sum(r.timers_fired for r in reports) == 1
    assert sum(r.reminders_sent for r in reports) == 20  # 5 silent units × 4 rules, once
    with app.extensions["session_factory"]() as session:
        fired = session.scalar(
            select(func.count()).select_from(Event).where(Event.action == "timer_fired")
        )
    assert fired == 1
    (task,) = api.get(f"/api/v1/tasks?process={province}", "thanhhoa.congan").json
    assert task["step"] == "consolidate_report"
