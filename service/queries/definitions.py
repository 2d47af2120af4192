"""Deployed process definitions."""

from __future__ import annotations

from sqlalchemy import select

from service.db.models import ProcessDefinition
from service.db.uow import UnitOfWork
from service.operations.definitions import DefinitionView, definition_view


def definitions(uow: UnitOfWork) -> list[DefinitionView]:
    """Every deployed version, newest first within each process."""
    with uow:
        return [
            definition_view(row)
            for row in uow.session.scalars(
                select(ProcessDefinition).order_by(
                    ProcessDefinition.process_id, ProcessDefinition.version.desc()
                )
            )
        ]
