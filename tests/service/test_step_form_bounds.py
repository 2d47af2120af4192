"""The step forms' own bounds at their edges (service.forms), on the schemas alone: no app,
no database. A negative quantity or amount is refused as the lower edge of a range."""

from __future__ import annotations

from typing import Any

import pytest

from service.forms import MAX_QUANTITY, MAX_VND, BudgetLineSchema

# (field, value, accepted?)
BUDGET_LINE_EDGES = [
    ("quantity", -1, False),
    ("quantity", 0, True),
    ("quantity", 1, True),
    ("quantity", MAX_QUANTITY, True),
    ("quantity", MAX_QUANTITY + 1, False),
    ("quantity", 1.5, False),
    ("quantity", "3", False),
    ("unit_amount", -1, False),
    ("unit_amount", 0, True),
    ("unit_amount", MAX_VND, True),
    ("unit_amount", MAX_VND + 1, False),
]


@pytest.mark.parametrize(("field", "value", "accepted"), BUDGET_LINE_EDGES)
def test_a_budget_lines_figures_stay_in_range(field: str, value: Any, accepted: bool) -> None:
    line = {"item": "Giấy khen", "quantity": 3, "unit_amount": 200_000, field: value}
    errors = BudgetLineSchema().validate(line)
    assert (errors == {}) is accepted, errors
    if not accepted:
        assert list(errors) == [field]
