"""One running workflow: start, restore, list ready human tasks, complete them, dump.

This is the only module that drives SpiffWorkflow objects. Task data is kept small on purpose:
the lanes bound for this instance (`roles`) and the last decision; business documents live in
the service's own tables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from workflows.budget import Budget, BudgetExceeded
from workflows.clock import engine_time
from workflows.errors import ScriptFailed, TaskNotReady
from workflows.scripting import RestrictedEnvironment, script_engine
from workflows.specs import Definition

_ENGINE = script_engine()
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def set_script_budget(budget: Budget) -> None:
    """What every script and condition may spend from now on (the service's settings)."""
    environment: RestrictedEnvironment = _ENGINE.environment
    environment.budget = budget


def _script_failed(err: SpiffWorkflowException, step: str | None) -> ScriptFailed:
    """The step and reason of a failed script; a budget's own words, without the engine's."""
    task = getattr(err, "task", None)
    if task is not None:
        step = task.task_spec.bpmn_id
    cause: BaseException | None = err
    while cause is not None and not isinstance(cause, BudgetExceeded):
        cause = cause.__cause__ or cause.__context__
    reason = str(cause) if cause is not None else str(err)
    return ScriptFailed(step=step, reason=reason)


@dataclass(frozen=True)
class ReadyTask:
    """A human task waiting for the role named by its lane."""

    id: str
    step: str  # the BPMN element id, e.g. "finance_appraisal"
    name: str  # the BPMN element name, e.g. "Thẩm định kinh phí"
    lane: str
    form: str  # which form the step uses: its `form` property, else its id
    report_round: str | None  # for a report step: which round it reports (`report_round`)


def _ready(spec: Any, task_id: str) -> ReadyTask:
    properties = spec.extensions.get("properties", {})
    return ReadyTask(
        task_id,
        spec.bpmn_id,
        spec.bpmn_name or "",
        spec.lane,
        properties.get("form", spec.bpmn_id),
        properties.get("report_round"),
    )


class Runtime:
    """A BPMN workflow of one definition."""

    def __init__(self, definition: Definition, workflow: BpmnWorkflow) -> None:
        self.definition = definition
        self._wf = workflow
        self._ready: list[ReadyTask] | None = None  # until the engine runs again

    @classmethod
    def start(
        cls,
        definition: Definition,
        roles: list[str],
        now: datetime,
        data: Mapping[str, Any] | None = None,
    ) -> Runtime:
        """Start an instance whose bound lanes are `roles`, and run it to its first wait.

        `data` seeds the task data (small values only: ids, dates as ISO strings).
        """
        workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=_ENGINE)
        workflow.task_tree.data.update(data or {}, roles=list(roles))
        runtime = cls(definition, workflow)
        runtime._run_engine(now)
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
        # a completion asks twice (task rows, then its answer): the tree is walked once
        if self._ready is None:
            self._ready = [
                _ready(t.task_spec, str(t.id))
                for t in self._wf.get_tasks(state=TaskState.READY, manual=True)
            ]
        return list(self._ready)

    def complete(self, task_id: str, data: Mapping[str, Any], now: datetime) -> None:
        """Complete a ready human task with `data` and run the engine to the next wait."""
        try:
            task = self._wf.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError) as err:
            raise TaskNotReady(task_id=task_id) from err
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id=task_id)
        self._ready = None
        task.set_data(**data)
        try:
            with engine_time(now):
                task.run()
        except SpiffWorkflowException as err:
            raise _script_failed(err, task.task_spec.bpmn_id) from err
        self._run_engine(now)

    def awaits(self, message: str) -> bool:
        """Whether the workflow waits for the message named `message`."""
        return any(
            e.event_type == "MessageEventDefinition" and e.name == message
            for e in self._wf.waiting_events()
        )

    def deliver(self, message: str, now: datetime) -> None:
        """Hand the workflow a message it waits for, and run on."""
        self._wf.send_event(BpmnEvent(MessageEventDefinition(message), {}))
        self._run_engine(now)

    def next_timer(self) -> datetime | None:
        """When the earliest pending timer falls due, if any."""
        # timeDate and duration timers carry their due time as an ISO string
        due = [
            datetime.fromisoformat(e.value)
            for e in self._wf.waiting_events()
            if e.event_type.endswith("EventDefinition")
            and "Time" in e.event_type
            and isinstance(e.value, str)
        ]
        return min(due, default=None)

    def fire_timers(self, now: datetime) -> None:
        """Fire the timers due at `now` and run on."""
        with engine_time(now):
            self._wf.refresh_timers()
        self._run_engine(now)

    def _run_engine(self, now: datetime) -> None:
        self._ready = None
        try:
            with engine_time(now):
                self._wf.do_engine_steps()
        except SpiffWorkflowException as err:
            raise _script_failed(err, None) from err


class Copies:
    """Copies of one dumped workflow, each with fresh task ids, and its ready tasks under them.

    Starting many instances alike (a plan issued to thousands of units) then costs one start
    and one dump, and each copy a join of the dump's pieces around new ids. Task ids are the
    only UUIDs in a dump, and they must be unique across instances.
    """

    def __init__(self, state: str, ready: list[ReadyTask]) -> None:
        pieces = _UUID.split(state)
        found = _UUID.findall(state)
        slots = {old: i for i, old in enumerate(dict.fromkeys(found))}
        self._pieces = pieces
        self._slots = [slots[old] for old in found]
        self._ready = [(task, slots[task.id]) for task in ready]
        self._count = len(slots)

    def make(self) -> tuple[str, list[ReadyTask]]:
        ids = _fresh_ids(self._count)
        parts = [self._pieces[0]]
        for slot, piece in zip(self._slots, self._pieces[1:], strict=True):
            parts += (ids[slot], piece)
        return "".join(parts), [replace(task, id=ids[slot]) for task, slot in self._ready]


def _fresh_ids(count: int) -> list[str]:
    """`count` random version-4 UUIDs as strings, from one read of the system's randomness."""
    digits = os.urandom(16 * count).hex()
    ids = []
    for i in range(0, 32 * count, 32):
        d = digits[i : i + 32]
        variant = "89ab"[int(d[16], 16) & 3]
        ids.append(f"{d[:8]}-{d[8:12]}-4{d[13:16]}-{variant}{d[17:20]}-{d[20:]}")
    return ids
