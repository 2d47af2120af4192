"""What bad input, wrong callers and stale requests get: 400/401/403/404/409, never a 500."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask

from tests.conftest import PLAN_2023, ApiClient

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"


@pytest.fixture
def draft_task(api: ApiClient) -> int:
    api.start_plan(POLICE)
    return int(api.only_task(POLICE)["id"])


def plan_with(**changes: Any) -> dict[str, Any]:
    plan = copy.deepcopy(PLAN_2023)
    plan.update(changes)
    return plan


def field_errors(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 400, answer.json
    assert answer.json["code"] == 400
    return dict(answer.json["errors"]["json"])


def test_unknown_field_in_the_envelope(api: ApiClient, draft_task: int) -> None:
    answer = api.post(
        f"/api/v1/tasks/{draft_task}/complete",
        POLICE,
        json={"decision": "submit", "data": PLAN_2023, "sneaky": 1},
    )
    assert field_errors(answer) == {"sneaky": ["Unknown field."]}


def test_unknown_field_in_the_plan(api: ApiClient, draft_task: int) -> None:
    errors = field_errors(api.complete(POLICE, draft_task, "submit", data=plan_with(colour="red")))
    assert errors == {"data": {"colour": ["Unknown field."]}}


def test_missing_fields(api: ApiClient, draft_task: int) -> None:
    answer = api.post(f"/api/v1/tasks/{draft_task}/complete", POLICE, json={"data": {}})
    assert field_errors(answer) == {"decision": ["Please fill in this field."]}
    errors = field_errors(api.complete(POLICE, draft_task, "submit", data={"title": "Kế hoạch"}))
    assert set(errors["data"]) == {"year", "window"}


def test_wrong_types_and_floats_for_money(api: ApiClient, draft_task: int) -> None:
    lines = [{"item": "Quà", "quantity": "30", "unit_amount": 1000000.5}]
    errors = field_errors(
        api.complete(POLICE, draft_task, "submit", data=plan_with(budget_lines=lines, year="2023"))
    )
    assert set(errors["data"]) == {"budget_lines", "year"}
    assert set(errors["data"]["budget_lines"]["0"]) == {"quantity", "unit_amount"}


def test_negative_amount(api: ApiClient, draft_task: int) -> None:
    lines = [{"item": "Quà", "quantity": 30, "unit_amount": -1}]
    errors = field_errors(
        api.complete(POLICE, draft_task, "submit", data=plan_with(budget_lines=lines))
    )
    assert "unit_amount" in errors["data"]["budget_lines"]["0"]


def test_window_that_ends_before_it_starts(api: ApiClient, draft_task: int) -> None:
    window = {"start": "2023-08-19", "end": "2023-07-01"}
    errors = field_errors(api.complete(POLICE, draft_task, "submit", data=plan_with(window=window)))
    assert errors == {"data": {"window": {"end": ["The end date is before the start date."]}}}


def test_unknown_addressed_unit(api: ApiClient, draft_task: int) -> None:
    units = ["thanh-hoa-so-tai-chinh", "khong-ton-tai"]
    errors = field_errors(
        api.complete(POLICE, draft_task, "submit", data=plan_with(addressed_units=units))
    )
    assert errors == {"data": {"addressed_units": {"1": ["Unknown agency code."]}}}


def test_decision_must_fit_the_step_and_a_return_needs_a_comment(
    api: ApiClient, draft_task: int
) -> None:
    assert "decision" in field_errors(api.complete(POLICE, draft_task, "approve", data=PLAN_2023))
    api.complete(POLICE, draft_task, "submit", data=PLAN_2023)
    appraisal = api.only_task(FINANCE)["id"]
    assert field_errors(api.complete(FINANCE, appraisal, "maybe")) == {
        "decision": ["Choose one of the options."]
    }
    assert "comment" in field_errors(api.complete(FINANCE, appraisal, "return", comment="  "))
    assert api.only_task(FINANCE)["state"] == "open"  # nothing was recorded


def test_malformed_json(api: ApiClient, draft_task: int) -> None:
    answer = api.post(
        f"/api/v1/tasks/{draft_task}/complete",
        POLICE,
        data="{not json",
        content_type="application/json",
    )
    assert answer.status_code == 400


def test_another_agency_or_role_gets_403(api: ApiClient, draft_task: int) -> None:
    for outsider in (FINANCE, "thanhhoa.vanphong", "bacgiang.congan"):
        assert api.complete(outsider, draft_task, "submit", data=PLAN_2023).status_code == 403
        assert api.get(f"/api/v1/tasks/{draft_task}", outsider).status_code == 403
    assert api.get("/api/v1/tasks", FINANCE).json == []
    process_id = api.get(f"/api/v1/tasks/{draft_task}", POLICE).json["process_id"]
    assert api.get(f"/api/v1/processes/{process_id}", "bacgiang.congan").status_code == 403


def test_unknown_and_completed_tasks(api: ApiClient, draft_task: int) -> None:
    assert api.complete(POLICE, 999_999, "submit", data=PLAN_2023).status_code == 404
    assert api.complete(POLICE, draft_task, "submit", data=PLAN_2023).status_code == 200
    again = api.complete(POLICE, draft_task, "submit", data=PLAN_2023)
    assert again.status_code == 409
    assert again.json["error"] == "task_not_open"


def test_tokens(api: ApiClient, app: Flask) -> None:
    assert api.get("/api/v1/me", None).status_code == 401
    bad = api.client.get("/api/v1/me", headers={"Authorization": "Bearer forged.token.value"})
    assert (bad.status_code, bad.json["error"]) == (401, "token_invalid")
    wrong = api.client.post("/api/v1/auth/token", json={"username": POLICE, "password": "nope"})
    assert wrong.status_code == 401
    assert api.get("/api/v1/me", POLICE).json["agency"]["name"] == "Công an tỉnh Thanh Hóa"
    app.config["TOKEN_TTL_SECONDS"] = -1  # every token issued so far is now too old
    expired = api.get("/api/v1/me", POLICE)
    assert (expired.status_code, expired.json["error"]) == (401, "token_expired")


def test_only_the_first_steps_agency_starts_a_plan(api: ApiClient) -> None:
    answer = api.post(
        "/api/v1/processes", "thanhhoa.thanhtra", json={"definition": "plan_chain", "title": "x"}
    )
    assert answer.status_code == 403
    answer = api.post("/api/v1/processes", POLICE, json={"definition": "nope", "title": "x"})
    assert field_errors(answer) == {"definition": ["No process “nope” is deployed."]}


def test_an_unexpected_failure_is_a_json_500_without_traceback(
    api: ApiClient, draft_task: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import service.api.tasks

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service.api.tasks, "complete_task", broken)
    answer = api.complete(POLICE, draft_task, "submit", data=PLAN_2023)
    assert answer.status_code == 500
    assert answer.json["code"] == 500
    assert "secret internals" not in answer.get_data(as_text=True)
    assert "Traceback" not in answer.get_data(as_text=True)


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        (30, "data.title"),  # 32 levels with `{` and `data`: checked as usual (not a string)
        (31, "data.title" + "[0]" * 30),  # one deeper: refused where it passes the limit
        (5000, "_schema"),  # past what the parser takes: the body as a whole
    ],
)
def test_json_nested_too_deep_is_refused_naming_where(
    api: ApiClient, draft_task: int, levels: int, field: str
) -> None:
    body = '{"decision": "submit", "data": {"title": %s}}' % _nested(levels)  # noqa: UP031
    answer = api.post(
        f"/api/v1/tasks/{draft_task}/complete",
        POLICE,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert field in [c["field"] for c in answer.json["codes"]]
