"""The unit of work: one transaction per operation, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from service.db.base import utcnow


class UnitOfWork:
    """One transaction. Nothing is saved unless `commit()` is called.

    On SQLite a writing unit starts with BEGIN IMMEDIATE, taking the write lock up front: two
    deferred transactions that both read and then write would otherwise fail with "database is
    locked" instead of waiting their turn.
    """

    session: Session

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        write: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._session_factory = session_factory
        self._write = write
        self._clock = clock

    def now(self) -> datetime:
        """The time of this unit's changes; tests inject a clock instead of sleeping."""
        return self._clock()

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        if self._write and self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(text("BEGIN IMMEDIATE"))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()  # a no-op after commit()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
