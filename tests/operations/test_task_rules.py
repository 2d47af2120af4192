"""What completing and claiming a task refuse, with which code, and what they record: the
refusals a client branches on (task_not_found, task_not_open, task_claimed, an issuer not
the agency's, a nomination without a verdict) and the completion's event (its step, decision,
comment and the changed figures). Found missing by a mutation run of service.operations.tasks."""

from __future__ import annotations

import copy
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from service.db.models import Event, Incident
from service.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from service.operations.definitions import deploy
from service.operations.processes import start_process
from service.operations.tasks import _flush_or_conflict, claim_task, complete_task
from tests.operations.conftest import ADMIN, AWARDS, COLLEAGUE, FINANCE, PLAN_2023, POLICE, Ops

BPMN = Path(__file__).parents[2] / "bpmn"
VIETNAMESE = Path(__file__).parents[2] / "service/translations/vi/LC_MESSAGES/messages.po"
with VIETNAMESE.open("rb") as po:
    TRANSLATED = {m.id for m in read_po(po) if m.string}


def _draft(ops: Ops) -> tuple[int, int]:
    process = start_process(ops.uow(), ops.actor(POLICE), "plan_chain", PLAN_2023["title"])
    (task,) = ops.open_tasks(process)
    return process, task.id


def _events(ops: Ops, process: int, action: str) -> list[Event]:
    with ops.factory() as session:
        query = select(Event).filter_by(instance_id=process, action=action).order_by(Event.seq)
        return list(session.scalars(query))


def _codes(errors: Any, at: str = "") -> dict[str, str]:
    """field path → the code of its first reason."""
    if isinstance(errors, list):  # a reason the pages show in Vietnamese, by its msgid
        assert errors[0].msgid in TRANSLATED, errors[0].msgid
        return {at: errors[0].code}
    found: dict[str, str] = {}
    for key, value in errors.items():
        found |= _codes(value, f"{at}.{key}" if at else str(key))
    return found


def test_refusals_carry_the_codes_clients_branch_on(ops: Ops) -> None:
    police, colleague = ops.actor(POLICE), ops.actor(COLLEAGUE)
    process, task = _draft(ops)
    with pytest.raises(NotFound) as unknown:
        complete_task(ops.uow(), police, task + 1000, "submit", None, PLAN_2023)
    assert unknown.value.code == "task_not_found"

    claim_task(ops.uow(), police, task)
    with pytest.raises(Conflict) as held:
        complete_task(ops.uow(), colleague, task, "submit", None, PLAN_2023)
    assert (held.value.code, held.value.message) == (
        "task_claimed",
        "A colleague has taken this task in hand.",
    )
    (claimed,) = _events(ops, process, "task_claimed")
    (open_task,) = ops.open_tasks(process)
    assert (claimed.role, claimed.actor_id) == (open_task.role, police.user_id)

    complete_task(ops.uow(), police, task, "submit", None, PLAN_2023)
    with pytest.raises(Conflict) as done:
        complete_task(ops.uow(), police, task, "submit", None, PLAN_2023)
    assert (done.value.code, done.value.params) == ("task_not_open", {"state": "completed"})


def test_an_issuer_the_agency_does_not_issue_as_is_refused_at_the_field(ops: Ops) -> None:
    _, task = _draft(ops)
    plan = {**PLAN_2023, "issuer": "KH-XYZ"}
    with pytest.raises(Invalid) as refused:
        complete_task(ops.uow(), ops.actor(POLICE), task, "submit", None, plan)
    assert _codes(refused.value.errors) == {"data.issuer": "not_a_choice"}


def test_the_completion_records_its_step_decision_comment_and_changed_figures(
    ops: Ops,
) -> None:
    police, finance = ops.actor(POLICE), ops.actor(FINANCE)
    process, task = _draft(ops)
    complete_task(ops.uow(), police, task, "submit", "Trình thẩm định.", PLAN_2023)
    (appraisal,) = ops.open_tasks(process)
    lines = copy.deepcopy(PLAN_2023["budget_lines"])
    lines[1]["unit_amount"] = 400_000
    complete_task(ops.uow(), finance, appraisal.id, "approve", None, {"budget_lines": lines})
    (review,) = ops.open_tasks(process)

    submitted, approved = _events(ops, process, "task_completed")
    assert {k: submitted.data[k] for k in ("step", "decision", "comment")} == {
        "step": "draft_plan",
        "decision": "submit",
        "comment": "Trình thẩm định.",
    }
    assert submitted.data["changes"] != []  # the whole plan, against the empty draft
    assert (approved.data["step"], approved.data["decision"]) == ("finance_appraisal", "approve")
    assert approved.data["changes"] == [
        {"path": "budget_lines[1].unit_amount", "old": 500_000, "new": 400_000}
    ]
    assert review.step == "award_review"


def test_approving_the_awards_needs_a_verdict_on_every_nomination(ops: Ops) -> None:
    police, finance, awards = ops.actor(POLICE), ops.actor(FINANCE), ops.actor(AWARDS)
    process, task = _draft(ops)
    complete_task(ops.uow(), police, task, "submit", None, PLAN_2023)
    (appraisal,) = ops.open_tasks(process)
    complete_task(ops.uow(), finance, appraisal.id, "approve", None, {})
    (review,) = ops.open_tasks(process)
    nominations = [{**n, "accepted": True} for n in PLAN_2023["nominations"]]
    nominations[1]["accepted"] = None

    with pytest.raises(Invalid) as refused:
        data = {"nominations": nominations}
        complete_task(ops.uow(), awards, review.id, "approve", None, data)

    assert _codes(refused.value.errors) == {"data.nominations.1.accepted": "no_verdict"}
    nominations[1]["accepted"] = False
    complete_task(ops.uow(), awards, review.id, "approve", None, {"nominations": nominations})
    (sign,) = ops.open_tasks(process)
    assert sign.step == "chairman_sign"


def test_a_plan_addresses_only_units_below_its_level(ops: Ops) -> None:
    _, task = _draft(ops)
    plan = {**PLAN_2023, "addressed_units": ["thanh-hoa-so-y-te", "bac-giang-cong-an"]}
    with pytest.raises(Invalid) as refused:
        complete_task(ops.uow(), ops.actor(POLICE), task, "submit", None, plan)
    assert _codes(refused.value.errors) == {"data.addressed_units.1": "not_a_unit_here"}


def test_a_plan_without_nominations_needs_no_verdict(ops: Ops) -> None:
    police, finance, awards = ops.actor(POLICE), ops.actor(FINANCE), ops.actor(AWARDS)
    process, task = _draft(ops)
    plan = {k: v for k, v in PLAN_2023.items() if k != "nominations"}
    complete_task(ops.uow(), police, task, "submit", None, plan)
    (appraisal,) = ops.open_tasks(process)
    complete_task(ops.uow(), finance, appraisal.id, "approve", None, {})
    (review,) = ops.open_tasks(process)
    complete_task(ops.uow(), awards, review.id, "approve", None, {})
    (sign,) = ops.open_tasks(process)
    assert sign.step == "chairman_sign"


def test_another_agencys_task_and_an_unknown_claim_are_refused_by_code(ops: Ops) -> None:
    _, task = _draft(ops)
    with pytest.raises(Forbidden) as foreign:
        complete_task(ops.uow(), ops.actor(FINANCE), task, "submit", None, PLAN_2023)
    assert foreign.value.code == "not_your_task"
    with pytest.raises(NotFound) as unknown:
        claim_task(ops.uow(), ops.actor(POLICE), task + 1000)
    assert unknown.value.code == "task_not_found"


def test_pilot_sites_name_units_of_the_plans_level(ops: Ops) -> None:
    _, task = _draft(ops)
    sites = copy.deepcopy(PLAN_2023["pilot_sites"])
    sites[0]["agency"], sites[1]["agency"] = "no-such-unit", "bac-giang-cong-an"
    with pytest.raises(Invalid) as refused:
        complete_task(
            ops.uow(), ops.actor(POLICE), task, "submit", None, {**PLAN_2023, "pilot_sites": sites}
        )
    errors = refused.value.errors["data"]["pilot_sites"]
    assert [(i, r.code, str(r)) for i, e in errors.items() for r in e["agency"]] == [
        (0, "unknown_agency", "Unknown agency code."),
        (1, "not_a_unit_here", "Not a unit of this plan's level."),
    ]


def test_an_issuer_refused_lists_the_choices(ops: Ops) -> None:
    _, task = _draft(ops)
    with pytest.raises(Invalid) as refused:
        complete_task(
            ops.uow(), ops.actor(POLICE), task, "submit", None, {**PLAN_2023, "issuer": "KH-XYZ"}
        )
    (reason,) = refused.value.errors["data"]["issuer"]
    assert reason.params["choices"] and all(isinstance(c, str) for c in reason.params["choices"])
    assert "KH-XYZ" not in reason.params["choices"]


def test_a_script_failing_at_a_completion_is_an_incident_of_that_completion(ops: Ops) -> None:
    chain = (BPMN / "plan_chain.bpmn").read_bytes()
    draft = 'name="Xây dựng kế hoạch">'.encode()
    script = b"<bpmn:extensionElements><spiffworkflow:postScript>x = 1 // 0"
    script += b"</spiffworkflow:postScript></bpmn:extensionElements>"
    deploy(ops.uow(), ops.actor(ADMIN), "plan_chain.bpmn", chain.replace(draft, draft + script, 1))
    process, task = _draft(ops)
    with pytest.raises(Unprocessable):
        complete_task(ops.uow(), ops.actor(POLICE), task, "submit", None, PLAN_2023)
    with ops.factory() as session:
        (incident,) = session.scalars(select(Incident).filter_by(instance_id=process))
        assert (incident.operation, incident.task_id) == ("complete", task)
        assert incident.engine_data["decision"] == "submit"


class _EmptyKeyStore:
    """A key store holding no key: any check of the signing certificates refuses."""

    def signers(self, labels: Any) -> Any:
        return nullcontext({})

    def trust_roots(self) -> list[Any]:
        return []

    def crls(self) -> list[Any]:
        return []


def test_only_a_signing_checks_the_signing_keys(ops: Ops) -> None:
    police, finance = ops.actor(POLICE), ops.actor(FINANCE)
    process, task = _draft(ops)
    complete_task(ops.uow(), police, task, "submit", None, PLAN_2023, keys=_EmptyKeyStore())
    (appraisal,) = ops.open_tasks(process)
    complete_task(ops.uow(), finance, appraisal.id, "approve", None, {}, keys=_EmptyKeyStore())
    (review,) = ops.open_tasks(process)
    assert review.step == "award_review"


def test_a_taken_event_number_is_a_conflict_not_an_error(ops: Ops, database_url: str) -> None:
    """Two completions of one process at once: the second event's number is taken."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite queues writers (BEGIN IMMEDIATE): no event number is taken twice")
    process, _ = _draft(ops)
    (first,) = _events(ops, process, "process_started")
    with ops.uow() as uow:
        taken = Event(
            **{c.key: getattr(first, c.key) for c in Event.__table__.columns if c.key != "id"}
        )
        uow.session.add(taken)
        with pytest.raises(Conflict) as busy:
            _flush_or_conflict(uow)
    assert (busy.value.code, busy.value.message) == (
        "instance_busy",
        "The process changed meanwhile; try again.",
    )
