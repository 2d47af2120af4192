"""An insider tampers with the database directly; verification names what changed, and where.

Each test drops the append-only triggers first, as someone with DDL rights would. That the
application itself cannot change events is tested apart (the trigger on both databases, and a
non-owner role without UPDATE/DELETE grants on PostgreSQL).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Executable, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from service.db.audit_log import event_record
from service.db.models import Checkpoint, Event, ProcessInstance
from service.db.session import make_engine, make_session_factory
from service.db.uow import UnitOfWork
from service.operations.actors import SYSTEM
from service.operations.audit import CHAIN_COLUMNS, checkpoint, verify
from service.operations.signing import signing_key, verifying_key
from tests.conftest import ApiClient
from tests.service.audit_walk import WALKED, audited, event_count
from workflows.audit import checkpoint_note, event_hash, event_leaf, merkle_root, parse_note

TABLES = ("event", "checkpoint")
TRIGGERS = {
    "postgresql": [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in TABLES],
    "sqlite": [f"DROP TRIGGER IF EXISTS {t}_no_{a}" for t in TABLES for a in ("update", "delete")],
}

pytestmark = WALKED


@pytest.fixture
def log(app: Flask, built_state: dict[str, int], tmp_path: Path) -> dict[str, int]:
    """The walked history, under one signed checkpoint with its witness copy."""
    audited(app, tmp_path)
    ids = built_state
    checkpoint(_uow(app), SYSTEM, app.config["AUDIT_KEY_PATH"], app.config["WITNESS_DIR"])
    return ids


def _uow(app: Flask, *, write: bool = True) -> UnitOfWork:
    return UnitOfWork(app.extensions["session_factory"], write=write, clock=app.extensions["clock"])


def report(app: Flask) -> dict[str, Any]:
    key = verifying_key(app.config["AUDIT_KEY_PATH"])
    return verify(_uow(app, write=False), SYSTEM, app.config["WITNESS_DIR"], key)


def as_insider(app: Flask, *statements: str | Executable, **params: Any) -> None:
    """Run SQL with the triggers dropped, committed."""
    with app.extensions["db_engine"].begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # pysqlite would run the DDL outside the transaction
        for statement in TRIGGERS[conn.dialect.name]:
            conn.exec_driver_sql(statement)
        for statement in statements:
            conn.execute(text(statement) if isinstance(statement, str) else statement, params)


def events(app: Flask, process_id: int) -> list[Any]:
    query = select(*CHAIN_COLUMNS).filter_by(instance_id=process_id).order_by(Event.seq)
    with app.extensions["session_factory"]() as session:
        return list(session.execute(query))


def broken(app: Flask) -> tuple[Any, ...]:
    found = report(app)["first_broken"]
    assert found is not None
    return found["reason"], found["event_id"], found["instance_id"], found["seq"]


def test_the_walked_log_is_intact(app: Flask, log: dict[str, int]) -> None:
    result = report(app)
    assert result["rows_checked"] > 0
    assert {k: v for k, v in result.items() if k != "rows_checked"} == {
        "events_checked": event_count(app),
        "checkpoints_checked": 1,
        "witness_copies": 1,
        "unanchored": 0,
        "first_broken": None,
        "breaks": [],
        "breaks_found": 0,
    }


def test_the_application_cannot_update_or_delete_events(app: Flask, log: dict[str, int]) -> None:
    """The migration's triggers refuse it on both databases (whoever owns the table)."""
    engine = app.extensions["db_engine"]
    for statement in (
        "UPDATE event SET role = 'auditor'",
        "DELETE FROM event",
        "UPDATE checkpoint SET tree_size = 1",
        "DELETE FROM checkpoint",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert report(app)["first_broken"] is None


def test_a_changed_field_names_its_event(app: Flask, log: dict[str, int]) -> None:
    target = events(app, log["province"])[4]
    as_insider(app, "UPDATE event SET role = 'auditor' WHERE id = :id", id=target.id)
    assert broken(app) == ("modified", target.id, log["province"], target.seq)


def test_a_changed_and_rehashed_event_is_named_by_the_next_link(
    app: Flask, log: dict[str, int]
) -> None:
    target = events(app, log["province"])[3]
    forged = {**event_record(target), "role": "auditor"}
    new_hash = event_hash(forged, target.prev_hash)
    as_insider(
        app, "UPDATE event SET role = 'auditor', hash = :h WHERE id = :id", h=new_hash, id=target.id
    )
    assert broken(app) == ("modified", target.id, log["province"], target.seq)


def test_a_deleted_event_is_named_by_its_seq(app: Flask, log: dict[str, int]) -> None:
    target = events(app, log["province"])[2]
    as_insider(app, "DELETE FROM event WHERE id = :id", id=target.id)
    assert broken(app) == ("deleted", None, log["province"], target.seq)


def test_a_forged_event_is_named(app: Flask, log: dict[str, int]) -> None:
    """A properly linked and hashed forgery after the silent unit's head."""
    (start,) = events(app, log["silent"])
    forged = {**event_record(start), "seq": 2, "action": "task_completed", "data": {"x": 1}}
    forged |= {"task_id": None, "actor_id": None, "agency_id": None, "role": None}
    row = forged | {"prev_hash": start.hash, "hash": event_hash(forged, start.hash)}
    as_insider(app, insert(Event).values(**row))
    new_id = events(app, log["silent"])[1].id
    assert broken(app) == ("inserted", new_id, log["silent"], 2)


def test_two_swapped_events_are_found(app: Flask, log: dict[str, int]) -> None:
    rows = events(app, log["province"])
    a, b = rows[1], rows[4]
    as_insider(
        app,
        "UPDATE event SET seq = -1 WHERE id = :a",
        "UPDATE event SET seq = :sa WHERE id = :b",
        "UPDATE event SET seq = :sb WHERE id = :a",
        a=a.id,
        b=b.id,
        sa=a.seq,
        sb=b.seq,
    )
    reason, event_id, instance_id, _ = broken(app)
    assert (reason, instance_id) == ("reordered", log["province"]) and event_id in {a.id, b.id}


def test_a_truncated_tail_is_found(app: Flask, log: dict[str, int]) -> None:
    rows = events(app, log["province"])
    as_insider(app, "DELETE FROM event WHERE id >= :id", id=rows[-2].id)
    assert broken(app) == ("truncated", None, log["province"], rows[-2].seq)


def rewrite_consistently(app: Flask, process_id: int, position: int) -> Any:
    """Change one event and recompute its hash, every later one, and the instance's head."""
    rows = events(app, process_id)
    prev, statements = rows[position].prev_hash, []
    for n, row in enumerate(rows[position:]):
        record = event_record(row) | ({"role": "auditor"} if n == 0 else {})
        digest = event_hash(record, prev)
        statements.append(
            update(Event)
            .where(Event.id == row.id)
            .values(role=record["role"], prev_hash=prev, hash=digest)
        )
        prev = digest
    statements.append(
        update(ProcessInstance).where(ProcessInstance.id == process_id).values(last_event_hash=prev)
    )
    as_insider(app, *statements)
    return rows[position]


def test_a_consistent_rewrite_is_named_by_the_witness_copies(
    app: Flask, log: dict[str, int]
) -> None:
    target = rewrite_consistently(app, log["province"], 3)
    assert broken(app) == ("modified", target.id, log["province"], target.seq)


def test_without_witness_copies_the_signed_root_still_catches_a_rewrite(
    app: Flask, log: dict[str, int]
) -> None:
    rewrite_consistently(app, log["province"], 3)
    shutil.rmtree(app.config["WITNESS_DIR"])
    found = report(app)["first_broken"]
    assert (found["reason"], found["checkpoint_id"]) == ("rewritten", 1)


def test_a_rewrite_resigned_with_the_stolen_key_is_caught_only_by_the_witness(
    app: Flask, log: dict[str, int]
) -> None:
    target = rewrite_consistently(app, log["province"], 3)
    with app.extensions["session_factory"]() as session:
        hashes = session.scalars(select(Event.hash).order_by(Event.id)).all()
        (row,) = session.scalars(select(Checkpoint)).all()
    root = merkle_root([event_leaf(h) for h in hashes]).hex()
    origin, size, _, _ = parse_note(row.note)
    note = checkpoint_note(origin, size, root, row.created_at)
    signature = signing_key(app.config["AUDIT_KEY_PATH"]).sign(note.encode()).hex()
    as_insider(
        app,
        "UPDATE checkpoint SET root_hash = :r, note = :n, signature = :s",
        r=root,
        n=note,
        s=signature,
    )
    assert broken(app) == ("modified", target.id, log["province"], target.seq)
    shutil.rmtree(app.config["WITNESS_DIR"])  # what RELIABILITY.md §1.3 warns about
    # the chains and checkpoints pass now; only the replay sees the step done by another lane
    found = report(app)["first_broken"]
    assert (found["table"], found["row_id"], found["field"]) == (
        "process_instance",
        log["province"],
        "state",
    ), found


@pytest.mark.parametrize("number", [1, 2])  # a gap in the numbers; the last, seen by its copy
def test_a_deleted_checkpoint_is_found(
    app: Flask, api: ApiClient, log: dict[str, int], number: int
) -> None:
    api.start_plan()
    checkpoint(_uow(app), SYSTEM, app.config["AUDIT_KEY_PATH"], app.config["WITNESS_DIR"])
    as_insider(app, "DELETE FROM checkpoint WHERE id = :n", n=number)
    found = report(app)["first_broken"]
    assert (found["reason"], found["checkpoint_id"]) == ("deleted", number)


# README, "Audit": migrations run as the owner, the service as a role that cannot change events
APP_ROLE = [
    "CREATE ROLE antq_app LOGIN",
    "GRANT USAGE ON SCHEMA public TO antq_app",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO antq_app",
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO antq_app",
    "REVOKE UPDATE, DELETE, TRUNCATE ON event, checkpoint FROM antq_app",
]


def test_on_postgresql_the_service_role_cannot_change_events_even_without_triggers(
    app: Flask, api: ApiClient, log: dict[str, int]
) -> None:
    engine = app.extensions["db_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no roles; there the triggers are the defence")
    with engine.begin() as conn:
        for statement in APP_ROLE:
            conn.exec_driver_sql(statement)
    as_app = make_engine(engine.url.set(username="antq_app").render_as_string(False))
    try:
        api.start_plan()  # something new to sign, as the service's role
        signed = checkpoint(
            UnitOfWork(make_session_factory(as_app)),
            SYSTEM,
            app.config["AUDIT_KEY_PATH"],
            app.config["WITNESS_DIR"],
        )
        assert signed["id"] == 2
        for statement, drop_first in (
            ("UPDATE event SET role = 'auditor'", TRIGGERS["postgresql"]),
            ("DELETE FROM event", TRIGGERS["postgresql"]),
            ("TRUNCATE event CASCADE", TRIGGERS["postgresql"]),
            ("DELETE FROM checkpoint", TRIGGERS["postgresql"]),
            ("DROP TRIGGER event_append_only ON event", []),
        ):
            with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                with engine.begin() as conn:
                    for drop in drop_first:  # as the owner, rolled back with the rest
                        conn.exec_driver_sql(drop)
                    conn.exec_driver_sql("SET LOCAL ROLE antq_app")
                    conn.exec_driver_sql(statement)
    finally:
        as_app.dispose()
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP OWNED BY antq_app")
            conn.exec_driver_sql("DROP ROLE antq_app")
    assert report(app)["first_broken"] is None
