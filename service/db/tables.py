"""The mapped tables as Core `Table`s, for the statements hot paths send without the ORM
(its unit of work and identity map cost more than those statements). One name per table."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from service.db.base import Base
from service.db.models import (
    Document,
    Event,
    ProcessInstance,
    RenderJob,
    ReportRound,
    Task,
    TaskDraft,
)


def table_of(model: type[Base]) -> Table:
    """`model.__table__`, typed as the `Table` it is (the ORM declares a `FromClause`)."""
    return cast(Table, model.__table__)


DOCUMENTS = table_of(Document)
EVENTS = table_of(Event)
INSTANCES = table_of(ProcessInstance)
RENDER_JOBS = table_of(RenderJob)
REPORT_ROUNDS = table_of(ReportRound)
TASKS = table_of(Task)
TASK_DRAFTS = table_of(TaskDraft)
