"""Errors the core raises: a machine-readable code plus parameters; no prose, no HTTP."""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """Base of every error raised by `workflows`."""

    code = "workflow_error"

    def __init__(self, **params: Any) -> None:
        super().__init__(self.code, params)
        self.params = params


class DiagramInvalid(WorkflowError):
    """A BPMN file that cannot be deployed: `file`, `element_id`, `line`, `reason`."""

    code = "diagram_invalid"


class TaskNotReady(WorkflowError):
    """The engine task is unknown or not waiting for a person."""

    code = "task_not_ready"


class ScriptFailed(WorkflowError):
    """A script or condition in a diagram raised or was refused by the sandbox."""

    code = "script_failed"
