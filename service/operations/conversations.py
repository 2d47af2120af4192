"""Conversations on a process: comments (xin ý kiến — ask another agency without returning the
plan) that may mention the agencies taking part, and files attached to it or to one of its
tasks. Whoever reads the process in full (service.operations.reading) may do both; each is an
event of the process's audit chain, holding the hash of the text or of the file."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from service.db.attachment_store import AttachmentStore
from service.db.base import MAX_ID
from service.db.models import Agency, Attachment, Comment, Notification, ProcessInstance, Task
from service.db.uow import UnitOfWork
from service.errors import Invalid, Message, NotFound
from service.operations.actors import Actor
from service.operations.reading import visible_instance
from service.validation import REQUIRED

MAX_COMMENT = 4000  # characters
MAX_ATTACHMENT = 20 * 1024 * 1024  # bytes
MAX_NAME = 255
EXCERPT = 120  # characters of a comment in the notification


def add_comment(
    uow: UnitOfWork,
    actor: Actor,
    process_id: int,
    body: str,
    *,
    task_id: int | None = None,
    mentions: Iterable[str] = (),
) -> int:
    """Add a comment to the process's thread, or to its task's; notify each agency mentioned
    (by code), which must take part in the process or a plan above it. The comment's id.

    :raise NotFound: no such process, or no such task in it. :raise Forbidden: the actor does
        not read the process in full. :raise Invalid: (`body`) empty or too long;
        (`mentions`) an agency that takes no part.
    """
    text = body.strip()
    with uow:
        instance = visible_instance(uow, actor, process_id)  # first: a stranger learns nothing
        if not text:
            raise Invalid({"body": [REQUIRED]})
        if len(text) > MAX_COMMENT:
            raise Invalid(
                {"body": [Message("too_long", "At most %(max)s characters.", max=MAX_COMMENT)]}
            )
        task = _task_of(uow, instance, task_id)
        mentioned = _mentioned(uow, instance, list(mentions))
        comment = Comment(
            instance_id=instance.id,
            task_id=None if task is None else task.id,
            author_id=actor.user_id,
            agency_id=actor.agency_id,
            body=text,
            mentions=[a.id for a in mentioned],
            created_at=uow.now(),
        )
        uow.session.add(comment)
        uow.session.flush()
        excerpt = text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
        for agency in mentioned:
            uow.session.add(
                Notification(
                    task_id=comment.task_id,
                    comment_id=comment.id,
                    instance_id=instance.id,
                    rule=f"mention:{comment.id}",  # one per comment and agency
                    agency_id=agency.id,
                    audience="staff",
                    # stored in Vietnamese, as the reminders are (service.operations.deadlines)
                    message=f"Ý kiến của {actor.agency_name}: “{excerpt}” — {instance.title}",
                    text_id="mention",
                    params={
                        "agency": actor.agency_name,
                        "excerpt": excerpt,
                        "title": instance.title,
                    },
                    channels=["in_app"],
                    sent_at=uow.now(),
                )
            )
        uow.record(
            "comment_added",
            actor,
            instance=instance,
            task=task,
            data={
                "comment": comment.id,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "mentions": [a.code for a in mentioned],
            },
        )
        uow.commit()
        return comment.id


def attach_file(
    uow: UnitOfWork,
    store: AttachmentStore,
    actor: Actor,
    process_id: int,
    name: str,
    content: bytes,
    *,
    task_id: int | None = None,
) -> int:
    """Attach a file (PDF, DOCX, XLSX, JPEG or PNG, known by its content, never its name) to
    the process or one of its tasks. The attachment's id.

    :raise NotFound: no such process, or no such task in it. :raise Forbidden: the actor does
        not read the process in full. :raise Invalid: (`file`) empty, too large, or of another
        type.
    """
    with uow:
        instance = visible_instance(uow, actor, process_id)  # first: a stranger learns nothing
        task = _task_of(uow, instance, task_id)
        if not content:
            raise Invalid({"file": [REQUIRED]})
        if len(content) > MAX_ATTACHMENT:
            raise Invalid(
                {
                    "file": [
                        Message(
                            "file_too_large",
                            "Larger than %(max)s MB: attach a smaller file.",
                            max=MAX_ATTACHMENT // (1024 * 1024),
                        )
                    ]
                }
            )
        mimetype = sniff(content)
        if mimetype is None:
            raise Invalid(
                {"file": [Message("file_type", "Not a PDF, DOCX, XLSX, JPEG or PNG file.")]}
            )
        sha256 = hashlib.sha256(content).hexdigest()
        shown = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or sha256[:12]
        store.put(uow.session, sha256, content, mimetype)
        attachment = Attachment(
            instance_id=instance.id,
            task_id=None if task is None else task.id,
            name=shown[-MAX_NAME:],
            mimetype=mimetype,
            size=len(content),
            sha256=sha256,
            uploaded_by_id=actor.user_id,
            agency_id=actor.agency_id,
            created_at=uow.now(),
        )
        uow.session.add(attachment)
        uow.session.flush()
        uow.record(
            "file_attached",
            actor,
            instance=instance,
            task=task,
            data={
                "attachment": attachment.id,
                "name": attachment.name,
                "mimetype": mimetype,
                "size": len(content),
                "sha256": sha256,
            },
        )
        uow.commit()
        return attachment.id


_OOXML = {  # the part every such package has → its type
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sniff(content: bytes) -> str | None:
    """The MIME type of an accepted file, from its bytes, or None. DOCX and XLSX are ZIP
    packages told apart by their main part (a byte-pattern library can only guess which)."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            return next((kind for part, kind in _OOXML.items() if part in names), None)
    return None


def _task_of(uow: UnitOfWork, instance: ProcessInstance, task_id: int | None) -> Task | None:
    if task_id is None:
        return None
    task = uow.session.get(Task, task_id) if 0 < task_id <= MAX_ID else None
    if task is None or task.instance_id != instance.id:
        raise NotFound("task_not_found", "No such task in this process.")
    return task


def mentionable(uow: UnitOfWork, instance: ProcessInstance) -> list[Agency]:
    """The agencies bound in the process and in the plans above it, by name."""
    ids: set[int] = set()
    node: ProcessInstance | None = instance
    while node is not None:
        ids |= {int(v) for v in node.bindings.values() if v is not None}
        node = None if node.parent_id is None else uow.session.get(ProcessInstance, node.parent_id)
    return list(uow.session.scalars(select(Agency).where(Agency.id.in_(ids)).order_by(Agency.name)))


def _mentioned(uow: UnitOfWork, instance: ProcessInstance, codes: list[str]) -> list[Agency]:
    by_code = {a.code: a for a in mentionable(uow, instance)}
    errors: dict[int, Any] = {
        i: [Message("not_a_participant", "Not an agency taking part in this process.")]
        for i, code in enumerate(codes)
        if code not in by_code
    }
    if errors:
        raise Invalid({"mentions": errors})
    return [by_code[c] for c in dict.fromkeys(codes)]
