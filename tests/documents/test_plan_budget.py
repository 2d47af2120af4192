"""The plan's budget table says what each line costs: "Thành tiền" is quantity × unit amount,
in the document's content and in the DOCX cell, and the total is their sum. The earlier
documents tests read substrings and the total only, so a line total equal to the unit price
went unseen (issue 16)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from docx import Document

from service.documents.content import Issuer, Signing, plan_document
from service.documents.docx import write_docx
from service.documents.layout import OfficialDocument, Table

ISSUER = Issuer("BAN CHỈ ĐẠO 138", "UBND TỈNH THANH HÓA", "BCĐ", "Thanh Hóa", "TRƯỞNG BAN")
SIGNING = Signing(7, date(2023, 5, 4), "Đỗ Minh Tuấn", None)
LINE_TOTAL = "Thành tiền (đồng)"

# (quantity, unit amount, line total as printed)
LINES = [
    (3, 1_500_000, "4.500.000"),
    (1, 2_000_000, "2.000.000"),
    (0, 900_000, "0"),
    (12, 0, "0"),
    (1_000_000, 1_000_000, "1.000.000.000.000"),
]


def _plan(lines: list[tuple[int, int, str]]) -> OfficialDocument:
    budget = [
        {"item": f"Khoản {i}", "quantity": q, "unit_amount": a} for i, (q, a, _) in enumerate(lines)
    ]
    plan = {"title": "Kế hoạch tổ chức Ngày hội", "year": 2023, "budget_lines": budget}
    return plan_document(ISSUER, plan, SIGNING, ["Như trên"])


def _budget(doc: OfficialDocument) -> Table:
    """The budget detail: in Phụ lục I since plans carry appendices (the body keeps the total)."""
    blocks = [*doc.body, *(b for appendix in doc.appendices for b in appendix.body)]
    (table,) = [b for b in blocks if isinstance(b, Table) and LINE_TOTAL in b.columns]
    return table


@pytest.mark.parametrize(("quantity", "amount", "printed"), LINES)
def test_each_line_total_is_quantity_times_unit_amount(
    quantity: int, amount: int, printed: str
) -> None:
    table = _budget(_plan([(quantity, amount, printed)]))
    column = table.columns.index(LINE_TOTAL)
    assert table.rows[0][column] == printed
    assert table.total is not None and table.total[column] == printed


def test_the_docx_cells_carry_the_line_totals_and_their_sum() -> None:
    docx = Document(BytesIO(write_docx(_plan(LINES[:2]))))
    (budget,) = [t for t in docx.tables if t.rows[0].cells[-1].text == LINE_TOTAL]
    cells = [[c.text for c in row.cells] for row in budget.rows]
    assert [row[2] for row in cells[1:3]] == ["3", "1"]  # Số suất
    assert [row[-1] for row in cells[1:]] == ["4.500.000", "2.000.000", "6.500.000"]
