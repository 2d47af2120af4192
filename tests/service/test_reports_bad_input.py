"""Bad reports are refused with the reason, and the parent's figures stay as they were."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import ApiClient, FakeClock
from tests.service.test_cascade import at, drive, report, unit_plan

POLICE, HEALTH = "thanhhoa.congan", "thanhhoa.soyte"
PROVINCE = "Tỉnh Thanh Hóa"  # the plan's own unit: what the units it addresses are under


@pytest.fixture
def health_report_task(api: ApiClient, clock: FakeClock) -> tuple[int, int, int]:
    """(province process, Sở Y tế process, its open report task) after both plans are signed."""
    at(clock, "2023-04-20")
    province = api.start_plan(POLICE)
    plan = unit_plan("Kế hoạch tỉnh", ["thanh-hoa-so-y-te", "thanh-hoa-so-tttt"])
    assert (
        drive(
            api,
            province,
            [POLICE, "thanhhoa.taichinh", "thanhhoa.thiduakhenthuong", "thanhhoa.chutich"],
            plan,
        )
        is None
    )
    (health,) = [
        c["process_id"]
        for c in api.get(f"/api/v1/processes/{province}/children", POLICE).json
        if "Y tế" in c["unit"]
    ]
    signers = [HEALTH, "thanhhoa.soyte.giamdoc"]  # its staff drafts, its director signs
    assert drive(api, health, signers, unit_plan("Kế hoạch ngành Y tế")) == "consolidate_report"
    (task,) = api.get(f"/api/v1/tasks?process={health}", HEALTH).json
    return province, health, task["id"]


def errors_of(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 400, answer.json
    return dict(answer.json["errors"]["json"]["data"])


def test_shares_above_100_percent_and_negative_counts(
    api: ApiClient, health_report_task: tuple[int, int, int]
) -> None:
    province, _, task = health_report_task
    before = api.get(f"/api/v1/processes/{province}/consolidated", POLICE).json
    bad = report(1, 10, 0, agencies=(5, 6), movement=(3, 2))
    errors = errors_of(api.complete(HEALTH, task, "submit", data=bad))
    assert errors == {
        "safety": {"agencies": {"meeting": ["Cannot exceed the total (a share above 100%)."]}}
    }
    negative = report(-1, 10, 0)
    assert "festivals_held" in errors_of(api.complete(HEALTH, task, "submit", data=negative))
    assert api.get(f"/api/v1/processes/{province}/consolidated", POLICE).json == before


# (start, end, inside?) of a festival against the unit's plan window, 1 July – 19 August
FESTIVAL_DATES = [
    ("2023-07-01", "2023-07-01", True),
    ("2023-06-30", "2023-06-30", False),
    ("2023-06-30", "2023-07-02", False),  # starts before the window
    ("2023-08-19", "2023-08-19", True),
    ("2023-08-18", "2023-08-20", False),  # ends after it
    ("2023-09-01", "2023-09-01", False),
    ("2023-07-01", "2023-08-19", True),
]


def test_festival_outside_the_plan_window(
    api: ApiClient, health_report_task: tuple[int, int, int]
) -> None:
    _, _, task = health_report_task
    figures = report(1, 10, 0)
    figures["festivals"] = [
        {"place": "Hội trường", "start": start, "end": end} for start, end, _ in FESTIVAL_DATES
    ]
    refusal = {"start": ["Outside the plan's period 2023-07-01 – 2023-08-19."]}
    assert errors_of(api.complete(HEALTH, task, "submit", data=figures)) == {
        "festivals": {
            str(i): refusal for i, (*_, inside) in enumerate(FESTIVAL_DATES) if not inside
        }
    }


def test_another_unit_cannot_report_and_nobody_reports_twice(
    api: ApiClient, health_report_task: tuple[int, int, int]
) -> None:
    province, _, task = health_report_task
    figures = report(2, 100, 1_000_000)
    assert api.complete("thanhhoa.sotttt", task, "submit", data=figures).status_code == 403
    assert api.complete(HEALTH, task, "submit", data=figures).status_code == 200
    twice = api.complete(HEALTH, task, "submit", data=copy.deepcopy(figures))
    assert twice.status_code == 409
    totals = api.get(f"/api/v1/processes/{province}/consolidated", POLICE).json
    assert (totals["reported"], totals["participants"]) == (0, 0)  # not yet: its head signs it
    (sign,) = api.get("/api/v1/tasks", "thanhhoa.soyte.giamdoc").json
    assert api.complete(HEALTH, sign["id"], "approve").status_code == 403  # not the drafter
    assert api.complete("thanhhoa.soyte.giamdoc", sign["id"], "approve").status_code == 200
    totals = api.get(f"/api/v1/processes/{province}/consolidated", POLICE).json
    assert (totals["reported"], totals["participants"]) == (1, 100)


def test_a_plan_addresses_only_units_below_its_level(api: ApiClient, clock: FakeClock) -> None:
    at(clock, "2023-04-20")
    province = api.start_plan(POLICE)
    (task,) = api.get(f"/api/v1/tasks?process={province}", POLICE).json
    plan = unit_plan("Kế hoạch", ["bac-giang-so-y-te", "thanh-hoa-so-y-te", "thanh-hoa-so-y-te"])
    assert errors_of(api.complete(POLICE, task["id"], "submit", data=plan)) == {
        "addressed_units": {"0": ["Not a unit of this plan's level."], "2": ["Addressed twice."]}
    }


def test_the_round_reads_whole_before_and_after_a_unit_reports(
    api: ApiClient, health_report_task: tuple[int, int, int]
) -> None:
    """`/children`, `/missing` and `/consolidated` field by field: who stands where, who is
    missing (and under whom), whether the level signed, and each unit's figures."""
    province, health, task = health_report_task
    base = f"/api/v1/processes/{province}"
    (silent,) = [c for c in api.get(f"{base}/children", POLICE).json if c["process_id"] != health]
    by_id = {c["process_id"]: c for c in api.get(f"{base}/children", POLICE).json}
    assert [s["task_id"] for s in by_id[health]["open_steps"]] == [task]
    assert by_id[health]["open_steps"][0]["name"]  # the step as the diagram names it
    assert by_id[health]["reported"] == [] and by_id[health]["status"] == "running"
    missing = [{"process_id": health, "unit": by_id[health]["unit"], "under": PROVINCE}]
    missing.append({"process_id": silent["process_id"], "unit": silent["unit"], "under": PROVINCE})
    assert api.get(f"{base}/missing", POLICE).json == sorted(missing, key=lambda m: m["process_id"])
    assert api.get(f"{base}/missing?round=nope", POLICE).json["codes"][0] == {
        "code": "not_a_choice",
        "field": "round",
        "params": {"choices": ["result"]},
    }

    assert api.complete(HEALTH, task, "submit", data=report(2, 100, 1_000_000)).status_code == 200
    (sign,) = api.get("/api/v1/tasks", "thanhhoa.soyte.giamdoc").json
    assert api.complete("thanhhoa.soyte.giamdoc", sign["id"], "approve").status_code == 200

    after = {c["process_id"]: c for c in api.get(f"{base}/children", POLICE).json}
    assert after[health]["reported"] == ["result"] and after[health]["open_steps"] == []
    assert [m["process_id"] for m in api.get(f"{base}/missing", POLICE).json] == [
        silent["process_id"]
    ]
    totals = api.get(f"{base}/consolidated", POLICE).json
    assert {k: totals[k] for k in ("process_id", "round", "signed", "units", "reported")} == {
        "process_id": province,
        "round": "result",
        "signed": False,
        "units": 2,
        "reported": 1,
    }
    rows = {u["process_id"]: u for u in totals["by_unit"]}
    assert (rows[health]["unit"], rows[health]["late"]) == (by_id[health]["unit"], False)
    assert rows[health]["figures"]["participants"] == 100
    assert rows[silent["process_id"]]["figures"] is None
    assert [m["process_id"] for m in totals["missing"]] == [silent["process_id"]]
