"""The form renderer and parser on the step schemas alone: no app, no database."""

from __future__ import annotations

import logging
import shutil
from gettext import GNUTranslations
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from service.forms import PlanSchema, ReportSchema
from service.steps import KINDS
from service.web.catalogs import compile_catalogs
from service.web.forms import Node, add_row, budget_total, build, parse, remove_row
from tests.conftest import PLAN_2023
from tests.web.conftest import flatten


def _by_path(nodes: list[Node]) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for node in nodes:
        found[node.path] = node
        found.update(_by_path(node.children))
        for row in node.rows:
            found.update(_by_path([row]))
    return found


def test_the_posted_plan_reads_back_as_the_dict_the_schema_loads() -> None:
    schema = KINDS["draft_plan"].schema
    parsed = parse(schema, flatten(PLAN_2023))
    assert schema.load(parsed) == schema.load(PLAN_2023)


def test_each_field_gets_its_widget_label_and_value() -> None:
    nodes = _by_path(
        build(PlanSchema(), PLAN_2023, None, options={"addressed_units": [("x", "X")]})
    )
    kinds = {path: node.kind for path, node in nodes.items()}
    assert kinds["data.title"] == "text" and kinds["data.year"] == "integer"
    assert kinds["data.window"] == "group" and kinds["data.window.start"] == "date"
    assert kinds["data.sections.0.body"] == "textarea"
    assert (
        kinds["data.budget_lines"] == "rows" and kinds["data.budget_lines.1.unit_amount"] == "money"
    )
    assert kinds["data.nominations.0.kind"] == "choice"
    assert kinds["data.nominations.0.accepted"] == "boolean"
    assert kinds["data.addressed_units"] == "multi"
    assert nodes["data.budget_lines.1.unit_amount"].value == "500.000"
    assert nodes["data.window.start"].value == "01/07/2023"
    assert nodes["data.addressed_units"].choices == [("x", "X")]
    assert nodes["data.budget_lines"].template is not None
    assert (
        nodes["data.budget_lines"].template.children[0].path == "data.budget_lines.__index__.item"
    )
    rows = [n for n in nodes.values() if n.path.rsplit(".", 1)[-1].isdigit()]
    assert all(n.label for n in nodes.values() if n not in rows) and not any(n.label for n in rows)


def test_errors_land_on_their_fields() -> None:
    errors: dict[str, Any] = {
        "budget_lines": {"1": {"unit_amount": ["Nhập số nguyên"]}},
        "window": {"_schema": ["x"], "end": ["Sai ngày"]},
        "addressed_units": {"0": ["Mã đơn vị không tồn tại."]},
    }
    nodes = _by_path(build(PlanSchema(), PLAN_2023, errors))
    assert nodes["data.budget_lines.1.unit_amount"].errors == ["Nhập số nguyên"]
    assert nodes["data.budget_lines"].invalid and not nodes["data.budget_lines.0.item"].errors
    assert nodes["data.window.end"].errors == ["Sai ngày"] and nodes["data.window"].errors == ["x"]
    assert nodes["data.addressed_units"].errors == [
        f"{PLAN_2023['addressed_units'][0]}: Mã đơn vị không tồn tại."
    ]


def test_typed_values_are_converted_or_kept_as_typed() -> None:
    form = MultiDict(
        {
            "data.budget_lines.0.item": "Quà",
            "data.budget_lines.0.quantity": "1 000",
            "data.budget_lines.0.unit_amount": "1.000.000",
            "data.budget_lines.3.item": "Khác",
            "data.budget_lines.3.quantity": "mười",
            "data.budget_lines.3.unit_amount": "1.5",
            "data.budget_lines.5.item": "",
            "data.window.start": "31/02/2023",
            "data.window.end": "2023-08-19",
            "data.year": " 2023 ",
        }
    )
    parsed = parse(PlanSchema(), form)
    assert parsed["budget_lines"] == [
        {"item": "Quà", "quantity": 1000, "unit_amount": 1_000_000},
        {"item": "Khác", "quantity": "mười", "unit_amount": "1.5"},
    ]  # the blank third row is dropped; bad numbers stay as typed for the schema to refuse
    assert parsed["window"] == {"start": "31/02/2023", "end": "2023-08-19"}
    assert parsed["year"] == 2023 and "title" not in parsed
    assert "addressed_units" not in parsed  # not shown, so not emptied


def test_a_list_shown_and_emptied_is_sent_empty() -> None:
    form = MultiDict(
        {"data.budget_lines.__present__": "1", "data.addressed_units.__present__": "1"}
    )
    assert parse(PlanSchema(), form)["budget_lines"] == []
    assert parse(PlanSchema(), form)["addressed_units"] == []


def test_rows_are_added_and_removed_by_path() -> None:
    data: dict[str, Any] = {"budget_lines": [{"item": "A"}, {"item": "B"}]}
    add_row(data, "data.budget_lines")
    remove_row(data, "data.budget_lines.0")
    add_row(data, "data.sections")
    remove_row(data, "data.nowhere.0")
    assert data == {"budget_lines": [{"item": "B"}, {}], "sections": [{}]}


def test_a_form_may_leave_a_field_to_a_later_step() -> None:
    hidden = frozenset({"nominations.accepted"})
    nodes = _by_path(build(PlanSchema(), PLAN_2023, None, hidden=hidden))
    assert "data.nominations.0.accepted" not in nodes and "data.nominations.0.kind" in nodes
    form = flatten({"nominations": [{**PLAN_2023["nominations"][0], "accepted": True}]})
    assert "accepted" not in parse(PlanSchema(), form, hidden=hidden)["nominations"][0]


REPORT = {
    "festivals_held": 2,
    "festivals": [{"place": "Nhà văn hóa", "start": "2023-08-15", "end": "2023-08-15"}],
    "participants": 1200,
    "safety": {
        kind: {"total": 10, "meeting": 7}
        for kind in ("residential_areas", "communes", "agencies", "enterprises", "schools")
    },
    "movement": {"total": 10, "meeting": 9},
    "awards": [{"kind": "giay_khen", "count": 3}],
    "budget_spent": 25_000_000,
    "narrative": "Tổ chức Ngày hội an toàn, đúng kế hoạch.",
}


def test_the_report_form_nests_groups_in_groups() -> None:
    schema = ReportSchema()
    nodes = _by_path(build(schema, REPORT, None))
    assert nodes["data.safety"].kind == "group"
    assert nodes["data.safety.communes"].kind == "group"
    assert nodes["data.safety.communes.meeting"].kind == "integer"
    assert nodes["data.budget_spent"].kind == "money" and nodes["data.narrative"].kind == "textarea"
    assert schema.load(parse(schema, flatten(REPORT))) == schema.load(REPORT)


def test_catalogs_compile_from_a_fresh_clone(tmp_path: Path) -> None:
    po = Path(__file__).parents[2] / "service" / "translations" / "vi" / "LC_MESSAGES"
    target = tmp_path / "vi" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(po / "messages.po", target / "messages.po")
    compile_catalogs(tmp_path, logging.getLogger("test"))
    with (target / "messages.mo").open("rb") as mo:
        assert GNUTranslations(mo).gettext("Inbox") == "Hộp việc"


# (budget lines as typed, the total the form shows): quantity × unit amount, summed; a figure
# not yet a number leaves the total unknown (None) rather than wrong
BUDGET_TOTALS = [
    ([], 0),
    ([{"quantity": 3, "unit_amount": 1_500_000}], 4_500_000),
    ([{"quantity": 3, "unit_amount": 1_500_000}, {"quantity": 2, "unit_amount": 7}], 4_500_014),
    ([{"quantity": 0, "unit_amount": 900_000}], 0),
    ([{"quantity": 12, "unit_amount": 0}], 0),
    ([{"quantity": "3", "unit_amount": 1_000}], None),
    ([{"quantity": 3}], None),
    (["not a line"], None),
    ("not a list", 0),
]


@pytest.mark.parametrize(("lines", "total"), BUDGET_TOTALS)
def test_the_forms_budget_total_multiplies_each_line(lines: Any, total: int | None) -> None:
    assert budget_total(lines) == total
