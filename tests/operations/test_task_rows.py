"""The task rows follow the engine (service.operations.instances.save_runtime): a row whose task
the engine no longer offers is cancelled, a task it newly offers gets a row; whether the open
rows are read there or, as a completion does, passed in by the caller."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db.models import ProcessInstance, Task
from service.operations.definitions import deploy, engine_definition
from service.operations.instances import save_runtime, write_instance
from service.operations.processes import start_process
from service.operations.tasks import complete_task
from service.states import ProcessStatus, TaskState
from tests.operations.conftest import ADMIN, AWARDS, FINANCE, PLAN_2023, POLICE, Ops
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


# The draft, then the appraisal and the award review side by side (a parallel split and join):
# no shipped diagram has two human tasks of one process open at once. (kind, id, lane)
_NODES = [
    ("startEvent", "start", None),
    ("userTask", "draft_plan", "standing_body"),
    ("parallelGateway", "split", None),
    ("userTask", "finance_appraisal", "finance"),
    ("userTask", "award_review", "home_affairs"),
    ("parallelGateway", "join", None),
    ("endEvent", "end", None),
]
_FLOWS = [
    ("start", "draft_plan"),
    ("draft_plan", "split"),
    ("split", "finance_appraisal"),
    ("split", "award_review"),
    ("finance_appraisal", "join"),
    ("award_review", "join"),
    ("join", "end"),
]


def _side_by_side() -> bytes:
    lanes = "".join(
        f'<bpmn:lane id="lane_{lane}" name="{lane}"><bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>'
        "</bpmn:lane>"
        for _, node, lane in _NODES
        if lane
    )
    nodes = ""
    for kind, node, _ in _NODES:
        flows = [
            f"<bpmn:incoming>f{n}</bpmn:incoming>" for n, f in enumerate(_FLOWS) if f[1] == node
        ]
        flows += [
            f"<bpmn:outgoing>f{n}</bpmn:outgoing>" for n, f in enumerate(_FLOWS) if f[0] == node
        ]
        nodes += f'<bpmn:{kind} id="{node}">{"".join(flows)}</bpmn:{kind}>'
    flows_xml = "".join(
        f'<bpmn:sequenceFlow id="f{n}" sourceRef="{a}" targetRef="{b}"/>'
        for n, (a, b) in enumerate(_FLOWS)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="side_by_side_defs" '
        'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="side_by_side" '
        'name="Thẩm định song song" isExecutable="true">'
        f'<bpmn:laneSet id="lanes">{lanes}</bpmn:laneSet>{nodes}{flows_xml}'
        "</bpmn:process></bpmn:definitions>"
    ).encode()


def test_a_completion_leaves_the_task_open_beside_it_as_it_was(ops: Ops) -> None:
    """Two tasks of one process open at once: completing one keeps the other's row (read
    with the completed task), neither cancelled nor opened a second time; the last one ends
    the process."""
    deploy(ops.uow(), ops.actor(ADMIN), "side_by_side.bpmn", _side_by_side())
    process = start_process(ops.uow(), ops.actor(POLICE), "side_by_side", PLAN_2023["title"])
    (draft,) = ops.open_tasks(process)
    complete_task(ops.uow(), ops.actor(POLICE), draft.id, "submit", None, PLAN_2023)
    appraisal, review = ops.open_tasks(process)
    assert (appraisal.step, review.step) == ("finance_appraisal", "award_review")
    complete_task(ops.uow(), ops.actor(FINANCE), appraisal.id, "approve", None, {})
    (still,) = ops.open_tasks(process)
    assert (still.id, still.version) == (review.id, review.version)
    verdicts = [{**n, "accepted": True} for n in PLAN_2023["nominations"]]
    complete_task(
        ops.uow(), ops.actor(AWARDS), review.id, "approve", None, {"nominations": verdicts}
    )
    assert ops.open_tasks(process) == []
    with ops.factory() as session:
        instance = session.get(ProcessInstance, process)
        assert instance is not None and instance.status == ProcessStatus.COMPLETED
        steps = session.scalars(select(Task.step).filter_by(instance_id=process).order_by(Task.id))
        assert list(steps) == ["draft_plan", "finance_appraisal", "award_review"]
