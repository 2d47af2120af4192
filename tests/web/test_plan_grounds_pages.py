"""The drafter writes the documents a plan implements on the draft page, one row each; the
process page lists them and the draft's DOCX opens with them ("Thực hiện …")."""

from __future__ import annotations

import html
import re

from tests.conftest import PLAN_2023, ApiClient
from tests.service.documents_read import docx_text
from tests.web.conftest import Browser

POLICE = "thanhhoa.congan"
GROUNDS = [
    "Kế hoạch số 178/KH-BCĐ ngày 05/4/2023 của Ban Chỉ đạo Trung ương",
    "Chỉ thị số 09/CT-TW ngày 01/12/2011 của Ban Bí thư",
]


def _text(answer: object) -> str:
    page = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    return html.unescape(re.sub(r"\s+", " ", page))


def test_the_drafter_writes_the_preamble_on_the_page(api: ApiClient, browser: Browser) -> None:
    browser.login(POLICE)
    answer = browser.post(
        "/processes/new", {"title": PLAN_2023["title"], "definition": "plan_chain"}
    )
    assert answer.status_code == 302
    draft = api.only_task(POLICE)
    page = _text(browser.get(f"/tasks/{draft['id']}"))
    assert 'name="data.grounds.__present__"' in page and "Văn bản căn cứ" in page

    plan = {**PLAN_2023, "grounds": [{"text": text} for text in GROUNDS]}
    answer = browser.complete(draft["id"], "submit", plan)
    assert answer.status_code == 302, _text(answer)[:2000]
    process = _text(browser.get(f"/processes/{draft['process_id']}"))
    assert "Căn cứ ban hành" in process and all(text in process for text in GROUNDS)
    docx = api.get(f"/api/v1/processes/{draft['process_id']}/draft/docx", POLICE)
    assert docx.status_code == 200
    assert f"Thực hiện {GROUNDS[0]}; {GROUNDS[1]}." in docx_text(bytes(docx.data))
