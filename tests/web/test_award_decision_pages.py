"""The process page's "Quyết định khen thưởng": the Chairman's button once the plan is signed,
the decision then listed with its files, the Kỷ niệm chương forwarded, not decided here."""

from __future__ import annotations

import copy

from flask import Flask

from tests.conftest import PLAN_2023, ApiClient, render_documents
from tests.service.test_documents import CHAIRMAN, POLICE, to_signature
from tests.web.conftest import Browser

BUTTON = "Ban hành quyết định khen thưởng"


def test_the_chairman_issues_the_decision_from_the_process_page(
    app: Flask, api: ApiClient, browser: Browser, new_browser: object
) -> None:
    plan = copy.deepcopy(PLAN_2023)
    plan["nominations"].append(
        {"kind": "ky_niem_chuong", "nominee": "Ông Lê Văn Minh", "reason": "Nhiều cống hiến."}
    )
    signed = api.complete(CHAIRMAN, to_signature(api, plan), "approve")
    process_id = signed.json["process_id"]

    police = new_browser()  # type: ignore[operator]
    police.login(POLICE)
    page = police.get(f"/processes/{process_id}").get_data(as_text=True)
    assert "Quyết định khen thưởng" in page and BUTTON not in page  # not his to decide
    refused = police.post(f"/processes/{process_id}/award-decision")
    assert refused.status_code == 403

    browser.login(CHAIRMAN)
    page = browser.get(f"/processes/{process_id}").get_data(as_text=True)
    assert BUTTON in page
    assert "Ông Lê Văn Minh" in page and "hồ sơ được chuyển Bộ Công an xem xét, quyết định" in page
    answer = browser.post(f"/processes/{process_id}/award-decision")
    assert answer.status_code == 302
    render_documents(app)
    page = browser.get(answer.location).get_data(as_text=True)
    assert "Quyết định khen thưởng đã được cấp số và ban hành." in page
    assert "Số: 1/QĐ-UBND" in page and BUTTON not in page
    assert "Về việc tặng Bằng khen của Chủ tịch UBND tỉnh" in page and "Tải PDF" in page
    again = browser.post(f"/processes/{process_id}/award-decision")
    assert again.status_code == 409
    assert "Kế hoạch này đã có quyết định khen thưởng." in again.get_data(as_text=True)

    browser.post("/language", {"lang": "en", "next": "/inbox"})
    page = browser.get(f"/processes/{process_id}").get_data(as_text=True)
    assert "Award decision" in page and "forwarded to the Ministry of Public Security" in page
    browser.post("/language", {"lang": "vi", "next": "/inbox"})
