"""Replay: re-run a process instance from its diagram version and its recorded events.

The engine is deterministic given its inputs, and every input is in the history: the lanes bound
at the start, each completion's step and decision (and the plan as its changes rebuild it), the
messages and the timers, each at its recorded time. What the replay reaches must be what is
stored: the same ready steps, the same next timer, the same end, the same plan and report.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import Event, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.operations.actors import Actor, SystemActor
from service.operations.cascade import engine_deadlines, message
from service.operations.definitions import engine_definition
from service.operations.reading import visible_instance
from service.states import ProcessStatus, TaskState
from workflows.diff import patch, settled
from workflows.errors import WorkflowError
from workflows.runtime import Runtime


class _Diverged(Exception):
    def __init__(self, what: str, stored: Any, replayed: Any) -> None:
        super().__init__(what)
        self.view = {"what": what, "stored": stored, "replayed": replayed}


def replay(uow: UnitOfWork, actor: Actor | SystemActor, process_id: int) -> dict[str, Any]:
    """{process_id, events_replayed, matches, divergences: [{what, stored, replayed}]}.

    :raise NotFound: no such process. :raise Forbidden: the actor does not read it in full
        (service.operations.reading).
    """
    with uow:
        instance = visible_instance(uow, actor, process_id)
        count, divergences = replay_instance(uow.session, instance)
        return {
            "process_id": process_id,
            "events_replayed": count,
            "matches": not divergences,
            "divergences": divergences,
        }


def replay_instance(
    session: Session, instance: ProcessInstance
) -> tuple[int, list[dict[str, Any]]]:
    """(events replayed, divergences) of one instance, in the caller's transaction."""
    events = session.scalars(
        select(Event).filter_by(instance_id=instance.id).order_by(Event.seq)
    ).all()
    open_rows = session.execute(
        select(Task.step, Task.role).filter_by(instance_id=instance.id, state=TaskState.OPEN)
    ).all()
    stored = Runtime.restore(engine_definition(instance.definition), instance.state)
    replayed = _Replay(instance)
    try:
        for event in events:
            replayed.apply(event)
        divergences = _compare(instance, stored, [tuple(r) for r in open_rows], replayed)
    except _Diverged as err:
        divergences = [err.view]
    return replayed.count, divergences


class _Replay:
    """The instance as its events rebuild it, one event at a time."""

    def __init__(self, instance: ProcessInstance) -> None:
        self.instance = instance
        self.definition = engine_definition(instance.definition)
        self.runtime: Runtime | None = None
        self.document: Any = {}
        self.reports: dict[str, Any] = {}
        self.drafts: dict[str, Any] = {}
        self.cancelled = False  # cancelled, or handed over: no task stays open
        self.count = 0

    def apply(self, event: Event) -> None:
        now, data = event.created_at, event.data
        try:
            if event.action == "process_started":
                self.runtime = Runtime.start(self.definition, sorted(data["bindings"]), now)
                self.document = data.get("document") or {}  # a plan copied from last year
            elif event.action == "task_completed":
                self._complete(event)
            elif event.action in (
                "plan_issued",
                "document_issued",
                "document_rendered",
                "document_failed",
            ):
                pass  # children are their own instances, rounds open below; files stay as signed
            elif event.action in ("incident_opened", "incident_retried"):
                pass  # a failed script changed nothing; a retry changes only the diagram's version
            elif event.action in ("process_cancelled", "unit_handed_over"):
                self.cancelled = True  # cancelled, or its agency ended: no task stays open
            elif event.action in ("unit_succeeded", "roles_rebound"):
                pass  # a successor took over a unit or a role: the engine's lanes stay the same
            elif event.action in ("task_claimed", "task_released", "task_assigned"):
                pass  # who holds a task in hand: no change of the engine's state
            elif event.action == "task_reminded":
                pass  # a supervisor's reminder (its notification): the engine is untouched
            elif event.action in ("comment_added", "file_attached"):
                pass  # a conversation beside the process: no change of the engine's state
            elif event.action == "units_reported":
                self._runtime(event).deliver(message(data["round"]), now)
            elif event.action == "timer_fired":
                self._runtime(event).fire_timers(now)
            elif event.action == "process_completed":
                if not self._runtime(event).completed:
                    raise _Diverged(f"event {event.seq}: process_completed", True, False)
            else:
                raise _Diverged(f"event {event.seq}: {event.action}", "recorded", "not replayable")
        except WorkflowError as err:
            raise _Diverged(f"event {event.seq}: {event.action}", "done", err.code) from err
        self.count += 1

    def _runtime(self, event: Event) -> Runtime:
        if self.runtime is None:
            raise _Diverged(f"event {event.seq}: {event.action}", "after a start", "before any")
        return self.runtime

    def _complete(self, event: Event) -> None:
        runtime, step = self._runtime(event), event.data["step"]
        ready = [t for t in runtime.ready_tasks() if (t.step, t.lane) == (step, event.role)]
        if not ready:
            offered = sorted(t.step for t in runtime.ready_tasks())
            raise _Diverged(f"event {event.seq}: task_completed", step, f"ready: {offered}")
        if event.data.get("draft"):  # a report submitted, waiting for the head's signature
            round_ = event.data["round"]
            before = self.drafts.get(round_) or self.reports.get(round_, {})
            self.drafts[round_] = patch(before, event.data["changes"])
        elif "round" in event.data:  # a report signed (or, before signing steps, submitted)
            round_ = event.data["round"]
            self.reports[round_] = patch(self.reports.get(round_, {}), event.data["changes"])
        else:
            self.document = patch(self.document, event.data["changes"])
        engine_data = {
            "decision": event.data["decision"],
            **engine_deadlines(self.instance, self.document),
        }
        runtime.complete(ready[0].id, engine_data, event.created_at)


def _compare(
    instance: ProcessInstance,
    stored: Runtime,
    open_rows: list[tuple[Any, ...]],
    replayed: _Replay,
) -> list[dict[str, Any]]:
    runtime = replayed.runtime
    if runtime is None:
        return [{"what": "start", "stored": "started", "replayed": "no process_started event"}]
    steps = sorted((t.step, t.lane) for t in runtime.ready_tasks())
    checks = [
        (
            "ready steps (engine state)",
            sorted((t.step, t.lane) for t in stored.ready_tasks()),
            steps,
        ),
        ("ready steps (open tasks)", sorted(open_rows), [] if replayed.cancelled else steps),
        ("completed (engine state)", stored.completed, runtime.completed),
        ("completed (status)", instance.status == ProcessStatus.COMPLETED, runtime.completed),
        ("next timer", stored.next_timer(), runtime.next_timer()),
        ("plan", settled(instance.document), settled(replayed.document)),
        ("reports", settled(instance.reports), settled(replayed.reports)),
        ("report drafts", settled(instance.report_drafts), settled(replayed.drafts)),
    ]
    return [
        {"what": what, "stored": _plain(old), "replayed": _plain(new)}
        for what, old, new in checks
        if old != new
    ]


def _plain(value: Any) -> Any:
    """JSON-friendly: steps as [step, lane] lists, times as ISO strings."""
    if isinstance(value, list):
        return [list(item) if isinstance(item, tuple) else item for item in value]
    return value.isoformat() if hasattr(value, "isoformat") else value
