"""Incidents: a diagram's script or condition failed, and its process waits for an administrator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, str_enum
from service.db.models.directory import User
from service.db.models.processes import ProcessDefinition, ProcessInstance, Task
from service.states import IncidentState


class Incident(Base):
    """One failure of a start or a completion; the failing transaction rolled back, so this row
    is written in its own. Repeats of the same failure while it is open count on this row."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # a start that failed has no process: the definition tells which diagram
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    operation: Mapped[str] = mapped_column(String(20))  # start | complete
    step: Mapped[str | None] = mapped_column(String(100))  # the element whose script failed
    error: Mapped[str] = mapped_column(String(40))  # the error code answered (script_failed)
    reason: Mapped[str] = mapped_column(Text)
    # what the engine was given: the completion's decision and deadlines, or a start's roles
    engine_data: Mapped[dict[str, Any]]
    occurrences: Mapped[int] = mapped_column(default=1)
    state: Mapped[IncidentState] = mapped_column(
        str_enum(IncidentState, 20), default=IncidentState.OPEN
    )
    created_at: Mapped[datetime]
    last_at: Mapped[datetime]
    triggered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    instance: Mapped[ProcessInstance | None] = relationship()
    definition: Mapped[ProcessDefinition] = relationship()
    task: Mapped[Task | None] = relationship()
    triggered_by: Mapped[User] = relationship(foreign_keys=[triggered_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
