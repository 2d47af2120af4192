"""Comments (xin ý kiến) and attached files on a process or one of its tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, utcnow
from service.db.models.directory import Agency, User


class Comment(Base):
    """One message in a process's thread, or in one of its tasks' (task_id set)."""

    __tablename__ = "comment"
    __table_args__ = (Index("ix_comment_thread", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))  # the author's, then
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[int]] = mapped_column(JSON, default=list)  # agency ids
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()
    agency: Mapped[Agency] = relationship()


class Attachment(Base):
    """A file attached to a process or one of its tasks; its bytes are in the attachment
    store (service.db.attachment_store) under its SHA-256."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    name: Mapped[str] = mapped_column(String(255))  # as uploaded, for the download
    mimetype: Mapped[str] = mapped_column(String(100))  # from the content, never the name
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User] = relationship()
    agency: Mapped[Agency] = relationship()


class AttachmentBlob(Base):
    """The bytes of attached files when the database is the store: one row per content."""

    __tablename__ = "attachment_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
