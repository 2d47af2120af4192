"""Known answers for the documents' content (service.documents.content): a plan with every
part, a consolidated report with late, missing and own figures, a two-kind award decision and
a deputy's signature, each compared whole (headings, table columns and rows, appendices,
signature block) to a reviewed copy in golden/. The other tests look for a few substrings and
totals; a renamed column, a dropped row or a swapped label passed them (mutation run, issue 16).

After a deliberate change of a document, GOLDEN_UPDATE=1 rewrites the copies: read the diff."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.documents.content import (
    Awardee,
    Issuer,
    Signing,
    UnitFigures,
    decision_document,
    plan_document,
    report_document,
)
from service.documents.layout import OfficialDocument, to_data

GOLDEN = Path(__file__).parent / "golden"
COMMITTEE = Issuer("BAN CHỈ ĐẠO 138", "UBND TỈNH THANH HÓA", "BCĐ", "Thanh Hóa", "TRƯỞNG BAN")
PEOPLES_COMMITTEE = Issuer(
    "ỦY BAN NHÂN DÂN TỈNH THANH HÓA", None, "UBND", "Thanh Hóa", "CHỦ TỊCH", "ỦY BAN NHÂN DÂN"
)
HEALTH = Issuer("SỞ Y TẾ", "UBND TỈNH THANH HÓA", "SYT", "Thanh Hóa", "GIÁM ĐỐC")
SIGNED = Signing(7, date(2023, 5, 4), "Đỗ Minh Tuấn", None)
DEPUTY = Signing(12, date(2023, 9, 1), "Lê Đức Giang", "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH")


def _count(total: int, meeting: int) -> dict[str, int]:
    return {"total": total, "meeting": meeting}


PLAN: dict[str, Any] = {
    "title": "Kế hoạch tổ chức Ngày hội toàn dân bảo vệ an ninh Tổ quốc năm 2023",
    "year": 2023,
    "window": {"start": "2023-07-01", "end": "2023-08-19"},
    "sections": [
        {"heading": "I. MỤC ĐÍCH, YÊU CẦU", "body": "Phát huy sức mạnh.\n\nBảo đảm an toàn."},
    ],
    "pilot_sites": [
        {"name": "Xã Hoằng Quỳ", "start": "2023-08-10", "end": "2023-08-10", "agency": "hq"},
        {"name": "Phường Đông Sơn", "start": "2023-08-15", "end": "2023-08-16"},
    ],
    "budget_lines": [
        {"item": "Quà tặng điểm chỉ đạo", "quantity": 3, "unit_amount": 5_000_000},
        {"item": "Khen thưởng", "quantity": 12, "unit_amount": 500_000},
    ],
    "nominations": [
        {"kind": "giay_khen", "nominee": "Tổ dân phố 3", "reason": "Tiêu biểu.", "accepted": True},
        {
            "kind": "bang_khen_chu_tich_tinh",
            "nominee": "Nguyễn Văn An",
            "reason": "Xuất sắc.",
            "accepted": False,
        },
        {"kind": "ky_niem_chuong", "nominee": "Lê Thị Bình", "reason": "Lâu năm."},
    ],
    "addressed_units": ["thanh-hoa-so-y-te"],
    "deadlines": [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ],
}
REPORT: dict[str, Any] = {
    "festivals_held": 5,
    "festivals": [{"place": "Xã Hoằng Quỳ", "start": "2023-08-10", "end": "2023-08-11"}],
    "participants": 12_500,
    "safety": {
        "residential_areas": _count(40, 37),
        "communes": _count(20, 18),
        "agencies": _count(10, 10),
        "enterprises": _count(8, 5),
        "schools": _count(0, 0),
    },
    "movement": _count(50, 41),
    "awards": [{"kind": "giay_khen", "count": 4}, {"kind": "ky_niem_chuong", "count": 1}],
    "budget_spent": 45_000_000,
    "narrative": "Tổ chức đúng kế hoạch.\n\nCòn một đơn vị chậm.",
    "adjustment_reason": "Sở Y tế báo cáo trùng một điểm.",
}
UNIT_REPORT = {**REPORT, "festivals_held": 2, "participants": 3_000, "budget_spent": 9_000_000}
UNITS = [
    UnitFigures("Sở Y tế", UNIT_REPORT),
    UnitFigures("Sở Tài chính", {**UNIT_REPORT, "festivals_held": 1}, late=True),
    UnitFigures("Sở Thông tin và Truyền thông", None),
]

DOCUMENTS = {
    "plan": lambda: plan_document(
        COMMITTEE, PLAN, SIGNED, ["Như trên", "Lưu: VT"], ["Kế hoạch số 79/KH-BCĐ"]
    ),
    "report": lambda: report_document(
        PEOPLES_COMMITTEE,
        "Kế hoạch tổ chức Ngày hội",
        2023,
        "annual",
        REPORT,
        DEPUTY,
        ["Bộ Công an"],
        UNITS,
        "Tỉnh Thanh Hóa (trực tiếp tổ chức)",
    ),
    "unit_report": lambda: report_document(
        HEALTH, "Kế hoạch ngành Y tế", 2023, "half_year", REPORT, SIGNED, ["UBND tỉnh"]
    ),
    # a round without a subject of its own, the default own row, an award kind since retired
    "other_round": lambda: report_document(
        HEALTH,
        "Kế hoạch ngành Y tế",
        2023,
        "quarter",
        {**REPORT, "awards": [{"kind": "bang_khen_bo", "count": 1}]},
        SIGNED,
        ["UBND tỉnh"],
        [UnitFigures("Bệnh viện Đa khoa tỉnh", UNIT_REPORT)],
    ),
    "decision": lambda: decision_document(
        PEOPLES_COMMITTEE,
        2023,
        ["Căn cứ Luật Thi đua, khen thưởng;", "Theo đề nghị của Giám đốc Sở Nội vụ."],
        [
            Awardee("giay_khen", "Tổ dân phố 3", "Tiêu biểu."),
            Awardee("bang_khen_chu_tich_tinh", "Nguyễn Văn An", "Xuất sắc."),
            Awardee("giay_khen", "Xã Hoằng Quỳ", "Điểm chỉ đạo."),
        ],
        "Chánh Văn phòng UBND tỉnh, Giám đốc Sở Nội vụ",
        DEPUTY,
        ["Như Điều 3"],
    ),
}


def _data(document: OfficialDocument) -> Any:
    return json.loads(json.dumps(to_data(document), ensure_ascii=False, default=str))


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_reads_as_its_reviewed_copy(name: str) -> None:
    found = _data(DOCUMENTS[name]())
    path = GOLDEN / f"{name}.json"
    if os.environ.get("GOLDEN_UPDATE") == "1":
        path.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert found == json.loads(path.read_text(encoding="utf-8"))
