"""The process page's diagram: the deployed BPMN for the process's readers only, what the viewer
is told to mark, and the list of steps with their states that stands without script."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from service.db.models import ProcessDefinition, ProcessInstance
from tests.conftest import PLAN_2023, ApiClient

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"
ELSEWHERE = "bacgiang.bqlkcn"  # another province's standing body: no part in Thanh Hóa's plan


def _at_finance(api: ApiClient) -> int:
    """A plan drafted and submitted: done draft_plan, open finance_appraisal."""
    process_id = api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200
    return process_id


def test_the_diagram_xml_is_the_deployed_bpmn_for_readers_only(
    app: Flask, api: ApiClient, new_browser: Any
) -> None:
    process_id = _at_finance(api)
    with app.extensions["session_factory"]() as session:
        deployed = session.scalars(
            select(ProcessDefinition.bpmn)
            .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
            .where(ProcessInstance.id == process_id)
        ).one()

    for reader in (POLICE, FINANCE):  # the drafter and the agency of the step now open
        browser = new_browser()
        browser.login(reader)
        answer = browser.get(f"/processes/{process_id}/diagram.bpmn")
        assert answer.status_code == 200, reader
        assert answer.mimetype == "application/xml"
        assert answer.get_data(as_text=True) == deployed
        assert "no-store" in answer.headers["Cache-Control"]

    outsider = new_browser()
    outsider.login(ELSEWHERE)
    assert outsider.get(f"/processes/{process_id}/diagram.bpmn").status_code == 403
    assert outsider.get(f"/processes/{process_id}").status_code == 403
    assert outsider.get(f"/processes/{process_id + 999}/diagram.bpmn").status_code == 404
    anonymous = new_browser().client.get(f"/processes/{process_id}/diagram.bpmn")
    assert anonymous.status_code == 302 and "/login" in anonymous.location


def test_the_page_gives_the_viewer_its_marks_and_lists_the_steps_without_script(
    api: ApiClient, new_browser: Any
) -> None:
    process_id = _at_finance(api)
    police = new_browser()
    police.login(POLICE)
    answer = police.get(f"/processes/{process_id}")
    page = re.sub(r"\s+", " ", answer.get_data(as_text=True))

    # the viewer: our script and bpmn-js's bundle, both from the app; no inline script
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert '/assets/vendor/bpmn-navigated-viewer.production.min.js"' in page
    assert '/assets/js/diagram.js"' in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    viewer = re.search(r"<div class=\"diagram-canvas\"[^>]*>", page)
    assert viewer is not None
    tag = viewer.group(0)
    assert f'data-src="/processes/{process_id}/diagram.bpmn"' in tag
    assert 'data-current="finance_appraisal"' in tag and 'data-done="draft_plan"' in tag
    found = re.search(r"data-labels='([^']*)'", tag)
    assert found is not None
    labels = json.loads(html.unescape(found.group(1)))
    assert labels["lanes"]["standing_body"] == "Cơ quan thường trực"
    assert labels["steps"]["await_reports"] == "Chờ báo cáo của các đơn vị"

    # without script: every user and receive task of the diagram, in order, with its state
    listed = re.findall(
        r'<li data-step="(\w+)" data-state="(\w+)">.*?</span> (.*?) '
        r'<span class="muted">— (.*?)</span>',
        page[page.index("data-diagram-steps") :],
    )
    assert listed == [
        ("draft_plan", "done", "Xây dựng kế hoạch", "Đã xong"),
        ("finance_appraisal", "open", "Thẩm định kinh phí", "Bước đang xử lý"),
        ("award_review", "todo", "Thẩm định khen thưởng", "Chưa tới"),
        ("chairman_sign", "todo", "Ký ban hành", "Chưa tới"),
        ("await_reports", "todo", "Chờ báo cáo của các đơn vị", "Chưa tới"),
        ("consolidate_report", "todo", "Tổng hợp báo cáo kết quả", "Chưa tới"),
        ("sign_report", "todo", "Ký báo cáo", "Chưa tới"),
    ], listed

    # in English, the list and the viewer's labels are English
    police.post("/language", {"lang": "en", "next": f"/processes/{process_id}"})
    english = re.sub(r"\s+", " ", police.get(f"/processes/{process_id}").get_data(as_text=True))
    steps = english[english.index("data-diagram-steps") :]
    steps = html.unescape(steps[: steps.index("</ol>")])
    for expected in ("Draft the plan", "Budget appraisal", "Waiting for the units' reports"):
        assert expected in steps, expected
    assert "Current step" in steps and "Not reached" in steps
    assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", steps) is None
