"""A thousand random single tamperings per database, each found and located; none left behind.

Every tampering runs in a transaction that is rolled back after verifying inside it, so one
walked history serves them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, insert, update
from sqlalchemy.orm import Session

from service.db.audit_log import event_record
from service.db.models import Event
from service.operations.actors import SYSTEM
from service.operations.audit import checkpoint, verify_log
from service.operations.signing import verifying_key
from tests.conftest import PLAN_2023, ApiClient
from tests.service.audit_walk import WALKED, audited
from tests.service.test_audit_tamper import TRIGGERS, _uow, events
from workflows.audit import GENESIS, event_hash

KINDS = ("modify", "modify_and_rehash", "delete", "insert", "swap", "truncate")
FIELDS = {"role": "auditor", "action": "task_forged", "data": {"forged": True}}


def _tamper(conn: Connection, kind: str, rows: list[Any], data: st.DataObject) -> tuple[Any, ...]:
    """Tamper as `kind` says; return what verification must report: (reason, ids, seq)."""
    n = len(rows)
    if kind.startswith("modify"):
        row = rows[data.draw(st.integers(0, n - 1))]
        field = data.draw(st.sampled_from(sorted(FIELDS)))
        values: dict[str, Any] = {field: FIELDS[field]}
        if kind == "modify_and_rehash":
            values["hash"] = event_hash(event_record(row) | values, row.prev_hash)
        conn.execute(update(Event).where(Event.id == row.id).values(**values))
        return "modified", {row.id}, row.seq
    if kind == "delete":
        i = data.draw(st.integers(0, n - 1))
        conn.execute(delete(Event).where(Event.id == rows[i].id))
        return ("truncated" if i == n - 1 else "deleted"), {None}, rows[i].seq
    if kind == "truncate":
        keep = data.draw(st.integers(0, n - 1))
        conn.execute(delete(Event).where(Event.id.in_([r.id for r in rows[keep:]])))
        return "truncated", {None}, rows[keep].seq
    if kind == "swap":
        i, j = sorted(
            data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
        )
        for row, seq in ((rows[i], -1), (rows[j], rows[i].seq), (rows[i], rows[j].seq)):
            conn.execute(update(Event).where(Event.id == row.id).values(seq=seq))
        return "reordered", {rows[i].id, rows[j].id}, None
    k = data.draw(st.integers(1, n + 1))  # insert a forged event at seq k, moving the rest up
    for moved in (lambda s: -s, lambda s: s + 1):  # via negatives: seq stays unique row by row
        for row in rows[k - 1 :]:
            conn.execute(update(Event).where(Event.id == row.id).values(seq=moved(row.seq)))
    prev = rows[k - 2].hash if k > 1 else GENESIS
    forged = event_record(rows[0]) | {"seq": k, "action": "task_forged", "data": {"k": k}}
    forged_id = conn.execute(
        insert(Event)
        .values(**forged, prev_hash=prev, hash=event_hash(forged, prev))
        .returning(Event.id)
    ).scalar_one()
    return "inserted", {forged_id}, k


@WALKED
def test_random_single_tamperings_are_all_found_and_located(
    app: Flask, api: ApiClient, built_state: dict[str, int], tmp_path: Path
) -> None:
    audited(app, tmp_path)
    ids = built_state  # the walked history
    for _ in range(2):  # two more plans, drafted and returned ten times: longer chains
        ids[f"plan {len(ids)}"] = plan = api.start_plan()
        for _ in range(10):
            draft = api.get(f"/api/v1/tasks?process={plan}", "thanhhoa.congan").json[0]["id"]
            assert (
                api.complete("thanhhoa.congan", draft, "submit", data=PLAN_2023).status_code == 200
            )
            review = api.get(f"/api/v1/tasks?process={plan}", "thanhhoa.taichinh").json[0]["id"]
            assert (
                api.complete("thanhhoa.taichinh", review, "return", comment="Sửa.").status_code
                == 200
            )
    checkpoint(_uow(app), SYSTEM, app.config["AUDIT_KEY_PATH"], app.config["WITNESS_DIR"])
    chains = {process_id: events(app, process_id) for process_id in ids.values()}
    engine = app.extensions["db_engine"]
    key = verifying_key(app.config["AUDIT_KEY_PATH"])
    witness = app.config["WITNESS_DIR"]

    def first_broken(conn: Connection) -> dict[str, Any] | None:
        with Session(bind=conn) as session:
            found: dict[str, Any] | None = verify_log(session, witness, key, replay=False)[
                "first_broken"
            ]
        return found

    with engine.connect() as conn:
        assert first_broken(conn) is None  # no false alarm

    tried: dict[str, int] = dict.fromkeys(KINDS, 0)

    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(chains)), st.sampled_from(KINDS), st.data())
    def tamper_once(process_id: int, kind: str, data: st.DataObject) -> None:
        rows = chains[process_id]
        assume(kind != "swap" or len(rows) > 1)
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")  # else pysqlite runs the DDL outside it
            for statement in TRIGGERS[conn.dialect.name]:
                conn.exec_driver_sql(statement)
            reason, event_ids, seq = _tamper(conn, kind, rows, data)
            found = first_broken(conn)
            conn.rollback()
        assert found is not None, kind
        assert (found["reason"], found["instance_id"]) == (reason, process_id), (kind, found)
        assert found["event_id"] in event_ids, (kind, found)
        assert seq is None or found["seq"] == seq, (kind, found)
        tried[kind] += 1

    tamper_once()
    assert sum(tried.values()) >= 1000 and all(tried.values()), tried
    with engine.connect() as conn:
        assert first_broken(conn) is None  # every tampering was rolled back
