"""The business rows the audit log vouches for: each must equal what its events say.

The chains prove the events; these checks prove the rows people read against them. A signed
document's number, symbol, subject, signer and file hashes (and the bytes' own hashes) come
from `document_issued` and `document_rendered`; a completed task's decision, comment,
completer and time from `task_completed`; a register's last number from the numbers issued
and `register_set`; an instance's title, diagram, parent, bindings and status from
`process_started` and `process_completed`, and its engine state, plan and reports by replaying
its events (service.operations.replay); a comment's text, author and process from the hash in
`comment_added`, an attached file's name, type, size and hash from `file_attached`, and the
bytes kept in the database from their own hash. Fields an older event does not carry are not
compared. Rows are read raw where a stored value could be poisoned, so a bad value is a break,
not a crash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session, joinedload

from service.db.models import (
    Agency,
    Attachment,
    AttachmentBlob,
    Comment,
    Document,
    ProcessDefinition,
    ProcessInstance,
    Register,
    Task,
)
from service.operations.replay import replay_instance
from service.states import ProcessStatus, TaskState

Record = dict[str, Any]
Broken = dict[str, Any]
# what a replay divergence says is wrong, as the instance's field
_REPLAYED_FIELD = {
    "ready steps (open tasks)": "task",
    "completed (status)": "status",
    "plan": "document",
    "reports": "reports",
    "report drafts": "report_drafts",
}


def json_object(value: Any) -> dict[str, Any]:
    """The JSON type's reading of a raw value; it must be an object."""
    parsed = json.loads(value) if isinstance(value, str | bytes) else value
    if not isinstance(parsed, dict):
        raise ValueError(f"not a JSON object: {str(value)[:40]!r}")
    return parsed


def aware(value: Any) -> datetime:
    """The UTCDateTime type's reading of a raw time (SQLite stores text, PostgreSQL a time)."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise ValueError(f"not a time: {value!r}")
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def row_break(table: str, row_id: Any, field: str, detail: str, reason: str) -> Broken:
    return {
        "reason": reason,
        "event_id": None,
        "instance_id": None,
        "seq": None,
        "checkpoint_id": None,
        "table": table,
        "row_id": row_id,
        "field": field,
        "detail": detail,
    }


DocKey = tuple[Any, Any, Any]  # (instance id, task id, kind)


class _Said:
    """What the events say each row must be, by the row's key."""

    def __init__(self, records: Iterable[tuple[int, Record]]) -> None:
        # a document's key: (instance, task, kind); a decision (QĐ) is made by no task
        self.issued: dict[DocKey, tuple[int, Record]] = {}  # -> document_issued
        self.rendered: dict[DocKey, tuple[int, Record]] = {}  # -> last document_rendered
        self.completed: dict[int, tuple[int, Record]] = {}  # task id -> task_completed
        self.started: dict[int, tuple[int, Record]] = {}  # instance id -> process_started
        self.finished: set[int] = set()  # instances with process_completed
        self.cancelled: set[int] = set()  # instances with process_cancelled
        self.moved: dict[int, tuple[int, Record]] = {}  # instance -> last incident_retried
        self.handed_over: set[int] = set()  # unit instances whose agency ended (succession)
        self.rebound: dict[int, tuple[int, Record]] = {}  # instance -> last roles_rebound
        self.register_sets: list[tuple[int, Record]] = []
        self.comments: dict[int, tuple[int, Record]] = {}  # comment id -> comment_added
        self.attached: dict[int, tuple[int, Record]] = {}  # attachment id -> file_attached
        for event_id, record in records:
            action, task_id, data = record["action"], record["task_id"], record["data"]
            instance_id = record["instance_id"]
            kind = data.get("kind") if isinstance(data, dict) else None
            if action == "document_issued" and (task_id is not None or kind == "QĐ"):
                self.issued[(instance_id, task_id, kind)] = (event_id, record)
            elif action == "document_rendered" and (task_id is not None or kind == "QĐ"):
                self.rendered[(instance_id, task_id, kind)] = (event_id, record)
            elif action == "task_completed" and task_id is not None:
                self.completed[task_id] = (event_id, record)
            elif action == "process_started" and record["instance_id"] is not None:
                self.started[record["instance_id"]] = (event_id, record)
            elif action == "process_completed" and instance_id is not None:
                self.finished.add(instance_id)
            elif action == "process_cancelled" and instance_id is not None:
                self.cancelled.add(instance_id)
            elif action == "incident_retried" and isinstance(data, dict) and "sha256" in data:
                self.moved[instance_id] = (event_id, record)  # now read by a newer diagram
            elif action == "unit_handed_over" and instance_id is not None:
                self.handed_over.add(instance_id)
            elif action == "roles_rebound" and instance_id is not None:
                self.rebound[instance_id] = (event_id, record)  # its agency ended (succession)
            elif action == "register_set" and isinstance(data, dict):
                self.register_sets.append((event_id, record))
            elif (
                action == "comment_added"
                and isinstance(data, dict)
                and isinstance(data.get("comment"), int)
            ):
                self.comments[data["comment"]] = (event_id, record)
            elif (
                action == "file_attached"
                and isinstance(data, dict)
                and isinstance(data.get("attachment"), int)
            ):
                self.attached[data["attachment"]] = (event_id, record)


class _Compare:
    """Collects the differences of one table's rows from what the log says."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.breaks: list[Broken] = []

    def field(self, row_id: Any, field: str, stored: Any, said: Any, event_id: int) -> None:
        if stored != said:
            detail = f"stored {_short(stored)}, the log (event {event_id}) says {_short(said)}"
            self.breaks.append(row_break(self.table, row_id, field, detail, "row_differs"))

    def missing(self, row_id: Any, detail: str, reason: str = "row_unlogged") -> None:
        self.breaks.append(row_break(self.table, row_id, "id", detail, reason))

    def raw(self, row_id: Any, field: str, value: Any, read: Callable[[Any], Any]) -> Any:
        """`value` as its column type reads it; a poisoned one is a break (and None)."""
        if value is None:
            return None
        try:
            return read(value)
        except (TypeError, ValueError) as err:
            self.breaks.append(row_break(self.table, row_id, field, repr(err), "poisoned"))
            return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _raw(column: Any) -> Any:
    return type_coerce(column, Text).label(column.key)


def check_rows(
    session: Session, records: Iterable[tuple[int, Record]], *, replay: bool = True
) -> tuple[int, list[Broken]]:
    """(rows checked, breaks): every audited business row against the readable events."""
    said = _Said(records)
    counted, breaks = 0, list[Broken]()
    for check in (_documents, _tasks, _registers, _comments, _attachments):
        rows, found = check(session, said)
        counted, breaks = counted + rows, breaks + found
    rows, found = _instances(session, said, replay)
    return counted + rows, breaks + found


def _documents(session: Session, said: _Said) -> tuple[int, list[Broken]]:
    compare, seen = _Compare("document"), set()
    query = select(
        Document.id,
        Document.instance_id,
        Document.task_id,
        Document.agency_id,
        Document.year,
        Document.kind,
        Document.number,
        Document.symbol,
        Document.subject,
        _raw(Document.signed_at),
        Document.signed_by_id,
        Document.signing_mark,
        Document.docx_sha256,
        Document.pdf_sha256,
        Document.docx,
        Document.pdf,
    ).order_by(Document.id)
    count = 0
    for row in session.execute(query.execution_options(yield_per=20)):
        count += 1
        key = (row.instance_id, row.task_id, row.kind)
        seen.add(key)
        issued = said.issued.get(key)
        if issued is None:
            compare.missing(row.id, f"no document_issued event for task {row.task_id}")
            continue
        event_id, record = issued
        data = record["data"]
        check = compare.field
        check(row.id, "instance_id", row.instance_id, record["instance_id"], event_id)
        for name in ("number", "symbol", "year", "kind", "subject", "agency_id"):
            if name in data:  # subject and agency_id: events since issue 16
                check(row.id, name, getattr(row, name), data[name], event_id)
        check(row.id, "signed_by_id", row.signed_by_id, record["actor_id"], event_id)
        signed_at = compare.raw(row.id, "signed_at", row.signed_at, aware)
        check(row.id, "signed_at", signed_at, record["created_at"], event_id)
        completed = None if row.task_id is None else said.completed.get(row.task_id)
        if completed is not None:
            mark = completed[1]["data"].get("signing_mark")
            check(row.id, "signing_mark", row.signing_mark, mark, completed[0])
        files = said.rendered.get(key) or issued
        for name in ("docx", "pdf"):
            hashed = files[1]["data"].get(f"{name}_sha256")
            check(row.id, f"{name}_sha256", getattr(row, f"{name}_sha256"), hashed, files[0])
            content = getattr(row, name)
            actual = None if content is None else hashlib.sha256(content).hexdigest()
            check(row.id, f"{name} (its bytes' sha256)", actual, hashed, files[0])
    for key, (event_id, record) in said.issued.items():
        if key not in seen:
            detail = f"event {event_id} issued {record['data'].get('number')} for task {key[1]}"
            compare.missing(None, detail, "row_deleted")
    return count, compare.breaks


def _tasks(session: Session, said: _Said) -> tuple[int, list[Broken]]:
    compare, count = _Compare("task"), 0
    query = select(
        Task.id,
        Task.step,
        _raw(Task.state),  # as stored: a value outside TaskState is a break, not a crash
        Task.decision,
        Task.comment,
        Task.completed_by_id,
        _raw(Task.completed_at),
        Task.on_behalf_of_id,
        Task.signing_mark,
    ).where(
        (Task.state == TaskState.COMPLETED)
        | Task.id.in_(list(said.completed))
        | Task.decision.is_not(None)
        | Task.completed_by_id.is_not(None)
    )
    seen = set()
    for row in session.execute(query.order_by(Task.id)):
        count += 1
        seen.add(row.id)
        completed = said.completed.get(row.id)
        if completed is None:
            compare.missing(row.id, f"{row.state}, with no task_completed event")
            continue
        event_id, record = completed
        data, check = record["data"], compare.field
        check(row.id, "state", row.state, TaskState.COMPLETED, event_id)
        check(row.id, "step", row.step, data.get("step"), event_id)
        check(row.id, "decision", row.decision, data.get("decision"), event_id)
        check(row.id, "comment", row.comment, data.get("comment"), event_id)
        check(row.id, "completed_by_id", row.completed_by_id, record["actor_id"], event_id)
        completed_at = compare.raw(row.id, "completed_at", row.completed_at, aware)
        check(row.id, "completed_at", completed_at, record["created_at"], event_id)
        check(row.id, "on_behalf_of_id", row.on_behalf_of_id, data.get("on_behalf_of"), event_id)
        check(row.id, "signing_mark", row.signing_mark, data.get("signing_mark"), event_id)
    for task_id, (event_id, _) in said.completed.items():
        if task_id not in seen:
            compare.missing(task_id, f"event {event_id} completed it", "row_deleted")
    return count, compare.breaks


def _comments(session: Session, said: _Said) -> tuple[int, list[Broken]]:
    compare, seen = _Compare("comment"), set()
    query = select(Comment.id, Comment.instance_id, Comment.author_id, Comment.body)
    for row in session.execute(query.order_by(Comment.id)):
        seen.add(row.id)
        logged = said.comments.get(row.id)
        if logged is None:
            compare.missing(row.id, "no comment_added event")
            continue
        event_id, record = logged
        text = hashlib.sha256(str(row.body).encode("utf-8", "replace")).hexdigest()
        compare.field(row.id, "body", text, record["data"].get("sha256"), event_id)
        compare.field(row.id, "author_id", row.author_id, record["actor_id"], event_id)
        compare.field(row.id, "instance_id", row.instance_id, record["instance_id"], event_id)
    for comment_id, (event_id, _) in said.comments.items():
        if comment_id not in seen:
            compare.missing(comment_id, f"event {event_id} added it", "row_deleted")
    return len(seen), compare.breaks


def _attachments(session: Session, said: _Said) -> tuple[int, list[Broken]]:
    compare, seen = _Compare("attachment"), set()
    query = select(
        Attachment.id,
        Attachment.instance_id,
        Attachment.uploaded_by_id,
        Attachment.name,
        Attachment.mimetype,
        Attachment.size,
        Attachment.sha256,
    )
    for row in session.execute(query.order_by(Attachment.id)):
        seen.add(row.id)
        logged = said.attached.get(row.id)
        if logged is None:
            compare.missing(row.id, "no file_attached event")
            continue
        event_id, record = logged
        data = record["data"]
        for field in ("name", "mimetype", "size", "sha256"):
            compare.field(row.id, field, getattr(row, field), data.get(field), event_id)
        compare.field(row.id, "uploaded_by_id", row.uploaded_by_id, record["actor_id"], event_id)
        compare.field(row.id, "instance_id", row.instance_id, record["instance_id"], event_id)
    for attachment_id, (event_id, _) in said.attached.items():
        if attachment_id not in seen:
            compare.missing(attachment_id, f"event {event_id} attached it", "row_deleted")
    blobs = _Compare("attachment_blob")
    for blob in session.execute(select(AttachmentBlob.sha256, AttachmentBlob.content)):
        content = hashlib.sha256(bytes(blob.content)).hexdigest()
        blobs.field(blob.sha256, "content", content, blob.sha256, 0)
    return len(seen), compare.breaks + blobs.breaks


def _registers(session: Session, said: _Said) -> tuple[int, list[Broken]]:
    """A register's last number: the highest the log issued or set (minus one) for its key,
    (agency, year, symbol). An event from before registers were keyed by symbol (no
    `register` in its data, migration 0026) numbered the one register of its kind, which
    that migration kept in each symbol's register: it counts for every symbol of its kind."""
    compare = _Compare("register")
    agencies = {
        task_id: agency_id
        for task_id, agency_id in session.execute(
            select(Task.id, Task.agency_id).where(Task.id.in_([key[1] for key in said.issued]))
        )
    }
    codes = {code: agency_id for code, agency_id in session.execute(select(Agency.code, Agency.id))}
    said_last: dict[tuple[Any, Any, Any], tuple[int, int]] = {}  # (agency, year, symbol)
    said_kind: dict[tuple[Any, Any, Any], tuple[int, int]] = {}  # (agency, year, kind): before

    def raise_to(agency_id: Any, data: dict[str, Any], number: Any, event_id: int) -> None:
        if not isinstance(number, int):
            return
        year = data.get("year")
        said, key = (
            (said_last, (agency_id, year, data["register"]))
            if "register" in data
            else (said_kind, (agency_id, year, data.get("kind")))
        )
        if number > said.get(key, (0, 0))[0]:
            said[key] = (number, event_id)

    for (_, task_id, _), (event_id, record) in said.issued.items():
        data = record["data"]
        raise_to(data.get("agency_id", agencies.get(task_id)), data, data.get("number"), event_id)
    for event_id, record in said.register_sets:
        data = record["data"]
        to = data.get("to")
        raise_to(
            codes.get(data.get("agency")), data, to - 1 if isinstance(to, int) else None, event_id
        )
    query = select(
        Register.agency_id, Register.year, Register.symbol, Register.kind, Register.last_number
    )
    count, kinds_seen = 0, set()
    for row in session.execute(query.order_by(Register.agency_id, Register.year, Register.symbol)):
        count += 1
        key = (row.agency_id, row.year, row.symbol)
        kind_key = (row.agency_id, row.year, row.kind)
        kinds_seen.add(kind_key)
        number, event_id = max(said_last.pop(key, (0, 0)), said_kind.get(kind_key, (0, 0)))
        if row.last_number != number:
            compare.field("/".join(map(str, key)), "last_number", row.last_number, number, event_id)
    for (agency_id, year, symbol), (number, event_id) in [
        *said_last.items(),
        *((k, v) for k, v in said_kind.items() if k not in kinds_seen),
    ]:
        detail = f"event {event_id}: agency {agency_id}'s {symbol} {year} reached {number}"
        compare.missing(None, detail, "row_deleted")
    return count, compare.breaks


def _instances(session: Session, said: _Said, replay: bool) -> tuple[int, list[Broken]]:
    compare, count = _Compare("process_instance"), 0
    definitions = {
        row.id: row
        for row in session.execute(
            select(
                ProcessDefinition.id,
                ProcessDefinition.process_id,
                ProcessDefinition.version,
                ProcessDefinition.sha256,
            )
        )
    }
    query = select(
        ProcessInstance.id,
        ProcessInstance.title,
        ProcessInstance.definition_id,
        ProcessInstance.parent_id,
        _raw(ProcessInstance.bindings),
        _raw(ProcessInstance.status),
    ).order_by(ProcessInstance.id)
    for row in session.execute(query):
        count += 1
        started = said.started.get(row.id)
        if started is None:
            compare.missing(row.id, "no process_started event")
            continue
        event_id, record = started
        data, check = record["data"], compare.field
        if "title" in data:  # a unit's events carry it since issue 16
            check(row.id, "title", row.title, data["title"], event_id)
        definition = definitions.get(row.definition_id)
        stored = None if definition is None else (definition.process_id, definition.version)
        if row.id in said.moved:  # a retried incident moved it to a newer diagram
            event_id, record = said.moved[row.id]
            data = {**data, **{k: record["data"][k] for k in ("definition", "version", "sha256")}}
        if "definition" in data:
            check(row.id, "definition_id", stored, (data["definition"], data["version"]), event_id)
        if "sha256" in data:
            check(
                row.id, "definition_id", definition and definition.sha256, data["sha256"], event_id
            )
        check(row.id, "parent_id", row.parent_id, data.get("parent"), event_id)
        bindings = compare.raw(row.id, "bindings", row.bindings, json_object)
        said_bindings = data.get("bindings")
        if row.id in said.rebound:
            event_id, record = said.rebound[row.id]
            said_bindings = record["data"]["bindings"]
        check(row.id, "bindings", bindings, said_bindings, event_id)
        ended = (
            ProcessStatus.CANCELLED
            if row.id in said.cancelled
            else ProcessStatus.COMPLETED
            if row.id in said.finished
            else ProcessStatus.HANDED_OVER
            if row.id in said.handed_over
            else ProcessStatus.RUNNING
        )
        check(row.id, "status", row.status, ended, event_id)
    if replay:
        compare.breaks += _replayed(session)
    return count, compare.breaks


def _replayed(session: Session) -> list[Broken]:
    """Each instance's divergences from its replay: the engine state, plan and reports."""
    breaks = []
    for instance_id in session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.id)):
        try:
            instance = session.get_one(
                ProcessInstance, instance_id, options=[joinedload(ProcessInstance.definition)]
            )
            _, divergences = replay_instance(session, instance)
        except Exception as err:  # a poisoned state or event: named, and the others go on
            breaks.append(
                row_break(
                    "process_instance",
                    instance_id,
                    "state",
                    f"cannot replay: {err!r}"[:300],
                    "poisoned",
                )
            )
            continue
        for divergence in divergences:
            field = _REPLAYED_FIELD.get(divergence["what"], "state")
            detail = (
                f"{divergence['what']}: stored {_short(divergence['stored'])}, "
                f"replayed {_short(divergence['replayed'])}"
            )
            breaks.append(row_break("process_instance", instance_id, field, detail, "row_differs"))
    return breaks
