"""Signed documents on the pages: download as signed, preview a draft, check a file in hand."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from service.queries.documents import (
    File,
    FileCheck,
    Pending,
    check_file,
    document_file,
    draft_file,
)
from service.web.deps import current_actor, new_uow, new_view

bp = Blueprint("documents", __name__)

MAX_CHECK_BYTES = 20 * 1024 * 1024


def _send(file: File) -> ResponseReturnValue:
    return send_file(
        BytesIO(file.content), mimetype=file.mimetype, as_attachment=True, download_name=file.name
    )


@bp.get("/documents/<int:document_id>/<any(docx, pdf):fmt>")
@login_required
def download(document_id: int, fmt: str) -> ResponseReturnValue:
    """The file as signed; while it is being prepared, the process page, which says so."""
    file = document_file(new_view(), current_actor(), document_id, fmt)
    if isinstance(file, Pending):
        target = url_for("web.processes.show", process_id=file.process_id)
        return redirect(f"{target}#documents-title", 303)
    return _send(file)


@bp.get("/processes/<int:process_id>/draft/<any(docx, pdf):fmt>")
@login_required
def draft(process_id: int, fmt: str) -> ResponseReturnValue:
    return _send(draft_file(new_view(), current_actor(), process_id, fmt))


@bp.route("/documents/check", methods=["GET", "POST"])
@login_required
def check() -> ResponseReturnValue:
    """Upload a DOCX or PDF: is it, byte for byte, the document the audit log says was signed?"""
    result: FileCheck | None = None
    missing = False
    if request.method == "POST":
        upload = request.files.get("file")
        content = upload.read(MAX_CHECK_BYTES + 1) if upload else b""
        missing = not content or len(content) > MAX_CHECK_BYTES
        if not missing:
            settings = current_app.extensions["settings"]
            result = check_file(
                new_uow(write=False), content, settings.trusted_roots(), settings.trusted_crls()
            )
    status = 400 if missing else 200
    return render_template("document_check.html", result=result, missing=missing), status
