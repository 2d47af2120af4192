"""The units of work a request opens, for the API and the pages alike (service.api.deps and
service.web.deps hand them on): the app's session factory and its business clock."""

from __future__ import annotations

from flask import current_app

from service.db.uow import UnitOfWork


def new_uow(*, write: bool = True, autocommit: bool = False) -> UnitOfWork:
    return UnitOfWork(
        current_app.extensions["session_factory"],
        write=write,
        autocommit=autocommit,
        clock=current_app.extensions["clock"],
    )


def new_view() -> UnitOfWork:
    """A unit for a view of service.queries (which never locks, writes or asks for one
    snapshot), or another such read (a draft, a stored result of an Idempotency-Key, the
    caller's session): on PostgreSQL it reads in autocommit, with no BEGIN or COMMIT. At READ
    COMMITTED a transaction would give its statements no common snapshot anyway, and a read
    flushes nothing it changed in memory (service.db.uow)."""
    return new_uow(write=False, autocommit=True)
