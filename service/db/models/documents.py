"""Official documents: each agency's registers, and the signed files they numbered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base
from service.db.models.directory import Agency, User


class Register(Base):
    """Sổ đăng ký văn bản: the last number an agency gave to a kind of document in a year.

    Taken by an UPDATE (an upsert) inside the signing's transaction: the row stays locked until
    that commits, so two signings get consecutive numbers, and a rolled-back one gives its
    number back.
    """

    __tablename__ = "register"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # KH, BC, QĐ…
    last_number: Mapped[int]


class Document(Base):
    """A signed document as it was issued: its number and the exact bytes of both files.

    The bytes are stored, not re-rendered: the hashes recorded in the audit log at signing
    must match every later download, whatever the fonts or libraries become.
    """

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("agency_id", "year", "kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    number: Mapped[int]
    symbol: Mapped[str] = mapped_column(String(40))  # "KH-BCĐ"
    subject: Mapped[str] = mapped_column(String(500))
    signed_at: Mapped[datetime]
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    signing_mark: Mapped[str | None] = mapped_column(String(120))
    docx_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    docx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    agency: Mapped[Agency] = relationship()
    signed_by: Mapped[User] = relationship()
