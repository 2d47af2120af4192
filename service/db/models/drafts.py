"""Drafts of task forms: what a user typed and has not sent yet, kept on the server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base
from service.db.models.directory import User


class TaskDraft(Base):
    """The form of an open task as last saved, one per task, shared by whoever acts on it.

    `fields` are the raw posted inputs as (name, value) pairs, unvalidated: a half-written form
    must save. `errors` holds the reasons the last send was refused, shown until the next save.
    Deleted when the task completes.
    """

    __tablename__ = "task_draft"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("task.id", ondelete="CASCADE"), primary_key=True
    )
    fields: Mapped[list[list[str]]] = mapped_column(JSON)
    errors: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    saved_at: Mapped[datetime]
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    saved_by: Mapped[User] = relationship()
