"""A diagram script that fails or exceeds its budget answers 422, leaves an incident, and an
administrator retries it after deploying a corrected diagram, or cancels the process."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PLAN_2023, ROOT, ApiClient

ADMIN, POLICE = "admin", "thanhhoa.congan"
CHAIN = (ROOT / "bpmn" / "plan_chain.bpmn").read_bytes()
DRAFT = 'name="Xây dựng kế hoạch">'.encode()


def _with_script(script: str, kind: str = "postScript") -> bytes:
    """The chain with a script on the draft: a postScript runs when it is completed, a
    preScript when it opens (at the start)."""
    element = f"<spiffworkflow:{kind}>{script}</spiffworkflow:{kind}>"
    extension = f"<bpmn:extensionElements>{element}</bpmn:extensionElements>".encode()
    return CHAIN.replace(DRAFT, DRAFT + extension, 1)


def _with_condition(condition: str) -> bytes:
    return CHAIN.replace(b'"finance" in roles</bpmn', condition.encode() + b"</bpmn", 1)


def _deploy(api: ApiClient, xml: bytes) -> dict[str, Any]:
    answer = api.post(
        "/api/v1/definitions?filename=plan_chain.bpmn",
        ADMIN,
        data=xml,
        content_type="application/xml",
    )
    assert answer.status_code == 201, answer.json
    return answer.json  # type: ignore[no-any-return]


def _fail_the_draft(api: ApiClient, xml: bytes) -> tuple[int, dict[str, Any], Any]:
    """Deploy `xml`, start a plan and submit its draft: (process, draft task, the answer)."""
    _deploy(api, xml)
    process = api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    return process, draft, api.complete(POLICE, draft["id"], "submit", data=PLAN_2023)


def _actions(api: ApiClient, process: int) -> list[str]:
    return [e["action"] for e in api.get(f"/api/v1/processes/{process}/history", ADMIN).json]


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (_with_script("while True: pass"), "exceeded its"),  # time or operations: which comes first
        (_with_script("x = 9**9**9"), "value too large"),
        (_with_script("x = math.factorial(10**7)"), "value too large"),
        (_with_script("x = 'c'*100000000"), "value too large"),
        (_with_condition("9**9**9 &gt; 0"), "value too large"),
        (_with_script("x = 1 // 0"), "ZeroDivisionError"),
    ],
    ids=["while-true", "power", "factorial", "repetition", "condition", "division"],
)
def test_a_hostile_script_answers_422_and_leaves_an_incident(
    api: ApiClient, xml: bytes, reason: str
) -> None:
    process, draft, answer = _fail_the_draft(api, xml)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"] == "script_failed" and reason in answer.json["reason"]
    assert answer.json["step"] in ("draft_plan", "has_finance")
    # the completion rolled back: the draft is still open, nothing but the incident recorded
    assert (api.only_task(POLICE)["id"], api.only_task(POLICE)["state"]) == (draft["id"], "open")
    assert _actions(api, process) == ["process_started", "incident_opened"]
    (incident,) = api.get("/api/v1/incidents", ADMIN).json
    assert incident["id"] == answer.json["incident"]
    assert (incident["process_id"], incident["operation"], incident["triggered_by"]) == (
        process,
        "complete",
        POLICE,
    )
    assert incident["step"] == answer.json["step"] and reason in incident["reason"]
    assert (incident["error"], incident["state"], incident["occurrences"]) == (
        "script_failed",
        "open",
        1,
    )
    # trying again fails again: the same incident counts it
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 422
    (again,) = api.get("/api/v1/incidents", ADMIN).json
    assert (again["id"], again["occurrences"]) == (incident["id"], 2)


def test_a_value_too_large_to_keep_is_refused(api: ApiClient) -> None:
    script = "rows = []\nfor i in range(900):\n    rows.append('x' * 2000)"
    _, _, answer = _fail_the_draft(api, _with_script(script))
    assert answer.status_code == 422
    assert "value too large: 'rows'" in answer.json["reason"]


def test_retry_after_a_corrected_diagram_moves_the_process(api: ApiClient) -> None:
    process, draft, answer = _fail_the_draft(api, _with_script("x = 9**9**9"))
    incident = answer.json["incident"]
    # retried before the fix: it still fails, and the incident stays open
    still = api.post(f"/api/v1/incidents/{incident}/retry", ADMIN)
    assert (still.status_code, still.json["error"]) == (422, "script_failed")
    assert api.get("/api/v1/incidents", ADMIN).json[0]["state"] == "open"
    fixed = _deploy(api, _with_script("x = 9**9"))
    retried = api.post(f"/api/v1/incidents/{incident}/retry", ADMIN)
    assert retried.status_code == 200, retried.json
    assert (retried.json["state"], retried.json["to_version"]) == ("resolved", fixed["version"])
    assert api.get("/api/v1/incidents", ADMIN).json == []
    assert [i["id"] for i in api.get("/api/v1/incidents?state=resolved", ADMIN).json] == [incident]
    # the drafter submits again, and the plan moves on to Finance
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200
    assert api.only_task("thanhhoa.taichinh")["step"] == "finance_appraisal"
    assert _actions(api, process)[:4] == [
        "process_started",
        "incident_opened",
        "incident_retried",
        "task_completed",
    ]
    assert api.get(f"/api/v1/processes/{process}/replay", ADMIN).json["matches"] is True
    again = api.post(f"/api/v1/incidents/{incident}/retry", ADMIN)
    assert (again.status_code, again.json["error"]) == (409, "incident_closed")


def test_cancel_ends_the_process_and_its_tasks(api: ApiClient) -> None:
    process, draft, answer = _fail_the_draft(api, _with_script("while True: pass"))
    cancelled = api.post(f"/api/v1/incidents/{answer.json['incident']}/cancel", ADMIN)
    assert (cancelled.status_code, cancelled.json["state"]) == (200, "cancelled")
    assert api.get(f"/api/v1/processes/{process}", ADMIN).json["status"] == "cancelled"
    assert api.get("/api/v1/tasks", POLICE).json == []
    late = api.complete(POLICE, draft["id"], "submit", data=PLAN_2023)
    assert (late.status_code, late.json["error"]) == (409, "task_not_open")
    assert _actions(api, process) == ["process_started", "incident_opened", "process_cancelled"]
    assert api.get(f"/api/v1/processes/{process}/replay", ADMIN).json["matches"] is True


def test_a_failed_start_leaves_an_incident_without_a_process(api: ApiClient) -> None:
    _deploy(api, _with_script("x = 'c' * 10**9", kind="preScript"))
    answer = api.post(
        "/api/v1/processes", POLICE, json={"definition": "plan_chain", "title": "Kế hoạch"}
    )
    assert (answer.status_code, answer.json["step"]) == (422, "draft_plan")
    (incident,) = api.get("/api/v1/incidents", ADMIN).json
    assert (incident["process_id"], incident["operation"]) == (None, "start")
    _deploy(api, _with_script("x = 'c' * 10", kind="preScript"))
    retried = api.post(f"/api/v1/incidents/{incident['id']}/retry", ADMIN)
    assert (retried.status_code, retried.json["state"]) == (200, "resolved")
    assert api.start_plan(POLICE)


def test_only_administrators_handle_incidents(api: ApiClient) -> None:
    _, _, answer = _fail_the_draft(api, _with_script("x = 9**9**9"))
    incident = answer.json["incident"]
    assert api.get("/api/v1/incidents", POLICE).status_code == 403
    assert api.post(f"/api/v1/incidents/{incident}/retry", POLICE).status_code == 403
    assert api.post(f"/api/v1/incidents/{incident}/cancel", "thanhhoa.chutich").status_code == 403
    assert api.post("/api/v1/incidents/999999/cancel", ADMIN).status_code == 404


def test_an_ordinary_script_still_runs(api: ApiClient) -> None:
    script = "total = 0\nfor r in roles:\n    total += len(r) * 2\nlabel = '%05d' % total"
    _, _, answer = _fail_the_draft(api, _with_script(script))
    assert answer.status_code == 200, answer.json
    assert api.get("/api/v1/incidents", ADMIN).json == []
