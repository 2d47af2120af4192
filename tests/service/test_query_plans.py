"""Reads whose rows must not grow with the table on PostgreSQL, whatever plan it keeps.

PostgreSQL keeps a generic plan for a prepared statement, and one made while a table was small
(a fresh database, a server's first minutes) stays in use as the table grows. The rows a read
visits are counted by PostgreSQL itself (`pg_stat_xact_user_tables`, this transaction's), with
the generic plan forced: deterministic, where timing it would not be."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.sql import Select

from service.queries.tasks import _detail
from tests.conftest import PLAN_2023, ApiClient
from tests.service.test_documents import FINANCE, POLICE

OTHER_PLANS = 40


def rows_visited(app: Flask, statement: Select[Any], params: dict[str, Any], table: str) -> int:
    """The rows of `table` that one run of `statement` visits under a generic plan."""
    engine = app.extensions["db_engine"]
    expanded = statement.compile(dialect=engine.dialect).construct_expanded_state(params)
    with engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        with driver.transaction():
            driver.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            visited = (
                "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
                "FROM pg_stat_xact_user_tables WHERE relname = %s"
            )
            before = driver.execute(visited, (table,)).fetchone()[0]
            rows = driver.execute(expanded.statement, expanded.parameters, prepare=True).fetchall()
            assert len(rows) == 1
            return int(driver.execute(visited, (table,)).fetchone()[0]) - int(before)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_a_task_view_reads_only_its_plans_tasks(app: Flask, api: ApiClient) -> None:
    """The task view shows the plan's last completed task. Joined on `id = (the last one's
    id)`, a generic plan hashed every task of every plan for each view."""
    for _ in range(OTHER_PLANS):
        api.start_plan(POLICE)
    process = api.start_plan(POLICE)
    draft = next(t for t in api.get("/api/v1/tasks", POLICE).json if t["process_id"] == process)
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200
    tasks = api.get(f"/api/v1/processes/{process}", POLICE).json["tasks"]
    appraisal = next(t["id"] for t in tasks if t["state"] == "open")
    view = api.get(f"/api/v1/tasks/{appraisal}", FINANCE)
    assert view.status_code == 200 and view.json["previous"]["id"] == draft["id"]

    visited = rows_visited(app, _detail("postgresql"), {"task_id": appraisal}, "task")
    assert visited <= 4, f"{visited} task rows visited; the plan has 2 of {OTHER_PLANS + 2}"
