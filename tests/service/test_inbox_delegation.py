"""The inbox's filters and counts, claiming, deputies (KT.) and substitutes (TUQ.)."""

from __future__ import annotations

from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.service.test_cascade import at, drive, run_scheduler

POLICE, FINANCE, AWARDS = "thanhhoa.congan", "thanhhoa.taichinh", "thanhhoa.thiduakhenthuong"
CHAIRMAN, DEPUTY = "thanhhoa.chutich", "thanhhoa.phochutich"


def test_search_ignores_diacritics_and_filters_narrow(api: ApiClient, clock: FakeClock) -> None:
    at(clock, "2023-04-20")
    api.start_plan(POLICE)
    assert len(api.get("/api/v1/tasks?q=ngay hoi toan dan", POLICE).json) == 1
    assert len(api.get("/api/v1/tasks?q=NGÀY HỘI", POLICE).json) == 1
    # every word, in any order, not the words in sequence: "Ngày hội … năm 2023 … Thanh Hóa"
    assert len(api.get("/api/v1/tasks?q=ngay hoi 2023", POLICE).json) == 1
    assert len(api.get("/api/v1/tasks?q=Thanh Hóa  ngày hội", POLICE).json) == 1
    assert api.get("/api/v1/tasks?q=ngay hoi 2024", POLICE).json == []
    assert api.get("/api/v1/tasks?q=Bắc Giang", POLICE).json == []
    assert len(api.get("/api/v1/tasks?step=draft_plan", POLICE).json) == 1
    assert api.get("/api/v1/tasks?step=chairman_sign", POLICE).json == []
    assert api.get("/api/v1/tasks/counts", POLICE).json == {"open": 1, "overdue": 0}
    at(clock, "2023-05-20")  # past the draft's SLA: the scheduler marks it overdue
    run_scheduler(api.client.application)
    assert api.get("/api/v1/tasks/counts", POLICE).json == {"open": 1, "overdue": 1}


def test_claiming_keeps_colleagues_from_completing(api: ApiClient, clock: FakeClock) -> None:
    at(clock, "2023-04-20")
    api.start_plan(POLICE)
    (task,) = api.get("/api/v1/tasks", POLICE).json
    colleague = "thanhhoa.congan.truongphong"  # same agency and role
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", POLICE).status_code == 204
    seen = api.get("/api/v1/tasks", colleague).json[0]
    assert seen["claimed_by"] == api.get("/api/v1/me", POLICE).json["full_name"]
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", colleague).status_code == 409
    taken = api.complete(colleague, task["id"], "submit", data=PLAN_2023)
    assert (taken.status_code, taken.json["error"]) == (409, "task_claimed")
    assert api.call("DELETE", f"/api/v1/tasks/{task['id']}/claim", colleague).status_code == 409
    assert api.call("DELETE", f"/api/v1/tasks/{task['id']}/claim", POLICE).status_code == 204
    assert api.complete(colleague, task["id"], "submit", data=PLAN_2023).status_code == 200


def test_the_vice_chairman_signs_for_the_chairman(api: ApiClient, clock: FakeClock) -> None:
    at(clock, "2023-04-20")
    process = api.start_plan(POLICE)
    assert drive(api, process, [POLICE, FINANCE, AWARDS], PLAN_2023) is None
    (task,) = api.get("/api/v1/tasks", DEPUTY).json
    assert (task["step"], task["acting_as"]) == ("chairman_sign", "deputy")
    assert api.complete(DEPUTY, task["id"], "approve").status_code == 200
    signed = api.get(f"/api/v1/processes/{process}", POLICE).json["tasks"][-1]
    deputy_name = api.get("/api/v1/me", DEPUTY).json["full_name"]
    assert signed["completed_by"] == deputy_name
    history = api.get(f"/api/v1/processes/{process}/history", POLICE).json
    signing = next(e for e in history if e["data"].get("step") == "chairman_sign")
    assert signing["data"]["signing_mark"] == "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    assert signing["actor"]["username"] == DEPUTY
    assert api.get("/api/v1/tasks", "thanhhoa.soyte").json[0]["acting_as"] == "self"


def test_a_substitute_signs_during_the_range_only(api: ApiClient, clock: FakeClock) -> None:
    at(clock, "2023-04-20")
    substitute = "thanhhoa.vanphong.chanhvanphong"  # Chánh Văn phòng UBND tỉnh
    grant = api.post(
        "/api/v1/delegations",
        CHAIRMAN,
        json={
            "substitute": substitute,
            "starts": "2023-04-24",
            "ends": "2023-04-28",
            "kind": "TUQ",
        },
    )
    assert grant.status_code == 201, grant.json
    process = api.start_plan(POLICE)
    assert drive(api, process, [POLICE, FINANCE, AWARDS], PLAN_2023) is None
    api.tokens.clear()  # rights are read at each request; new tokens keep the test honest
    assert api.get("/api/v1/tasks?step=chairman_sign", substitute).json == []  # not yet

    at(clock, "2023-04-25")
    (task,) = api.get("/api/v1/tasks?step=chairman_sign", substitute).json
    assert task["acting_as"] == "substitute"
    assert api.get(f"/api/v1/processes/{process}", substitute).status_code == 200
    at(clock, "2023-04-29")  # the range is over: the right is gone
    assert api.complete(substitute, task["id"], "approve").status_code == 403
    at(clock, "2023-04-26")
    assert api.complete(substitute, task["id"], "approve").status_code == 200
    done = api.get(f"/api/v1/processes/{process}", POLICE).json["tasks"][-1]
    assert done["completed_by"] == api.get("/api/v1/me", substitute).json["full_name"]
    history = api.get(f"/api/v1/processes/{process}/history", POLICE).json
    mark = next(e for e in history if e["data"].get("step") == "chairman_sign")["data"]
    chairman_id = api.get("/api/v1/me", CHAIRMAN).json["id"]
    assert mark["on_behalf_of"] == chairman_id
    assert mark["signing_mark"].startswith("TUQ. CHỦ TỊCH")
    (record,) = api.get("/api/v1/delegations", CHAIRMAN).json
    assert (record["substitute_username"], record["active"]) == (substitute, True)


def test_delegation_bad_input_and_revocation(api: ApiClient, clock: FakeClock) -> None:
    at(clock, "2023-04-20")
    bad = api.post(
        "/api/v1/delegations",
        CHAIRMAN,
        json={"substitute": "nobody", "starts": "2023-05-02", "ends": "2023-05-01", "kind": "TUQ"},
    )
    assert bad.status_code == 400
    assert set(bad.json["errors"]["json"]) == {"substitute", "ends"}
    assert (
        api.post(
            "/api/v1/delegations",
            POLICE,
            json={
                "substitute": FINANCE,
                "starts": "2023-05-01",
                "ends": "2023-05-02",
                "kind": "KT",
            },
        ).status_code
        == 403
    )
    grant = api.post(
        "/api/v1/delegations",
        CHAIRMAN,
        json={"substitute": DEPUTY, "starts": "2023-04-20", "ends": "2023-05-02", "kind": "KT"},
    ).json
    assert api.call("DELETE", f"/api/v1/delegations/{grant['id']}", DEPUTY).status_code == 403
    assert api.call("DELETE", f"/api/v1/delegations/{grant['id']}", CHAIRMAN).status_code == 204
    (record,) = api.get("/api/v1/delegations", CHAIRMAN).json
    assert record["revoked_at"] is not None and not record["active"]


def test_only_who_signs_for_an_agency_can_stand_in(api: ApiClient, clock: FakeClock) -> None:
    """The Chairman may not hand his signature to the drafter, a finance specialist or the
    auditor: a substitute signs for an agency already (a head or a deputy)."""
    at(clock, "2023-04-20")
    body = {"starts": "2023-04-24", "ends": "2023-04-28", "kind": "TUQ"}
    for staff in (POLICE, FINANCE, "thanhhoa.thanhtra"):
        answer = api.post("/api/v1/delegations", CHAIRMAN, json=body | {"substitute": staff})
        assert answer.status_code == 400
        assert answer.json["errors"]["json"]["substitute"] == [
            "Only someone who signs for an agency (a head or a deputy)."
        ]
    assert api.get("/api/v1/delegations", CHAIRMAN).json == []
    office = "thanhhoa.vanphong.chanhvanphong"
    assert (
        api.post("/api/v1/delegations", CHAIRMAN, json=body | {"substitute": office}).status_code
        == 201
    )


# (local day and hour in Thanh Hóa, does the substitute hold the chairman's task?) for a
# range from 24 to 28 April inclusive: its first and last days count whole, its edges do not
SUBSTITUTION_EDGES = [
    ("2023-04-23", 22, False),
    ("2023-04-24", 7, True),
    ("2023-04-26", 12, True),
    ("2023-04-28", 22, True),
    ("2023-04-29", 7, False),
]


def test_a_substitution_holds_from_its_first_to_its_last_day_inclusive(
    api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2023-04-20")
    substitute = "thanhhoa.vanphong.chanhvanphong"
    body = {"substitute": substitute, "starts": "2023-04-24", "ends": "2023-04-28", "kind": "TUQ"}
    assert api.post("/api/v1/delegations", CHAIRMAN, json=body).status_code == 201
    process = api.start_plan(POLICE)
    assert drive(api, process, [POLICE, FINANCE, AWARDS], PLAN_2023) is None
    seen = []
    for day, hour, _ in SUBSTITUTION_EDGES:
        at(clock, day, hour)
        tasks = api.get("/api/v1/tasks?step=chairman_sign", substitute).json
        seen.append((day, hour, len(tasks) == 1))
    assert seen == SUBSTITUTION_EDGES
