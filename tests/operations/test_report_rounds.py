"""A unit's report round through the operations: the staff drafts, the head signs, the signed
report goes up to the parent, and the parent's consolidation may not fall below its units' sum
without a reason; the drafter may not sign, and the events say what changed. Found missing by a
mutation run of service.operations.tasks (scripts/mutation.sh)."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from service.db.models import Event, ProcessInstance
from service.errors import Forbidden, Invalid
from service.operations.processes import start_process
from service.operations.tasks import Completed, complete_task
from tests.operations.conftest import AWARDS, CHAIRMAN, FINANCE, PLAN_2023, POLICE, Ops

HEALTH, HEALTH_HEAD = "thanhhoa.soyte", "thanhhoa.soyte.giamdoc"
UNIT_PLAN = {
    "title": "Kế hoạch ngành Y tế",
    "year": 2023,
    "window": {"start": "2023-07-01", "end": "2023-08-19"},
    "addressed_units": [],
    "deadlines": [{"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"}],
}


def report(people: int, festivals: list[tuple[str, str]] | None = None, **extra: Any) -> dict:
    """A result report: `people` participants, 2 festivals, 3 of 4 schools safe, 1 award."""
    return {
        "festivals_held": 2,
        "festivals": [
            {"place": "Nhà văn hóa", "start": start, "end": end}
            for start, end in festivals or [("2023-08-15", "2023-08-15")]
        ],
        "participants": people,
        "safety": {
            kind: {"total": 4 if kind == "schools" else 0, "meeting": 3 if kind == "schools" else 0}
            for kind in ("residential_areas", "communes", "agencies", "enterprises", "schools")
        },
        "movement": {"total": 0, "meeting": 0},
        "awards": [{"kind": "giay_khen", "count": 1}],
        "budget_spent": 1_000_000,
        "narrative": "Tổ chức Ngày hội an toàn.",
        **extra,
    }


def complete(
    ops: Ops, process: int, username: str, decision: str, data: Any = None, *, actor: Any = None
) -> Completed:
    (task,) = ops.open_tasks(process)
    who = actor or ops.actor(username)
    comment = "Bổ sung số liệu." if decision == "return" else None  # a return says why
    return complete_task(ops.uow(), who, task.id, decision, comment, data or {})


def _events(ops: Ops, process: int, action: str = "task_completed") -> list[Event]:
    with ops.factory() as session:
        query = select(Event).filter_by(instance_id=process, action=action)
        return list(session.scalars(query.order_by(Event.seq)))


def _instance(ops: Ops, process: int) -> ProcessInstance:
    with ops.factory() as session:
        instance = session.get(ProcessInstance, process)
        assert instance is not None
        session.expunge(instance)
        return instance


def health_reporting(ops: Ops, sign: bool = True) -> tuple[int, int]:
    """The province plan (with seed 004's targets) signed to Sở Y tế alone; its own plan
    (without targets) drafted and, with `sign`, signed: its report is open. Returns
    (province, health)."""
    ops.at("2023-04-20")
    plan = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = ["thanh-hoa-so-y-te"]
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    plan["targets"] = {"safety_at_least": 80, "movement_above": 80}  # as seed 004 sets them
    province = start_process(ops.uow(), ops.actor(POLICE), "plan_chain", plan["title"])
    complete(ops, province, POLICE, "submit", plan)
    complete(ops, province, FINANCE, "approve")
    nominations = [{**n, "accepted": True} for n in plan["nominations"]]
    complete(ops, province, AWARDS, "approve", {"nominations": nominations})
    complete(ops, province, CHAIRMAN, "approve")
    assert ops.open_tasks(province) == []  # it waits for its unit's report (due 20/8)
    with ops.factory() as session:
        (health,) = session.scalars(select(ProcessInstance.id).filter_by(parent_id=province))
    ops.at("2023-04-25")
    complete(ops, health, HEALTH, "submit", UNIT_PLAN)
    if not sign:  # its plan waits for the head's signature
        return province, health
    complete(ops, health, HEALTH_HEAD, "approve")
    (task,) = ops.open_tasks(health)
    assert (task.form, task.report_round) == ("consolidate_report", "result")
    # it addressed no unit: its round closed as it was signed, and it reports at once
    (closed,) = _events(ops, health, "units_reported")
    assert (closed.data, closed.created_at) == ({"round": "result"}, ops.clock())
    assert task.created_at == ops.clock()
    ops.at("2023-08-18")
    return province, health


def test_a_units_report_is_drafted_signed_and_reaches_the_province(ops: Ops) -> None:
    province, health = health_reporting(ops)
    first = complete(ops, health, HEALTH, "submit", report(300))
    assert first.document_id is None  # a draft issues nothing
    (sign,) = ops.open_tasks(health)
    assert sign.form == "sign_report"
    assert _instance(ops, health).report_drafts["result"]["participants"] == 300
    assert _instance(ops, health).reports == {}

    # the head returns it; the redraft replaces the draft, and its event says what changed
    complete(ops, health, HEALTH_HEAD, "return")
    assert _instance(ops, health).reports == {}
    complete(ops, health, HEALTH, "submit", report(350))
    signed = complete(ops, health, HEALTH_HEAD, "approve")

    assert signed.document_id is not None and signed.document_number is not None
    assert signed.units_reached == 1  # sent to the level above
    assert _instance(ops, health).reports["result"]["participants"] == 350
    drafted, returned, redrafted, approved = [e.data for e in _events(ops, health)[-4:]]
    assert {k: drafted[k] for k in ("step", "decision", "round", "draft")} == {
        "step": "consolidate_report",
        "decision": "submit",
        "round": "result",
        "draft": True,
    }
    assert {"path": "participants", "old": None, "new": 300} in drafted["changes"]
    assert "changed_from_units" not in drafted  # no unit below Sở Y tế reported
    assert (returned["decision"], returned["round"], returned["changes"]) == (
        "return",
        "result",
        [],
    )
    assert redrafted["changes"] == [{"path": "participants", "old": 300, "new": 350}]
    assert (approved["step"], approved["round"], approved["decision"]) == (
        "sign_report",
        "result",
        "approve",
    )
    assert {"path": "participants", "old": None, "new": 350} in approved["changes"]
    assert "draft" not in approved

    # the province's consolidation opens now that its only unit has reported
    (consolidate,) = ops.open_tasks(province)
    assert (consolidate.form, consolidate.report_round) == ("consolidate_report", "result")
    with ops.factory() as session:
        query = select(Event).filter_by(instance_id=province).order_by(Event.seq.desc())
        last = session.scalars(query).first()
        assert last is not None
        assert (last.action, last.data, last.created_at) == (
            "units_reported",
            {"round": "result"},
            ops.clock(),
        )


def test_the_drafter_of_the_report_may_not_sign_it(ops: Ops) -> None:
    """The head who also drafts (given both roles) signs what the staff drafted, but not the
    redraft they made themselves: the latest drafter of the round counts."""
    _, health = health_reporting(ops)
    head = ops.actor(HEALTH_HEAD)
    both = replace(head, roles=head.roles | {"standing_body"})
    complete(ops, health, HEALTH, "submit", report(300))
    complete(ops, health, HEALTH_HEAD, "return", actor=both)  # the staff drafted it: allowed
    complete(ops, health, HEALTH_HEAD, "submit", report(320), actor=both)
    with pytest.raises(Forbidden) as refused:
        complete(ops, health, HEALTH_HEAD, "approve", actor=both)
    assert refused.value.code == "drafter_cannot_sign"
    assert _instance(ops, health).reports == {}


def test_a_drafter_elsewhere_does_not_stop_the_signing(ops: Ops) -> None:
    """Whoever drafted another plan may sign this one: only this plan's drafter is refused."""
    province, health = health_reporting(ops, sign=False)
    head = ops.actor(HEALTH_HEAD)
    both = replace(head, roles=head.roles | {"standing_body"})
    own = start_process(ops.uow(), both, "plan_chain", "Kế hoạch riêng của Sở Y tế")
    complete(ops, own, HEALTH_HEAD, "submit", UNIT_PLAN, actor=both)
    signed = complete(ops, health, HEALTH_HEAD, "approve", actor=both)
    assert (signed.document_id is not None, signed.units_reached) == (True, 0)
    with pytest.raises(Forbidden) as refused:
        complete(ops, own, HEALTH_HEAD, "approve", actor=both)
    assert refused.value.code == "drafter_cannot_sign"


def _codes(errors: Any, at: str = "") -> dict[str, str]:
    if isinstance(errors, list):
        return {at: errors[0].code}
    found: dict[str, str] = {}
    for key, value in errors.items():
        found |= _codes(value, f"{at}.{key}" if at else str(key))
    return found


@pytest.mark.parametrize(
    ("festival", "refused"),
    [
        (("2023-07-01", "2023-07-01"), False),  # the window's first day
        (("2023-08-19", "2023-08-19"), False),  # its last day
        (("2023-06-30", "2023-07-01"), True),  # starts a day early
        (("2023-08-19", "2023-08-20"), True),  # ends a day late
    ],
)
def test_festivals_fall_inside_the_plans_window(
    ops: Ops, festival: tuple[str, str], refused: bool
) -> None:
    _, health = health_reporting(ops)
    figures = report(300, [("2023-08-15", "2023-08-15"), festival])
    if not refused:
        complete(ops, health, HEALTH, "submit", figures)
        return
    with pytest.raises(Invalid) as raised:
        complete(ops, health, HEALTH, "submit", figures)
    assert _codes(raised.value.errors) == {"data.festivals.1.start": "outside_window"}
    (reason,) = raised.value.errors["data"]["festivals"][1]["start"]
    assert reason.params == {"start": "2023-07-01", "end": "2023-08-19"}


def province_consolidating(ops: Ops) -> int:
    province, health = health_reporting(ops)
    complete(ops, health, HEALTH, "submit", report(300))
    complete(ops, health, HEALTH_HEAD, "approve")
    return province


@pytest.mark.parametrize(
    ("change", "field", "units_sum"),
    [
        ({"participants": 299}, "data.participants", 300),
        (
            {"safety": {**report(0)["safety"], "schools": {"total": 4, "meeting": 2}}},
            "data.safety.schools.meeting",
            3,
        ),
        ({"awards": [{"kind": "giay_khen", "count": 0}]}, "data.awards.0.count", 1),
        # the row of the kind is missing: the reason goes to the list
        ({"awards": [{"kind": "ky_niem_chuong", "count": 2}]}, "data.awards._schema", 1),
        ({"participants": 299, "adjustment_reason": "  "}, "data.participants", 300),
    ],
)
def test_a_consolidation_below_its_units_sum_is_refused_at_the_field(
    ops: Ops, change: dict[str, Any], field: str, units_sum: int
) -> None:
    province = province_consolidating(ops)
    with pytest.raises(Invalid) as raised:
        complete(ops, province, POLICE, "submit", report(300) | change)
    assert _codes(raised.value.errors) == {field: "below_units"}
    (reason,) = _leaves(raised.value.errors)
    assert (reason.msgid, reason.params) == (
        "Below what the units reported together (%(sum)s): correct it or give the reason.",
        {"sum": units_sum},
    )


def _leaves(errors: Any) -> list[Any]:
    if isinstance(errors, list):
        return errors
    return [leaf for value in errors.values() for leaf in _leaves(value)]


def test_a_consolidation_records_what_it_changed_of_its_units_sum(ops: Ops) -> None:
    province = province_consolidating(ops)
    lowered = report(290, adjustment_reason="Sở Y tế đếm trùng 10 người.")
    complete(ops, province, POLICE, "submit", lowered)
    (drafted,) = [e.data for e in _events(ops, province) if e.data.get("round") == "result"]
    changed = {c["path"]: (c["old"], c["new"]) for c in drafted["changed_from_units"]}
    assert changed["participants"] == (300, 290)
    assert changed["narrative"] == ("", "Tổ chức Ngày hội an toàn.")
    signed = complete(ops, province, CHAIRMAN, "approve")
    assert signed.units_reached == 0  # the province has no level above
    assert _instance(ops, province).reports["result"]["participants"] == 290
