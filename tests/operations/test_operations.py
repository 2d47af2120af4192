"""Operations called directly with a unit of work: the service layer without any interface."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from service.db.models import Event, ProcessDefinition
from service.errors import Conflict, Forbidden, Unauthorized
from service.operations.actors import SYSTEM, authenticate
from service.operations.audit import checkpoint, latest_checkpoint, verify
from service.operations.audit_export import export
from service.operations.definitions import deploy
from service.operations.delegations import grant_delegation, revoke_delegation
from service.operations.processes import start_process
from service.operations.replay import replay
from service.operations.signing import verifying_key
from service.operations.tasks import claim_task, complete_task, release_task
from tests.operations.conftest import (
    ADMIN,
    AUDITOR,
    CHAIRMAN,
    COLLEAGUE,
    FINANCE,
    PLAN_2023,
    POLICE,
    SUBSTITUTE,
    UNIT,
    Ops,
)

BPMN = Path(__file__).parents[2] / "bpmn"


def _events(ops: Ops, process_id: int | None) -> list[tuple[str, int | None]]:
    with ops.factory() as session:
        query = select(Event.action, Event.actor_id).filter_by(instance_id=process_id)
        return [tuple(row) for row in session.execute(query.order_by(Event.seq))]  # type: ignore[misc]


def _start(ops: Ops) -> int:
    return start_process(ops.uow(), ops.actor(POLICE), "plan_chain", PLAN_2023["title"])


def test_a_plan_starts_at_the_drafters_task_and_moves_on_when_submitted(ops: Ops) -> None:
    police = ops.actor(POLICE)
    with pytest.raises(Forbidden):  # the rights table: only a standing body starts a plan
        start_process(ops.uow(), ops.actor(AUDITOR), "plan_chain", "x")
    process = _start(ops)
    (draft,) = ops.open_tasks(process)
    assert (draft.step, draft.agency_id) == ("draft_plan", police.agency_id)

    with pytest.raises(Forbidden):  # Finance cannot do the Police's step
        complete_task(ops.uow(), ops.actor(FINANCE), draft.id, "submit", None, PLAN_2023)
    done = complete_task(ops.uow(), police, draft.id, "submit", None, PLAN_2023)
    assert len(done.next_steps) == 1
    (appraisal,) = ops.open_tasks(process)
    assert appraisal.step == "finance_appraisal"
    assert _events(ops, process) == [
        ("process_started", police.user_id),
        ("task_completed", police.user_id),
    ]
    with pytest.raises(Conflict):  # done once: a second completion is refused
        complete_task(ops.uow(), police, draft.id, "submit", None, PLAN_2023)


def test_a_claim_keeps_colleagues_off_until_released(ops: Ops) -> None:
    process = _start(ops)
    (draft,) = ops.open_tasks(process)
    police, colleague = ops.actor(POLICE), ops.actor(COLLEAGUE)
    claim_task(ops.uow(), police, draft.id)
    with pytest.raises(Conflict):
        claim_task(ops.uow(), colleague, draft.id)
    with pytest.raises(Conflict):
        release_task(ops.uow(), colleague, draft.id)
    release_task(ops.uow(), police, draft.id)
    claim_task(ops.uow(), colleague, draft.id)
    (held,) = ops.open_tasks(process)
    assert held.claimed_by_id == colleague.user_id
    actions = [action for action, _ in _events(ops, process)]
    assert actions == ["process_started", "task_claimed", "task_released", "task_claimed"]


def test_a_substitute_acts_for_the_leader_only_within_the_range(ops: Ops) -> None:
    ops.at("2023-04-20")
    with pytest.raises(Forbidden):  # only a leader names a substitute
        grant_delegation(
            ops.uow(), ops.actor(POLICE), SUBSTITUTE, date(2023, 4, 24), date(2023, 4, 28), "TUQ"
        )
    chairman = ops.actor(CHAIRMAN)
    grant = grant_delegation(
        ops.uow(), chairman, SUBSTITUTE, date(2023, 4, 24), date(2023, 4, 28), "TUQ"
    )
    assert ops.actor(SUBSTITUTE).grants == ()  # not yet
    ops.at("2023-04-25")
    (granted,) = ops.actor(SUBSTITUTE).grants
    assert (granted.agency_id, granted.role) == (chairman.agency_id, "chairman")
    assert granted.on_behalf_of_id == chairman.user_id and granted.mark.startswith("TUQ. ")
    with pytest.raises(Forbidden):  # only the leader who granted it ends it
        revoke_delegation(ops.uow(), ops.actor(SUBSTITUTE), grant)
    revoke_delegation(ops.uow(), chairman, grant)
    assert ops.actor(SUBSTITUTE).grants == ()
    directory = _events(ops, None)
    assert directory[-2:] == [
        ("delegation_granted", chairman.user_id),
        ("delegation_revoked", chairman.user_id),
    ]


def test_deploying_is_for_administrators_and_the_command_line_and_names_the_deployer(
    ops: Ops,
) -> None:
    xml = (
        (BPMN / "plan_chain.bpmn")
        .read_bytes()
        .replace(b"</bpmn:definitions>", b"<!-- v2 -->\n</bpmn:definitions>")
    )
    with pytest.raises(Forbidden):
        deploy(ops.uow(), ops.actor(POLICE), "plan_chain.bpmn", xml)
    admin = ops.actor(ADMIN)
    row, created = deploy(ops.uow(), admin, "plan_chain.bpmn", xml)
    assert created and row["version"] == 2
    assert deploy(ops.uow(), SYSTEM, "plan_chain.bpmn", xml) == (row, False)  # same file
    again = xml.replace(b"<!-- v2 -->", b"<!-- v3 -->")
    assert deploy(ops.uow(), SYSTEM, "plan_chain.bpmn", again)[0]["version"] == 3
    with ops.factory() as session:
        deployed = session.scalars(
            select(Event)
            .filter_by(instance_id=None, action="definition_deployed")
            .order_by(Event.seq.desc())
            .limit(2)
        ).all()
        versions = session.scalars(
            select(ProcessDefinition.version).filter_by(process_id="plan_chain")
        )
        assert sorted(versions) == [1, 2, 3]
    by_system, by_admin = deployed
    assert (by_admin.actor_id, by_admin.data["by"], by_admin.data["version"]) == (
        admin.user_id,
        ADMIN,
        2,
    )
    assert (by_system.actor_id, by_system.data["by"]) == (None, "command line")


def test_checkpoint_verify_export_and_replay_check_their_rights(ops: Ops) -> None:
    process = _start(ops)
    (draft,) = ops.open_tasks(process)
    complete_task(ops.uow(), ops.actor(POLICE), draft.id, "submit", None, PLAN_2023)
    police, auditor = ops.actor(POLICE), ops.actor(AUDITOR)
    for refused in (
        lambda: checkpoint(ops.uow(), police, ops.key_path, ops.witness_dir),
        lambda: verify(ops.uow(write=False), police, ops.witness_dir, None),
        lambda: latest_checkpoint(ops.uow(write=False), police),
    ):
        with pytest.raises(Forbidden):
            refused()
    signed = checkpoint(ops.uow(), auditor, ops.key_path, ops.witness_dir)
    assert latest_checkpoint(ops.uow(write=False), auditor) == signed
    key = verifying_key(ops.key_path)
    report = verify(ops.uow(write=False), auditor, ops.witness_dir, key)
    assert report["first_broken"] is None and report["unanchored"] == 0
    assert report["events_checked"] == signed["tree_size"] > 0
    assert verify(ops.uow(write=False), SYSTEM, ops.witness_dir, key) == report

    # export and replay: every full reader of the process, and the command line
    for reader in (police, ops.actor(FINANCE), auditor, SYSTEM):
        text = export(ops.uow(), reader, process, ops.key_path, ops.witness_dir)
        assert text.count("\n") == 2 + 2 + 1  # header, diagram, two events, end
        assert replay(ops.uow(write=False), reader, process)["matches"] is True
    with pytest.raises(Forbidden):  # a unit of the province reads no draft's record
        export(ops.uow(), ops.actor(UNIT), process, ops.key_path, ops.witness_dir)
    with pytest.raises(Forbidden):
        replay(ops.uow(write=False), ops.actor(UNIT), process)


@pytest.mark.parametrize(
    ("username", "password"),
    [("thanhhoa.congan", "not the password"), ("no.such.user", "not the password")],
)
def test_an_unknown_name_costs_the_same_argon2_check_as_a_wrong_password(
    ops: Ops, monkeypatch: pytest.MonkeyPatch, username: str, password: str
) -> None:
    """The 401's time must not tell which usernames exist: both run one Argon2 verification."""
    checks: list[str] = []
    verify = PasswordHasher.verify

    def counted(self: PasswordHasher, hashed: str, secret: str) -> bool:
        checks.append(hashed)
        return verify(self, hashed, secret)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    with pytest.raises(Unauthorized):
        authenticate(ops.uow(write=False), username, password)
    assert len(checks) == 1 and checks[0].startswith("$argon2id$")
