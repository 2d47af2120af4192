"""What the process page shows: the BPMN of an instance's version and where the instance stands."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from sqlalchemy import select

from service.db.models import ProcessDefinition, Task
from service.db.uow import UnitOfWork
from service.operations.actors import Actor
from service.operations.definitions import engine_definition
from service.operations.reading import visible_instance
from service.states import ProcessStatus, TaskState
from workflows.runtime import Runtime

_BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


@dataclass(frozen=True, slots=True)
class DiagramStep:
    id: str
    kind: str  # userTask or receiveTask
    name: str


@dataclass(frozen=True, slots=True)
class Diagram:
    bpmn: str
    steps: list[DiagramStep]  # in the order of the file
    open: list[str]
    done: list[str]
    status: ProcessStatus


def diagram(uow: UnitOfWork, actor: Actor, process_id: int) -> Diagram:
    """The BPMN XML the instance runs on, its steps (user and receive tasks: id, kind, name, in
    the order of the file), and the ids of its open steps (human tasks, and receive tasks whose
    message the engine waits for) and of its done steps.

    :raise NotFound: no such process. :raise Forbidden: the actor has no part in it.
    """
    with uow:
        instance = visible_instance(uow, actor, process_id)
        row = uow.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.id == instance.definition_id)
        ).one()
        bpmn = row.bpmn
        tree = etree.fromstring(
            bpmn.encode(), parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
        steps = uow.session.execute(
            select(Task.step, Task.state).where(Task.instance_id == instance.id)
        ).all()
        open_steps = {step for step, state in steps if state == TaskState.OPEN}
        if instance.state and instance.status == ProcessStatus.RUNNING:
            runtime = Runtime.restore(engine_definition(row), instance.state)
            open_steps |= {
                element for element, message in _receive_tasks(tree) if runtime.awaits(message)
            }
        return Diagram(
            bpmn=bpmn,
            steps=[
                DiagramStep(
                    task.get("id") or "", etree.QName(task).localname, task.get("name") or ""
                )
                for task in tree.xpath(".//bpmn:userTask | .//bpmn:receiveTask", namespaces=_BPMN)
            ],
            open=sorted(open_steps),
            done=sorted(
                {step for step, state in steps if state == TaskState.COMPLETED} - open_steps
            ),
            status=instance.status,
        )


def _receive_tasks(tree: etree._Element) -> list[tuple[str, str]]:
    """(receive task id, name of the message it waits for) for each receive task."""
    messages = {m.get("id"): m.get("name") for m in tree.iterfind(".//bpmn:message", _BPMN)}
    return [
        (task.get("id") or "", messages.get(task.get("messageRef")) or "")
        for task in tree.iterfind(".//bpmn:receiveTask", _BPMN)
    ]
