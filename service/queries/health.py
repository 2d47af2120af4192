"""Whether the service can reach its database."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from service.db.uow import UnitOfWork


def database_reachable(uow: UnitOfWork) -> bool:
    """SELECT 1 on a connection from the pool (pre-pinged, so a dead one is replaced)."""
    try:
        with uow:
            uow.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
