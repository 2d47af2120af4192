"""One running workflow: start, restore, list ready human tasks, complete them, dump.

This is the only module that drives SpiffWorkflow objects. Task data is kept small on purpose:
the lanes bound for this instance (`roles`) and the last decision; business documents live in
the service's own tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from workflows.errors import ScriptFailed, TaskNotReady
from workflows.scripting import script_engine
from workflows.specs import Definition

_ENGINE = script_engine()


@dataclass(frozen=True)
class ReadyTask:
    """A human task waiting for the role named by its lane."""

    id: str
    step: str  # the BPMN element id, e.g. "finance_appraisal"
    name: str  # the BPMN element name, e.g. "Thẩm định kinh phí"
    lane: str


class Runtime:
    """A BPMN workflow of one definition."""

    def __init__(self, definition: Definition, workflow: BpmnWorkflow) -> None:
        self.definition = definition
        self._wf = workflow

    @classmethod
    def start(cls, definition: Definition, roles: list[str]) -> Runtime:
        """Start an instance whose bound lanes are `roles`, and run it to its first wait."""
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=_ENGINE)
        workflow.task_tree.data["roles"] = list(roles)
        runtime = cls(definition, workflow)
        runtime._run_engine()
        return runtime

    @classmethod
    def restore(cls, definition: Definition, state: str) -> Runtime:
        """Rebuild a workflow from `dump()`'s output."""
        workflow = definition.serializer.deserialize_json(state)
        workflow.script_engine = _ENGINE
        return cls(definition, workflow)

    def dump(self) -> str:
        """The state as JSON, without the spec (the definition supplies it on restore)."""
        return str(self.definition.serializer.serialize_json(self._wf))

    @property
    def completed(self) -> bool:
        return bool(self._wf.completed)

    def ready_tasks(self) -> list[ReadyTask]:
        return [
            ReadyTask(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name or "", t.task_spec.lane)
            for t in self._wf.get_tasks(state=TaskState.READY, manual=True)
        ]

    def complete(self, task_id: str, data: Mapping[str, Any]) -> None:
        """Complete a ready human task with `data` and run the engine to the next wait."""
        try:
            task = self._wf.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError) as err:
            raise TaskNotReady(task_id=task_id) from err
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id=task_id)
        task.set_data(**data)
        try:
            task.run()
        except SpiffWorkflowException as err:
            raise ScriptFailed(step=task.task_spec.bpmn_id, reason=str(err)) from err
        self._run_engine()

    def _run_engine(self) -> None:
        try:
            self._wf.do_engine_steps()
        except SpiffWorkflowException as err:
            raise ScriptFailed(step=None, reason=str(err)) from err
