"""The approval chain in the engine alone: no database, no Flask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflows.errors import TaskNotReady
from workflows.runtime import Runtime
from workflows.specs import Definition

NOW = datetime(2023, 7, 1, tzinfo=UTC)
DEADLINE = datetime(2023, 8, 19, 17, tzinfo=UTC)  # "trước ngày 20/8/2023"
ALL_ROLES = ["chairman", "finance", "home_affairs", "standing_body"]


def _only(runtime: Runtime) -> tuple[str, str]:
    (task,) = runtime.ready_tasks()
    return task.step, task.lane


def _act(runtime: Runtime, decision: str) -> Runtime:
    """Complete the one ready task, then go through a dump/restore as the service does."""
    (task,) = runtime.ready_tasks()
    runtime.complete(task.id, {"decision": decision, "deadline_result": DEADLINE.isoformat()}, NOW)
    return Runtime.restore(runtime.definition, runtime.dump())


def test_chain_lanes_are_the_roles(chain: Definition) -> None:
    assert set(chain.roles) == set(ALL_ROLES)


def test_every_review_can_return_to_the_drafter(chain: Definition) -> None:
    runtime = Runtime.start(chain, ALL_ROLES, NOW)
    assert _only(runtime) == ("draft_plan", "standing_body")
    runtime = _act(runtime, "submit")
    assert _only(runtime) == ("finance_appraisal", "finance")
    runtime = _act(runtime, "return")
    assert _only(runtime) == ("draft_plan", "standing_body")
    runtime = _act(runtime, "submit")
    runtime = _act(runtime, "approve")
    assert _only(runtime) == ("award_review", "home_affairs")
    runtime = _act(runtime, "return")
    assert _only(runtime) == ("draft_plan", "standing_body")
    for decision in ("submit", "approve", "approve"):
        runtime = _act(runtime, decision)
    assert _only(runtime) == ("chairman_sign", "chairman")
    runtime = _act(runtime, "return")
    assert _only(runtime) == ("draft_plan", "standing_body")
    for decision in ("submit", "approve", "approve"):
        runtime = _act(runtime, decision)
    runtime = _act(runtime, "approve")
    assert runtime.ready_tasks() == []
    assert runtime.awaits("reports_result")
    assert runtime.next_timer() == DEADLINE


def _signed(chain: Definition) -> Runtime:
    runtime = Runtime.start(chain, ALL_ROLES, NOW)
    for decision in ("submit", "approve", "approve", "approve"):
        runtime = _act(runtime, decision)
    return runtime


def test_the_last_report_releases_the_consolidation(chain: Definition) -> None:
    runtime = _signed(chain)
    runtime.deliver("reports_result", NOW)
    assert not runtime.awaits("reports_result") and runtime.next_timer() is None
    assert _only(runtime) == ("consolidate_report", "standing_body")
    runtime = _act(runtime, "submit")
    assert _only(runtime) == ("sign_report", "chairman")  # the head signs what staff drafted
    runtime = _act(runtime, "return")  # back to the drafter
    assert _only(runtime) == ("consolidate_report", "standing_body")
    runtime = _act(_act(runtime, "submit"), "approve")
    assert runtime.completed


def test_the_report_deadline_releases_it_too(chain: Definition) -> None:
    runtime = _signed(chain)
    runtime.fire_timers(DEADLINE - timedelta(seconds=1))
    assert runtime.ready_tasks() == [] and runtime.awaits("reports_result")
    runtime.fire_timers(DEADLINE + timedelta(seconds=1))
    assert _only(runtime) == ("consolidate_report", "standing_body")
    assert not runtime.awaits("reports_result")


def test_a_level_without_finance_skips_the_appraisal(chain: Definition) -> None:
    runtime = _act(
        Runtime.start(chain, ["chairman", "home_affairs", "standing_body"], NOW), "submit"
    )
    assert _only(runtime) == ("award_review", "home_affairs")


def test_a_level_with_only_police_and_chairman_goes_straight_to_signing(chain: Definition) -> None:
    runtime = _act(Runtime.start(chain, ["chairman", "standing_body"], NOW), "submit")
    assert _only(runtime) == ("chairman_sign", "chairman")


def test_state_holds_no_spec_and_restores(chain: Definition) -> None:
    runtime = Runtime.start(chain, ALL_ROLES, NOW)
    state = runtime.dump()
    assert '"spec": {"typename": "SpecRef"}' in state  # referenced, not embedded
    assert "BpmnProcessSpec" not in state
    restored = Runtime.restore(chain, state)
    assert restored.ready_tasks() == runtime.ready_tasks()


def test_completing_a_task_that_is_not_ready_is_refused(chain: Definition) -> None:
    runtime = Runtime.start(chain, ALL_ROLES, NOW)
    (draft,) = runtime.ready_tasks()
    runtime.complete(draft.id, {"decision": "submit"}, NOW)
    with pytest.raises(TaskNotReady):
        runtime.complete(draft.id, {"decision": "submit"}, NOW)
    with pytest.raises(TaskNotReady):
        runtime.complete("not-a-uuid", {}, NOW)
