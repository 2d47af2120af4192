"""What the API says before a signing: the number it would take and who would receive it."""

from __future__ import annotations

from marshmallow import fields

from service.validation import Schema


class SigningPreviewSchema(Schema):
    task_id = fields.Integer()
    kind = fields.String(metadata={"description": "KH (a plan) or BC (a report)"})
    subject = fields.String()
    number = fields.Integer(
        metadata={"description": "the number it would take if signed now: indicative"}
    )
    symbol = fields.String()
    number_text = fields.String(metadata={"description": "12/KH-BCĐ"})
    indicative = fields.Constant(
        True, metadata={"description": "another signing in the agency may take it first"}
    )
    recipients = fields.List(fields.String(), metadata={"description": "Nơi nhận"})
    units = fields.Integer(metadata={"description": "the units a plan addresses"})
    content_sha256 = fields.String(
        metadata={"description": "what the preview shows: the PDF's ETag, changes with the draft"}
    )
