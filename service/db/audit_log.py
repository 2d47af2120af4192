"""Appending to the audit log's hash chains, inside the caller's transaction.

Each process has its own chain, its head kept on the instance row. Changes that belong to no
process (deployed diagrams, substitutions, second factors) form one more chain, the
directory's, its head in `audit_chain`; its events have no instance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from service.db.batch import Batch
from service.db.models import AuditChain, ProcessInstance, Task
from service.db.tables import EVENTS
from workflows.audit import event_hash

DIRECTORY_CHAIN = "directory"

# The fields an event's hash covers; migration 0002 hashed the events it found with the same.
HASHED = (
    "instance_id",
    "seq",
    "action",
    "task_id",
    "actor_id",
    "agency_id",
    "role",
    "data",
    "created_at",
)


class Acting(Protocol):
    """Who acts: an `Actor` of service.operations, seen from here (no user nor agency for the
    command line's `SystemActor`)."""

    @property
    def user_id(self) -> int | None: ...

    @property
    def agency_id(self) -> int | None: ...


def event_record(event: Any) -> dict[str, Any]:
    """The hashed fields of an event: an `Event`, or a result row with the same columns."""
    return {name: getattr(event, name) for name in HASHED}


# the events appended in a session and not yet written: one multi-row INSERT after its flush
_PENDING = "audit_events"


def append(
    session: Session,
    head: ProcessInstance | AuditChain,
    action: str,
    actor: Acting | None,
    now: datetime,
    *,
    role: str | None = None,
    task: Task | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """Append the next event of `head`'s chain; events are never changed afterwards. Returns
    its hash, the chain's new head.

    The event is chained to the head's `last_event_hash`, which moves with the seq under the
    head row's version check: two writers can never both extend the same head. The event is
    written at the session's next flush, right after the head's version-checked UPDATE (a
    concurrent writer stops there, before its event), by one INSERT for all the events of the
    flush, without the ORM.
    """
    head.last_event_seq += 1
    record = {
        "instance_id": head.id if isinstance(head, ProcessInstance) else None,
        "seq": head.last_event_seq,
        "action": action,
        "task_id": None if task is None else task.id,
        "actor_id": None if actor is None else actor.user_id,
        "agency_id": None if actor is None else actor.agency_id,
        "role": role,
        "data": data or {},
        "created_at": now,
    }
    prev_hash = head.last_event_hash
    head.last_event_hash = event_hash(record, prev_hash)
    session.info.setdefault(_PENDING, []).append(
        record | {"prev_hash": prev_hash, "hash": head.last_event_hash}
    )
    return head.last_event_hash


@event.listens_for(Session, "after_flush")
def _write_events(session: Session, _context: Any) -> None:
    """Insert the events appended since the last flush, after the flush's writes: the head
    each one moved was updated (and its version checked) in that flush."""
    write_pending(session)


_INSERT = insert(EVENTS)


def write_pending(session: Session, batch: Batch | None = None) -> None:
    """Insert the events appended and not yet written, by one INSERT: after the UPDATEs of the
    heads they moved (a flush, or service.operations.instances.write_instance), or with them
    (`batch`, sent as one statement)."""
    rows = session.info.pop(_PENDING, None)
    if batch is not None:
        batch.add(_INSERT, rows or [])
    elif rows:
        session.connection().execute(_INSERT, rows)


@event.listens_for(Session, "after_rollback")
def _forget_events(session: Session) -> None:
    """Events of a transaction rolled back are never written."""
    session.info.pop(_PENDING, None)


def directory_chain(session: Session) -> AuditChain:
    """The directory chain's head, locked until the transaction ends (PostgreSQL; SQLite's
    writing unit holds the whole database already)."""
    chain = session.scalars(
        select(AuditChain).filter_by(name=DIRECTORY_CHAIN).with_for_update()
    ).one_or_none()
    if chain is None:  # the migration creates it; a database built by metadata may not have it
        chain = AuditChain(name=DIRECTORY_CHAIN, last_event_seq=0)
        session.add(chain)
    return chain
