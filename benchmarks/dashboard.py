"""The supervisors' dashboard on a large campaign: the time of each view, and how it grows.

    scripts/with-postgres.sh sh -c '.venv/bin/python -m benchmarks.dashboard \
        --units 1000 10000 --database-url "$TEST_POSTGRESQL_URL"'

For each size N, one province campaign with N units below it and 50 task rows per unit (so
50,000 and 500,000 tasks) is written straight into the tables (a realistic mix of steps,
states, returns, late and missing reports); then each dashboard query runs as the province's
supervisor, median of 3 runs: first live (before any refresh), then from the figures the
scheduler keeps (after `refresh_figures`, whose time is printed); last, one unit's task is
completed and the refresh that follows (a recount of that unit) is timed. Without
--database-url, a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text, update

from benchmarks.cascade import add_units
from benchmarks.completion import make_service
from service.db.models import Agency, ProcessInstance, Task, User
from service.db.uow import UnitOfWork
from service.operations.actors import load_actor
from service.operations.dashboard_figures import refresh_figures
from service.operations.processes import start_process
from service.queries import dashboard

TASKS_PER_UNIT = 50
STEPS = [
    ("draft_plan", "Xây dựng kế hoạch", "standing_body"),
    ("finance_appraisal", "Thẩm định kinh phí", "finance"),
    ("award_review", "Thẩm định khen thưởng", "home_affairs"),
    ("chairman_sign", "Ký ban hành kế hoạch", "chairman"),
]
NOW = datetime(2023, 9, 1, 2, tzinfo=UTC)
START = datetime(2023, 4, 3, 2, tzinfo=UTC)


def populate(factory: Any, root: int, n: int) -> None:
    """N unit instances under `root`, each with TASKS_PER_UNIT task rows."""
    rng = random.Random(n)
    codes = add_units(factory, n)
    with factory() as session:
        definition = session.scalar(select(ProcessInstance.definition_id).limit(1))
        starter = session.scalar(select(User.id).limit(1))
        agencies = dict(
            session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes))).all()
        )
        session.execute(
            insert(ProcessInstance),
            [
                {
                    "definition_id": definition,
                    "jurisdiction_id": agencies[code],
                    "parent_id": root,
                    "title": f"Kế hoạch {code}",
                    "bindings": {},
                    "document": {},
                    "state": "",
                    "deadlines": {"plan": "2023-05-10", "result": "2023-08-20"},
                    "reports": {"result": {"participants": 100}} if rng.random() < 0.8 else {},
                    "issued_at": START + timedelta(days=30) if rng.random() < 0.9 else None,
                    "started_by_id": starter,
                    "started_at": START,
                }
                for code in codes
            ],
        )
        units = session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.parent_id == root)
        ).all()
        rows: list[dict[str, Any]] = []
        for unit, code in zip(units, codes, strict=True):
            for _ in range(TASKS_PER_UNIT):
                step, name, role = rng.choice(STEPS)
                created = START + timedelta(days=rng.uniform(0, 140))
                done = created + timedelta(days=rng.expovariate(1 / 4))
                is_open = done > NOW or rng.random() < 0.02
                due = created + timedelta(days=7)
                late = (NOW if is_open else done) > due
                rows.append(
                    {
                        "instance_id": unit,
                        "engine_task_id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "step": step,
                        "name": name,
                        "form": step,
                        "role": role,
                        "agency_id": agencies[code],
                        "state": "open" if is_open else "completed",
                        "created_at": created,
                        "completed_at": None if is_open else done,
                        "decision": None if is_open else rng.choice(["approve"] * 9 + ["return"]),
                        "due_at": due,
                        "deadline_state": ("overdue" if late else "on_time")
                        if is_open
                        else ("done_late" if late else "done"),
                    }
                )
            if len(rows) >= 20_000:
                session.execute(insert(Task), rows)
                rows.clear()
        if rows:
            session.execute(insert(Task), rows)
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()


def change_one_unit(factory: Any, root: int) -> None:
    """One unit's step done since the refresh (returned, as a completion records it): a task
    row moved and the instance saved (a new version)."""
    with factory() as session:
        unit = session.scalar(
            select(ProcessInstance.id)
            .where(ProcessInstance.parent_id == root)
            .order_by(ProcessInstance.id)
            .limit(1)
        )
        task = session.scalar(
            select(Task.id).where(Task.instance_id == unit).order_by(Task.id).limit(1)
        )
        session.execute(
            update(Task)
            .where(Task.id == task)
            .values(state="completed", completed_at=NOW, decision="return")
        )
        session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == unit)
            .values(version=ProcessInstance.version + 1)
        )
        session.commit()


def run(n: int, database_url: str) -> tuple[dict[str, float], float, dict[str, float], float]:
    app, factory, police = make_service(database_url)
    root = start_process(UnitOfWork(factory, clock=lambda: START), police, "plan_chain", "bench")
    began = time.perf_counter()
    populate(factory, root, n)
    print(f"N={n}: {n * TASKS_PER_UNIT:,} task rows written in {time.perf_counter() - began:.0f} s")
    with factory() as session:
        supervisor_id = session.scalar(
            select(User.id).where(User.username == "thanhhoa.congan.truongphong")
        )
    supervisor = load_actor(UnitOfWork(factory, write=False), supervisor_id)

    def read() -> UnitOfWork:
        return UnitOfWork(factory, write=False, clock=lambda: NOW)

    views: dict[str, Callable[[], Any]] = {
        "steps": lambda: dashboard.steps(read(), supervisor, root),
        "agencies": lambda: dashboard.agencies(read(), supervisor, root),
        "units": lambda: dashboard.units(read(), supervisor, root),
        "units late": lambda: dashboard.units(read(), supervisor, root, "late"),
        "units, first 100": lambda: dashboard.units(read(), supervisor, root, limit=100),
        "agencies, first 100": lambda: dashboard.agencies(read(), supervisor, root, limit=100),
        "units, page 2": lambda: dashboard.units(read(), supervisor, root, limit=100, offset=100),
        "agencies, page 2": lambda: dashboard.agencies(
            read(), supervisor, root, limit=100, offset=100
        ),
        "trend": lambda: dashboard.trend(read(), supervisor, root),
        "compare": lambda: dashboard.compare(read(), supervisor, root),
    }
    live = _time(views)
    began = time.perf_counter()
    refresh_figures(lambda: UnitOfWork(factory, clock=lambda: NOW), dashboard.compute_figures)
    refreshed = time.perf_counter() - began
    kept = _time(views)
    change_one_unit(factory, root)
    began = time.perf_counter()
    refresh_figures(lambda: UnitOfWork(factory, clock=lambda: NOW), dashboard.compute_figures)
    recounted = time.perf_counter() - began
    app.extensions["db_engine"].dispose()
    return live, refreshed, kept, recounted


def _time(views: dict[str, Callable[[], Any]]) -> dict[str, float]:
    timings = {}
    for name, view in views.items():
        samples = []
        for _ in range(3):
            began = time.perf_counter()
            view()
            samples.append(time.perf_counter() - began)
        timings[name] = statistics.median(samples) * 1000
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    for n in args.units:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            if args.database_url:  # each size on an empty schema
                engine = create_engine(url)
                with engine.begin() as conn:
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                engine.dispose()
            live, refreshed, kept, recounted = run(n, url)
        for what, timings in (("live", live), ("kept", kept)):
            figures = ", ".join(f"{name} {ms:,.0f} ms" for name, ms in timings.items())
            print(f"N={n:>6} units, {n * TASKS_PER_UNIT:>7,} tasks, {what}: {figures}")
        print(f"N={n:>6} units: refresh (off the request path) {refreshed:.1f} s")
        print(f"N={n:>6} units: refresh after one unit's change {recounted * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
