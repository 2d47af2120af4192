"""Engines and session factories for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

# The database is away: restarting, unreachable, or (SQLite) locked past its timeout. Not a bug
# of ours and retryable: a request answers 503, a background loop waits and tries again.
DATABASE_AWAY = (OperationalError, InterfaceError)

# A pooled PostgreSQL connection idle this long is pinged before use (see `_ping_when_idle`).
IDLE_BEFORE_PING = 1.0


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        # LIFO: the same few connections serve a steady load and stay unpinged, the others
        # idle; `pool_recycle` retires connections before an idle timeout between us and the
        # server can cut them
        engine = create_engine(
            url, pool_size=10, max_overflow=20, pool_recycle=1800, pool_use_lifo=True
        )
        _ping_when_idle(engine)
        return engine
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
        cursor = dbapi_conn.cursor()
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


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


_WRITERS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def sqlite_writer(engine: Engine) -> threading.RLock:
    """The lock a process's threads take before SQLite's write lock (BEGIN IMMEDIATE). Between
    processes SQLite's busy handler polls, sleeping 1 … 100 ms between tries, so a writer can
    wait long after the lock is free; threads of one web worker queue here instead and start
    the moment the one before them ends. Re-entrant: a thread already writing is left to SQLite,
    as before."""
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(engine, threading.RLock())


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
