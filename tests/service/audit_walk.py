"""The history the audit tests work on: the Thanh Hóa plan walked through every kind of event."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.db.models import Event
from tests.conftest import PLAN_2023, ApiClient, FakeClock, render_documents
from tests.service.test_cascade import (
    at,
    children,
    drive,
    report,
    run_scheduler,
    unit_plan,
    with_units,
)

POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"
AUDITOR = "thanhhoa.thanhtra"
HEALTH, SILENT = "Sở Y tế tỉnh Thanh Hóa", "Sở Thông tin và Truyền thông tỉnh Thanh Hóa"


def audited(app: Flask, folder: Path) -> Flask:
    """Keep the test's key and witness copies in its own folder."""
    app.config.update(AUDIT_KEY_PATH=folder / "audit_ed25519.pem", WITNESS_DIR=folder / "witness")
    return app


def walk(app: Flask, api: ApiClient, clock: FakeClock) -> dict[str, int]:
    """Start, return with a lower budget line proposed, redraft without it, lower the line on
    approval, sign and issue to two units; Sở Y tế plans and reports, Sở TT&TT stays silent;
    the report deadline's timer fires and the province consolidates. Returns the process ids:
    province, health (finished), silent (running)."""
    at(clock, "2023-04-20")
    plan = copy.deepcopy(PLAN_2023)
    plan["addressed_units"] = ["thanh-hoa-so-y-te", "thanh-hoa-so-tttt"]
    plan["deadlines"] = [
        {"what": "Kế hoạch của các đơn vị", "due": "2023-05-10", "kind": "unit_plan"},
        {"what": "Báo cáo kết quả", "due": "2023-08-20", "kind": "unit_report"},
    ]
    province = api.start_plan(POLICE)
    assert api.complete(POLICE, api.only_task(POLICE)["id"], "submit", data=plan).status_code == 200
    appraisal = api.only_task(FINANCE)["id"]
    lines = copy.deepcopy(plan["budget_lines"])
    lines[1]["unit_amount"] = 400_000
    proposed = {"budget_lines": lines}  # returned with it as a proposal: the plan keeps 500.000
    answer = api.complete(
        FINANCE, appraisal, "return", comment="Làm rõ số suất quà.", data=proposed
    )
    assert answer.status_code == 200, answer.json
    assert api.complete(POLICE, api.only_task(POLICE)["id"], "submit", data=plan).status_code == 200
    answer = api.complete(
        FINANCE, api.only_task(FINANCE)["id"], "approve", data={"budget_lines": lines}
    )
    assert answer.status_code == 200, answer.json
    assert drive(api, province, ["thanhhoa.thiduakhenthuong", "thanhhoa.chutich"]) is None
    units = children(api, province)
    health, silent = units[HEALTH]["process_id"], units[SILENT]["process_id"]
    at(clock, "2023-04-25")
    assert drive(
        api, health, ["thanhhoa.soyte", "thanhhoa.soyte.giamdoc"], unit_plan("Kế hoạch ngành Y tế")
    ) == ("consolidate_report")
    at(clock, "2023-08-10")
    assert drive(api, health, ["thanhhoa.soyte"], figures=report(3, 450, 20_000_000)) is None
    at(clock, "2023-08-21")
    assert run_scheduler(app).timers_fired == 1
    own = report(2, 5000, 45_000_000)
    assert drive(api, province, [POLICE], figures=with_units(api, POLICE, province, own)) is None
    assert render_documents(app).rendered == 4  # their hashes join the chains (document_rendered)
    return {"province": province, "health": health, "silent": silent}


def event_count(app: Flask) -> int:
    with app.extensions["session_factory"]() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def walked_history(app: Flask, api: ApiClient, clock: FakeClock, folder: Path) -> dict[str, int]:
    """`walk`, as a template (tests/conftest.py): walked once per worker and database, each
    test on a copy of its own (`built_state` is what `walk` returned)."""
    audited(app, folder)
    return walk(app, api, clock)


WALKED = pytest.mark.template.with_args(walked_history)  # (a lone function would be marked)
