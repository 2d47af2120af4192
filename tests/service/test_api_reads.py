"""The inbox and a task's view, read as Core statements and dumped field by field, answer as
the ORM and marshmallow's own dump did (service.queries.tasks, service.validation.Schema)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask

from service import validation
from service.api.schemas import TaskDetailSchema, TaskSchema
from service.db.uow import UnitOfWork
from service.operations.actors import load_actor
from service.queries.tasks import inbox, task_detail
from tests.conftest import ApiClient
from tests.service.test_return_proposals import _returned_with_a_lower_line

POLICE = "thanhhoa.congan"


def reader(app: Flask) -> UnitOfWork:
    return UnitOfWork(app.extensions["session_factory"], write=False, clock=app.extensions["clock"])


def test_a_task_view_and_the_inbox_dump_as_marshmallow_dumps_them(
    app: Flask, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A returned draft: its view has a previous task and a proposal, both nested schemas."""
    _, redraft = _returned_with_a_lower_line(api)
    actor = load_actor(reader(app), api.get("/api/v1/me", POLICE).json["id"])
    detail = task_detail(reader(app), actor, redraft["id"])
    rows = inbox(reader(app), actor)
    assert detail.previous is not None and detail.proposal is not None and rows

    with monkeypatch.context() as patched:  # marshmallow's own path, nested schemas included
        patched.setattr(validation, "_dump_plan", lambda _schema: None)
        slow = TaskDetailSchema().dump(detail), TaskSchema(many=True).dump(rows)
    fast = TaskDetailSchema().dump(detail), TaskSchema(many=True).dump(rows)
    assert fast == slow
    assert fast[0]["proposal"]["changes"] == [
        {"path": "budget_lines[1].unit_amount", "current": 500_000, "proposed": 400_000}
    ]
    assert fast[0]["previous"]["decision"] == "return"


def test_the_inbox_search_takes_percent_and_underscore_literally(api: ApiClient) -> None:
    for title in ("Kế hoạch ZQX 100% chỉ tiêu", "Kế hoạch ZQX 1000 suất quà"):
        answer = api.post(
            "/api/v1/processes", POLICE, json={"definition": "plan_chain", "title": title}
        )
        assert answer.status_code == 201, answer.json

    def found(q: str) -> list[str]:
        answer = api.get(f"/api/v1/tasks?q={quote(q)}", POLICE)
        assert answer.status_code == 200, answer.json
        return sorted(t["process_title"] for t in answer.json)

    assert found("zqx 100%") == ["Kế hoạch ZQX 100% chỉ tiêu"]
    assert found("zqx 100_") == []
    assert found("zqx 10") == ["Kế hoạch ZQX 100% chỉ tiêu", "Kế hoạch ZQX 1000 suất quà"]
