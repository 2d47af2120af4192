"""What the API answers about notifications and reminders (nhắc việc)."""

from __future__ import annotations

from marshmallow import Schema, fields


class NotificationSchema(Schema):
    id = fields.Integer()
    task_id = fields.Integer(allow_none=True, metadata={"description": "none: a process's thread"})
    process_id = fields.Integer()
    rule = fields.String()
    audience = fields.String()
    message = fields.String()
    channels = fields.List(fields.String())
    sent_at = fields.DateTime()
    read = fields.Boolean(metadata={"description": "whether the caller has read it"})


class RemindedSchema(Schema):
    task_id = fields.Integer()
    process_id = fields.Integer()
    agency = fields.String(metadata={"description": "the agency reminded"})
    notification_id = fields.Integer()


class SkippedReminderSchema(Schema):
    task_id = fields.Integer()
    process_id = fields.Integer()
    agency = fields.String()
    next_at = fields.DateTime(metadata={"description": "when it may be reminded again"})


class RemindUnitsSchema(Schema):
    processes = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "the units' processes (the dashboard's process_id)"},
    )


class RemindersSchema(Schema):
    reminded = fields.List(fields.Nested(RemindedSchema))
    skipped = fields.List(
        fields.Nested(SkippedReminderSchema), metadata={"description": "reminded today already"}
    )


class UnreadCountSchema(Schema):
    unread = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "how many were newly marked as read"})
