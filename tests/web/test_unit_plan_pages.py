"""A unit's pages show the plan above it ("Kế hoạch cấp trên"); the plan's page shows that unit
the plan as issued and nothing of how the province carries it out; its inbox names the sender."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from tests.conftest import PLAN_2023, ApiClient, render_documents
from tests.service.test_cascade import POLICE, children, province

__all__ = ["province"]  # the fixture: the Thanh Hóa 2023 plan issued to five units

DISTRICT_USER = "thuongxuan.congan"


def _text(answer: Any) -> str:
    return re.sub(r"\s+", " ", answer.get_data(as_text=True))


def test_a_unit_sees_the_plan_above_on_its_task_its_process_and_its_inbox(
    app: Flask, api: ApiClient, new_browser: Any, province: int
) -> None:
    render_documents(app)
    district = children(api, province)["Huyện Thường Xuân"]["process_id"]
    (signed,) = api.get(f"/api/v1/processes/{province}/documents", POLICE).json
    (draft,) = api.get(f"/api/v1/tasks?process={district}", DISTRICT_USER).json
    unit = new_browser()
    unit.login(DISTRICT_USER)

    inbox = _text(unit.get("/inbox"))
    assert "Đỗ Minh Tuấn" in inbox and "Ủy ban nhân dân tỉnh Thanh Hóa" in inbox
    assert ">Mới<" not in inbox

    for path in (f"/tasks/{draft['id']}", f"/processes/{district}"):
        page = _text(unit.get(path))
        panel = page[page.index("data-parent-plan") :]
        panel = panel[: panel.index("</section>")]
        assert "Kế hoạch cấp trên" in panel
        assert f'href="/processes/{province}"' in panel
        assert "Số: 1/KH-BCĐ" in panel and f'href="/documents/{signed["id"]}/pdf"' in panel
        assert "Ủy ban nhân dân tỉnh Thanh Hóa" in panel
        assert 'Người ký: <span lang="vi">Đỗ Minh Tuấn</span>' in panel  # a name as typed
        assert "Kế hoạch của các đơn vị" in panel and "hết ngày 09/05/2023" in panel
        assert "Báo cáo kết quả" in panel and "hết ngày 19/08/2023" in panel

    page = _text(unit.get(f"/processes/{province}"))
    assert "data-issued-plan-only" in page and "Kế hoạch cấp trên" in page
    assert PLAN_2023["sections"][0]["heading"] in page  # the plan itself
    assert "165.000.000 đ" in page and "Số: 1/KH-BCĐ" in page
    assert f'href="/documents/{signed["id"]}/pdf"' in page
    assert "Huyện Nga Sơn" in page  # the units it addressed are part of the plan as signed
    # nothing of how it is carried out: no timeline, diagram, export, drafts, units' processes
    sibling = children(api, province)["Huyện Nga Sơn"]["process_id"]
    for absent in ("Diễn biến", "data-bpmn-viewer", "/audit-export", "/replay", "/draft/"):
        assert absent not in page, absent
    assert f'href="/processes/{sibling}"' not in page and f'"/processes/{district}"' not in page
    pdf = unit.client.get(f"/documents/{signed['id']}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert unit.get(f"/processes/{sibling}").status_code == 403
    assert unit.get(f"/processes/{province}/diagram.bpmn").status_code == 403

    # the province's own people still see it all
    police = new_browser()
    police.login(POLICE)
    full = _text(police.get(f"/processes/{province}"))
    assert "data-issued-plan-only" not in full and "data-bpmn-viewer" in full
    assert f'href="/processes/{sibling}"' in full
