"""Changes that move rights or work leave an event in the hash chain, recorded by the unit of
work at commit: a claim and its release (the process's chain), a substitution named and ended,
a diagram deployed (the directory's chain). Each verifies with the rest of the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select, text

from service.db.models import Event
from service.db.uow import UnitOfWork
from tests.conftest import ROOT, ApiClient, FakeClock
from tests.service.audit_walk import AUDITOR, POLICE, audited
from tests.service.test_cascade import at

CHAIRMAN, ADMIN = "thanhhoa.chutich", "admin"


def _events(app: Flask, action: str) -> list[Event]:
    with UnitOfWork(app.extensions["session_factory"], write=False) as uow:
        rows = list(uow.session.scalars(select(Event).filter_by(action=action).order_by(Event.id)))
        uow.session.expunge_all()
        return rows


def _verified(api: ApiClient) -> dict[str, Any]:
    answer = api.get("/api/v1/audit/verify", AUDITOR)
    assert answer.status_code == 200, answer.json
    assert answer.json["first_broken"] is None, answer.json
    return dict(answer.json)


def test_a_claim_and_its_release_are_in_the_process_history(
    app: Flask, api: ApiClient, clock: FakeClock, tmp_path: Path
) -> None:
    audited(app, tmp_path)
    at(clock, "2023-04-20")
    process = api.start_plan(POLICE)
    (task,) = api.get("/api/v1/tasks", POLICE).json
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", POLICE).status_code == 204
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", POLICE).status_code == 204  # no-op
    assert api.call("DELETE", f"/api/v1/tasks/{task['id']}/claim", POLICE).status_code == 204
    history = api.get(f"/api/v1/processes/{process}/history", POLICE).json
    actions = [(e["action"], e["task_id"]) for e in history]
    assert actions[1:] == [("task_claimed", task["id"]), ("task_released", task["id"])]
    police = api.get("/api/v1/me", POLICE).json
    assert {e["actor"]["username"] for e in history[1:]} == {police["username"]}
    _verified(api)


def test_a_substitution_named_and_ended_is_in_the_directory_chain(
    app: Flask, api: ApiClient, clock: FakeClock, tmp_path: Path
) -> None:
    audited(app, tmp_path)
    at(clock, "2023-04-20")
    body = {
        "substitute": "thanhhoa.vanphong.chanhvanphong",
        "starts": "2023-04-24",
        "ends": "2023-04-28",
    }
    grant = api.post("/api/v1/delegations", CHAIRMAN, json=body | {"kind": "TUQ"})
    assert grant.status_code == 201, grant.json
    assert (
        api.call("DELETE", f"/api/v1/delegations/{grant.json['id']}", CHAIRMAN).status_code == 204
    )
    (granted,) = _events(app, "delegation_granted")
    (revoked,) = _events(app, "delegation_revoked")
    assert granted.instance_id is None and revoked.prev_hash == granted.hash
    assert granted.data == {
        "delegation": grant.json["id"],
        "grantor": CHAIRMAN,
        "substitute": "thanhhoa.vanphong.chanhvanphong",
        "kind": "TUQ",
        "starts": "2023-04-24",
        "ends": "2023-04-28",
    }
    assert revoked.seq == granted.seq + 1
    before = _verified(api)["events_checked"]
    # refused: nothing changes, nothing is recorded
    assert api.post("/api/v1/delegations", POLICE, json=body | {"kind": "TUQ"}).status_code == 403
    assert _verified(api)["events_checked"] == before


def test_a_deploy_names_its_deployer(
    app: Flask, api: ApiClient, clock: FakeClock, tmp_path: Path
) -> None:
    audited(app, tmp_path)
    changed = (
        (ROOT / "bpmn" / "plan_chain.bpmn")
        .read_bytes()
        .replace("Xây dựng kế hoạch".encode(), "Dự thảo kế hoạch".encode())
    )
    answer = api.post(
        "/api/v1/definitions?filename=plan_chain.bpmn",
        ADMIN,
        data=changed,
        content_type="application/xml",
    )
    assert answer.status_code == 201, answer.json
    deployed = _events(app, "definition_deployed")
    assert [e.data["by"] for e in deployed][-1] == ADMIN
    last = deployed[-1]
    assert (last.data["process_id"], last.data["version"]) == ("plan_chain", 2)
    assert last.data["sha256"] == answer.json["sha256"]
    assert last.actor_id is not None and last.instance_id is None
    # set-up deployed the shipped diagrams from the command line: recorded too, chained before
    assert {e.data["by"] for e in deployed[:-1]} == {"command line"}
    # the administrator's login (a second factor used) is chained between the two
    (login,) = _events(app, "second_factor_used")
    assert (login.prev_hash, last.prev_hash) == (deployed[-2].hash, login.hash)
    _verified(api)


def test_a_rewritten_directory_event_is_found(
    app: Flask, api: ApiClient, clock: FakeClock, tmp_path: Path
) -> None:
    """The directory's chain is checked like a process's: its head must match its last event."""
    audited(app, tmp_path)
    at(clock, "2023-04-20")
    body = {
        "substitute": "thanhhoa.vanphong.chanhvanphong",
        "starts": "2023-04-24",
        "ends": "2023-04-28",
    }
    assert api.post("/api/v1/delegations", CHAIRMAN, json=body | {"kind": "KT"}).status_code == 201
    with UnitOfWork(app.extensions["session_factory"]) as uow:
        uow.session.execute(text("UPDATE audit_chain SET last_event_seq = last_event_seq - 1"))
        uow.commit()
    broken = api.get("/api/v1/audit/verify", AUDITOR).json["first_broken"]
    assert broken is not None and broken["instance_id"] is None
