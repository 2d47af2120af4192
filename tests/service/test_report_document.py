"""The signed report (BC) prints the table by unit and the units missing, as signed, and goes to
the standing body of the level above (seeds 000 §11, 001–003)."""

from __future__ import annotations

import copy
from typing import Any

from babel.numbers import format_percent
from flask import Flask

from service.documents.layout import vnd
from tests.conftest import PLAN_2023, ApiClient, FakeClock, render_documents
from tests.service.documents_read import docx_rows, docx_text, pdf_rows, pdf_text
from tests.service.test_cascade import (
    DISTRICT_CHAIN,
    POLICE,
    PROVINCE_CHAIN,
    at,
    children,
    drive,
    report,
    run_scheduler,
    unit_plan,
)

DISTRICT_USER = "thuongxuan.congan"
HEALTH = ["thanhhoa.soyte", "thanhhoa.soyte.giamdoc"]


def signed_report(api: ApiClient, process_id: int, user: str, kind: str = "BC") -> dict[str, Any]:
    """The process's report (BC; or its plan, KH), with its DOCX and PDF and their text."""
    render_documents(api.client.application)
    listed = api.get(f"/api/v1/processes/{process_id}/documents", user)
    assert listed.status_code == 200, listed.json
    (document,) = [d for d in listed.json if d["kind"] == kind]
    files = {}
    for fmt in ("docx", "pdf"):
        answer = api.get(f"/api/v1/documents/{document['id']}/{fmt}", user)
        assert answer.status_code == 200
        files[fmt] = bytes(answer.data)
    return {
        **document,
        "docx": docx_text(files["docx"]),
        "pdf": pdf_text(files["pdf"]),
        "files": files,
    }


UNIT_COLUMNS = [
    "Số Ngày hội",
    "Lượt người tham gia",
    "Kinh phí đã sử dụng (đồng)",
    "Tỷ lệ đạt an toàn về ANTT",
    "Phong trào xếp loại Khá trở lên",
]


def consolidated_row(figures: dict[str, Any]) -> list[str]:
    """The figures `/consolidated` returns as the report's table prints them."""
    safety = figures["safety"].values()
    rated, safe = sum(c["total"] for c in safety), sum(c["meeting"] for c in safety)
    movement = figures["movement"]
    return [
        vnd(figures["festivals_held"]),
        vnd(figures["participants"]),
        vnd(figures["budget_spent"]),
        format_percent(safe / rated, "0.0%", locale="vi"),
        format_percent(movement["meeting"] / movement["total"], "0.0%", locale="vi"),
    ]


def recipients(text: str) -> list[str]:
    """The lines of a DOCX text after "Nơi nhận:", up to "Lưu: VT, …"."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Nơi nhận"))
    found = []
    for line in lines[start + 1 :]:
        found.append(line.removeprefix("- ").rstrip(";."))
        if found[-1].startswith("Lưu"):
            return found
    raise AssertionError(f"No archive line in {found}")


def test_the_province_report_prints_its_units_and_goes_to_the_committee_and_ministry(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2023-04-20")
    plan = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = ["thuong-xuan", "thanh-hoa-so-y-te", "nga-son"]
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    province = api.start_plan(POLICE)
    assert drive(api, province, PROVINCE_CHAIN, plan) is None
    units = {name: c["process_id"] for name, c in children(api, province).items()}
    district, health = units["Huyện Thường Xuân"], units["Sở Y tế tỉnh Thanh Hóa"]

    at(clock, "2023-05-05")
    district_plan = unit_plan("Kế hoạch huyện Thường Xuân")
    assert drive(api, district, DISTRICT_CHAIN, district_plan) == "consolidate_report"
    assert drive(api, health, HEALTH, unit_plan("Kế hoạch ngành Y tế")) == "consolidate_report"

    # Thường Xuân reports on time; Nga Sơn never does; Sở Y tế reports after the deadline
    at(clock, "2023-08-10")
    district_figures = report(
        2, 1200, 30_000_000, residential=(40, 36), communes=(5, 5), movement=(45, 40)
    )
    assert drive(api, district, [DISTRICT_USER], figures=district_figures) is None
    at(clock, "2023-08-21")
    run_scheduler(app)  # the province stops waiting: its consolidation opens
    at(clock, "2023-08-22")
    health_figures = report(1, 300, 10_000_000, agencies=(12, 9), movement=(10, 9))
    assert drive(api, health, HEALTH, figures=health_figures) is None

    # the district's report goes to the province's standing body, not to the committee
    district_report = signed_report(api, district, DISTRICT_USER)
    assert recipients(district_report["docx"]) == [
        "Công an tỉnh Thanh Hóa (để b/c)",
        "Lãnh đạo BCĐ",  # signed by the district's head for its steering committee
        "Lưu: VT, CAH",
    ]
    assert "Công an tỉnh Thanh Hóa (để b/c)" in district_report["pdf"]
    assert "UBND tỉnh" not in district_report["pdf"]

    # the province consolidates: the units' sums plus its own activities
    at(clock, "2023-08-23")
    (task,) = api.get(f"/api/v1/tasks?process={province}", POLICE).json
    opened = api.get(f"/api/v1/tasks/{task['id']}", POLICE).json
    own = {**opened["units_sum"], "narrative": "Tổng hợp toàn tỉnh."}
    own["festivals_held"] += 2
    own["participants"] += 5000
    own["budget_spent"] += 45_000_000
    assert drive(api, province, [POLICE], figures=own) is None
    consolidated = api.get(f"/api/v1/processes/{province}/consolidated", POLICE).json
    assert consolidated["signed"] is True
    assert (consolidated["festivals_held"], consolidated["participants"]) == (5, 6500)
    assert consolidated["budget_spent"] == 85_000_000

    signed = signed_report(api, province, POLICE)
    for text in (signed["docx"], signed["pdf"]):
        # the totals printed are those /consolidated returns, as signed
        assert (
            f"Số Ngày hội đã tổ chức: {vnd(consolidated['festivals_held'])}; "
            f"số lượt người tham gia: {vnd(consolidated['participants'])}."
        ) in text
        assert f"Kinh phí đã sử dụng: {vnd(consolidated['budget_spent'])} đồng." in text
        assert "KẾT QUẢ CỦA CÁC ĐƠN VỊ" in text
        assert "Các đơn vị chưa báo cáo: Huyện Nga Sơn." in text
        assert "Các đơn vị báo cáo muộn: Sở Y tế tỉnh Thanh Hóa." in text
    # cell by cell, in the DOCX and in the PDF: shares from the counts, safety pooling every kind
    # rated (41/45, 9/12, 50/57), never averaged; the province's own part is the signed report
    # less its units' sum; the bold total is what /consolidated returns
    expected = [
        ["1", "Huyện Thường Xuân", "2", "1.200", "30.000.000", "91,1%", "88,9%"],
        ["2", "Sở Y tế tỉnh Thanh Hóa (muộn)", "1", "300", "10.000.000", "75,0%", "90,0%"],
        ["3", "Huyện Nga Sơn", "Chưa báo cáo", "", "", "", ""],
        ["", "Cộng các đơn vị đã báo cáo", "3", "1.500", "40.000.000", "87,7%", "89,1%"],
        ["", "Tỉnh Thanh Hóa (trực tiếp tổ chức)", "2", "5.000", "45.000.000", "—", "—"],
        ["", "Tổng cộng", *consolidated_row(consolidated)],
    ]
    assert expected[-1] == ["", "Tổng cộng", "5", "6.500", "85.000.000", "87,7%", "89,1%"]
    for rows in (docx_rows(signed["files"]["docx"]), pdf_rows(signed["files"]["pdf"])):
        header = rows.index(["TT", "Đơn vị", *UNIT_COLUMNS])
        assert rows[header + 1 : header + 1 + len(expected)] == expected
    assert recipients(signed["docx"]) == [
        "Ban Chỉ đạo 138/CP (để b/c)",
        "Bộ Công an (để b/c)",
        "Lãnh đạo BCĐ",
        "Lưu: VT, CAT",
    ]
    assert "Bộ Công an (để b/c)" in signed["pdf"]
