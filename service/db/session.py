"""Engines and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from typing import Any
from weakref import WeakKeyDictionary

from psycopg import pq
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import UpdateBase

from service.db.batch import AS_BATCH, COMMITS
from service.db.cursors import DescribedWhenRead

# The database is away: restarting, unreachable, or (SQLite) locked past its timeout. Not a bug
# of ours and retryable: a request answers 503, a background loop waits and tries again.
DATABASE_AWAY = (OperationalError, InterfaceError)

# A pooled PostgreSQL connection idle this long is pinged before use (see `_ping_when_idle`).
IDLE_BEFORE_PING = 1.0

# How long a SQLite writer waits for its turn (SqliteWriter), and SQLite's own busy timeout.
WRITER_WAIT = 30.0

# Pages of SQLite's write-ahead log after which the committing connection copies it into the
# database itself (SQLite's default: 1000). That copy and its sync cost the request that
# happened to commit 10–20 ms every hundred completions or so: the tail of the latencies. The
# render worker (every pass, a second or two) and the scheduler copy it instead
# (`checkpoint_wal`), off the requests' path. A completion writes about 120 KB of log, so at
# a hundred a second the log stays under this bound (16 MB), which holds when neither runs.
WAL_AUTOCHECKPOINT = 4_000

# A statement's runs on a connection before psycopg prepares it (psycopg's default: 5). Ours
# are a fixed set, each built and compiled once, so a second run says it will run again; at
# the sixth, a worker's first minutes (a benchmark's round) ran most of them unprepared, parsed
# and planned at each run: PostgreSQL's throughput over the whole chain was 6 % lower. Each
# connection keeps at most psycopg's 100 prepared statements, evicting the least used.
PREPARE_AT = 1


# The execution option of a PostgreSQL connection in autocommit that begins its transaction
# before its first write (a writing unit's reads: service.db.uow); see `_begin_at_first_write`.
BEGIN_AT_FIRST_WRITE = "begin_at_first_write"
# What the last statement sent on a connection with BEGIN_AT_FIRST_WRITE carried with it, in
# the connection's `info`: (BEGIN, COMMIT), for counting round trips (benchmarks.statements)
PIPELINED = "pipelined"


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        # LIFO: the same few connections serve a steady load and stay unpinged, the others
        # idle; `pool_recycle` retires connections before an idle timeout between us and the
        # server can cut them
        engine = create_engine(
            url,
            pool_size=10,
            max_overflow=20,
            pool_recycle=1800,
            pool_use_lifo=True,
            connect_args={"prepare_threshold": PREPARE_AT},
        )
        _ping_when_idle(engine)
        _begin_at_first_write(engine)

        @event.listens_for(engine, "connect")
        def _cursor_factory(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.cursor_factory = DescribedWhenRead  # see service.db.cursors

        return engine
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": WRITER_WAIT})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
        cursor = dbapi_conn.cursor()
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}")
        cursor.close()

    return engine


def begin_now(connection: Connection) -> None:
    """BEGIN, on a connection with BEGIN_AT_FIRST_WRITE that has not begun its transaction.
    psycopg commits and rolls back by the server's transaction state, autocommit or not."""
    if not connection.get_execution_options().get(BEGIN_AT_FIRST_WRITE):
        return
    driver = connection.connection.driver_connection
    if driver.info.transaction_status == pq.TransactionStatus.IDLE:  # type: ignore[union-attr]
        driver.execute("BEGIN", prepare=False)  # type: ignore[union-attr]


def _begin_at_first_write(engine: Engine) -> None:
    """Before a write on a connection with BEGIN_AT_FIRST_WRITE, begin: an INSERT, UPDATE or
    DELETE, a SELECT that locks or whose WITH writes, a batch of writes (service.db.batch), or
    text SQL. Only a batch sent as its unit's last write goes alone, a transaction of its own.

    BEGIN goes with the write that needs it, and COMMIT with the batch a begun transaction
    commits with (Batch.send's `commits`: UnitOfWork.commit), in one exchange each: psycopg's
    pipeline sends them together and waits once. A signing, which begins at its claim, so
    costs two round trips fewer. If the write fails, the COMMIT behind it does not run: the
    transaction is left failed, for the rollback that follows."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(
        connection: Connection,
        _cursor: Any,
        _statement: str,
        parameters: Any,
        context: ExecutionContext | None,
        many: bool,
    ) -> None:
        if context is not None and not many and (parameters or not context.no_parameters):
            return  # SQLAlchemy's `do_execute`: `_with_begin_and_commit` sends BEGIN with it
        options = (
            connection.get_execution_options() if context is None else context.execution_options
        )
        if _begins(options, context):
            begin_now(connection)

    @event.listens_for(engine, "do_execute")
    def _with_begin_and_commit(
        cursor: Any, statement: str, parameters: Any, context: ExecutionContext
    ) -> bool:
        options = context.execution_options
        if not options.get(BEGIN_AT_FIRST_WRITE) or context.executemany:
            return False
        driver = cursor.connection
        state = driver.info.transaction_status
        begin = state == pq.TransactionStatus.IDLE and _begins(options, context)
        commit = state == pq.TransactionStatus.INTRANS and bool(options.get(COMMITS))
        if not (begin or commit):
            return False  # SQLAlchemy executes it as usual
        with driver.pipeline():  # sent together; the results are read at the block's end
            if begin:
                driver.execute("BEGIN", prepare=False)
            cursor.execute(statement, parameters)
            if commit:
                driver.execute("COMMIT", prepare=False)
        context.root_connection.info[PIPELINED] = (begin, commit)  # for benchmarks.statements
        return True


def _begins(options: Any, context: ExecutionContext | None) -> bool:
    """Whether a statement on a connection that has not begun must begin its transaction."""
    if not options.get(BEGIN_AT_FIRST_WRITE) or options.get(AS_BATCH) == "last":
        return False
    return context is None or not _reads(context, options)


def _reads(context: ExecutionContext, options: Any) -> bool:
    """Whether a statement only reads: a SELECT that locks no row, is no batch of writes and
    writes nothing in its WITH (an UPDATE … RETURNING read with what it returns)."""
    compiled = getattr(context, "compiled", None)
    if compiled is None or AS_BATCH in options:
        return False
    if context.isinsert or context.isupdate or context.isdelete:  # type: ignore[attr-defined]
        return False
    if any(isinstance(cte.element, UpdateBase) for cte in compiled.ctes or ()):
        return False
    return getattr(compiled.statement, "_for_update_arg", None) is None


def checkpoint_wal(engine: Engine) -> None:
    """Copy SQLite's write-ahead log into the database, for the background loops (see
    WAL_AUTOCHECKPOINT). PASSIVE: it waits for no reader and no writer, and copies what it
    can; the next writer then starts the log afresh. Nothing to do on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def _ping_when_idle(engine: Engine) -> None:
    """`pool_pre_ping`, for connections that sat in the pool a while only: a ping at every
    checkout is one more round trip per request under load. A connection the server dropped
    within the last second fails its first statement instead; SQLAlchemy then invalidates the
    whole pool (every older connection is replaced at its next checkout) and the request
    answers 503 with Retry-After (service.api, service.web), which clients retry. The
    scheduler and the render worker, which sleep between passes, always find theirs pinged."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        checked_in = record.info.get("checked_in")
        if checked_in is None or time.monotonic() - checked_in < IDLE_BEFORE_PING:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:  # gone: the pool discards it and connects afresh
            raise DisconnectionError(str(err)) from err


class SqliteWriter:
    """The turn to write to one SQLite database, taken before SQLite's own write lock (BEGIN
    IMMEDIATE) and held to the end of the transaction.

    SQLite's busy handler makes a writer that finds the lock taken sleep 1 … 100 ms between
    tries, so it can wait long after the lock is free and lose the race several times in a row:
    with the web's threads, the scheduler and the render worker all writing, a few completions
    took ten times the usual. Here the threads of a process queue on a lock and start the
    moment the one before them ends; between processes (several web workers, the scheduler, the
    render worker) the turn is a lock on a file beside the database, tried every 0.5 … 5 ms.
    Re-entrant in a thread; a database in memory has only the thread lock."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.RLock()
        self._depth = 0  # the holding thread's nesting; the file is locked at the outermost
        self._path = None if database in (None, "", ":memory:") else f"{database}.writer"
        self._file: int | None = None
        self._opened_by = 0  # the process that opened it

    def acquire(self, within: float = WRITER_WAIT) -> None:
        """:raise OperationalError: the turn did not come `within` seconds (a 503, as SQLite's
        own "database is locked")."""
        if not self._threads.acquire(timeout=within):
            raise _locked()
        if self._depth == 0 and self._path is not None:
            try:
                self._lock_file(self._path, time.monotonic() + within)
            except BaseException:
                self._threads.release()
                raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()

    def _lock_file(self, path: str, deadline: float) -> None:
        # kept open, and opened anew after a fork (gunicorn preloads the app): a lock belongs
        # to the open file, which a forked child shares with its parent and its siblings
        if self._file is None or self._opened_by != os.getpid():
            self._file = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            self._opened_by = os.getpid()
        pause = 0.0005
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _locked() from None
                time.sleep(pause)
                pause = min(pause * 2, 0.005)


def _locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


_WRITERS: WeakKeyDictionary[Engine, SqliteWriter] = WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def sqlite_writer(engine: Engine) -> SqliteWriter:
    """The writers' turn on `engine`'s database (one per engine and process)."""
    with _WRITERS_LOCK:
        writer = _WRITERS.get(engine)
        if writer is None:
            writer = _WRITERS[engine] = SqliteWriter(engine.url.database)
        return writer


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
