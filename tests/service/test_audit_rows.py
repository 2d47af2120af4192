"""Business rows changed by SQL are named by table, row and field; a poisoned event is a break,
never a traceback; a tail cut after the scheduler's checkpoint, heads rewound, is caught."""

# ruff: noqa: E501 (the table of tamperings reads best one per line)
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from service.db.models import Document, Event, Register, Task
from service.db.uow import UnitOfWork
from service.operations.actors import SYSTEM
from service.operations.audit import checkpoint, checkpoint_due, verify_log
from service.operations.signing import verifying_key
from tests.conftest import ApiClient, FakeClock
from tests.service.audit_walk import AUDITOR, WALKED, audited
from tests.service.test_audit_tamper import as_insider, events

# (what is changed, SQL, the table and field verification must name)
ROW_TAMPERINGS = [
    ("pdf hash", "UPDATE document SET pdf_sha256 = :h WHERE id = :doc", "document", "pdf_sha256"),
    ("docx hash", "UPDATE document SET docx_sha256 = :h WHERE id = :doc", "document", "docx_sha256"),
    ("pdf bytes", "UPDATE document SET pdf = :b WHERE id = :doc", "document", "pdf (its bytes' sha256)"),
    ("number", "UPDATE document SET number = 99 WHERE id = :doc", "document", "number"),
    ("subject", "UPDATE document SET subject = 'Khác' WHERE id = :doc", "document", "subject"),
    ("signer", "UPDATE document SET signed_by_id = :user WHERE id = :doc", "document", "signed_by_id"),
    ("decision", "UPDATE task SET decision = 'approve' WHERE id = :returned", "task", "decision"),
    ("comment", "UPDATE task SET comment = 'Đồng ý.' WHERE id = :returned", "task", "comment"),
    ("completer", "UPDATE task SET completed_by_id = :user WHERE id = :returned", "task", "completed_by_id"),
    ("task state", "UPDATE task SET state = 'open' WHERE id = :returned", "task", "state"),
    ("unknown task state", "UPDATE task SET state = 'forged' WHERE id = :returned", "task", "state"),
    ("register", "UPDATE register SET last_number = 7 WHERE agency_id = :agency", "register", "last_number"),
    ("title", "UPDATE process_instance SET title = 'Khác' WHERE id = :province", "process_instance", "title"),
    ("unit title", "UPDATE process_instance SET title = 'Khác' WHERE id = :health", "process_instance", "title"),
    ("state", "UPDATE process_instance SET state = (SELECT state FROM process_instance WHERE id = :health) WHERE id = :silent", "process_instance", "state"),
    ("unknown status", "UPDATE process_instance SET status = 'forged' WHERE id = :province", "process_instance", "status"),
    ("plan", "UPDATE process_instance SET document = '{}' WHERE id = :province", "process_instance", "document"),
]  # fmt: skip

pytestmark = WALKED


@pytest.fixture
def walked(app: Flask, built_state: dict[str, int], tmp_path: Path) -> dict[str, Any]:
    audited(app, tmp_path)
    ids: dict[str, Any] = dict(built_state)
    with app.extensions["session_factory"]() as session:
        doc = session.scalars(select(Document).filter_by(instance_id=ids["province"])).first()
        assert doc is not None
        returned = session.scalar(select(Task.id).filter_by(decision="return"))
        agency = session.scalar(select(Register.agency_id).filter_by(kind="KH"))
        ids |= {"doc": doc.id, "returned": returned, "agency": agency, "user": 1}
    ids |= {"h": "f" * 64, "b": b"%PDF-forged"}
    return ids


def _report(app: Flask, conn: Connection) -> dict[str, Any]:
    key = verifying_key(app.config["AUDIT_KEY_PATH"])
    with Session(bind=conn) as session:
        return verify_log(session, app.config["WITNESS_DIR"], key)


def test_each_business_row_changed_by_sql_is_named(app: Flask, walked: dict[str, Any]) -> None:
    engine = app.extensions["db_engine"]
    with engine.connect() as conn:
        intact = _report(app, conn)
    assert intact["first_broken"] is None and intact["rows_checked"] > 20, intact
    found = {}
    for what, statement, table, field in ROW_TAMPERINGS:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")
            params = {k: v for k, v in walked.items() if f":{k}" in statement}
            conn.execute(text(statement), params)
            report = _report(app, conn)
            conn.rollback()
        named = {(b["table"], b["field"]) for b in report["breaks"]}
        assert (table, field) in named, (what, report["breaks"])
        found[what] = True
    assert len(found) == len(ROW_TAMPERINGS)


POISONS = [
    ("bad JSON", "data = '{not json'", "data", {"postgresql"}),
    ("bad date", "created_at = 'yesterday'", "created_at", {"postgresql"}),
    ("float", "data = '{\"x\": 1.5}'", "data", set()),
    ("text seq", "seq = 'x'", "seq", {"postgresql"}),  # columns are NOT NULL: text in a number
]


@pytest.mark.parametrize(("what", "assignment", "field", "refused_by"), POISONS)
def test_a_poisoned_event_is_a_break_and_the_others_are_still_reported(
    app: Flask,
    api: ApiClient,
    walked: dict[str, Any],
    what: str,
    assignment: str,
    field: str,
    refused_by: set[str],
) -> None:
    if app.extensions["db_engine"].dialect.name in refused_by:
        pytest.skip(f"{what}: the database refuses the value itself")
    target = events(app, walked["province"])[0]  # not the returned task's completion
    as_insider(
        app,
        f"UPDATE event SET {assignment} WHERE id = :id",  # noqa: S608 (constants above)
        "UPDATE task SET comment = 'Đồng ý.' WHERE id = :returned",
        id=target.id,
        returned=walked["returned"],
    )
    answer = api.get("/api/v1/audit/verify", AUDITOR)
    assert answer.status_code == 200, answer.json
    first = answer.json["first_broken"]
    assert (first["reason"], first["table"], first["row_id"], first["field"]) == (
        "poisoned",
        "event",
        target.id,
        field,
    ), first
    assert ("task", walked["returned"], "comment") in {
        (b["table"], b["row_id"], b["field"]) for b in answer.json["breaks"]
    }
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1, result.output  # SystemExit(1), not an exception
    assert '"reason": "poisoned"' in result.output and "Traceback" not in result.output


def test_the_scheduler_signs_after_a_signing_and_a_cut_rewound_tail_is_caught(
    app: Flask, walked: dict[str, Any], clock: FakeClock
) -> None:
    factory = app.extensions["session_factory"]

    def uow(write: bool = True) -> UnitOfWork:
        return UnitOfWork(factory, write=write, clock=clock)

    every = timedelta(minutes=15)
    assert checkpoint_due(uow(False), every)  # nothing signed yet
    checkpoint(uow(), SYSTEM, app.config["AUDIT_KEY_PATH"], app.config["WITNESS_DIR"])
    assert not checkpoint_due(uow(False), every)  # nothing new
    # the province's last events (the report signed and rendered) are cut, its head rewound
    chain = events(app, walked["province"])
    kept = chain[-4]
    as_insider(
        app,
        "DELETE FROM event WHERE instance_id = :p AND seq > :seq",
        "UPDATE process_instance SET last_event_seq = :seq, last_event_hash = :h WHERE id = :p",
        p=walked["province"],
        seq=kept.seq,
        h=kept.hash,
    )
    with app.extensions["db_engine"].connect() as conn:
        report = _report(app, conn)
    assert report["first_broken"] is not None
    reasons = {b["reason"] for b in report["breaks"]}
    assert "truncated" in reasons or "deleted" in reasons, report["breaks"]
    with factory() as session:
        assert (
            session.scalar(select(Event.id).filter_by(instance_id=walked["province"])) is not None
        )
