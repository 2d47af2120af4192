"""Reminders and escalations for the caller's agency."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow
from service.api.schemas import NotificationSchema, RemindersSchema, RemindUnitsSchema
from service.operations.supervision import Reminders, remind_units
from service.queries.notifications import notifications

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="In-app reminders and escalations",
)


@blp.route("")
class Notifications(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, NotificationSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The newest reminders and escalations sent to the caller's agency."""
        return notifications(new_uow(write=False), current_actor())


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
