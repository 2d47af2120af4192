"""The engine's clock, injectable per call.

SpiffWorkflow's timers read `datetime.now(timezone.utc)` from their own module and take no clock.
The module's `datetime` is replaced once by a subclass whose `now()` answers the time set for the
current context (a ContextVar, so each thread or task sees its own), or the real time when none
is set. The service runs every engine step under its own clock, so tests move time forward
instead of sleeping and a scheduler can fire timers "as of" a given instant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer

_NOW: ContextVar[datetime | None] = ContextVar("engine_now", default=None)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        fixed = _NOW.get()
        if fixed is None:
            return datetime.now(tz)
        return fixed if tz is None else fixed.astimezone(tz)


timer.datetime = _ClockedDatetime


@contextmanager
def engine_time(now: datetime) -> Iterator[None]:
    """Run engine steps as if the time were `now` (an aware datetime)."""
    token = _NOW.set(now)
    try:
        yield
    finally:
        _NOW.reset(token)
