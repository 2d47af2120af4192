"""How many SQL statements each request of the chain sends: list, open, submit, per step kind.

    .venv/bin/python -m benchmarks.statements [--database-url URL]

Statement counts are deterministic (no timing): they say where round trips go, and they are
what PostgreSQL pays for, one round trip each. In process (Flask's test client, a bearer token
as the API's clients send it), the province plan is addressed to one department, which walks
its own chain (draft, sign, its report, the head's signature); then the province consolidates
and signs its report. Every step kind is listed, opened and submitted once; the inbox is also
listed with 5 and 50 open tasks, which must cost the same.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg.pq import TransactionStatus
from sqlalchemy import event, select

from benchmarks.completion import PLAN, make_service
from service.api.deps import issue_token
from service.db.models import Task, User, UserRole
from service.db.session import PIPELINED
from service.db.uow import UnitOfWork
from service.operations.actors import load_actor

UNIT = "thanh-hoa-so-y-te"  # a department: drafts and signs itself, addresses nobody
WINDOW = {"start": "2030-07-01", "end": "2030-08-19"}
DEADLINES = [
    {"what": "Kế hoạch của đơn vị", "due": "2030-05-08", "kind": "unit_plan"},
    {"what": "Báo cáo kết quả", "due": "2030-08-20", "kind": "unit_report"},
]
REPORT = {
    "festivals_held": 1,
    "festivals": [{"place": "Nhà văn hóa", "start": "2030-08-15", "end": "2030-08-15"}],
    "participants": 100,
    "safety": {
        k: {"total": 0, "meeting": 0}
        for k in ("residential_areas", "communes", "agencies", "enterprises", "schools")
    },
    "movement": {"total": 0, "meeting": 0},
    "awards": [],
    "budget_spent": 0,
    "narrative": "Tổ chức Ngày hội an toàn, đúng kế hoạch.",
}


class Counter:
    """Counts the statements the engine sends (SQLAlchemy's before_cursor_execute) and, on
    PostgreSQL, its round trips: each statement, and each BEGIN, COMMIT and ROLLBACK that
    psycopg or the service sends beside them (a change of the connection's transaction state:
    psycopg sends them only when it changes), unless it went with a statement, in its round
    trip (service.db.session's PIPELINED)."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.trips = 0
        self.statements: list[str] = []
        self._state: dict[int, Any] = {}  # each connection's transaction state, as last seen
        event.listen(engine, "before_cursor_execute", self._seen)
        if engine.dialect.name == "postgresql":
            event.listen(engine, "after_cursor_execute", self._sent)
            for ending in ("commit", "rollback"):
                event.listen(engine, ending, self._ended)
            event.listen(engine, "reset", self._reset)  # the pool's, at check-in

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.count += 1
        self.trips += 1
        self.statements.append(statement)

    def _sent(self, conn: Any, *_args: Any) -> None:
        driver = conn.connection.driver_connection
        now = driver.info.transaction_status
        began, _committed = conn.info.pop(PIPELINED, (False, False))  # went with it
        was = self._state.get(id(driver), TransactionStatus.IDLE)
        if was == TransactionStatus.IDLE != now and not began:
            self.trips += 1  # a BEGIN went before it
        self._state[id(driver)] = now

    def _ended(self, conn: Any) -> None:
        self._reset(conn.connection.driver_connection)

    def _reset(self, driver: Any, *_args: Any) -> None:
        if driver.info.transaction_status != TransactionStatus.IDLE:
            self.trips += 1  # a COMMIT or ROLLBACK
        self._state[id(driver)] = TransactionStatus.IDLE

    @contextmanager
    def measure(
        self, into: list[int], show: str | None = None, trips: list[int] | None = None
    ) -> Iterator[None]:
        before, trips_before = self.count, self.trips
        yield
        into.append(self.count - before)
        if trips is not None:
            trips.append(self.trips - trips_before)
        if show is not None:
            print(f"-- {show}: {self.count - before} statements")
            for statement in self.statements[before:]:
                print("   ", " ".join(statement.split())[:160])


def plan_data(units: list[str]) -> dict[str, Any]:
    plan: dict[str, Any] = copy.deepcopy(PLAN)
    plan.update(year=2030, window=WINDOW, deadlines=DEADLINES, addressed_units=units)
    if not units:  # a department's own plan: it has no units to pilot in
        plan["pilot_sites"] = []
    return plan


def data_for(form: str, document: dict[str, Any], units: list[str]) -> tuple[str, dict[str, Any]]:
    if form == "draft_plan":
        return "submit", plan_data(units)
    if form == "consolidate_report":
        return "submit", REPORT
    if form == "award_review":
        return "approve", {
            "nominations": [{**n, "accepted": True} for n in document.get("nominations", [])]
        }
    return "approve", {}


class Walker:
    def __init__(self, app: Any, counter: Counter, show: list[str]) -> None:
        self.app, self.counter, self.show = app, counter, show
        self.client = app.test_client()
        self.factory = app.extensions["session_factory"]
        self.keys: dict[tuple[int, str], str] = {}
        # step kind, statements of list, open and submit, and the submit's round trips
        self.rows: list[tuple[str, int, int, int, int]] = []

    def token(self, agency_id: int, role: str) -> str:
        """A bearer token of someone holding `role` at `agency_id` (one per pair)."""
        if (agency_id, role) not in self.keys:
            with self.factory() as session:
                user_id = session.scalar(
                    select(User.id)
                    .join(UserRole)
                    .where(User.agency_id == agency_id, UserRole.role == role)
                    .order_by(User.id)
                    .limit(1)
                )
            assert user_id is not None, (agency_id, role)
            with self.app.test_request_context():
                actor = load_actor(UnitOfWork(self.factory, write=False), user_id)
                self.keys[agency_id, role] = issue_token(actor)
        return self.keys[agency_id, role]

    def call(self, method: str, path: str, key: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {key}"}
        answer = self.client.open("/api/v1" + path, method=method, json=body, headers=headers)
        assert answer.status_code < 300, (path, answer.status_code, answer.json)
        return answer.json

    def walk(self, process_id: int, units: list[str]) -> None:
        """List, open and submit this process's open tasks until none is left."""
        while True:
            with self.factory() as session:
                task = session.scalars(
                    select(Task).where(Task.instance_id == process_id, Task.state == "open")
                ).first()
            if task is None:
                return
            key = self.token(task.agency_id, task.role)
            counts: list[int] = []
            trips: list[int] = []
            show = task.form if task.form in self.show else None
            with self.counter.measure(counts, show and f"list before {show}"):
                self.call("GET", f"/tasks?process={process_id}", key)
            with self.counter.measure(counts, show and f"open {show}"):
                document = self.call("GET", f"/tasks/{task.id}", key)["document"]
            decision, data = data_for(task.form, document, units)
            with self.counter.measure(counts, show and f"submit {show}", trips):
                self.call(
                    "POST", f"/tasks/{task.id}/complete", key, {"decision": decision, "data": data}
                )
            self.rows.append((task.form, *counts, *trips))


def inbox_statements(walker: Walker, agency_id: int, sizes: list[int]) -> list[int]:
    """Statements of one inbox page as Công an tỉnh, with each of `sizes` open drafts waiting."""
    key = walker.token(agency_id, "standing_body")
    counts: list[int] = []
    started = 0
    for size in sizes:
        for _ in range(size - started):
            walker.call("POST", "/processes", key, {"definition": "plan_chain", "title": "b"})
        started = size
        with walker.counter.measure(counts):
            walker.call("GET", "/tasks?limit=100", key)
    return counts


def run(
    database_url: str, show: list[str]
) -> tuple[list[tuple[str, int, int, int, int]], list[int]]:
    app, factory, police = make_service(database_url)
    counter = Counter(app.extensions["db_engine"])
    walker = Walker(app, counter, show)
    key = walker.token(police.agency_id, "standing_body")
    province = walker.call("POST", "/processes", key, {"definition": "plan_chain", "title": "b"})
    walker.walk(province["id"], [UNIT])  # to the signature, which issues the plan to the department
    (unit,) = walker.call("GET", f"/processes/{province['id']}/children", key)
    walker.walk(unit["process_id"], [])  # its plan, its report and the head's signature
    walker.walk(province["id"], [])  # the province consolidates and signs its report
    inbox = inbox_statements(walker, police.agency_id, INBOX_SIZES)
    app.extensions["db_engine"].dispose()
    return walker.rows, inbox


INBOX_SIZES = [5, 50]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--show", nargs="*", default=[], help="print these step kinds' SQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        rows, inbox = run(url, args.show)
    postgresql = url.startswith("postgresql")
    print(
        f"database: {url.split(':')[0]}; SQL statements per request (list / open / submit)"
        + ("; a submit's round trips (its statements, BEGIN, COMMIT)" if postgresql else "")
    )
    trips_head = f" {'trips':>6}" if postgresql else ""
    print(f"{'step kind':<22} {'list':>5} {'open':>5} {'submit':>7}{trips_head}")
    for form, listed, opened, submitted, trips in [*rows, ("whole chain", *_totals(rows))]:
        print(
            f"{form:<22} {listed:>5} {opened:>5} {submitted:>7}"
            + (f" {trips:>6}" if postgresql else "")
            + (f"  ({len(rows)} steps)" if form == "whole chain" else "")
        )
    print(
        "inbox page: "
        + ", ".join(
            f"{n} statements with {s} open tasks" for n, s in zip(inbox, INBOX_SIZES, strict=True)
        )
    )


def _totals(rows: list[tuple[str, int, int, int, int]]) -> tuple[int, int, int, int]:
    return (
        sum(row[1] for row in rows),
        sum(row[2] for row in rows),
        sum(row[3] for row in rows),
        sum(row[4] for row in rows),
    )


if __name__ == "__main__":
    main()
