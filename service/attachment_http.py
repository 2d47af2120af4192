"""Attached files over HTTP, for the pages and the API alike: the upload read, and the file
sent to download or to show in the browser. A body larger than one file and its form is refused
(413) before it is read: `MAX_BODY`, the app's MAX_CONTENT_LENGTH; a file over the limit inside
it is refused by the operation (400, naming `file`)."""

from __future__ import annotations

from io import BytesIO

from flask import Response, request, send_file

from service.operations.conversations import MAX_ATTACHMENT
from service.queries.conversations import AttachedFile

# What a browser shows itself; a DOCX or XLSX is always downloaded.
PREVIEWED = frozenset({"application/pdf", "image/png", "image/jpeg"})
# A previewed file runs no script and loads nothing: enough for the PDF viewer or an image.
PREVIEW_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"
MAX_BODY = MAX_ATTACHMENT + 1024 * 1024


def read_upload(field: str = "file") -> tuple[str, bytes]:
    """The name and the bytes of an uploaded file (empty ones if none was sent)."""
    upload = request.files.get(field)
    if upload is None:
        return "", b""
    return upload.filename or "", upload.read(MAX_ATTACHMENT + 1)


def send_attached(file: AttachedFile, inline: bool) -> Response:
    """The file with its type from its content; inline only for what a browser previews."""
    inline = inline and file.mimetype in PREVIEWED
    response = send_file(
        BytesIO(file.content),
        mimetype=file.mimetype,
        as_attachment=not inline,
        download_name=file.name,
        etag=file.sha256,
        conditional=True,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    if inline:
        _framed(response)
    return response


def send_inline_pdf(name: str, content: bytes, etag: str) -> Response:
    """A PDF made for the browser to show, in a frame of our own pages (a signing's preview)."""
    response = send_file(
        BytesIO(content),
        mimetype="application/pdf",
        download_name=name,
        etag=etag,
        conditional=True,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return _framed(response)


def _framed(response: Response) -> Response:
    # the pages forbid framing (frame-ancestors 'none', DENY); a preview is framed by them
    response.headers["Content-Security-Policy"] = f"{PREVIEW_CSP}; frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
