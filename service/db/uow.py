"""The unit of work: one transaction per operation, rolled back unless committed, and the audit
events the operation recorded, written at its commit in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from service.db.audit_log import Acting, append, directory_chain, write_pending
from service.db.base import utcnow
from service.db.batch import Batch
from service.db.models import ProcessInstance, Task
from service.db.session import BEGIN_AT_FIRST_WRITE, SqliteWriter, sqlite_writer


@dataclass(frozen=True)
class _Recorded:
    action: str
    actor: Acting | None
    instance: ProcessInstance | None
    role: str | None
    task: Task | None
    data: dict[str, Any] | None


class UnitOfWork:
    """One transaction. Nothing is saved unless `commit()` is called.

    On SQLite a writing unit starts with BEGIN IMMEDIATE, taking the write lock up front: two
    deferred transactions that both read and then write would otherwise fail with "database is
    locked" instead of waiting their turn.

    A reading unit with `autocommit` runs each statement on its own on PostgreSQL: no BEGIN
    and no ROLLBACK, two round trips fewer. At READ COMMITTED a transaction gives a reader
    nothing more (each statement sees its own snapshot); a unit that needs one snapshot must
    not ask for it.

    A writing unit with `autocommit` reads so too on PostgreSQL, and begins its transaction
    at its first write (a lock taken by SELECT ... FOR UPDATE, or a batch sent before the last,
    counts as one); BEGIN goes in that write's round trip, and COMMIT in its last batch's
    (service.db.session).
    When its only write is the batch it commits with (`commit(batch)`), that one statement
    is a transaction of its own: no BEGIN and no COMMIT, two round trips fewer. Its reads took
    no lock, so whatever they found must be checked by its writes (versions, as a completion's
    are), which a transaction at READ COMMITTED would not give either.
    """

    session: Session

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        write: bool = True,
        autocommit: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._session_factory = session_factory
        self._write = write
        self._autocommit = autocommit
        self._clock = clock
        self._recorded: list[_Recorded] = []
        self._writer: SqliteWriter | None = None  # held from BEGIN IMMEDIATE to the end

    def now(self) -> datetime:
        """The time of this unit's changes; tests inject a clock instead of sleeping."""
        return self._clock()

    def reader(self) -> UnitOfWork:
        """A read-only unit on the same database and clock: long reads outside the write lock."""
        return UnitOfWork(self._session_factory, write=False, clock=self._clock)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A reading unit's Core statements on a connection of its own, with no Session: for a
        light read (the actor's live check, an inbox page) a Session's set-up and close cost
        more than the statement. Autocommit as `__enter__` sets it."""
        assert not self._write, "a writing unit is one transaction of its Session"
        engine: Engine = self._session_factory.kw["bind"]
        with engine.connect() as connection:
            if self._autocommit and connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection
            if connection.in_transaction() and connection.dialect.name == "postgresql":
                connection.commit()  # a read ends in COMMIT: see `__exit__`

    def __enter__(self) -> Self:
        self._recorded = []
        self.session = self._session_factory()
        dialect = self.session.get_bind().dialect.name
        if self._write and dialect == "sqlite":
            self._writer = sqlite_writer(self.session.get_bind().engine)
            self._writer.acquire()
            # on the connection itself: the ORM's execute path costs more than the statement
            try:
                self.session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                self._release()
                raise
        elif self._autocommit and dialect == "postgresql":
            options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"}
            if self._write:
                options[BEGIN_AT_FIRST_WRITE] = True
            self.session.connection(execution_options=options)
        if not self._write:
            # what a read changes in memory (for a view, say) is never flushed: a flush before
            # its next query would write it, and the read's COMMIT (see `__exit__`), or in
            # autocommit the statement itself, would keep it
            self.session.autoflush = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self._read_ends_in_commit():
                self.session.commit()
            self.session.close()  # rolls back whatever was not committed
        finally:
            self._release()

    def _read_ends_in_commit(self) -> bool:
        """A read on PostgreSQL ends in COMMIT, which changes nothing: psycopg forgets the
        connection's prepared statements at every ROLLBACK (and deallocates them, one more
        round trip), so with reads ending in ROLLBACK no statement would stay prepared and
        PostgreSQL would parse and plan each one afresh. A read that changed an object it
        loaded still rolls back: what it changed is not saved."""
        session = self.session
        return (
            not self._write
            and session.in_transaction()
            and session.get_bind().dialect.name == "postgresql"
            and not (session.new or session.dirty or session.deleted)
        )

    def _release(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def record(
        self,
        action: str,
        actor: Acting | None,
        *,
        instance: ProcessInstance | None = None,
        role: str | None = None,
        task: Task | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Record what this unit changes: the event joins the instance's chain (or, with no
        instance, the directory's) when the unit commits, in the same transaction."""
        self._recorded.append(_Recorded(action, actor, instance, role, task, data))

    def commit(self, batch: Batch | None = None) -> None:
        """`write_all(batch)`, and commit (on PostgreSQL, with the batch: Batch.send)."""
        self.write_all(batch, commits=True)
        self.session.commit()

    def write_all(self, batch: Batch | None = None, *, commits: bool = False) -> None:
        """Write what is left: the events recorded, then `batch` (service.db.batch) with the
        events appended, as the last write (alone, if it is the only one and the unit has
        `autocommit`). `commits`: the unit commits as it sends the batch."""
        assert self._write or not self._autocommit, "a unit of single reads writes nothing"
        if self._recorded:
            self.session.flush()  # the ids the events refer to
            for r in self._recorded:
                head = r.instance if r.instance is not None else directory_chain(self.session)
                append(
                    self.session,
                    head,
                    r.action,
                    r.actor,
                    self.now(),
                    role=r.role,
                    task=r.task,
                    data=r.data,
                )
            self._recorded = []
        if batch is not None:
            self.session.flush()
            write_pending(self.session, batch)
            batch.send(self.session.connection(), last=True, commits=commits)
