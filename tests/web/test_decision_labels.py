"""Each decision reads as itself in its own cell of the process's timeline, in Vietnamese and
in English: a label swapped between two decisions (approved/returned) is caught where the
earlier tests only looked for the word anywhere on the page."""

from __future__ import annotations

import re
from collections import Counter

from tests.conftest import PLAN_2023, ApiClient
from tests.web.conftest import Browser

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"
_BADGE = re.compile(r'<span class="badge badge-decision-(\w+)">([^<]*)</span>')
LABELS = {
    "vi": {"submit": "Đã trình", "return": "Trả lại", "approve": "Đồng ý"},
    "en": {"submit": "Submitted", "return": "Returned", "approve": "Approved"},
}


def test_each_decision_has_its_own_label_in_its_cell(api: ApiClient, browser: Browser) -> None:
    process = api.start_plan(POLICE)
    for user, decision in [(POLICE, "submit"), (FINANCE, "return"), (POLICE, "submit")]:
        task = api.only_task(user)
        data = PLAN_2023 if decision == "submit" else {}
        answer = api.complete(user, task["id"], decision, data=data, comment="Xem lại")
        assert answer.status_code == 200, answer.json
    appraisal = api.only_task(FINANCE)
    approved = api.complete(FINANCE, appraisal["id"], "approve")
    assert approved.status_code == 200, approved.json

    browser.login(POLICE)
    for lang, labels in LABELS.items():
        browser.post("/language", {"lang": lang, "next": "/inbox"})
        badges = _BADGE.findall(browser.get(f"/processes/{process}").text)
        assert Counter(decision for decision, _ in badges) == {
            "submit": 2,
            "return": 1,
            "approve": 1,
        }
        assert {decision: label for decision, label in badges} == labels, lang
        assert len(set(badges)) == 3  # each decision always reads the same
