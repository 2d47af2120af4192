"""Official documents: each agency's registers, and the signed files they numbered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, str_enum
from service.db.models.directory import Agency, User
from service.states import DocumentState


class Register(Base):
    """Sổ đăng ký văn bản: the last number an agency gave to documents of one number symbol
    ("KH-BCĐ") in a year. Each issuing body keeps its own sequence: the People's Committee's
    KH-UBND and its Steering Committee's KH-BCĐ are two registers of one agency.

    Taken by an UPDATE (an upsert) inside the signing's transaction: the row stays locked until
    that commits, so two signings get consecutive numbers, and a rolled-back one gives its
    number back.
    """

    __tablename__ = "register"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    symbol: Mapped[str] = mapped_column(String(40), primary_key=True)  # "KH-BCĐ"
    kind: Mapped[str] = mapped_column(String(10))  # KH, BC, QĐ…: the symbol's first part
    last_number: Mapped[int]


class Document(Base):
    """A signed document as it was issued: its number, its content, the exact bytes of both files.

    Signing stores the number and `content`, the document as it will be laid out (frozen then:
    a later change to the directory cannot alter it), in state "rendering", with a render job.
    A worker renders the DOCX and PDF from `content` alone, stores their bytes and hashes ("ready")
    and records the hashes in the audit log; the bytes are never re-rendered afterwards, so every
    download matches the hashes, whatever the fonts or libraries become.
    """

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("agency_id", "year", "symbol", "number"),
        # one award decision (QĐ) per plan, whoever asks at the same moment
        Index(
            "uq_document_award_decision",
            "instance_id",
            unique=True,
            sqlite_where=text("kind = 'QĐ'"),
            postgresql_where=text("kind = 'QĐ'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # the signing that issued it; None for a decision issued outside the chain's tasks (QĐ)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    number: Mapped[int]
    symbol: Mapped[str] = mapped_column(String(40))  # "KH-BCĐ"
    subject: Mapped[str] = mapped_column(String(500))
    signed_at: Mapped[datetime]
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    signing_mark: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[DocumentState] = mapped_column(
        str_enum(DocumentState, 10), default=DocumentState.RENDERING
    )
    # the layout's data (service.documents.layout.to_data); None for documents rendered at
    # signing, before render jobs
    content: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
    rendered_at: Mapped[datetime | None]
    docx_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    docx: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    agency: Mapped[Agency] = relationship()
    signed_by: Mapped[User] = relationship()


class RenderJob(Base):
    """Render a document's files: taken by a worker for a lease, retried with backoff.

    Takeable while not done and not failed and `run_after` has passed. Taking it sets a fresh
    `token` and moves `run_after` to the end of the lease, so a worker killed mid-job leaves a
    job that is taken again once the lease expires; only the holder of the current token may
    store a result, so two renderers never both store one.
    """

    __tablename__ = "render_job"
    # the due jobs are the few with done_at and failed_at null: found without a scan of the
    # done ones, on both databases
    __table_args__ = (Index("ix_render_job_due", "done_at", "failed_at", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    created_at: Mapped[datetime]
    run_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    token: Mapped[str | None] = mapped_column(String(36))
    taken_by: Mapped[str | None] = mapped_column(String(120))  # host:pid of the last taker
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]

    document: Mapped[Document] = relationship()
