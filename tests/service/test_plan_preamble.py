"""A signed plan opens with the documents it implements ("Thực hiện …", seeds 000–004): the
drafter's, else the campaign's, and for a unit's plan the plan of the level above as issued;
after the signature come its appendices (Phụ lục): the budget in detail and the outline of
the report its units send, each on a page of its own, in DOCX and PDF."""

from __future__ import annotations

import copy
import io

from flask import Flask
from pypdf import PdfReader

from tests.conftest import PLAN_2023, ApiClient, FakeClock
from tests.service.documents_read import docx_rows, pdf_rows
from tests.service.test_cascade import (
    DISTRICT_CHAIN,
    POLICE,
    PROVINCE_CHAIN,
    at,
    children,
    drive,
    unit_plan,
)
from tests.service.test_report_document import recipients, signed_report

GUIDANCE = (
    "Hướng dẫn số 21/HD-BCĐ ngày 04/11/2022 của Ban Chỉ đạo thực hiện phong trào toàn dân bảo "
    "vệ ANTQ Trung ương về tổ chức “Ngày hội toàn dân bảo vệ an ninh Tổ quốc” năm 2023"
)
DECISION_521 = (
    "Quyết định số 521/QĐ-TTg ngày 13/6/2005 của Thủ tướng Chính phủ về việc lấy ngày 19/8 hằng "
    "năm là “Ngày hội toàn dân bảo vệ an ninh Tổ quốc”"
)
BUDGET = [
    ["TT", "Nội dung", "Số suất", "Mức (đồng)", "Thành tiền (đồng)"],
    ["1", PLAN_2023["budget_lines"][0]["item"], "30", "1.000.000", "30.000.000"],
    ["2", PLAN_2023["budget_lines"][1]["item"], "270", "500.000", "135.000.000"],
    ["", "Tổng cộng", "", "", "165.000.000"],
]


def _plan() -> dict[str, object]:
    plan = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = ["thuong-xuan"]
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    return plan


def _pages(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_province_plan_cites_the_campaign_and_carries_its_appendices(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2023-04-20")
    province = api.start_plan(POLICE)
    assert drive(api, province, PROVINCE_CHAIN, _plan()) is None
    plan = signed_report(api, province, POLICE, kind="KH")
    preamble = f"Thực hiện {DECISION_521}; {GUIDANCE}."
    attached = "(Kèm theo Kế hoạch số 1/KH-BCĐ ngày 20/4/2023 của BAN CHỈ ĐẠO 138)"
    lines = plan["docx"].split("\n")
    # the preamble first, before section I; the budget's total in the body, its detail after
    assert lines.index(preamble) < lines.index("I. MỤC ĐÍCH, YÊU CẦU")
    total = "Tổng kinh phí: 165.000.000 đồng (chi tiết tại Phụ lục I kèm theo)."
    outline = "Các đơn vị báo cáo kết quả theo đề cương tại Phụ lục II kèm theo."
    assert lines.index("VIII. KINH PHÍ") + 1 == lines.index(total)
    appendices = (("Phụ lục I", "DỰ TOÁN KINH PHÍ"), ("Phụ lục II", "ĐỀ CƯƠNG BÁO CÁO KẾT QUẢ"))
    for label, title in appendices:
        at_ = lines.index(label)
        assert lines[at_ : at_ + 3] == [label, title, attached]
    assert outline in lines and "Thời hạn gửi báo cáo: trước ngày 20/08/2023." in lines
    assert docx_rows(plan["files"]["docx"])[-len(BUDGET) - 6 : -6] == BUDGET

    text, due = plan["pdf"], "Thời hạn gửi báo cáo: trước ngày 20/08/2023."
    for line in (preamble, total, outline, attached, due):
        assert line in text, line
    rows = pdf_rows(plan["files"]["pdf"])
    header = rows.index(BUDGET[0])
    assert rows[header : header + len(BUDGET)] == BUDGET
    # each appendix on a page of its own, after the page that carries the signature
    pages = _pages(plan["files"]["pdf"])
    signed = next(i for i, page in enumerate(pages) if "Đỗ Minh Tuấn" in page)
    first = next(i for i, page in enumerate(pages) if page.startswith("Phụ lục I DỰ TOÁN"))
    second = next(i for i, page in enumerate(pages) if page.startswith("Phụ lục II ĐỀ CƯƠNG"))
    assert signed < first < second == len(pages) - 1
    assert "Phụ lục" not in pages[signed].split("Nơi nhận")[1]


def test_the_drafter_writes_the_preamble_and_a_unit_cites_the_plan_above(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2023-04-20")
    plan = _plan()
    own = "Kế hoạch số 79/KH-BCĐ ngày 26/4/2023 của Ban Chỉ đạo 138 tỉnh về tổ chức Ngày hội"
    plan["grounds"] = [{"text": DECISION_521}, {"text": own}]
    province = api.start_plan(POLICE)
    assert drive(api, province, PROVINCE_CHAIN, plan) is None
    written = signed_report(api, province, POLICE, kind="KH")
    for text in (written["docx"], written["pdf"]):
        assert f"Thực hiện {DECISION_521}; {own}." in text
        assert GUIDANCE not in text

    (district,) = children(api, province).values()
    at(clock, "2023-05-05")
    title = "Kế hoạch tổ chức Ngày hội huyện Thường Xuân"
    assert drive(api, district["process_id"], DISTRICT_CHAIN, unit_plan(title)) is not None
    unit = signed_report(api, district["process_id"], DISTRICT_CHAIN[0], kind="KH")
    subject = PLAN_2023["title"][:1].lower() + PLAN_2023["title"][1:]
    above = f"Thực hiện Kế hoạch số 1/KH-BCĐ ngày 20/4/2023 của BAN CHỈ ĐẠO 138 về {subject}."
    for text in (unit["docx"], unit["pdf"]):
        assert above in text
        assert "Phụ lục" not in text  # no budget, no units of its own: no appendix
    assert recipients(unit["docx"]) == ["Công an tỉnh Thanh Hóa (để b/c)", "Lưu: VT, CAH"]


def test_a_units_drafter_may_cite_its_own_grounds_instead_of_the_plan_above(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    at(clock, "2023-04-20")
    province = api.start_plan(POLICE)
    assert drive(api, province, PROVINCE_CHAIN, _plan()) is None
    (district,) = children(api, province).values()
    at(clock, "2023-05-05")
    plan = unit_plan("Kế hoạch tổ chức Ngày hội huyện Thường Xuân")
    plan["grounds"] = [{"text": DECISION_521}]
    assert drive(api, district["process_id"], DISTRICT_CHAIN, plan) is not None
    unit = signed_report(api, district["process_id"], DISTRICT_CHAIN[0], kind="KH")
    for text in (unit["docx"], unit["pdf"]):
        assert f"Thực hiện {DECISION_521}." in text
        assert "Thực hiện Kế hoạch số" not in text
    assert recipients(unit["docx"]) == ["Công an tỉnh Thanh Hóa (để b/c)", "Lưu: VT, CAH"]
