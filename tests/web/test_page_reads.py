"""On PostgreSQL the pages read in autocommit: a page's views of service.queries, the
caller's session and the actor send each statement on its own, with no BEGIN and no COMMIT
(two round trips fewer per read; a page makes up to a dozen)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from psycopg.pq import TransactionStatus
from sqlalchemy import event

from tests.conftest import ApiClient
from tests.web.conftest import Browser

POLICE = "thanhhoa.congan"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_persons_pages_read_with_no_transaction(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    process = api.start_plan(POLICE)
    task = api.only_task(POLICE)["id"]
    browser.login(POLICE)
    pages = [
        "/inbox",
        f"/tasks/{task}",
        f"/processes/{process}",
        "/processes",
        "/notifications",
        "/delegations",
    ]
    for path in pages:  # the session's last use is noted once a minute: noted now
        assert browser.get(path).status_code == 200, path
    seen: list[tuple[str, TransactionStatus]] = []

    def status(conn: Any, _cursor: object, statement: str, *_: object) -> None:
        seen.append((statement, conn.connection.dbapi_connection.info.transaction_status))

    engine = app.extensions["db_engine"]
    event.listen(engine, "after_cursor_execute", status)
    try:
        for path in pages:
            assert browser.get(path).status_code == 200, path
    finally:
        event.remove(engine, "after_cursor_execute", status)
    in_transaction = [s for s, state in seen if state != TransactionStatus.IDLE]
    assert len(seen) >= len(pages) and in_transaction == []
