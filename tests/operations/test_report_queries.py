"""What the parent sees of its units' reports (service.queries.reports): the units and where
they stand, who is missing, and the consolidated figures, a signed level's own and the targets
inherited from the plan above. Found missing by a mutation run of service.queries.reports."""

from __future__ import annotations

from datetime import date

import pytest

from service.errors import Invalid
from service.queries.reports import MissingUnit, children, consolidated, missing
from tests.operations.conftest import CHAIRMAN, POLICE, Ops
from tests.operations.test_report_rounds import (
    HEALTH,
    HEALTH_HEAD,
    complete,
    health_reporting,
    province_consolidating,
    report,
)

HEALTH_NAME = "Sở Y tế tỉnh Thanh Hóa"


def test_the_province_sees_its_unit_open_and_missing_until_it_reports(ops: Ops) -> None:
    province, health = health_reporting(ops)
    police = ops.actor(POLICE)
    (child,) = children(ops.uow(write=False), police, province)
    (step,) = child.open_steps
    assert (child.process_id, child.unit, child.reported) == (health, HEALTH_NAME, [])
    assert (step.step, step.last_day) == ("consolidate_report", date(2023, 8, 19))
    assert missing(ops.uow(write=False), police, province) == [
        MissingUnit(health, HEALTH_NAME, "Tỉnh Thanh Hóa")
    ]

    complete(ops, health, HEALTH, "submit", report(300))
    complete(ops, health, HEALTH_HEAD, "approve")
    (child,) = children(ops.uow(write=False), police, province)
    assert (child.reported, child.open_steps) == (["result"], [])
    assert missing(ops.uow(write=False), police, province, "result") == []


def test_a_unit_without_targets_is_measured_by_the_plan_above(ops: Ops) -> None:
    province, health = health_reporting(ops)
    complete(ops, health, HEALTH, "submit", report(300))  # 3 of 4 schools safe: 75%
    complete(ops, health, HEALTH_HEAD, "approve")
    police = ops.actor(POLICE)
    figures = consolidated(ops.uow(write=False), police, health)
    assert (figures["signed"], figures["participants"]) == (True, 300)
    assert figures["targets_missed"] == ["safety.schools"]  # the province's 80%
    (unit,) = consolidated(ops.uow(write=False), police, province)["by_unit"]
    assert unit["figures"]["targets_missed"] == ["safety.schools"]


def test_a_signed_level_shows_its_own_figures_not_its_units_sum(ops: Ops) -> None:
    province = province_consolidating(ops)  # Sở Y tế reported 300 participants
    police = ops.actor(POLICE)
    before = consolidated(ops.uow(write=False), police, province)
    assert (before["signed"], before["units"], before["reported"]) == (False, 1, 1)
    assert before["participants"] == 300  # the units' sum, until the province signs
    lowered = report(290, adjustment_reason="Sở Y tế đếm trùng 10 người.")
    complete(ops, province, POLICE, "submit", lowered)
    complete(ops, province, CHAIRMAN, "approve")
    after = consolidated(ops.uow(write=False), police, province, "result")
    assert (after["signed"], after["participants"]) == (True, 290)


def test_a_round_the_plan_does_not_have_is_refused(ops: Ops) -> None:
    province, _ = health_reporting(ops)
    with pytest.raises(Invalid) as refused:
        consolidated(ops.uow(write=False), ops.actor(POLICE), province, "half_year")
    (reason,) = refused.value.errors["round"]
    assert (reason.code, reason.params) == ("not_a_choice", {"choices": ["result"]})
