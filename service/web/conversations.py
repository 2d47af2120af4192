"""Comments and attached files on the process and task pages: send a comment (mentioning the
agencies taking part), attach a file, download it or preview a PDF or an image."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from service.attachment_http import read_upload, send_attached
from service.errors import Invalid, Message, StoreUnavailable
from service.operations.conversations import add_comment, attach_file
from service.queries.conversations import attached_file, conversation
from service.web.auth import safe_next
from service.web.deps import current_actor, new_uow, new_view
from service.web.labels import translate_errors

bp = Blueprint("conversations", __name__)

STORE_AWAY = (
    "The file store (%(store)s) is not answering: nothing was attached. Try again in a few minutes."
)


def _task() -> int | None:
    """The task the form is about (a hidden field), None for the process's own thread."""
    value = request.form.get("task") or ""
    return int(value) if value.isdigit() and len(value) < 11 else None


def _back(process_id: int) -> str:
    """Where the form came from (a local path), or the process page."""
    target = request.form.get("next")
    return safe_next(target) if target else url_for("web.processes.show", process_id=process_id)


def _retry(process_id: int, errors: dict[str, object], status: int = 400) -> ResponseReturnValue:
    """The form again, with what was typed and the reasons: nothing was sent (400, or 503
    when the file store is away)."""
    actor = current_actor()
    return (
        render_template(
            "conversation_retry.html",
            process_id=process_id,
            conv=conversation(new_view(), actor, process_id),
            task_id=_task(),
            back=_back(process_id),
            body=request.form.get("body", ""),
            mentions=request.form.getlist("mentions"),
            errors=translate_errors(errors),
        ),
        status,
    )


@bp.post("/processes/<int:process_id>/comments")
@login_required
def comment(process_id: int) -> ResponseReturnValue:
    """Send a comment to the process's thread, or its task's; mentioned agencies are told."""
    try:
        add_comment(
            new_uow(),
            current_actor(),
            process_id,
            request.form.get("body", ""),
            task_id=_task(),
            mentions=request.form.getlist("mentions"),
        )
    except Invalid as err:
        return _retry(process_id, err.errors)
    flash(gettext("Your comment is sent."), "success")
    return redirect(_back(process_id) + "#conversation-title", 303)


@bp.post("/processes/<int:process_id>/attachments")
@login_required
def attach(process_id: int) -> ResponseReturnValue:
    """Attach a file (PDF, DOCX, XLSX, JPEG or PNG, at most 20 MB) to the process or task."""
    name, content = read_upload()
    try:
        attach_file(
            new_uow(),
            current_app.extensions["attachments"],
            current_actor(),
            process_id,
            name,
            content,
            task_id=_task(),
        )
    except Invalid as err:
        return _retry(process_id, err.errors)
    except StoreUnavailable as err:  # nothing attached; the task's draft is untouched
        away = Message("store_unavailable", STORE_AWAY, store=err.params["store"])
        return _retry(process_id, {"file": [away]}, 503)
    flash(gettext("The file is attached."), "success")
    return redirect(_back(process_id) + "#conversation-title", 303)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> ResponseReturnValue:
    store = current_app.extensions["attachments"]
    file = attached_file(new_view(), store, current_actor(), attachment_id)
    return send_attached(file, inline=False)


@bp.get("/attachments/<int:attachment_id>/preview")
@login_required
def preview(attachment_id: int) -> ResponseReturnValue:
    """A PDF or an image shown by the browser; other types are downloaded."""
    store = current_app.extensions["attachments"]
    file = attached_file(new_view(), store, current_actor(), attachment_id)
    return send_attached(file, inline=True)
