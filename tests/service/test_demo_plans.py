"""The demo's plans of later years: anniversaries counted, not copied, and pilot sites that keep
their own dates."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask

from service import plan_years
from service.demo import bac_giang, campaigns, reorganisation
from service.forms import PlanSchema
from tests.conftest import DIRECTORY, ApiClient
from tests.service.audit_walk import audited


def test_anniversaries_count_from_1945_and_2005() -> None:
    assert plan_years.anniversaries(2023) == (78, 18)  # as the 2023 plan (seed 000) says
    assert plan_years.anniversaries(2026) == (81, 21)


def test_a_later_plan_counts_its_anniversaries() -> None:
    plan = campaigns._province_plan(date(2026, 8, 15), 2026)
    body = " ".join(s["body"] for s in plan["sections"])
    assert "truyền thống 81 năm của Công an nhân dân Việt Nam" in body
    assert "chào mừng 81 năm Cách mạng Tháng 8, Quốc khánh 2/9" in body
    assert "21 năm Ngày hội toàn dân bảo vệ ANTQ (19/8/2005 - 19/8/2026)" in body
    assert "78 năm" not in body and "18 năm" not in body and "2023" not in json.dumps(plan)
    assert plan["title"].endswith("năm 2026 trên địa bàn tỉnh Thanh Hóa")
    assert plan_years.plan_text_for("80 năm Ngày truyền thống Công an nhân dân", 2023, 2025) == (
        "80 năm Ngày truyền thống Công an nhân dân"
    )
    earlier = json.dumps(campaigns._province_plan(date(2025, 8, 24), 2025), ensure_ascii=False)
    assert "20 năm Ngày hội toàn dân bảo vệ ANTQ (19/8/2005 - 19/8/2025)" in earlier
    assert "chào mừng 80 năm Cách mạng Tháng 8" in earlier and "2026" not in earlier


def test_the_source_year_gives_back_the_seed_text() -> None:
    text = campaigns.PLAN.read_text(encoding="utf-8")
    assert plan_years.plan_text_for(text, 2026, 2026) == text
    seed = (campaigns.PLAN.parent / "plan_thanh_hoa_2023.json").read_text(encoding="utf-8")
    assert plan_years.plan_text_for(seed, 2023, 2023) == seed


def test_the_demo_plan_addresses_the_departments_and_the_new_communes() -> None:
    """Seed 000's plan as written after 1 July 2025: no district, no merged department."""
    plan = json.loads(campaigns.PLAN.read_text(encoding="utf-8"))
    later = tomllib.loads(reorganisation.DATA.read_text(encoding="utf-8"))
    communes = {c["code"] for c in later["commune"]}
    ended = {m["agency"] for m in later["merger"]} | {c["district"] for c in later["commune"]}
    kinds = {a["code"]: a["kind"] for a in DIRECTORY["agency"]}
    assert communes <= set(plan["addressed_units"])
    assert {s["agency"] for s in plan["pilot_sites"]} <= communes
    assert not ended & set(plan["addressed_units"])
    others = set(plan["addressed_units"]) - communes
    assert {kinds[code] for code in others} <= {"department", "board", "office"}
    assert "huyện" not in json.dumps(plan, ensure_ascii=False).lower()
    PlanSchema().load(plan)


def test_pilot_sites_keep_their_ranges_inside_the_window() -> None:
    plan = campaigns._province_plan(date(2026, 8, 15), 2026)
    start, end = date(2026, 10, 14), date(2026, 11, 3)  # days 60 and 80 of the cycle
    assert plan["window"] == {"start": start.isoformat(), "end": end.isoformat()}
    # 01–10/7 and 15–20/7 in a window opening 01/7: the same days of the demo's window
    assert [(s["start"], s["end"]) for s in plan["pilot_sites"]] == [
        ("2026-10-14", "2026-10-23"),
        ("2026-10-28", "2026-11-02"),
    ]
    PlanSchema().load(plan)  # a plan the form accepts


def test_the_bac_giang_plans_follow_seeds_002_and_003() -> None:
    directory = {a["code"] for a in DIRECTORY["agency"]}
    province = json.loads((campaigns.PLAN.parent / "plan_bac_giang_2023.json").read_text("utf-8"))
    PlanSchema().load(province)
    assert len(province["pilot_sites"]) == 14  # the 14 pilot units of seed 002, 2.5
    assert {s["agency"] for s in province["pilot_sites"]} <= directory
    assert set(province["addressed_units"]) <= directory
    assert [(d["due"], d["kind"]) for d in province["deadlines"]] == [
        ("2023-05-10", "unit_plan"),
        ("2023-05-20", "award_dossier"),
        ("2023-08-22", "unit_report"),
    ]
    assert {n["kind"] for n in province["nominations"]} == {"bang_khen_chu_tich_tinh"}
    department = json.loads(
        (campaigns.PLAN.parent / "plan_so_y_te_bac_giang_2023.json").read_text("utf-8")
    )
    PlanSchema().load(department)
    assert "bac-giang-so-y-te" in province["addressed_units"]  # seed 003 carries seed 002 out
    assert [d["due"] for d in department["deadlines"]] == ["2023-05-30", "2023-08-10"]
    assert "Nơi nhận" not in json.dumps(department, ensure_ascii=False)


def test_the_bac_giang_cycle_is_its_last_before_the_merger() -> None:
    assert bac_giang.YEAR == 2025
    plan = bac_giang.plan_for(bac_giang.PROVINCE_PLAN, 2025)
    assert [d["due"] for d in plan["deadlines"]] == ["2025-05-10", "2025-05-20", "2025-08-22"]
    assert "2023" not in json.dumps(plan, ensure_ascii=False)
    PlanSchema().load(plan)
    PlanSchema().load(bac_giang.bac_ninh_plan(2026))


def test_load_demo_plays_the_bac_giang_cascade_and_the_health_plan(
    app: Flask, api: ApiClient, tmp_path: Path
) -> None:
    audited(app, tmp_path)
    bac_giang.play(app.extensions["session_factory"], datetime(2026, 12, 2, 2, tzinfo=UTC))
    (province,) = [
        p["id"]
        for p in api.get("/api/v1/processes?limit=500", "bacninh.congan").json
        if p["parent_id"] is None and "tỉnh Bắc Giang" in p["title"]
    ]
    documents = api.get(f"/api/v1/processes/{province}/documents", "bacninh.congan").json
    assert [(d["number_line"], d["signed_at"][:10]) for d in documents] == [
        ("Số: 1/KH-BCĐ", "2025-04-17"),
        ("Số: 1/QĐ-UBND", "2025-04-18"),
    ]
    units = api.get(f"/api/v1/processes/{province}/children", "bacninh.congan").json
    # the thirteen it addressed, each handed over on 1 July to the unit that took it over
    assert len(units) == 26
    assert sum(u["status"] == "handed_over" for u in units) == 13
    health = next(u["process_id"] for u in units if u["unit"] == "Sở Y tế Bắc Giang")
    (plan,) = api.get(f"/api/v1/processes/{health}/documents", "bacgiang.soyte.tchc").json
    assert (plan["number_line"], plan["signing_mark"]) == (
        "Số: 83/KH-SYT",
        "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC",
    )
    # the unit reads the province's plan and its award decision
    above = api.get(f"/api/v1/processes/{province}", "bacgiang.soyte.tchc").json
    assert above["award_decision"]["number_line"] == "Số: 1/QĐ-UBND"
    # what is left to walk, at agencies that exist: Sở Y tế's work went to Bắc Ninh's, which
    # starts with its own plan, Sơn Động's to Xã Yên Định; Công an tỉnh Bắc Ninh consolidates
    # Bắc Giang's plan as well as its own
    for user, steps in (
        ("bacninh.soyte", [("draft_plan", "Sở Y tế tỉnh Bắc Ninh")]),
        ("yendinh.congan", [("draft_plan", "Xã Yên Định")]),
        ("bacgiang.soyte.tchc", []),
        ("sondong.congan", []),
        ("bacgiang.congan", []),
    ):
        tasks = api.get("/api/v1/tasks", user).json
        assert [(t["step"], t["process_title"].split(" — ")[-1]) for t in tasks] == steps, user
    consolidations = api.get("/api/v1/tasks", "bacninh.congan").json
    assert province in [t["process_id"] for t in consolidations]
    verified = api.get("/api/v1/audit/verify", "thanhhoa.thanhtra").json
    assert verified["first_broken"] is None, verified
