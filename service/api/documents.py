"""Signed documents: list, download as signed, preview a draft, check a file in hand."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Response, current_app, jsonify, request, send_file
from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint, multipart
from service.api.deps import current_actor, new_uow, new_view
from service.api.schemas import (
    AwardDecisionSchema,
    DocumentCheckSchema,
    DocumentPendingSchema,
    DocumentSchema,
)
from service.errors import Invalid, Message
from service.operations.awards import issue_award_decision
from service.queries.awards import AwardDecisionView, award_decision
from service.queries.documents import (
    MIMETYPES,
    RETRY_AFTER,
    File,
    FileCheck,
    Pending,
    SignedDocument,
    check_file,
    document_file,
    draft_file,
    process_documents,
)
from service.states import DocumentState

MAX_CHECK_BYTES = 20 * 1024 * 1024
FILES: dict[str, Any] = {"content": {mimetype: {} for mimetype in MIMETYPES.values()}}


def _file_doc(description: str, responses: dict[int, Any] | None = None) -> dict[str, Any]:
    """OpenAPI for a download: the `fmt` it takes and the two file types it answers with."""
    return {
        "parameters": [{"in": "path", "name": "fmt", "schema": {"enum": list(MIMETYPES)}}],
        "responses": {200: {"description": description, **FILES}, **(responses or {})},
    }


PENDING = {"content": {"application/json": {"schema": DocumentPendingSchema}}}
NOT_READY = {
    202: {
        "description": "Being prepared (rendered by the worker within seconds of the signing): "
        f"ask again after `Retry-After` ({RETRY_AFTER}) seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        **PENDING,
    },
    503: {"description": "Its rendering failed (five attempts): tell an administrator", **PENDING},
}


blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="Signed documents")


def send(file: File | Pending) -> Response:
    if isinstance(file, Pending):
        answer = jsonify(file.body())
        if file.state == DocumentState.FAILED:
            answer.status_code = 503
        else:
            answer.status_code = 202
            answer.headers["Retry-After"] = str(RETRY_AFTER)
        return answer
    return send_file(
        BytesIO(file.content), mimetype=file.mimetype, as_attachment=True, download_name=file.name
    )


@blp.route("/processes/<int:process_id>/documents")
class ProcessDocuments(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, DocumentSchema(many=True))
    def get(self, process_id: int) -> list[SignedDocument]:
        """The documents the process issued: the signed plan (KH), its award decision (QĐ),
        its reports (BC). A unit the plan addressed reads the plan and the decision."""
        return process_documents(new_view(), current_actor(), process_id)


@blp.route("/processes/<int:process_id>/award-decision")
class AwardDecision(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, AwardDecisionSchema)
    def get(self, process_id: int) -> AwardDecisionView:
        """What the plan's award decision (QĐ khen thưởng) covers: the accepted nominations its
        signing head decides, those decided elsewhere (Kỷ niệm chương: forwarded to the
        Ministry), the decision once issued, and whether the caller may issue it. The units
        the plan addressed read it too (never may_issue)."""
        return award_decision(new_view(), current_actor(), process_id)

    @blp.doc(**BEARER)
    @blp.response(201, DocumentSchema)
    @blp.alt_response(409, description="Not signed, nothing accepted to decide, or decided")
    def post(self, process_id: int) -> SignedDocument:
        """Issue the signed plan's award decision (…/QĐ-UBND), as the head of its signing agency
        (or KT./TUQ. for them): numbered in that agency's register, rendered like the plan."""
        actor = current_actor()
        keys = current_app.extensions["settings"].key_store()
        document_id = issue_award_decision(new_uow(), actor, process_id, keys)
        rows = process_documents(new_view(), actor, process_id)
        return next(row for row in rows if row.id == document_id)


@blp.route("/documents/<int:document_id>/<any(docx, pdf):fmt>")
class DocumentFile(MethodView):
    @blp.doc(**BEARER, **_file_doc("The file exactly as signed", NOT_READY))
    def get(self, document_id: int, fmt: str) -> Response:
        """Download a signed document as DOCX or PDF; its SHA-256 is the one in the audit log.

        Until the worker has rendered it (seconds after the signing): 202 and `Retry-After`."""
        return send(document_file(new_view(), current_actor(), document_id, fmt))


@blp.route("/processes/<int:process_id>/draft/<any(docx, pdf):fmt>")
class DraftFile(MethodView):
    @blp.doc(**BEARER, **_file_doc("The unnumbered draft (Số:    /KH-…)"))
    def get(self, process_id: int, fmt: str) -> Response:
        """The plan as it stands, laid out as it will be issued but without number or date."""
        return send(draft_file(new_view(), current_actor(), process_id, fmt))


@blp.route("/documents/check")
class DocumentCheck(MethodView):
    @blp.doc(
        **BEARER,
        requestBody={"content": multipart()},
    )
    @blp.response(200, DocumentCheckSchema)
    def post(self) -> FileCheck:
        """Is this file (multipart `file`) a signed document, byte for byte, as the audit log
        recorded it when it was rendered?"""
        current_actor()
        upload = request.files.get("file")
        content = upload.read(MAX_CHECK_BYTES + 1) if upload else b""
        if not content or len(content) > MAX_CHECK_BYTES:
            raise Invalid(
                {"file": [Message("file_type", "Send a DOCX or PDF file of at most 20 MB.")]}
            )
        settings = current_app.extensions["settings"]
        return check_file(
            new_uow(write=False), content, settings.trusted_roots(), settings.trusted_crls()
        )
