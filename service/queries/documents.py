"""Signed documents: list a process's, download one as signed, preview a draft, check a file."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, undefer

from service.db.models import Agency, Document, Event
from service.db.uow import UnitOfWork
from service.documents import pades
from service.documents.content import Signing
from service.documents.docx import write_docx
from service.documents.pdf import write_pdf
from service.errors import Conflict, Forbidden, NotFound
from service.operations.actors import Actor
from service.operations.documents import official_document
from service.operations.reading import readable_instance, visible_instance
from service.permissions import HEAD_ROLE, Reading
from service.queries.issued import ISSUED_KINDS
from service.states import DocumentState

RETRY_AFTER = 2  # seconds: a document is rendered within a few after its signing
MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class File:
    name: str
    mimetype: str
    content: bytes


class PendingBody(TypedDict):
    """The JSON answer (202 or 503) for a document whose files are not there."""

    id: int
    state: DocumentState
    message: str


@dataclass(frozen=True)
class Pending:
    """A document whose files are not there: being rendered, or their rendering failed."""

    document_id: int
    process_id: int
    state: DocumentState  # rendering | failed

    def body(self) -> PendingBody:
        if self.state == DocumentState.FAILED:
            message = "The document's files could not be prepared; tell an administrator."
        else:
            message = "The document is being prepared; try again in a few seconds."
        return {"id": self.document_id, "state": self.state, "message": message}


@dataclass(frozen=True, slots=True)
class SignedDocument:
    """A signed document: its number in the issuer's register and the hashes of its files."""

    id: int
    process_id: int
    kind: str  # KH, BC, QĐ
    number: int
    symbol: str
    number_line: str  # "Số: 180/KH-BCĐ"
    year: int
    subject: str
    issuer: str
    # as the header prints it, "UBND TỈNH THANH HÓA" above "BAN CHỈ ĐẠO 138": the body
    # that issues may be a committee of the agency whose register numbers it
    issued_as: list[str]
    signed_at: datetime
    signed_by: str
    signing_mark: str | None
    state: DocumentState
    docx_sha256: str | None  # None until ready
    pdf_sha256: str | None


def document_row(document: Document) -> SignedDocument:
    return SignedDocument(
        id=document.id,
        process_id=document.instance_id,
        kind=document.kind,
        number=document.number,
        symbol=document.symbol,
        number_line=f"Số: {document.number}/{document.symbol}",
        year=document.year,
        subject=document.subject,
        issuer=document.agency.name,
        issued_as=[
            line
            for line in ((document.content or {}).get(key) for key in ("parent_body", "issuer"))
            if line
        ],
        signed_at=document.signed_at,
        signed_by=document.signed_by.full_name,
        signing_mark=document.signing_mark,
        state=document.state,
        docx_sha256=document.docx_sha256,
        pdf_sha256=document.pdf_sha256,
    )


def process_documents(uow: UnitOfWork, actor: Actor, process_id: int) -> list[SignedDocument]:
    """The documents a process has issued, oldest first; to a unit that reads only the plan as
    issued to it, the signed plan and its award decision (not the reports its issuer sent up)."""
    with uow:
        _, reading = readable_instance(uow, actor, process_id)
        query = select(Document).where(Document.instance_id == process_id)
        if reading is not Reading.FULL:
            query = query.where(Document.kind.in_(ISSUED_KINDS))
        rows = uow.session.scalars(
            query.options(joinedload(Document.agency), joinedload(Document.signed_by)).order_by(
                Document.id
            )
        )
        return [document_row(row) for row in rows]


def document_file(uow: UnitOfWork, actor: Actor, document_id: int, fmt: str) -> File | Pending:
    """The file exactly as signed (its hash is in the audit log).

    :raise NotFound: no such document. :raise Forbidden: not the actor's process, or a unit
        that reads the process only as an issued plan asks for another document than the plan
        or its award decision.
    Pending while its files are being rendered, or when their rendering failed.
    """
    with uow:
        document = uow.session.get(Document, document_id, options=[undefer(getattr(Document, fmt))])
        if document is None:
            raise NotFound("document_not_found", "No such document.")
        _, reading = readable_instance(uow, actor, document.instance_id)
        if reading is not Reading.FULL and document.kind not in ISSUED_KINDS:
            raise Forbidden("issued_plan_only", "Your unit reads only the plan issued to it.")
        content = getattr(document, fmt)
        if content is None:
            return Pending(document.id, document.instance_id, document.state)
        name = f"{document.number}-{document.symbol}-{document.year}.{fmt}"
        return File(name, MIMETYPES[fmt], content)


def draft_file(uow: UnitOfWork, actor: Actor, process_id: int, fmt: str) -> File:
    """The plan as it would be issued, unnumbered and unsigned ("Số:    /KH-BCĐ").

    :raise Conflict: nothing drafted yet.
    """
    with uow:
        instance = visible_instance(uow, actor, process_id)
        if "title" not in instance.document:
            raise Conflict("no_draft", "Nothing has been drafted yet.")
        signer = uow.session.get_one(Agency, instance.bindings[HEAD_ROLE])
        document = official_document(uow.session, instance, signer, Signing(None, None, "", None))
        content = write_docx(document) if fmt == "docx" else write_pdf(document)
        return File(f"du-thao-{process_id}.{fmt}", MIMETYPES[fmt], content)


@dataclass(frozen=True, slots=True)
class FileCheck:
    """Whether a file is, byte for byte, a signed document."""

    sha256: str
    matches: bool
    document: SignedDocument | None
    recorded: bool  # the audit log recorded this very hash when the file was rendered
    signatures: list[pades.SignatureCheck]  # each digital signature a PDF carries, checked


@dataclass(frozen=True, slots=True)
class FileMatch(FileCheck):
    format: str  # docx | pdf


def check_file(
    uow: UnitOfWork, content: bytes, trust_roots: Sequence[Any] = (), crls: Sequence[Any] = ()
) -> FileCheck:
    """Whether `content` is, byte for byte, a signed document: its SHA-256, the document it
    matches, whether that hash is the one the audit log recorded when it was rendered, and each
    digital signature a PDF carries, checked against `trust_roots` and their revocation lists.

    What it answers is printed on the file itself, so anyone signed in may ask.
    """
    signatures = pades.check(content, trust_roots, crls) if content.startswith(b"%PDF") else []
    return _matched(uow, content, signatures)


def _matched(uow: UnitOfWork, content: bytes, signatures: list[pades.SignatureCheck]) -> FileCheck:
    digest = hashlib.sha256(content).hexdigest()
    with uow:
        document = uow.session.scalars(
            select(Document)
            .where(or_(Document.docx_sha256 == digest, Document.pdf_sha256 == digest))
            .options(joinedload(Document.agency), joinedload(Document.signed_by))
        ).first()
        if document is None:
            return FileCheck(digest, False, None, recorded=False, signatures=signatures)
        # documents rendered at signing, before render jobs, have their hashes in
        # document_issued; the others in document_rendered
        recorded = uow.session.scalars(
            select(Event.data).where(
                Event.instance_id == document.instance_id,
                Event.task_id == document.task_id,
                Event.action.in_(("document_rendered", "document_issued")),
            )
        ).all()
        in_log = any(digest in (r.get("docx_sha256"), r.get("pdf_sha256")) for r in recorded)
        return FileMatch(
            digest,
            matches=True,
            document=document_row(document),
            recorded=in_log,
            signatures=signatures,
            format="docx" if digest == document.docx_sha256 else "pdf",
        )
