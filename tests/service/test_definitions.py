"""Deploying diagrams through the API; running instances keep the version they started on."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import PLAN_2023, ROOT, ApiClient

ADMIN, POLICE = "admin", "thanhhoa.congan"
CHAIN = (ROOT / "bpmn" / "plan_chain.bpmn").read_bytes()


def _deploy(api: ApiClient, xml: bytes, user: str = ADMIN, name: str = "plan_chain.bpmn") -> object:
    return api.post(
        f"/api/v1/definitions?filename={name}", user, data=xml, content_type="application/xml"
    )


def test_list_shows_the_deployed_chain(api: ApiClient) -> None:
    rows = {r["process_id"]: r for r in api.get("/api/v1/definitions", POLICE).json}
    assert set(rows) == {"plan_chain", "movement_plan"}
    assert rows["plan_chain"]["version"] == 1
    assert rows["plan_chain"]["roles"] == ["standing_body", "finance", "home_affairs", "chairman"]


def test_only_administrators_deploy(api: ApiClient) -> None:
    assert _deploy(api, CHAIN, user=POLICE).status_code == 403  # type: ignore[attr-defined]


def test_same_file_is_not_a_new_version(api: ApiClient) -> None:
    answer = _deploy(api, CHAIN)
    assert (answer.status_code, answer.json["version"]) == (200, 1)  # type: ignore[attr-defined]


def test_running_instance_keeps_its_version(api: ApiClient) -> None:
    old = api.start_plan(POLICE)
    changed = CHAIN.replace("Xây dựng kế hoạch".encode(), "Dự thảo kế hoạch".encode())
    upload = api.post(
        "/api/v1/definitions",
        ADMIN,
        content_type="multipart/form-data",
        data={"file": (__import__("io").BytesIO(changed), "plan_chain.bpmn")},
    )
    assert (upload.status_code, upload.json["version"]) == (201, 2)
    new = api.start_plan(POLICE)
    versions = {
        p: api.get(f"/api/v1/processes/{p}", POLICE).json["definition"]["version"]
        for p in (old, new)
    }
    assert versions == {old: 1, new: 2}
    names = {t["process_id"]: t["name"] for t in api.get("/api/v1/tasks", POLICE).json}
    assert names == {old: "Xây dựng kế hoạch", new: "Dự thảo kế hoạch"}


def test_a_broken_diagram_is_refused_with_element_and_reason(api: ApiClient) -> None:
    broken = CHAIN.replace(b'targetRef="finance_appraisal"', b'targetRef="missing_task"')
    answer = _deploy(api, broken)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    (problem,) = answer.json["errors"]["json"]["bpmn"]  # type: ignore[attr-defined]
    assert problem["file"] == "plan_chain.bpmn"
    assert problem["reason"]
    assert problem["element_id"] or problem["line"]


def test_garbage_and_empty_bodies_are_400(api: ApiClient, tmp_path: Path) -> None:
    assert _deploy(api, b"\xff\xfe not xml").status_code == 400  # type: ignore[attr-defined]
    assert _deploy(api, b"").status_code == 400  # type: ignore[attr-defined]
    assert _deploy(api, b"<html><body>hi</body></html>").status_code == 400  # type: ignore[attr-defined]


def test_a_user_task_of_no_known_kind_is_refused_naming_it(api: ApiClient) -> None:
    """A step the service would not know how to show or check is not deployed silently."""
    renamed = CHAIN.replace(b"finance_appraisal", b"budget_check")
    answer = _deploy(api, renamed)
    assert answer.status_code == 400  # type: ignore[attr-defined]
    (problem,) = answer.json["errors"]["json"]["bpmn"]  # type: ignore[attr-defined]
    assert problem["element_id"] == "budget_check" and problem["line"]
    assert "budget_check" in problem["reason"] and "review" in problem["reason"]
    # naming the generic kind deploys it: a step that approves or returns, with no fields
    generic = renamed.replace(
        'name="Thẩm định kinh phí">'.encode(),
        b'name="Ki\xe1\xbb\x83m tra">'
        b"<bpmn:extensionElements><spiffworkflow:properties>"
        b'<spiffworkflow:property name="form" value="review" />'
        b"</spiffworkflow:properties></bpmn:extensionElements>",
    )
    assert _deploy(api, generic).status_code == 201  # type: ignore[attr-defined]
    api.start_plan(POLICE)
    (task,) = api.get("/api/v1/tasks", POLICE).json
    plan = {"decision": "submit", "data": PLAN_2023}
    assert api.post(f"/api/v1/tasks/{task['id']}/complete", POLICE, json=plan).status_code == 200
    (check,) = api.get("/api/v1/tasks", "thanhhoa.taichinh").json
    assert check["step"] == "budget_check"
    done = api.complete("thanhhoa.taichinh", check["id"], "approve")
    assert done.status_code == 200, done.json


def test_a_failing_condition_is_a_422_and_the_process_stays_where_it_was(api: ApiClient) -> None:
    """A diagram whose condition fails at run time (here a division by zero once the draft is
    submitted) answers 422 naming the reason, never a 500; nothing of the completion is kept."""
    broken = CHAIN.replace(b'"finance" in roles</bpmn', b"1 // 0 == 0</bpmn", 1)
    assert _deploy(api, broken).status_code == 201  # type: ignore[attr-defined]
    process = api.start_plan(POLICE)
    (draft,) = api.get("/api/v1/tasks", POLICE).json
    answer = api.complete(POLICE, draft["id"], "submit", data=PLAN_2023)
    assert answer.status_code == 422
    assert answer.json["error"] == "script_failed" and "1 // 0 == 0" in answer.json["message"]
    (still,) = api.get("/api/v1/tasks", POLICE).json
    assert (still["id"], still["state"]) == (draft["id"], "open")
    history = api.get(f"/api/v1/processes/{process}/history", POLICE).json
    # nothing of the completion is kept; the incident it left is recorded
    assert [e["action"] for e in history] == ["process_started", "incident_opened"]
