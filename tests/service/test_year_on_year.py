"""Year on year across a merger: on 1 July 2025 Bắc Giang merges into Bắc Ninh (through the
reorganisation API), and the 2026 Bắc Ninh campaign compares with the 2025 cycles of both."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask

from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.service.test_cascade import at
from tests.service.test_dashboard import act, dash
from tests.web.conftest import Browser

ADMIN = "admin"


def plan(year: int) -> dict[str, Any]:
    found = copy.deepcopy(PLAN_2023) | {"year": year, "addressed_units": [], "deadlines": []}
    found["pilot_sites"] = []
    found["window"] = {
        "start": f"{year}-07-01",
        "end": f"{year}-08-19",
    }  # the period lies in its year
    return found


def start(api: ApiClient, user: str, year: int) -> int:
    answer = api.post(
        "/api/v1/processes",
        user,
        json={"definition": "plan_chain", "title": f"Ngày hội toàn dân bảo vệ ANTQ năm {year}"},
    )
    assert answer.status_code == 201, answer.json
    process = int(answer.json["id"])
    act(api, user, process, "submit", data=plan(year))
    return process


def test_the_merged_province_compares_with_both_provinces_last_year(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    """Bắc Ninh's province-level bodies and people are in the demo directory."""
    # 2025: each province plans on its own; Bắc Giang's Finance returns its plan once
    at(clock, "2025-03-03")
    bac_giang = start(api, "bacgiang.congan", 2025)
    bac_ninh = start(api, "bacninh.congan", 2025)
    at(clock, "2025-03-04")
    act(api, "bacgiang.taichinh", bac_giang, "return", comment="Làm rõ dự toán.")
    at(clock, "2025-03-06")
    act(api, "bacgiang.congan", bac_giang, "submit", data=plan(2025))
    alone = dash(api, "compare", "bacninh.vanphong", campaign=bac_ninh).json
    assert alone["previous"] is None

    # 1 July 2025: Bắc Giang merges into Bắc Ninh, through the API
    at(clock, "2025-07-01")
    merged = api.post(
        "/api/v1/agencies/bac-giang/merge",
        ADMIN,
        json={"into": "bac-ninh", "effective": "2025-07-01"},
    )
    assert merged.status_code == 200, merged.json

    # 2026: the merged Bắc Ninh plans once; last year is both provinces' cycles, summed
    at(clock, "2026-03-02")
    this = start(api, "bacninh.congan", 2026)
    compared = dash(api, "compare", "bacninh.vanphong", campaign=this)
    assert compared.status_code == 200, compared.json
    now, before = compared.json["campaign"], compared.json["previous"]
    assert (now["year"], now["units"], now["returns"]) == (2026, 1, 0)
    assert [c["unit"] for c in now["cycles"]] == ["Tỉnh Bắc Ninh"]
    assert before["year"] == 2025 and before["id"] == bac_ninh  # its own level's names it
    assert [(c["id"], c["unit"]) for c in before["cycles"]] == [
        (bac_ninh, "Tỉnh Bắc Ninh"),
        (bac_giang, "Tỉnh Bắc Giang"),
    ]
    assert (before["units"], before["returns"]) == (2, 1)
    drafts = {s["step"]: s["done"] for s in before["steps"]}
    assert drafts["draft_plan"] == 3  # Bắc Ninh's draft, Bắc Giang's two

    # the dashboard page says which cycles last year's column sums
    page = Browser(app.test_client())
    page.login("bacninh.vanphong")
    shown = page.get(f"/dashboard/{this}").get_data(as_text=True)
    assert "những đơn vị đã hợp nhất từ đó: Tỉnh Bắc Ninh, Tỉnh Bắc Giang." in shown

    # Bắc Giang's past is Bắc Ninh's, not the other way round: Bắc Giang's supervisor, on its
    # own 2025 cycle, still sees no earlier year
    assert dash(api, "compare", "bacgiang.vanphong", campaign=bac_giang).json["previous"] is None
