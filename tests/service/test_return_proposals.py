"""A reviewer's edits on a return go back as a proposal: the plan stays as its drafter submitted
it, the drafter sees what was proposed and takes it or not; the history and replay agree."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import PLAN_2023, ApiClient

POLICE, FINANCE, AUDITOR = "thanhhoa.congan", "thanhhoa.taichinh", "thanhhoa.thanhtra"
COMMENT = "Đề nghị giảm mức quà cấp xã xuống 400.000 đ."


def _returned_with_a_lower_line(api: ApiClient) -> tuple[int, dict[str, Any]]:
    """Drafted, then Finance lowers line 2 to 400.000 đ and returns it: (process, redraft)."""
    process_id = api.start_plan(POLICE)
    assert (
        api.complete(POLICE, api.only_task(POLICE)["id"], "submit", data=PLAN_2023).status_code
        == 200
    )
    lines = copy.deepcopy(PLAN_2023["budget_lines"])
    lines[1]["unit_amount"] = 400_000
    answer = api.complete(
        FINANCE,
        api.only_task(FINANCE)["id"],
        "return",
        comment=COMMENT,
        data={"budget_lines": lines},
    )
    assert answer.status_code == 200, answer.json
    return process_id, api.only_task(POLICE)


def test_a_return_keeps_the_plan_and_shows_the_drafter_the_proposal(api: ApiClient) -> None:
    process_id, redraft = _returned_with_a_lower_line(api)

    document = api.get(f"/api/v1/processes/{process_id}", POLICE).json["document"]
    assert document["budget_lines"] == PLAN_2023["budget_lines"]  # not applied
    assert document["budget_total"] == 165_000_000  # what the drafter submitted

    detail = api.get(f"/api/v1/tasks/{redraft['id']}", POLICE).json
    assert detail["document"]["budget_lines"][1]["unit_amount"] == 500_000
    proposal = detail["proposal"]
    assert proposal["changes"] == [
        {"path": "budget_lines[1].unit_amount", "current": 500_000, "proposed": 400_000}
    ]
    assert proposal["comment"] == COMMENT and proposal["step"] == "finance_appraisal"
    assert proposal["agency"] == "Sở Tài chính tỉnh Thanh Hóa"
    assert proposal["by"] == api.get("/api/v1/me", FINANCE).json["full_name"]

    events = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    returned = events[-1]["data"]
    assert returned["decision"] == "return" and returned["changes"] == []
    assert returned["proposed"] == [
        {"path": "budget_lines[1].unit_amount", "old": 500_000, "new": 400_000}
    ]


@pytest.mark.parametrize("accepts", [True, False])
def test_the_drafter_takes_the_proposal_or_not(api: ApiClient, accepts: bool) -> None:
    process_id, redraft = _returned_with_a_lower_line(api)
    plan = copy.deepcopy(PLAN_2023)
    if accepts:
        plan["budget_lines"][1]["unit_amount"] = 400_000
    answer = api.complete(POLICE, redraft["id"], "submit", data=plan)
    assert answer.status_code == 200, answer.json

    total = 30 * 1_000_000 + 270 * (400_000 if accepts else 500_000)
    document = api.get(f"/api/v1/processes/{process_id}", POLICE).json["document"]
    assert document["budget_total"] == total
    events = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    assert events[-1]["data"]["changes"] == (
        [{"path": "budget_lines[1].unit_amount", "old": 500_000, "new": 400_000}] if accepts else []
    )
    appraisal = api.get(f"/api/v1/tasks/{api.only_task(FINANCE)['id']}", FINANCE).json
    assert appraisal["proposal"] is None  # a submission carries no proposal
    assert appraisal["document"]["budget_total"] == total

    replayed = api.get(f"/api/v1/processes/{process_id}/replay", AUDITOR).json
    assert replayed["matches"], replayed["divergences"]


def test_a_return_without_edits_proposes_nothing(api: ApiClient) -> None:
    process_id = api.start_plan(POLICE)
    assert (
        api.complete(POLICE, api.only_task(POLICE)["id"], "submit", data=PLAN_2023).status_code
        == 200
    )
    appraisal = api.only_task(FINANCE)["id"]
    body = {"budget_lines": PLAN_2023["budget_lines"]}
    assert api.complete(FINANCE, appraisal, "return", comment=COMMENT, data=body).status_code == 200
    redraft = api.only_task(POLICE)
    assert api.get(f"/api/v1/tasks/{redraft['id']}", POLICE).json["proposal"] is None
    events = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    assert "proposed" not in events[-1]["data"]
    replayed = api.get(f"/api/v1/processes/{process_id}/replay", AUDITOR).json
    assert replayed["matches"], replayed["divergences"]
