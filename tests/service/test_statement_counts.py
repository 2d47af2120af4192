"""Round trips that must not grow with the rows: counted SQL statements, which are
deterministic (speed itself is measured in benchmarks/, never asserted)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from tests.conftest import ApiClient

POLICE = "thanhhoa.congan"


@contextmanager
def counting(app: Flask) -> Iterator[Callable[[], int]]:
    """Count the statements sent while the block runs."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield lambda: len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_of(app: Flask, api: ApiClient, path: str, user: str) -> int:
    with counting(app) as seen:
        answer = api.get(path, user)
        assert answer.status_code == 200, answer.json
        return seen()


def test_the_inbox_and_a_task_cost_the_same_with_5_or_50_open_tasks(
    app: Flask, api: ApiClient
) -> None:
    first = api.start_plan(POLICE)
    for _ in range(4):
        api.start_plan(POLICE)
    task = api.get(f"/api/v1/tasks?process={first}", POLICE).json[0]["id"]
    few = statements_of(app, api, "/api/v1/tasks?limit=100", POLICE)
    opened_few = statements_of(app, api, f"/api/v1/tasks/{task}", POLICE)
    for _ in range(45):
        api.start_plan(POLICE)
    assert len(api.get("/api/v1/tasks?limit=100", POLICE).json) >= 50
    assert statements_of(app, api, "/api/v1/tasks?limit=100", POLICE) == few
    assert statements_of(app, api, f"/api/v1/tasks/{task}", POLICE) == opened_few
