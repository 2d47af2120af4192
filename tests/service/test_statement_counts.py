"""Round trips that must not grow with the rows: counted SQL statements, which are
deterministic (speed itself is measured in benchmarks/, never asserted)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from psycopg.pq import TransactionStatus
from sqlalchemy import event, select

from service.db.models import Agency
from service.db.uow import UnitOfWork
from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.service.test_cascade import (
    DISTRICT_CHAIN,
    HEADS,
    PROVINCE_CHAIN,
    at,
    children,
    drive,
    two_units,
    unit_plan,
)
from tests.service.test_documents import CHAIRMAN, to_signature
from tests.service.test_render_jobs import SMALL

POLICE = "thanhhoa.congan"
POLICE_AGENCY = "thanh-hoa-cong-an"


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


def test_an_inbox_search_of_many_words_costs_what_one_word_does(app: Flask, api: ApiClient) -> None:
    api.start_plan(POLICE)
    one = statements_of(app, api, "/api/v1/tasks?q=ngay", POLICE)
    many = "/api/v1/tasks?q=ngay hoi toan dan 2023 thanh hoa"
    assert len(api.get(many, POLICE).json) == 1
    assert statements_of(app, api, many, POLICE) == one


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_reads_of_the_api_open_no_transaction(app: Flask, api: ApiClient) -> None:
    """The API's reads run each statement on its own (no BEGIN, no COMMIT: two round trips
    fewer per read; the caller's check sends none, service.db.notices); so does an ordinary
    completion, whose writes are one statement (service.db.uow)."""
    process = api.start_plan(POLICE)
    task = api.get(f"/api/v1/tasks?process={process}", POLICE).json[0]["id"]
    saved = api.call("PUT", f"/api/v1/tasks/{task}/draft", POLICE, json={"fields": [["x", "1"]]})
    assert saved.status_code == 200, saved.json
    seen: list[tuple[str, TransactionStatus]] = []
    engine = app.extensions["db_engine"]
    with watching(engine, seen):
        for path in (  # the views, a draft and the notifications: none in a transaction
            "/api/v1/tasks",
            f"/api/v1/tasks/{task}",
            f"/api/v1/tasks/{task}/draft",
            f"/api/v1/processes/{process}/documents",
            "/api/v1/notifications",
            "/api/v1/notifications/unread",
            "/api/v1/delegations",
        ):
            assert api.get(path, POLICE).status_code == 200, path
        reads, seen[:] = list(seen), []
        assert api.complete(POLICE, task, "submit", data=PLAN_2023).status_code == 200
    assert len(reads) >= 2 and {state for _, state in reads} == {TransactionStatus.IDLE}
    # its reads, then its writes as one statement (the task, the next one, the process, its
    # event, the draft), each on its own
    assert {state for _, state in seen} == {TransactionStatus.IDLE}
    assert [kind for kind, _ in seen if kind != "read"] == ["batch"]
    assert seen[-1][0] == "batch"


@contextmanager
def watching(engine: Any, seen: list[tuple[str, TransactionStatus]]) -> Iterator[None]:
    """Note each statement's kind (a read, a write, a batch of writes) and the transaction
    state it left its connection in."""

    def status(conn: Any, _cursor: object, statement: str, *_: object) -> None:
        head = " ".join(statement.split()[:2])
        kind = (
            "batch"
            if head.startswith("WITH w0_0")
            else "write"
            if head.split()[0] in ("INSERT", "UPDATE", "DELETE")
            else "read"
        )
        seen.append((kind, conn.connection.dbapi_connection.info.transaction_status))

    event.listen(engine, "after_cursor_execute", status)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", status)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_completion_writing_more_than_its_batch_is_one_transaction(
    app: Flask, api: ApiClient
) -> None:
    """A completion that writes more than its one statement (here the Idempotency-Key's
    stored answer) begins at its first write: every write and the batch after it share one
    transaction, and commit together, the COMMIT sent with the batch."""
    process = api.start_plan(POLICE)
    task = api.get(f"/api/v1/tasks?process={process}", POLICE).json[0]["id"]
    seen: list[tuple[str, TransactionStatus]] = []
    with watching(app.extensions["db_engine"], seen):
        body = {"decision": "submit", "comment": None, "data": PLAN_2023}
        headers = {"Idempotency-Key": "one-transaction"}
        answer = api.post(f"/api/v1/tasks/{task}/complete", POLICE, json=body, headers=headers)
    assert answer.status_code == 200, answer.json
    first = next(i for i, (kind, _) in enumerate(seen) if kind != "read")
    assert [kind for kind, _ in seen[first:]] == ["write", "batch"]  # the key, then the rest
    states = [state for _, state in seen[first:]]
    assert states == [TransactionStatus.INTRANS, TransactionStatus.IDLE]  # begun; committed
    again = api.post(f"/api/v1/tasks/{task}/complete", POLICE, json=body, headers=headers)
    assert again.json == answer.json  # the key was stored with the completion


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_start_reads_outside_its_transaction_and_commits_with_its_batch(
    app: Flask, api: ApiClient
) -> None:
    """A start reads its definition and the bindings without a transaction; the new row
    begins one (BEGIN sent with it), and the batch of its first tasks and event commits it
    (COMMIT sent with it)."""
    api.login(POLICE)  # its own statements are not the start's
    seen: list[tuple[str, TransactionStatus]] = []
    with watching(app.extensions["db_engine"], seen):
        process = api.start_plan(POLICE)
    first = next(i for i, (kind, _) in enumerate(seen) if kind != "read")
    assert seen[first - 1] == ("read", TransactionStatus.IDLE)  # the bindings: no BEGIN yet
    assert seen[first : first + 2] == [
        ("write", TransactionStatus.INTRANS),  # the instance's row: begun
        ("batch", TransactionStatus.IDLE),  # the rest: committed
    ]
    assert api.get(f"/api/v1/processes/{process}", POLICE).json["status"] == "running"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_signing_writes_its_number_then_one_batch(app: Flask, api: ApiClient) -> None:
    """A signing's first write takes the register's number and its document's id together;
    the claim, the document's row and its render job then go in the one batch that commits.
    A signing that claimed first, or inserted its document alone, made two more round trips."""
    task = to_signature(api, SMALL)
    seen: list[tuple[str, TransactionStatus]] = []
    statements: list[str] = []

    def keep(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()))

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", keep)
    try:
        with watching(engine, seen):
            answer = api.complete(CHAIRMAN, task, "approve")
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert answer.status_code == 200, answer.json
    kinds = [kind for kind, _ in seen]
    writes = [pair for pair in zip(kinds, statements, strict=True) if pair[0] != "read"]
    assert [kind for kind, _ in writes] == ["write", "batch"]
    assert writes[0][1].startswith("INSERT INTO register") and "nextval" in writes[0][1]
    assert "INSERT INTO document " in writes[1][1] and "INSERT INTO render_job" in writes[1][1]
    assert "UPDATE task SET state" in writes[1][1]  # the claim
    document = api.get(f"/api/v1/processes/{answer.json['process_id']}/documents", CHAIRMAN)
    assert [d["id"] for d in document.json] == [answer.json["document_id"]]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_keeps_the_statements_of_reads_prepared(app: Flask, api: ApiClient) -> None:
    """A read ends its transaction in COMMIT, not ROLLBACK: psycopg forgets (and deallocates)
    a connection's prepared statements at every ROLLBACK, so with it PostgreSQL would parse and
    plan every statement again. After two views of a process (a read in a transaction, as the
    process page makes it) its statements stay prepared on the connection that served them:
    psycopg prepares a statement at its second run on a connection (PREPARE_AT), not its
    sixth."""
    process = api.start_plan(POLICE)
    for _ in range(2):
        assert api.get(f"/api/v1/processes/{process}", POLICE).status_code == 200
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:  # the pool is LIFO: the one the views used
        prepared = connection.exec_driver_sql(
            "SELECT statement FROM pg_prepared_statements"
        ).scalars()
        assert any("FROM process_instance" in statement for statement in prepared)


@pytest.mark.parametrize("autocommit", [False, True], ids=["transaction", "autocommit"])
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_read_that_changed_what_it_loaded_still_rolls_back(app: Flask, autocommit: bool) -> None:
    """A read ends in COMMIT only when it changed nothing: an object it loaded and changed
    (in memory, say for a view) is not saved, nor by a query after the change (in autocommit
    each statement commits itself: the change must not be flushed before it)."""
    factory = app.extensions["session_factory"]
    with UnitOfWork(factory, write=False, autocommit=autocommit) as uow:
        agency = uow.session.scalars(select(Agency).where(Agency.code == POLICE_AGENCY)).one()
        named = agency.name
        agency.name = "changed by a read"
        uow.session.scalars(select(Agency.id).where(Agency.code == POLICE_AGENCY)).one()
    with factory() as session:
        assert (
            session.scalars(select(Agency.name).where(Agency.code == POLICE_AGENCY)).one() == named
        )


def answer_and_statements(app: Flask, api: ApiClient, path: str, user: str) -> tuple[Any, int]:
    with counting(app) as seen:
        answer = api.get(path, user)
        assert answer.status_code == 200, answer.json
        return answer.json, seen()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_the_units_of_a_plan_are_two_statements(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    """The units a plan was issued to, with their open steps, cost the plan's check and one
    statement for all of them."""
    at(clock, "2023-04-20")
    province = api.start_plan(POLICE)
    plan = unit_plan("Kế hoạch tỉnh", ["thanh-hoa-so-y-te", "thanh-hoa-so-tttt"])
    signers = [POLICE, "thanhhoa.taichinh", "thanhhoa.thiduakhenthuong", "thanhhoa.chutich"]
    assert drive(api, province, signers, plan) is None
    units, statements = answer_and_statements(
        app, api, f"/api/v1/processes/{province}/children", POLICE
    )
    assert statements == 2
    assert len(units) == 2 and all(len(unit["open_steps"]) == 1 for unit in units)
    assert [unit["process_id"] for unit in units] == sorted(u["process_id"] for u in units)


def signing_statements(
    app: Flask, api: ApiClient, user: str, process: int
) -> list[tuple[str, TransactionStatus]]:
    """The statements of `user`'s approval of the process's one open task (a signing), from
    its first write (the register's number) on, each with the transaction state it left."""
    (task,) = api.get(f"/api/v1/tasks?process={process}", user).json
    seen: list[tuple[str, TransactionStatus]] = []

    def keep(conn: Any, _cursor: object, statement: str, *_: object) -> None:
        state = conn.connection.dbapi_connection.info.transaction_status
        seen.append((" ".join(statement.split()), state))

    engine = app.extensions["db_engine"]
    event.listen(engine, "after_cursor_execute", keep)
    try:
        answer = api.complete(user, task["id"], "approve")
    finally:
        event.remove(engine, "after_cursor_execute", keep)
    assert answer.status_code == 200, answer.json
    first = next(i for i, (s, _) in enumerate(seen) if "INSERT INTO register" in s)
    assert not any("process_instance" in s for s, _ in seen[1:first])  # nothing above yet
    return seen[first:]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_a_units_plan_signing_reads_the_process_above_with_its_number(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    """A unit's plan is sent to the standing body above it and cites the plan above: both read
    by the statement that takes its number (which begins the transaction), then its batch.
    Read apart they were two statements more, read together one."""
    at(clock, "2023-04-20")
    province = api.start_plan(POLICE)
    assert drive(api, province, PROVINCE_CHAIN, unit_plan("Tỉnh", ["thuong-xuan"])) is None
    (district,) = [c["process_id"] for c in children(api, province).values()]
    at(clock, "2023-05-05")
    assert drive(api, district, DISTRICT_CHAIN[:-1], unit_plan("Huyện")) is None
    (register, begun), (batch, committed) = signing_statements(
        app, api, DISTRICT_CHAIN[-1], district
    )
    assert register.startswith("WITH taken AS (INSERT INTO register")
    assert "FROM process_instance LEFT OUTER JOIN document" in register  # the plan above
    assert batch.startswith("WITH w0_0")
    assert (begun, committed) == (TransactionStatus.INTRANS, TransactionStatus.IDLE)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_a_units_report_counts_off_its_round_and_wakes_the_plan_in_one_statement(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    """A unit's report reads the names above it with its number, then counts itself off the
    plan's round by one statement, which, for the last report only, also reads the plan it
    wakes. The names, and for the last the plan, read apart were two statements more."""
    province, (health, labour) = two_units(api, clock)
    for head, unit, woken in (
        (HEADS["thanhhoa.soldtbxh"], labour, []),
        (HEADS["thanhhoa.soyte"], health, ["consolidate_report"]),
    ):
        (register, begun), (counted, _), (batch, committed) = signing_statements(
            app, api, head, unit
        )
        assert register.startswith("WITH taken AS (INSERT INTO register")
        assert "FROM process_instance" in register and "JOIN document" not in register
        assert counted.startswith("WITH counted AS (UPDATE report_round")
        assert "LEFT OUTER JOIN process_instance" in counted
        assert batch.startswith("WITH w0_0")
        assert (begun, committed) == (TransactionStatus.INTRANS, TransactionStatus.IDLE)
        steps = [t["step"] for t in api.get(f"/api/v1/tasks?process={province}", POLICE).json]
        assert steps == woken
