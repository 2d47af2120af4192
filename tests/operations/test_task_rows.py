"""The task rows follow the engine (service.operations.instances.save_runtime): a row whose task
the engine no longer offers is cancelled, a task it newly offers gets a row; whether the open
rows are read there or, as a completion does, passed in by the caller."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db.models import ProcessInstance, Task
from service.operations.definitions import engine_definition
from service.operations.instances import save_runtime, write_instance
from service.operations.processes import start_process
from service.states import TaskState
from tests.operations.conftest import PLAN_2023, POLICE, Ops
from workflows.runtime import Runtime


def _engine_moves_on(ops: Ops, pass_draft: bool | None) -> int:
    """Start a plan (its id returned); the engine completes its draft while nobody claims the
    draft's row, which stays open and is no longer offered. Then save, the open rows passed in
    (the draft's if `pass_draft`, none if False) or, with None, read by save_runtime."""
    process = start_process(ops.uow(), ops.actor(POLICE), "plan_chain", PLAN_2023["title"])
    (draft,) = ops.open_tasks(process)
    with ops.uow() as uow:
        instance = uow.session.get(ProcessInstance, process)
        assert instance is not None
        runtime = Runtime.restore(engine_definition(instance.definition), instance.state)
        runtime.complete(draft.engine_task_id, {"decision": "submit"}, uow.now())
        open_tasks = None if pass_draft is None else [draft.engine_task_id] if pass_draft else []
        save_runtime(uow.session, instance, runtime, uow.now(), open_tasks=open_tasks)
        write_instance(uow.session, instance)
        uow.commit()
    return process


@pytest.mark.parametrize("passed", [True, None], ids=["passed_in", "read"])
def test_a_row_the_engine_no_longer_offers_is_cancelled_and_the_next_opened(
    ops: Ops, passed: bool | None
) -> None:
    process = _engine_moves_on(ops, passed)
    with ops.factory() as session:
        rows = session.scalars(select(Task).filter_by(instance_id=process).order_by(Task.id))
        states = [(row.step, row.state) for row in rows]
    assert states == [
        ("draft_plan", TaskState.CANCELLED),
        ("finance_appraisal", TaskState.OPEN),
    ]


def test_passed_in_rows_are_not_read_again(ops: Ops) -> None:
    """With the open rows passed in, a row left out is not looked for: the caller's word is
    what save_runtime acts on (a completion reads them with its task, in its transaction)."""
    process = _engine_moves_on(ops, pass_draft=False)
    assert [task.step for task in ops.open_tasks(process)] == ["draft_plan", "finance_appraisal"]
