"""Reminders and escalations for the caller's agency."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow, new_view
from service.api.notice_schemas import (
    MarkedSchema,
    NotificationSchema,
    RemindersSchema,
    RemindUnitsSchema,
    UnreadCountSchema,
)
from service.operations.notifications import mark_read
from service.operations.supervision import Reminders, remind_units
from service.queries.notifications import NotificationView, notifications, unread_count

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="In-app reminders, escalations and mentions in comments",
)


@blp.route("")
class Notifications(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, NotificationSchema(many=True))
    def get(self) -> list[NotificationView]:
        """The newest reminders, escalations and comments mentioning the caller's agency;
        `read` says whether the caller has read each."""
        return notifications(new_view(), current_actor())


@blp.route("/reminders")
class RemindUnits(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(RemindUnitsSchema)
    @blp.response(201, RemindersSchema)
    def post(self, args: dict[str, Any]) -> Reminders:
        """Nhắc việc for many units at once: every overdue open task of these processes; those
        reminded today are skipped and listed. 403 if one is not the caller's to supervise
        (nothing sent), 409 when nothing is overdue or all was reminded today."""
        return remind_units(new_uow(), current_actor(), args["processes"])


@blp.route("/unread")
class Unread(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, UnreadCountSchema)
    def get(self) -> dict[str, int]:
        """How many of them the caller has not read."""
        return {"unread": unread_count(new_view(), current_actor())}


@blp.route("/read")
class ReadAll(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, MarkedSchema)
    def post(self) -> dict[str, int]:
        """Mark every one the caller has not read as read (for the caller alone)."""
        return {"marked": mark_read(new_uow(), current_actor())}


@blp.route("/<int:notification_id>/read")
class ReadOne(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, MarkedSchema)
    def post(self, notification_id: int) -> dict[str, int]:
        """Mark one as read (404 for one not sent to the caller's agency)."""
        return {"marked": mark_read(new_uow(), current_actor(), notification_id)}
