"""Deployed process definitions."""

from __future__ import annotations

from sqlalchemy import select

from service.db.models import ProcessDefinition
from service.db.uow import UnitOfWork


def definitions(uow: UnitOfWork) -> list[ProcessDefinition]:
    """Every deployed version, newest first within each process."""
    with uow:
        return list(uow.session.scalars(
            select(ProcessDefinition).order_by(
                ProcessDefinition.process_id, ProcessDefinition.version.desc()
            )
        ))
