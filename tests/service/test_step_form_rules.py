"""The step forms' cross-field rules at their edges (service.forms), on the schemas alone: a
window may end on its first day, a plan's period lies in its year, a plan says something, a
share never passes 100%, and a budget's total is the sum of quantity × unit amount. Each refusal
names its field and code. (tests/service/test_step_form_bounds.py: the single fields' ranges.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from service.forms import (
    CountSchema,
    FestivalSchema,
    PilotSiteSchema,
    PlanSchema,
    WindowSchema,
    budget_total,
)

VIETNAMESE = Path(__file__).parents[2] / "service/translations/vi/LC_MESSAGES/messages.po"
with VIETNAMESE.open("rb") as po:
    TRANSLATED = {m.id: m.string for m in read_po(po) if m.string}


def _reason(errors: Any, field: str) -> Any:
    """The field's first reason, checked to read in Vietnamese on the pages (its msgid)."""
    reason = errors[field][0]
    assert TRANSLATED.get(reason.msgid), f"no Vietnamese for {reason.msgid!r}"
    return reason


def _codes(errors: Any) -> dict[str, str]:
    """field → the code of its first reason, nested fields joined by dots."""
    found: dict[str, str] = {}
    for key, value in errors.items():
        if isinstance(value, dict):
            found |= {f"{key}.{k}": v for k, v in _codes(value).items()}
        else:
            found[str(key)] = value[0].code
    return found


# (start, end, accepted?)
WINDOWS = [
    ("2023-07-01", "2023-07-01", True),  # a one-day festival
    ("2023-07-01", "2023-07-02", True),
    ("2023-07-02", "2023-07-01", False),
    ("2023-12-31", "2023-01-01", False),
]


@pytest.mark.parametrize("schema", [WindowSchema(), FestivalSchema(), PilotSiteSchema()])
@pytest.mark.parametrize(("start", "end", "accepted"), WINDOWS)
def test_a_window_ends_on_or_after_its_start(
    schema: Any, start: str, end: str, accepted: bool
) -> None:
    data = {"start": start, "end": end, "place": "Xã Hoằng Quỳ", "name": "Xã Hoằng Quỳ"}
    data = {k: v for k, v in data.items() if k in schema.fields}
    errors = schema.validate(data)
    assert _codes(errors) == ({} if accepted else {"end": "end_before_start"})
    if not accepted:
        assert _reason(errors, "end") == "The end date is before the start date."


def _plan(**changes: Any) -> dict[str, Any]:
    plan = {
        "title": "Kế hoạch",
        "year": 2023,
        "window": {"start": "2023-07-01", "end": "2023-08-19"},
        "sections": [{"heading": "I. MỤC ĐÍCH", "body": "Nội dung."}],
    }
    return plan | changes


# (window start, window end, accepted?) for a plan of 2023
PERIODS = [
    ("2023-01-01", "2023-12-31", True),  # the year's first and last days
    ("2022-12-31", "2023-01-05", False),
    ("2023-12-20", "2024-01-01", False),
    ("2024-01-01", "2024-01-02", False),
    ("2022-03-01", "2022-04-01", False),
]


@pytest.mark.parametrize(("start", "end", "accepted"), PERIODS)
def test_a_plans_period_lies_within_its_year(start: str, end: str, accepted: bool) -> None:
    errors = PlanSchema().validate(_plan(window={"start": start, "end": end}))
    assert _codes(errors) == ({} if accepted else {"window": "period_outside_year"})
    if not accepted:
        assert _reason(errors, "window") == "The period must lie within the year 2023."


# what alone keeps a plan from being empty
SAYS_SOMETHING = [
    {"sections": [{"heading": "I.", "body": ""}]},
    {"budget_lines": [{"item": "Quà", "quantity": 0, "unit_amount": 0}]},
    {"addressed_units": ["thanh-hoa-so-y-te"]},
    {"deadlines": [{"what": "Báo cáo", "due": "2023-08-20"}]},
]


@pytest.mark.parametrize("content", SAYS_SOMETHING)
def test_a_plan_with_one_kind_of_content_is_not_empty(content: dict[str, Any]) -> None:
    assert PlanSchema().validate(_plan(sections=[]) | content) == {}


def test_a_plan_with_nothing_but_a_title_and_period_is_refused_at_its_sections() -> None:
    errors = PlanSchema().validate(_plan(sections=[], pilot_sites=[], nominations=[]))
    assert _codes(errors) == {"sections": "empty_plan"}
    assert _reason(errors, "sections").startswith("The plan is empty")


# (total, meeting, accepted?)
COUNTS = [(0, 0, True), (10, 9, True), (10, 10, True), (10, 11, False), (0, 1, False)]


@pytest.mark.parametrize(("total", "meeting", "accepted"), COUNTS)
def test_those_meeting_the_standard_never_pass_the_total(
    total: int, meeting: int, accepted: bool
) -> None:
    errors = CountSchema().validate({"total": total, "meeting": meeting})
    assert _codes(errors) == ({} if accepted else {"meeting": "above_total"})
    if not accepted:
        assert _reason(errors, "meeting") == "Cannot exceed the total (a share above 100%)."


# (lines as (quantity, unit amount), total)
TOTALS = [
    ([], 0),
    ([(3, 1_500_000)], 4_500_000),
    ([(3, 1_500_000), (2, 250_000)], 5_000_000),
    ([(0, 900_000), (12, 0)], 0),
    ([(1, 7), (7, 1)], 14),  # a total from unit amounts alone, or quantities alone, differs
]


@pytest.mark.parametrize(("lines", "total"), TOTALS)
def test_a_budgets_total_is_the_sum_of_quantity_times_unit_amount(
    lines: list[tuple[int, int]], total: int
) -> None:
    rows = [{"item": "Khoản", "quantity": q, "unit_amount": a} for q, a in lines]
    assert budget_total(rows) == total
