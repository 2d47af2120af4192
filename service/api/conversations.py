"""Comments (xin ý kiến) and attached files of a process, for those who read it in full."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import fields

from service import validation as validate
from service.api.blueprint import BEARER, Blueprint, multipart
from service.api.deps import current_actor, new_uow, new_view
from service.attachment_http import read_upload, send_attached
from service.db.base import MAX_ID
from service.errors import Invalid
from service.operations.conversations import MAX_COMMENT, add_comment, attach_file
from service.queries.conversations import (
    AttachmentView,
    CommentView,
    ConversationView,
    attached_file,
    conversation,
)
from service.validation import NOT_A_WHOLE_NUMBER, Schema

# Schemas of this resource alone live here, beside it.


class CommentArgsSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(1, MAX_COMMENT))
    task = fields.Integer(
        load_default=None, validate=validate.Range(1, MAX_ID), metadata={"description": "task id"}
    )
    mentions = fields.List(
        fields.String(validate=validate.Length(1, 80)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "codes of agencies taking part: their users are notified"},
    )


class CommentSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer(allow_none=True)
    step = fields.String(allow_none=True, metadata={"description": "the task's step, by name"})
    author = fields.String()
    agency = fields.String()
    body = fields.String()
    mentions = fields.List(fields.String(), metadata={"description": "agencies' names"})
    created_at = fields.DateTime()


class AttachmentSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer(allow_none=True)
    step = fields.String(allow_none=True, metadata={"description": "the task's step, by name"})
    name = fields.String()
    mimetype = fields.String(metadata={"description": "from the content, never the name"})
    size = fields.Integer()
    sha256 = fields.String(metadata={"description": "as in the audit log"})
    uploaded_by = fields.String()
    agency = fields.String()
    created_at = fields.DateTime()


class MentionableSchema(Schema):
    code = fields.String()
    name = fields.String()


class ConversationSchema(Schema):
    comments = fields.List(fields.Nested(CommentSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))
    mentionable = fields.List(fields.Nested(MentionableSchema))


class FileArgsSchema(Schema):
    inline = fields.Boolean(load_default=False, metadata={"description": "preview (PDF, image)"})


UPLOAD = {"requestBody": {"content": multipart(("file",), task="integer")}}

blp = Blueprint(
    "conversations", __name__, url_prefix="/api/v1", description="Comments and attached files"
)


_Row = TypeVar("_Row", CommentView, AttachmentView)


def _item(rows: list[_Row], item_id: int) -> _Row:
    return next(row for row in rows if row.id == item_id)


@blp.route("/processes/<int:process_id>/conversation")
class Conversation(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, ConversationSchema)
    def get(self, process_id: int) -> ConversationView:
        """The process's comments and attached files, oldest first, and whom a comment may
        mention."""
        return conversation(new_view(), current_actor(), process_id)


@blp.route("/processes/<int:process_id>/comments")
class Comments(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(CommentArgsSchema)
    @blp.response(201, CommentSchema)
    def post(self, args: dict[str, Any], process_id: int) -> CommentView:
        """Comment on the process, or on one of its tasks (`task`), without deciding anything;
        the agencies mentioned (by code) are notified. The audit log holds the text's hash."""
        actor = current_actor()
        comment_id = add_comment(
            new_uow(),
            actor,
            process_id,
            args["body"],
            task_id=args["task"],
            mentions=args["mentions"],
        )
        return _item(conversation(new_view(), actor, process_id).comments, comment_id)


@blp.route("/processes/<int:process_id>/attachments")
class Attachments(MethodView):
    @blp.doc(**BEARER, **UPLOAD)
    @blp.response(201, AttachmentSchema)
    def post(self, process_id: int) -> AttachmentView:
        """Attach a file (multipart `file`: PDF, DOCX, XLSX, JPEG or PNG, at most 20 MB, its
        type read from its content) to the process or one of its tasks (`task`). The audit log
        holds its SHA-256."""
        actor = current_actor()
        task = request.form.get("task") or None
        if task is not None and not task.isdigit():
            raise Invalid({"task": [NOT_A_WHOLE_NUMBER]})
        name, content = read_upload()
        attachment_id = attach_file(
            new_uow(),
            current_app.extensions["attachments"],
            actor,
            process_id,
            name,
            content,
            task_id=None if task is None else int(task),
        )
        rows = conversation(new_view(), actor, process_id).attachments
        return _item(rows, attachment_id)


@blp.route("/attachments/<int:attachment_id>")
class AttachmentFile(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(FileArgsSchema, location="query")
    def get(self, args: dict[str, Any], attachment_id: int) -> Response:
        """The file as attached; `inline=true` shows a PDF or an image in the browser."""
        store = current_app.extensions["attachments"]
        file = attached_file(new_view(), store, current_actor(), attachment_id)
        return send_attached(file, args["inline"])
