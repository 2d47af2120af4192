"""The whole approval chain through the HTTP API, as the demo users walk it."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from service.db.models import Task
from service.db.uow import UnitOfWork
from service.errors import Forbidden
from service.operations.actors import load_actor
from service.operations.processes import start_process
from service.operations.tasks import complete_task
from tests.conftest import PLAN_2023, ApiClient

POLICE, FINANCE, AWARDS, CHAIRMAN = (
    "thanhhoa.congan",
    "thanhhoa.taichinh",
    "thanhhoa.thiduakhenthuong",
    "thanhhoa.chutich",
)


def test_draft_return_redraft_adjust_approve_sign(api: ApiClient) -> None:
    process_id = api.start_plan(POLICE)

    draft = api.only_task(POLICE)
    assert (draft["step"], draft["agency"]["name"]) == ("draft_plan", "Công an tỉnh Thanh Hóa")
    answer = api.complete(POLICE, draft["id"], "submit", data=PLAN_2023)
    assert answer.status_code == 200, answer.json
    assert answer.json["next_steps"] == ["Thẩm định kinh phí"]
    assert api.get("/api/v1/tasks", POLICE).json == []

    appraisal = api.only_task(FINANCE)
    detail = api.get(f"/api/v1/tasks/{appraisal['id']}", FINANCE).json
    assert detail["document"]["budget_total"] == 165_000_000
    assert detail["document"]["title"] == PLAN_2023["title"]
    returned = api.complete(
        FINANCE, appraisal["id"], "return", comment="Đề nghị làm rõ số suất quà cấp xã."
    )
    assert returned.status_code == 200, returned.json

    redraft = api.only_task(POLICE)
    assert redraft["step"] == "draft_plan" and redraft["id"] != draft["id"]
    previous = api.get(f"/api/v1/tasks/{redraft['id']}", POLICE).json["previous"]
    assert previous["decision"] == "return"
    assert previous["comment"] == "Đề nghị làm rõ số suất quà cấp xã."
    assert previous["agency"]["name"] == "Sở Tài chính tỉnh Thanh Hóa"
    assert api.complete(POLICE, redraft["id"], "submit", data=PLAN_2023).status_code == 200

    appraisal = api.only_task(FINANCE)
    lines = copy.deepcopy(PLAN_2023["budget_lines"])
    lines[1]["unit_amount"] = 400_000
    answer = api.complete(
        FINANCE,
        appraisal["id"],
        "approve",
        comment="Điều chỉnh mức quà cấp xã.",
        data={"budget_lines": lines},
    )
    assert answer.status_code == 200, answer.json

    review = api.only_task(AWARDS)
    nominations = [{**n, "accepted": True} for n in PLAN_2023["nominations"]]
    answer = api.complete(AWARDS, review["id"], "approve", data={"nominations": nominations})
    assert answer.status_code == 200, answer.json

    signing = api.only_task(CHAIRMAN)
    answer = api.complete(CHAIRMAN, signing["id"], "approve")
    assert answer.status_code == 200, answer.json
    assert answer.json["next_steps"] == []  # signed and issued: it now waits for the reports

    process = api.get(f"/api/v1/processes/{process_id}", POLICE).json
    assert process["status"] == "running"
    assert process["issued_at"] is not None
    assert process["document"]["budget_total"] == 30 * 1_000_000 + 270 * 400_000
    assert [n["accepted"] for n in process["document"]["nominations"]] == [True] * len(nominations)
    who_did_what = [
        (t["step"], t["agency"], t["completed_by"], t["decision"]) for t in process["tasks"]
    ]
    names = {
        u: api.get("/api/v1/me", u).json["full_name"] for u in (POLICE, FINANCE, AWARDS, CHAIRMAN)
    }
    assert who_did_what == [
        ("draft_plan", "Công an tỉnh Thanh Hóa", names[POLICE], "submit"),
        ("finance_appraisal", "Sở Tài chính tỉnh Thanh Hóa", names[FINANCE], "return"),
        ("draft_plan", "Công an tỉnh Thanh Hóa", names[POLICE], "submit"),
        ("finance_appraisal", "Sở Tài chính tỉnh Thanh Hóa", names[FINANCE], "approve"),
        ("award_review", "Ban Thi đua - Khen thưởng tỉnh Thanh Hóa", names[AWARDS], "approve"),
        ("chairman_sign", "Ủy ban nhân dân tỉnh Thanh Hóa", names[CHAIRMAN], "approve"),
    ]

    events = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [(e["action"], e["data"].get("step"), e["data"].get("decision")) for e in events] == [
        ("process_started", None, None),
        ("task_completed", "draft_plan", "submit"),
        ("task_completed", "finance_appraisal", "return"),
        ("task_completed", "draft_plan", "submit"),
        ("task_completed", "finance_appraisal", "approve"),
        ("task_completed", "award_review", "approve"),
        ("task_completed", "chairman_sign", "approve"),
        ("document_issued", None, None),
        ("plan_issued", None, None),
    ]
    assert events[-1]["data"]["units"] == PLAN_2023["addressed_units"]
    assert events[2]["data"]["comment"] == "Đề nghị làm rõ số suất quà cấp xã."
    assert events[2]["actor"]["username"] == FINANCE and events[2]["role"] == "finance"
    assert events[4]["data"]["changes"] == [
        {"path": "budget_lines[1].unit_amount", "old": 500_000, "new": 400_000}
    ]
    assert events[3]["data"]["changes"] == []  # the redraft resubmitted the same plan


def test_the_award_review_gives_every_nomination_a_verdict(api: ApiClient) -> None:
    """A nomination left unreviewed cannot pass; the drafter cannot decide verdicts."""
    api.start_plan(POLICE)
    decided = {
        **PLAN_2023,
        "nominations": [{**n, "accepted": True} for n in PLAN_2023["nominations"]],
    }
    assert (
        api.complete(POLICE, api.only_task(POLICE)["id"], "submit", data=decided).status_code == 200
    )
    assert api.complete(FINANCE, api.only_task(FINANCE)["id"], "approve").status_code == 200
    review = api.only_task(AWARDS)
    detail = api.get(f"/api/v1/tasks/{review['id']}", AWARDS).json
    assert [n["accepted"] for n in detail["document"]["nominations"]] == [None, None, None]
    nominations = [{**n, "accepted": True} for n in PLAN_2023["nominations"]]
    nominations[1]["accepted"] = None  # forgotten
    answer = api.complete(AWARDS, review["id"], "approve", data={"nominations": nominations})
    assert answer.status_code == 400
    assert answer.json["errors"]["json"]["data"] == {
        "nominations": {"1": {"accepted": ["Give a verdict: accepted or not."]}}
    }
    assert api.complete(AWARDS, review["id"], "approve").status_code == 400  # none reviewed
    nominations[1]["accepted"] = False
    answer = api.complete(AWARDS, review["id"], "approve", data={"nominations": nominations})
    assert answer.status_code == 200, answer.json


def test_whoever_drafted_a_plan_cannot_sign_it(app: Flask, api: ApiClient) -> None:
    """Separation of duties: a department's head signs what its staff drafted. A head who also
    drafts (given both roles) may draft, but then someone else signs."""
    assert "chairman" not in api.get("/api/v1/me", "thanhhoa.soyte").json["roles"]
    new_uow = lambda: UnitOfWork(app.extensions["session_factory"], clock=app.extensions["clock"])  # noqa: E731
    head = load_actor(new_uow(), api.get("/api/v1/me", "thanhhoa.soyte.giamdoc").json["id"])
    both = replace(head, roles=head.roles | {"standing_body"})
    process = start_process(new_uow(), both, "plan_chain", "Kế hoạch của Sở Y tế")
    # the department's own plan: no units below it, so its pilot sites name none
    sites = [{**site, "agency": None} for site in PLAN_2023["pilot_sites"]]
    plan = {**PLAN_2023, "addressed_units": [], "nominations": [], "pilot_sites": sites}
    with new_uow() as uow:
        (draft,) = uow.session.scalars(select(Task.id).filter_by(instance_id=process, state="open"))
    complete_task(new_uow(), both, draft, "submit", None, plan)
    with new_uow() as uow:
        (sign,) = uow.session.scalars(select(Task).filter_by(instance_id=process, state="open"))
        assert sign.form == "chairman_sign"
        sign_id = sign.id
    with pytest.raises(Forbidden) as refused:
        complete_task(new_uow(), both, sign_id, "approve", None, {})
    assert refused.value.code == "drafter_cannot_sign"
    answer = api.complete("thanhhoa.soyte.giamdoc", sign_id, "return", comment="Làm lại.")
    assert answer.status_code == 403  # the same person, through the API
    # (the usual way round, staff drafts and the head signs, is walked in test_cascade)
