"""The closed sets of states a row or a reading can be in, each named once.

StrEnums: each member equals its string, so the database keeps the same values, JSON and
templates see plain strings, and a comparison with a literal still holds.
"""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the engine withdrew it (a gateway or a timer took another path)
    HANDED_OVER = "handed_over"  # its agency ended in a reorganisation; the heir's task carries on


class DeadlineState(StrEnum):
    """Kept by the scheduler and the completion (service.operations.deadlines)."""

    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_LATE = "done_late"


LATE = (DeadlineState.OVERDUE, DeadlineState.DONE_LATE)


class ProcessStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # an administrator cancelled it (service.operations.incidents)
    HANDED_OVER = "handed_over"  # its agency was reorganised away (operations.succession)


class DocumentState(StrEnum):
    """A signed document's files: being rendered by a job, there, or given up on."""

    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"


class IncidentState(StrEnum):
    """A failed script's incident: waiting for an administrator, or closed by a retry that
    moved the process (resolved) or by cancelling the process."""

    OPEN = "open"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


class ActingAs(StrEnum):
    """How an actor may act on a task: as its agency's own, as deputy (KT.), by order (TL.), as
    substitute."""

    SELF = "self"
    DEPUTY = "deputy"
    BY_ORDER = "by_order"
    SUBSTITUTE = "substitute"
