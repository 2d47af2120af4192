"""Directory changes heard on PostgreSQL without asking: every pooled connection LISTENs on
`directory_changed`, which a write to the tables an actor, or what is kept with it, is read
from notifies at its commit (migrations 0030, 0033, 0034), in whichever process it ran.

PostgreSQL sends a notice to each listening connection; it waits in that connection's socket
until read. A request reads its connection's socket before trusting a cached actor (a system
call, not a round trip), so a change committed anywhere reaches every worker's next request
once its notice has crossed the socket: PostgreSQL signals the listeners as the commit ends,
and here requests sent right after the committing statement returned were already refused.
A connection opened later missed the notices before it: opening one is heard as a change too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event

CHANNEL = "directory_changed"


class DirectoryNotices:
    """Calls `changed` for every notice, and for every new connection, of `engine`'s pool."""

    def __init__(self, engine: Engine, changed: Callable[[], None]) -> None:
        assert engine.dialect.name == "postgresql", "SQLite has no notices"
        self._changed = changed
        event.listen(engine, "connect", self._listen)

    def _listen(self, dbapi_conn: Any, record: Any) -> None:
        # every notice the driver meets (in a query's answer, or read by `heard`) is handled,
        # else psycopg would keep it in an unbounded backlog
        dbapi_conn.add_notify_handler(lambda _notice: self._changed())
        was = dbapi_conn.autocommit
        dbapi_conn.autocommit = True  # LISTEN at once, not at a later commit
        try:
            dbapi_conn.execute(f"LISTEN {CHANNEL}")
        finally:
            dbapi_conn.autocommit = was
        record.info["listening"] = True
        self._changed()  # what changed before this connection listened, it never hears

    def heard(self, connection: Connection) -> bool:
        """Handle the notices that have reached `connection`, without waiting for any. False
        when it cannot tell (a connection that does not listen, or is broken): ask the
        database instead."""
        fairy = connection.connection
        if not fairy.info.get("listening"):
            return False
        driver = fairy.driver_connection
        pgconn = driver.pgconn  # type: ignore[union-attr]
        try:
            pgconn.consume_input()  # what the socket holds, without blocking
        except Exception:  # noqa: BLE001  # broken: the statement that follows will say so
            return False
        while (notice := pgconn.notifies()) is not None:
            pgconn.notify_handler(notice)  # the driver's dispatch, to `_listen`'s handler
        return True
