"""A process's comments and attached files, for those who read it in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from service.db.attachment_store import AttachmentStore
from service.db.models import Agency, Attachment, Comment, Task
from service.db.uow import UnitOfWork
from service.errors import NotFound
from service.operations.actors import Actor
from service.operations.conversations import mentionable
from service.operations.reading import visible_instance


@dataclass(frozen=True)
class AttachedFile:
    name: str
    mimetype: str
    content: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class CommentView:
    id: int
    task_id: int | None
    step: str | None  # the name of the task's step, if on a task
    author: str
    agency: str
    body: str
    mentions: list[str]  # the agencies' names
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AttachmentView:
    id: int
    task_id: int | None
    step: str | None  # the name of the task's step, if on a task
    name: str
    mimetype: str
    size: int
    sha256: str
    uploaded_by: str
    agency: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Mentionable:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class ConversationView:
    comments: list[CommentView]
    attachments: list[AttachmentView]
    mentionable: list[Mentionable]  # the agencies a comment may mention


def conversation(uow: UnitOfWork, actor: Actor, process_id: int) -> ConversationView:
    """The process's comments and files, oldest first (each names its task and step, if
    any), and the agencies a comment may mention."""
    with uow:
        instance = visible_instance(uow, actor, process_id)
        agencies = mentionable(uow, instance)
        comments = uow.session.execute(
            select(Comment, Task.name)
            .outerjoin(Task, Task.id == Comment.task_id)
            .where(Comment.instance_id == instance.id)
            .options(joinedload(Comment.author), joinedload(Comment.agency))
            .order_by(Comment.id)
        ).all()
        mentioned = {m for c, _step in comments for m in c.mentions}
        names = {
            row.id: row.name
            for row in uow.session.execute(
                select(Agency.id, Agency.name).where(Agency.id.in_(mentioned))
            )
        }
        files = uow.session.execute(
            select(Attachment, Task.name)
            .outerjoin(Task, Task.id == Attachment.task_id)
            .where(Attachment.instance_id == instance.id)
            .options(joinedload(Attachment.uploaded_by), joinedload(Attachment.agency))
            .order_by(Attachment.id)
        ).all()
        return ConversationView(
            comments=[
                CommentView(
                    id=c.id,
                    task_id=c.task_id,
                    step=step,
                    author=c.author.full_name,
                    agency=c.agency.name,
                    body=c.body,
                    mentions=[names[m] for m in c.mentions if m in names],
                    created_at=c.created_at,
                )
                for c, step in comments
            ],
            attachments=[
                AttachmentView(
                    id=a.id,
                    task_id=a.task_id,
                    step=step,
                    name=a.name,
                    mimetype=a.mimetype,
                    size=a.size,
                    sha256=a.sha256,
                    uploaded_by=a.uploaded_by.full_name,
                    agency=a.agency.name,
                    created_at=a.created_at,
                )
                for a, step in files
            ],
            mentionable=[Mentionable(a.code, a.name) for a in agencies],
        )


def attached_file(
    uow: UnitOfWork, store: AttachmentStore, actor: Actor, attachment_id: int
) -> AttachedFile:
    """An attached file's bytes, for those who read its process in full.

    :raise NotFound: no such file (or its bytes are missing from the store).
    :raise Forbidden: the actor does not read its process in full.
    """
    with uow:
        attachment = uow.session.get(Attachment, attachment_id)
        if attachment is None:
            raise NotFound("attachment_not_found", "No such file.")
        visible_instance(uow, actor, attachment.instance_id)
        content = store.get(uow.session, attachment.sha256)
        if content is None:
            raise NotFound("attachment_not_found", "No such file.")
        return AttachedFile(attachment.name, attachment.mimetype, content, attachment.sha256)
