"""A returned plan's task page shows the reviewer's proposal highlighted, keeps the form as the
drafter submitted it, and fills the proposed values in on request; the history labels it."""

from __future__ import annotations

import copy
import re

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser, flatten

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"
COMMENT = "Đề nghị giảm mức quà cấp xã xuống 400.000 đ."
AMOUNT = 'name="data.budget_lines.1.unit_amount"'
NOT_APPLIED = "Chưa áp dụng: biểu mẫu dưới đây giữ nguyên kế hoạch"
APPLIED = "Các giá trị đề xuất đã đánh dấu đã được đưa vào biểu mẫu dưới đây."


def _text(answer: object) -> str:
    html = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    return re.sub(r"\s+", " ", html)


def _amount(page: str) -> str:
    """The value the form's second budget line's unit amount shows."""
    tag = next(t for t in re.findall(r"<input[^>]*>", page) if AMOUNT in t)
    found = re.search(r'value="([^"]*)"', tag)
    assert found is not None, tag
    return found.group(1)


def test_the_task_page_highlights_the_proposal_and_applies_it(
    api: ApiClient, browser: Browser
) -> None:
    process_id = api.start_plan(POLICE)
    draft = api.only_task(POLICE)["id"]
    assert api.complete(POLICE, draft, "submit", data=PLAN_2023).status_code == 200
    lines = copy.deepcopy(PLAN_2023["budget_lines"])
    lines[1]["unit_amount"] = 400_000
    answer = api.complete(
        FINANCE, api.only_task(FINANCE)["id"], "return", COMMENT, {"budget_lines": lines}
    )
    assert answer.status_code == 200, answer.json

    browser.login(POLICE)
    redraft = api.only_task(POLICE)["id"]
    page = _text(browser.get(f"/tasks/{redraft}"))
    assert "Nội dung đề xuất sửa kèm khi trả lại" in page
    proposal = page[page.index("data-proposal") : page.index("Áp dụng đề xuất")]
    assert (
        "Dự toán kinh phí 2 › Đơn giá (đ)" in proposal
        and COMMENT in proposal
        and "Trần Thị Mai" in proposal
    )
    assert "500.000 đ" in proposal and "<mark>400.000 đ</mark>" in proposal
    assert NOT_APPLIED in proposal and APPLIED not in page
    assert _amount(page) == "500.000"  # the form starts with what the drafter submitted
    submitted = page[page.index("Kế hoạch đã trình lần gần nhất") :]
    assert "165.000.000 đ" in submitted and "138.000.000 đ" not in submitted

    form = flatten(PLAN_2023)
    form.update({"_proposal": "0", "_apply_proposal": "1", "comment": ""})
    page = _text(browser.post(f"/tasks/{redraft}", form))
    assert _amount(page) == "400.000"
    assert APPLIED in page and "Chưa gửi gì." in page
    assert NOT_APPLIED not in page  # no longer true: the box says only what was done
    assert api.only_task(POLICE)["id"] == redraft  # nothing was sent

    form = flatten(PLAN_2023)
    form.update({"_apply_proposal": "1"})  # nothing ticked: the form stays as it was
    page = _text(browser.post(f"/tasks/{redraft}", form))
    assert _amount(page) == "500.000"
    assert NOT_APPLIED in page and APPLIED not in page

    history = _text(browser.get(f"/processes/{process_id}"))
    assert "1 thay đổi được đề xuất, chưa áp dụng" in history
    assert "<mark>400.000 đ</mark>" in history

    plan = copy.deepcopy(PLAN_2023)
    plan["budget_lines"][1]["unit_amount"] = 400_000
    assert browser.complete(redraft, "submit", plan).status_code == 302
    document = api.get(f"/api/v1/processes/{process_id}", POLICE).json["document"]
    assert document["budget_total"] == 30 * 1_000_000 + 270 * 400_000
