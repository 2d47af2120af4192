"""A unit reads the issued plan that addressed it, and the plans above that, read-only: the
plan, its signed documents, who issued it and the deadlines that bind the unit; never the
plan's history, its tasks, its reports, nor the other units' processes."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.db.models import Agency, User, UserRole
from tests.conftest import PLAN_2023, ApiClient, FakeClock, render_documents
from tests.service.test_cascade import (
    COMMUNE_CHAIN,
    DISTRICT_CHAIN,
    POLICE,
    PROVINCE_CHAIN,
    at,
    children,
    drive,
    province,
    report,
    unit_plan,
)
from tests.service.test_statement_counts import statements_of
from tests.web.conftest import Browser

__all__ = ["province"]  # the fixture: the Thanh Hóa 2023 plan issued to five units

DISTRICT_USER, HEALTH_USER = "thuongxuan.congan", "thanhhoa.soyte"
# Bound in the province's plan (Công an tỉnh), or addressed by it: they read it in full or as
# issued; a district it did not address, and another province, read nothing of it.
NOT_ADDRESSED = ("quanson.congan", "bacgiang.congan")
# What a unit never reads of the plan above it.
FULL_ONLY = ("history", "children", "consolidated", "missing", "export", "replay")


def get(api: ApiClient, path: str, user: str, status: int = 200) -> Any:
    answer = api.get(path, user)
    assert answer.status_code == status, (path, user, answer.status_code, answer.json)
    return answer


def test_units_read_the_issued_plan_above_them_and_nothing_else(
    app: Flask, api: ApiClient, clock: FakeClock, province: int
) -> None:
    render_documents(app)  # what the render worker does within seconds of the signing
    units = children(api, province)
    district = units["Huyện Thường Xuân"]["process_id"]
    sibling = units["Huyện Nga Sơn"]["process_id"]
    (signed_plan,) = get(api, f"/api/v1/processes/{province}/documents", POLICE).json

    # a district's chain and a department read the province's plan as issued
    for user in (DISTRICT_USER, "thuongxuan.taichinh", "thuongxuan.chutich", HEALTH_USER):
        plan = get(api, f"/api/v1/processes/{province}", user).json
        assert plan["reading"] == "issued_plan"
        assert (plan["title"], plan["document"]["title"]) == (PLAN_2023["title"],) * 2
        assert plan["document"]["sections"] == PLAN_2023["sections"]
        assert plan["document"]["budget_total"] == 165_000_000
        assert plan["issuer"] == {
            "agency": "Ủy ban nhân dân tỉnh Thanh Hóa",
            "signer": "Đỗ Minh Tuấn",
            "signing_mark": None,
        }
        assert [d["number_line"] for d in plan["documents"]] == ["Số: 1/KH-BCĐ"]
        assert [(d["kind"], d["last_day"]) for d in plan["unit_deadlines"]] == [
            ("unit_plan", "2023-05-09"),
            ("unit_report", "2023-08-19"),
        ]
        # nothing of how the province carries it out
        assert not {"tasks", "reports", "bindings", "status", "version"} & set(plan)
        for part in FULL_ONLY:
            answer = get(api, f"/api/v1/processes/{province}/{part}", user, 403)
            assert answer.json["error"] == "issued_plan_only"
        # its signed plan, as signed
        assert get(api, f"/api/v1/processes/{province}/documents", user).json == [signed_plan]
        pdf = get(api, f"/api/v1/documents/{signed_plan['id']}/pdf", user).data
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000
        docx = get(api, f"/api/v1/documents/{signed_plan['id']}/docx", user).data
        assert docx.startswith(b"PK")
        # never another unit's process
        get(api, f"/api/v1/processes/{sibling}", user, 403)
        get(api, f"/api/v1/processes/{sibling}/documents", user, 403)
    get(api, f"/api/v1/processes/{district}", HEALTH_USER, 403)

    for user in NOT_ADDRESSED:
        get(api, f"/api/v1/processes/{province}", user, 403)
        get(api, f"/api/v1/processes/{province}/documents", user, 403)
        get(api, f"/api/v1/documents/{signed_plan['id']}/pdf", user, 403)
    assert get(api, f"/api/v1/processes/{province}", POLICE).json["reading"] == "full"

    # the unit's own process names the plan above it and the deadlines it sets the unit
    own = get(api, f"/api/v1/processes/{district}", DISTRICT_USER).json
    assert own["reading"] == "full"
    assert own["parent"] == {
        "id": province,
        "title": PLAN_2023["title"],
        "issued_at": plan["issued_at"],
        "issuer": plan["issuer"],
        "documents": plan["documents"],
        "award_decision": None,
        "unit_deadlines": [
            {
                "kind": "unit_plan",
                "what": "Kế hoạch của các đơn vị",
                "due": "2023-05-10",
                "last_day": "2023-05-09",
            },
            {
                "kind": "unit_report",
                "what": "Báo cáo kết quả",
                "due": "2023-08-20",
                "last_day": "2023-08-19",
            },
        ],
    }
    top = get(api, f"/api/v1/processes/{province}", POLICE).json
    assert top["parent"] is None


def test_substitutes_and_overseers_of_a_unit_read_the_plan_too(
    app: Flask, api: ApiClient, clock: FakeClock, demo_hash: str, province: int
) -> None:
    # a supervisor of the commune, of no agency bound in any chain, watches the commune's level
    # and the district's it sits in (service.operations.actors): it reads the district's
    # process in full, as before, so the plan that addressed the district as issued
    with app.extensions["session_factory"]() as session:
        commune = session.scalars(select(Agency).filter_by(code="thuong-xuan-tt-thuong-xuan")).one()
        session.add(
            User(
                username="ttthuongxuan.giamsat",
                full_name="Giám sát thị trấn Thường Xuân",
                password_hash=demo_hash,
                agency_id=commune.id,
                roles=[UserRole(role="supervisor")],
            )
        )
        session.commit()
    overseer = "ttthuongxuan.giamsat"
    district = children(api, province)["Huyện Thường Xuân"]["process_id"]
    assert get(api, f"/api/v1/processes/{district}", overseer).json["reading"] == "full"
    assert get(api, f"/api/v1/processes/{province}", overseer).json["reading"] == "issued_plan"
    get(api, f"/api/v1/processes/{province}/history", overseer, 403)
    # the chairman of an unaddressed district (a substitute signs for an agency himself),
    # named substitute by Thường Xuân's chairman
    outsider = "quanson.chutich"
    get(api, f"/api/v1/processes/{province}", outsider, 403)
    today = clock().date().isoformat()
    grant = api.post(
        "/api/v1/delegations",
        "thuongxuan.chutich",
        json={"substitute": outsider, "starts": today, "ends": today, "kind": "TUQ"},
    )
    assert grant.status_code == 201, grant.json
    assert get(api, f"/api/v1/processes/{province}", outsider).json["reading"] == "issued_plan"
    api.call("DELETE", f"/api/v1/delegations/{grant.json['id']}", "thuongxuan.chutich")
    get(api, f"/api/v1/processes/{province}", outsider, 403)


def test_a_commune_reads_its_district_plan_once_issued_and_the_province_plan_above(
    api: ApiClient, clock: FakeClock, province: int
) -> None:
    district = children(api, province)["Huyện Thường Xuân"]["process_id"]
    at(clock, "2023-05-05")
    district_plan = unit_plan("Kế hoạch huyện Thường Xuân", ["thuong-xuan-tt-thuong-xuan"])
    # drafted, not yet signed: the commune reads neither the draft nor its documents
    assert drive(api, district, DISTRICT_CHAIN[:-1], district_plan) is None
    (signing,) = get(api, f"/api/v1/tasks?process={district}", DISTRICT_CHAIN[-1]).json
    assert signing["step"] == "chairman_sign"
    commune_user = COMMUNE_CHAIN[0]
    get(api, f"/api/v1/processes/{district}", commune_user, 403)
    get(api, f"/api/v1/processes/{district}/draft/pdf", commune_user, 403)
    get(api, f"/api/v1/processes/{province}", commune_user, 403)

    assert drive(api, district, DISTRICT_CHAIN, district_plan) is None
    (commune,) = children(api, district, DISTRICT_USER).values()
    plan = get(api, f"/api/v1/processes/{district}", commune_user).json
    assert plan["reading"] == "issued_plan"
    assert plan["document"]["title"] == "Kế hoạch huyện Thường Xuân"
    assert plan["issuer"]["agency"] == "Ủy ban nhân dân huyện Thường Xuân"
    assert plan["parent"]["id"] == province
    above = get(api, f"/api/v1/processes/{province}", commune_user).json
    assert above["reading"] == "issued_plan"
    get(api, f"/api/v1/processes/{district}/history", commune_user, 403)
    own = get(api, f"/api/v1/processes/{commune['process_id']}", commune_user).json
    assert own["parent"]["id"] == district
    assert own["parent"]["documents"][0]["symbol"].startswith("KH-")
    # its task shows the same: the district's documents, none of the province's
    (task,) = get(api, f"/api/v1/tasks?process={commune['process_id']}", commune_user).json
    assert get(api, f"/api/v1/tasks/{task['id']}", commune_user).json["parent"] == own["parent"]
    # the district still reads its commune's process in full, as before
    full = get(api, f"/api/v1/processes/{commune['process_id']}", DISTRICT_USER).json
    assert full["reading"] == "full"


def test_a_unit_reads_the_plan_but_not_the_reports_its_issuer_sends_up(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    """Signed after the report deadline: the standing body consolidates at once and signs its
    report (BC); the units read the plan (KH) only."""
    at(clock, "2023-09-01")
    plan: dict[str, Any] = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = ["thanh-hoa-so-y-te", "nga-son"]
    plan["deadlines"] = [{"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"}]
    process_id = api.start_plan(POLICE)
    assert drive(api, process_id, PROVINCE_CHAIN, plan) == "consolidate_report"
    assert drive(api, process_id, [POLICE], figures=report(2, 5000, 45_000_000)) is None
    render_documents(app)
    kinds = {
        d["kind"]: d["id"]
        for d in get(api, f"/api/v1/processes/{process_id}/documents", POLICE).json
    }
    assert set(kinds) == {"KH", "BC"}
    listed = get(api, f"/api/v1/processes/{process_id}/documents", HEALTH_USER).json
    assert [d["kind"] for d in listed] == ["KH"]
    get(api, f"/api/v1/documents/{kinds['KH']}/pdf", HEALTH_USER)
    answer = get(api, f"/api/v1/documents/{kinds['BC']}/pdf", HEALTH_USER, 403)
    assert answer.json["error"] == "issued_plan_only"


def test_a_unit_reads_the_award_decision_of_the_plan_above(
    app: Flask, api: ApiClient, province: int
) -> None:
    """The Chairman's QĐ khen thưởng for the province's plan: the units it addressed read it,
    as they read the plan, and download its PDF; they cannot issue one."""
    decision_url = f"/api/v1/processes/{province}/award-decision"
    assert get(api, f"/api/v1/processes/{province}", DISTRICT_USER).json["award_decision"] is None
    assert api.post(decision_url, DISTRICT_USER).status_code == 403
    issued = api.post(decision_url, "thanhhoa.chutich")
    assert issued.status_code == 201, issued.json
    decision_id = issued.json["id"]
    # before the worker has rendered it: "being prepared"
    assert get(api, f"/api/v1/documents/{decision_id}/pdf", DISTRICT_USER, 202)
    render_documents(app)
    units = children(api, province)
    district = units["Huyện Thường Xuân"]["process_id"]

    for user in (DISTRICT_USER, "thuongxuan.chutich", HEALTH_USER):
        plan = get(api, f"/api/v1/processes/{province}", user).json
        decision = plan["award_decision"]
        assert (decision["id"], decision["number_line"]) == (decision_id, "Số: 1/QĐ-UBND")
        assert decision["subject"] == issued.json["subject"]
        assert (decision["signer"], decision["state"]) == ("Đỗ Minh Tuấn", "ready")
        listed = get(api, f"/api/v1/processes/{province}/documents", user).json
        assert [d["kind"] for d in listed] == ["KH", "QĐ"]
        pdf = get(api, f"/api/v1/documents/{decision_id}/pdf", user).data
        assert pdf.startswith(b"%PDF") and len(pdf) > 1000
        outline = get(api, decision_url, user).json
        assert (outline["decision_id"], outline["may_issue"]) == (decision_id, False)
        assert outline["awardees"]
    own = get(api, f"/api/v1/processes/{district}", DISTRICT_USER).json
    assert own["parent"]["award_decision"]["number_line"] == "Số: 1/QĐ-UBND"
    # the unit's task shows the same plan above, read with the task in one statement
    (task,) = get(api, f"/api/v1/tasks?process={district}", DISTRICT_CHAIN[0]).json
    opened = get(api, f"/api/v1/tasks/{task['id']}", DISTRICT_CHAIN[0]).json
    assert opened["parent"] == own["parent"]
    (top,) = get(api, f"/api/v1/tasks?process={province}&state=completed&limit=1", POLICE).json
    assert statements_of(app, api, f"/api/v1/tasks/{task['id']}", DISTRICT_CHAIN[0]) == (
        statements_of(app, api, f"/api/v1/tasks/{top['id']}", POLICE)
    )
    for user in NOT_ADDRESSED:
        get(api, f"/api/v1/documents/{decision_id}/pdf", user, 403)
        get(api, decision_url, user, 403)

    browser = Browser(app.test_client())
    browser.login(DISTRICT_USER)
    html = browser.get(f"/processes/{province}").get_data(as_text=True)
    assert "data-award-decision" in html and "Số: 1/QĐ-UBND" in html
    assert f"/documents/{decision_id}/pdf" in html
    assert "Issue the award decision" not in html and "Ban hành quyết định" not in html
    own_page = browser.get(f"/processes/{district}").get_data(as_text=True)
    assert "Số: 1/QĐ-UBND" in own_page and f"/documents/{decision_id}/pdf" in own_page
    assert browser.client.get(f"/documents/{decision_id}/pdf").status_code == 200
